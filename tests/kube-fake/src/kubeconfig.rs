// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The kubeconfig a test hands to its client: one cluster, a bearer-token user
//! and a client-certificate user, a context for each (`token` is current).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What goes into the file.
pub struct KubeconfigParts<'a> {
    pub url: &'a str,
    pub ca_pem: &'a str,
    pub token: &'a str,
    pub client_cert_pem: &'a str,
    pub client_key_pem: &'a str,
    pub namespace: &'a str,
}

/// Block-style YAML as `kubectl config view --raw` writes it; every value is a
/// plain token or base64, so no quoting rules come into play.
pub fn render(p: &KubeconfigParts<'_>) -> String {
    let b64 = |s: &str| STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {url}
  name: fake
contexts:
- context:
    cluster: fake
    namespace: {ns}
    user: token-user
  name: token
- context:
    cluster: fake
    namespace: {ns}
    user: cert-user
  name: cert
current-context: token
preferences: {{}}
users:
- name: token-user
  user:
    token: {token}
- name: cert-user
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
",
        ca = b64(p.ca_pem),
        url = p.url,
        ns = p.namespace,
        token = p.token,
        cert = b64(p.client_cert_pem),
        key = b64(p.client_key_pem),
    )
}
