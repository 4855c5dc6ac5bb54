// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Kubeconfig loading as kubectl does it, wherever the files live, and the
//! modules' connection overrides (`host`, `api_key`, `ca_cert`, ...).
//!
//! Files are read through [`HostFiles`], so the same rules hold on the
//! controller and on a remote host whose kubeconfig is read over SSH. Every
//! file a kubeconfig names (certificates, keys, token files) is read the
//! same way and inlined, so nothing is later looked up on the wrong machine.

use super::error::K8sError;
use base64::Engine;
use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use std::path::{Path, PathBuf};

/// Reads files and environment variables where the module runs.
#[async_trait::async_trait]
pub trait HostFiles: Send + Sync {
    /// A file's bytes; `Ok(None)` when it does not exist, `Err` with the
    /// reason when it exists but cannot be read.
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
    /// An environment variable (the task's `environment` first).
    async fn env(&self, name: &str) -> Option<String>;
    /// Whether this is the controller (exec plugins and in-cluster config
    /// are used only there).
    fn on_controller(&self) -> bool;
}

/// The connection options the kubernetes.core modules share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AuthArgs {
    /// A path, or (when the task gave a dict) the kubeconfig as JSON.
    pub kubeconfig: Option<KubeconfigArg>,
    pub context: Option<String>,
    pub host: Option<String>,
    pub api_key: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub validate_certs: Option<bool>,
    pub ca_cert: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub impersonate_user: Option<String>,
    pub impersonate_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KubeconfigArg {
    Path(String),
    Inline(String),
}

/// A loaded configuration: kube's `Config`, what identifies it for the
/// client cache, and warnings for the task.
pub struct Loaded {
    pub config: Config,
    pub fingerprint: String,
    pub warnings: Vec<String>,
}

impl AuthArgs {
    /// Fills unset options from the `K8S_AUTH_*` environment variables, as
    /// the collection does.
    pub async fn with_env(mut self, files: &dyn HostFiles) -> AuthArgs {
        async fn var(files: &dyn HostFiles, name: &str) -> Option<String> {
            files.env(name).await.filter(|v| !v.is_empty())
        }
        if self.kubeconfig.is_none() {
            self.kubeconfig = var(files, "K8S_AUTH_KUBECONFIG")
                .await
                .map(KubeconfigArg::Path);
        }
        for (slot, name) in [
            (&mut self.context, "K8S_AUTH_CONTEXT"),
            (&mut self.host, "K8S_AUTH_HOST"),
            (&mut self.api_key, "K8S_AUTH_API_KEY"),
            (&mut self.username, "K8S_AUTH_USERNAME"),
            (&mut self.password, "K8S_AUTH_PASSWORD"),
            (&mut self.ca_cert, "K8S_AUTH_SSL_CA_CERT"),
            (&mut self.client_cert, "K8S_AUTH_CERT_FILE"),
            (&mut self.client_key, "K8S_AUTH_KEY_FILE"),
            (&mut self.proxy, "K8S_AUTH_PROXY"),
            (&mut self.no_proxy, "K8S_AUTH_NO_PROXY"),
        ] {
            if slot.is_none() {
                *slot = var(files, name).await;
            }
        }
        if self.validate_certs.is_none()
            && let Some(v) = var(files, "K8S_AUTH_VERIFY_SSL").await
        {
            self.validate_certs = crate::modules::spec::to_bool(&serde_json::Value::String(v));
        }
        self
    }
}

/// Loads the configuration `args` select, reading files through `files`.
pub async fn load(args: &AuthArgs, files: &dyn HostFiles) -> Result<Loaded, K8sError> {
    let kubeconfig = read_kubeconfigs(args, files).await?;
    let mut warnings = Vec::new();
    let mut config = match &kubeconfig {
        Some(kc) => from_kubeconfig(kc.clone(), args).await?,
        None => match &args.host {
            Some(h) => Config::new(parse_url(h)?),
            None if files.on_controller()
                && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() =>
            {
                Config::incluster()
                    .map_err(|e| K8sError::Config(format!("in-cluster configuration: {e}")))?
            }
            None => {
                return Err(K8sError::Config(
                    "no Kubernetes configuration: no kubeconfig (module option kubeconfig, \
                     K8S_AUTH_KUBECONFIG, KUBECONFIG or ~/.kube/config), no in-cluster \
                     service account and no host option"
                        .into(),
                ));
            }
        },
    };
    apply_overrides(&mut config, args, files).await?;
    // After the overrides: an api_key given by the task replaces the
    // plugin, as the refusal's own advice says.
    if !files.on_controller()
        && (config.auth_info.exec.is_some() || config.auth_info.auth_provider.is_some())
    {
        return Err(K8sError::Config(
            "the kubeconfig on the host uses an exec credential plugin or auth provider; \
             kiln would have to run it on the controller, so it does not: give a token \
             (api_key) or client certificate instead"
                .into(),
        ));
    }
    // Retries are the modules' decision (a PDB refusal is retried with its
    // own message; a plain 429 must not be retried blindly).
    config.default_retry = false;
    config.connect_timeout = Some(std::time::Duration::from_secs(10));
    if config.accept_invalid_certs {
        warnings.push(format!(
            "TLS certificate verification of the API server {} is disabled \
             (insecure-skip-tls-verify / validate_certs: false): the server is not authenticated",
            config.cluster_url
        ));
    }
    if config.cluster_url.scheme_str() == Some("http") {
        warnings.push(format!(
            "the API server {} is reached without TLS",
            config.cluster_url
        ));
    }
    let fingerprint = fingerprint(&kubeconfig, args);
    Ok(Loaded {
        config,
        fingerprint,
        warnings,
    })
}

fn parse_url(s: &str) -> Result<http::Uri, K8sError> {
    s.parse::<http::Uri>()
        .map_err(|e| K8sError::Config(format!("invalid API server URL {s:?}: {e}")))
}

/// The kubeconfig files to use, merged, with their file references inlined;
/// `None` when there is none at all.
async fn read_kubeconfigs(
    args: &AuthArgs,
    files: &dyn HostFiles,
) -> Result<Option<Kubeconfig>, K8sError> {
    let home = files.env("HOME").await.unwrap_or_default();
    let expand = |p: &str| -> String {
        match p.strip_prefix("~/") {
            Some(rest) => format!("{home}/{rest}"),
            None if p == "~" => home.clone(),
            None => p.to_string(),
        }
    };
    // (path, must exist)
    let paths: Vec<(String, bool)> = match &args.kubeconfig {
        Some(KubeconfigArg::Inline(json)) => {
            let kc: Kubeconfig = serde_json::from_str(json).map_err(|e| {
                K8sError::Config(format!(
                    "the kubeconfig option is not a valid kubeconfig: {e}"
                ))
            })?;
            return Ok(Some(inline_files(kc, None, files).await?));
        }
        Some(KubeconfigArg::Path(p)) => vec![(expand(p), true)],
        None => match files.env("KUBECONFIG").await.filter(|v| !v.is_empty()) {
            // kubectl skips files of the list that do not exist.
            Some(list) => list
                .split(':')
                .filter(|p| !p.is_empty())
                .map(|p| (expand(p), false))
                .collect(),
            None => vec![(format!("{home}/.kube/config"), false)],
        },
    };
    let mut merged: Option<Kubeconfig> = None;
    for (path, required) in paths {
        let bytes = match files.read(&path).await {
            Ok(Some(b)) => b,
            Ok(None) if !required => continue,
            Ok(None) => {
                return Err(K8sError::Config(format!(
                    "cannot read kubeconfig {path}: No such file or directory"
                )));
            }
            Err(why) => {
                return Err(K8sError::Config(format!(
                    "cannot read kubeconfig {path}: {why}"
                )));
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let kc = Kubeconfig::from_yaml(&text).map_err(|e| {
            K8sError::Config(format!(
                "kubeconfig {path} is not valid: {}",
                super::error::chain(&e)
            ))
        })?;
        let dir = Path::new(&path).parent().map(Path::to_path_buf);
        let kc = inline_files(kc, dir.as_deref(), files).await?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m
                .merge(kc)
                .map_err(|e| K8sError::Config(format!("cannot merge kubeconfig {path}: {e}")))?,
        });
    }
    Ok(merged)
}

/// Reads every file a kubeconfig names (relative to its own directory, as
/// kubectl resolves them) and puts the contents in the `*-data` fields.
async fn inline_files(
    mut kc: Kubeconfig,
    dir: Option<&Path>,
    files: &dyn HostFiles,
) -> Result<Kubeconfig, K8sError> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    for c in &mut kc.clusters {
        if let Some(cluster) = c.cluster.as_mut()
            && let Some(p) = cluster.certificate_authority.take()
        {
            let data = read_named(files, dir, &p, "certificate-authority").await?;
            cluster.certificate_authority_data = Some(b64(&data));
        }
    }
    for a in &mut kc.auth_infos {
        let Some(user) = a.auth_info.as_mut() else {
            continue;
        };
        if let Some(p) = user.client_certificate.take() {
            let data = read_named(files, dir, &p, "client-certificate").await?;
            user.client_certificate_data = Some(b64(&data));
        }
        if let Some(p) = user.client_key.take() {
            let data = read_named(files, dir, &p, "client-key").await?;
            user.client_key_data = Some(b64(&data).into());
        }
        if let Some(p) = user.token_file.take() {
            let data = read_named(files, dir, &p, "tokenFile").await?;
            user.token = Some(String::from_utf8_lossy(&data).trim().to_string().into());
        }
    }
    Ok(kc)
}

async fn read_named(
    files: &dyn HostFiles,
    dir: Option<&Path>,
    path: &str,
    what: &str,
) -> Result<Vec<u8>, K8sError> {
    let full: PathBuf = match dir {
        Some(d) if Path::new(path).is_relative() => d.join(path),
        _ => PathBuf::from(path),
    };
    let shown = full.display().to_string();
    match files.read(&shown).await {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(K8sError::Config(format!(
            "cannot read {what} {shown} named in the kubeconfig: No such file or directory"
        ))),
        Err(why) => Err(K8sError::Config(format!(
            "cannot read {what} {shown} named in the kubeconfig: {why}"
        ))),
    }
}

async fn from_kubeconfig(kc: Kubeconfig, args: &AuthArgs) -> Result<Config, K8sError> {
    let context = args.context.clone().or_else(|| kc.current_context.clone());
    match &context {
        Some(name) if !kc.contexts.iter().any(|c| &c.name == name) => {
            return Err(K8sError::Config(format!(
                "context \"{name}\" not found in the kubeconfig (contexts: {})",
                kc.contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        None if args.host.is_some() => {
            // No context, but the task names the server: use it bare.
            return Ok(Config::new(parse_url(args.host.as_deref().unwrap_or(""))?));
        }
        None => {
            return Err(K8sError::Config(
                "the kubeconfig has no current-context and the task gives no context".into(),
            ));
        }
        Some(_) => {}
    }
    let options = KubeConfigOptions {
        context,
        cluster: None,
        user: None,
    };
    Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| K8sError::Config(format!("kubeconfig: {}", super::error::chain(&e))))
}

async fn apply_overrides(
    config: &mut Config,
    args: &AuthArgs,
    files: &dyn HostFiles,
) -> Result<(), K8sError> {
    if let Some(h) = &args.host {
        config.cluster_url = parse_url(h)?;
    }
    if let Some(t) = &args.api_key {
        config.auth_info.token = Some(t.clone().into());
        config.auth_info.exec = None;
        config.auth_info.auth_provider = None;
    }
    if let Some(u) = &args.username {
        config.auth_info.username = Some(u.clone());
    }
    if let Some(p) = &args.password {
        config.auth_info.password = Some(p.clone().into());
    }
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    if let Some(p) = &args.ca_cert {
        let pem = read_named(files, None, p, "ca_cert").await?;
        config.root_cert = Some(pem_certs(&pem, p)?);
    }
    if let Some(p) = &args.client_cert {
        let pem = read_named(files, None, p, "client_cert").await?;
        config.auth_info.client_certificate_data = Some(b64(&pem));
        config.auth_info.client_certificate = None;
    }
    if let Some(p) = &args.client_key {
        let pem = read_named(files, None, p, "client_key").await?;
        config.auth_info.client_key_data = Some(b64(&pem).into());
        config.auth_info.client_key = None;
    }
    match args.validate_certs {
        Some(false) => config.accept_invalid_certs = true,
        Some(true) => config.accept_invalid_certs = false,
        None => {}
    }
    if let Some(p) = &args.proxy {
        config.proxy_url = Some(parse_url(p)?);
    }
    if let (Some(list), Some(host)) = (&args.no_proxy, config.cluster_url.host())
        && no_proxy_matches(list, host)
    {
        config.proxy_url = None;
    }
    if let Some(u) = &args.impersonate_user {
        config.auth_info.impersonate = Some(u.clone());
    }
    if !args.impersonate_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(args.impersonate_groups.clone());
    }
    Ok(())
}

/// `no_proxy` as the Python client reads it: comma-separated host names or
/// domain suffixes (`.example.com` or `example.com`), `*` for all.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    list.split(',').map(str::trim).any(|e| {
        !e.is_empty()
            && (e == "*"
                || host == e.trim_start_matches('.')
                || host.ends_with(&format!(".{}", e.trim_start_matches('.'))))
    })
}

/// The DER certificates of a PEM file.
fn pem_certs(pem: &[u8], path: &str) -> Result<Vec<Vec<u8>>, K8sError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| K8sError::Config(format!("ca_cert {path} is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(K8sError::Config(format!(
            "ca_cert {path} holds no certificate"
        )));
    }
    Ok(certs)
}

/// What makes two configurations the same client: the merged kubeconfig
/// and every option, hashed (secrets are not kept as they are).
fn fingerprint(kc: &Option<Kubeconfig>, args: &AuthArgs) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    if let Some(kc) = kc {
        h.update(serde_json::to_vec(kc).unwrap_or_default());
    }
    h.update(format!("{args:?}").as_bytes());
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Files by path, and environment variables.
    struct Map(
        HashMap<&'static str, &'static str>,
        HashMap<&'static str, &'static str>,
    );

    #[async_trait::async_trait]
    impl HostFiles for Map {
        async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
            Ok(self.0.get(path).map(|t| t.as_bytes().to_vec()))
        }
        async fn env(&self, name: &str) -> Option<String> {
            self.1.get(name).map(|v| v.to_string())
        }
        fn on_controller(&self) -> bool {
            false
        }
    }

    #[tokio::test]
    async fn files_named_in_a_kubeconfig_are_read_relative_to_it_and_inlined() {
        let kc = "apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://127.0.0.1:6443', certificate-authority: pki/ca.crt}
  name: c
users:
- name: u
  user: {tokenFile: /var/token}
contexts:
- context: {cluster: c, user: u}
  name: x
current-context: x
";
        let files = Map(
            HashMap::from([
                ("/etc/k/admin.conf", kc),
                ("/etc/k/pki/ca.crt", "not a certificate"),
                ("/var/token", "secret-token\n"),
            ]),
            HashMap::from([("KUBECONFIG", "/missing:/etc/k/admin.conf")]),
        );
        let kube = read_kubeconfigs(&AuthArgs::default(), &files)
            .await
            .expect("read")
            .expect("a kubeconfig");
        let cluster = kube.clusters[0].cluster.as_ref().expect("cluster");
        assert!(cluster.certificate_authority.is_none());
        assert_eq!(
            cluster.certificate_authority_data.as_deref(),
            Some(
                base64::engine::general_purpose::STANDARD
                    .encode("not a certificate")
                    .as_str()
            )
        );
        let user = kube.auth_infos[0].auth_info.as_ref().expect("user");
        assert!(user.token_file.is_none());
        // Secrets serialise as they are (kubectl's format).
        let json = serde_json::to_value(&kube).expect("json");
        assert_eq!(json["users"][0]["user"]["token"], "secret-token");
        // An explicit path that is missing is an error naming it.
        let args = AuthArgs {
            kubeconfig: Some(KubeconfigArg::Path("/nope".into())),
            ..Default::default()
        };
        let Err(e) = read_kubeconfigs(&args, &files).await else {
            panic!("a missing explicit kubeconfig must be an error");
        };
        assert!(
            e.to_string().contains("cannot read kubeconfig /nope"),
            "{e}"
        );
    }

    /// A self-signed certificate (input only: its bytes come back as DER).
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBhTCCASugAwIBAgIUc/3gtxzc9Zr0s9q0PvU26z0GRogwCgYIKoZIzj0EAwIw\nFzEVMBMGA1UEAwwMa2lsbi10ZXN0LWNhMCAXDTI2MTEyNzEwMjAwMloYDzIxMjYx\nMTAzMTAyMDAyWjAXMRUwEwYDVQQDDAxraWxuLXRlc3QtY2EwWTATBgcqhkjOPQIB\nBggqhkjOPQMBBwNCAAT47HKNOECcnPqnxvVuCAd5P2ySnft3PMrCSEEeAekzv95O\nMc2J42Cl2ghxW24frbmp1mdD3BbYs7+TquBn39hAo1MwUTAdBgNVHQ4EFgQUJAvs\nLCXgkVzmzniUk0iyUjVibyswHwYDVR0jBBgwFoAUJAvsLCXgkVzmzniUk0iyUjVi\nbyswDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA2iUGKu29exAS\nO1YVNtREoBDEyrwMAxT6udnT+jCdSG4CIFvb5RkNMXS3Eanjq6Nj/tFCeNFpLt4l\n7S/UZAZDS947\n-----END CERTIFICATE-----\n";

    const EXEC_KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://10.0.0.9:6443'}
  name: c
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token}
contexts:
- context: {cluster: c, user: u}
  name: x
- context: {cluster: c, user: u}
  name: y
current-context: x
";

    fn files(f: &[(&'static str, &'static str)], env: &[(&'static str, &'static str)]) -> Map {
        Map(f.iter().copied().collect(), env.iter().copied().collect())
    }

    async fn load_err(args: &AuthArgs, f: &Map) -> String {
        match load(args, f).await {
            Ok(l) => panic!("loaded {}", l.config.cluster_url),
            Err(e) => e.to_string(),
        }
    }

    #[tokio::test]
    async fn a_host_alone_is_a_configuration_with_its_warnings() {
        let none = files(&[], &[("HOME", "/home/u")]);
        let e = load_err(&AuthArgs::default(), &none).await;
        assert!(e.starts_with("no Kubernetes configuration"), "{e}");
        let args = AuthArgs {
            host: Some("http://127.0.0.1:8080".into()),
            validate_certs: Some(false),
            impersonate_user: Some("admin".into()),
            impersonate_groups: vec!["ops".into()],
            username: Some("bob".into()),
            password: Some("pw".into()),
            ..Default::default()
        };
        let l = load(&args, &none).await.expect("loads");
        assert_eq!(l.config.cluster_url.to_string(), "http://127.0.0.1:8080/");
        assert!(l.config.accept_invalid_certs);
        assert!(!l.config.default_retry);
        assert_eq!(l.config.auth_info.impersonate.as_deref(), Some("admin"));
        assert_eq!(
            l.config.auth_info.impersonate_groups,
            Some(vec!["ops".to_string()])
        );
        assert_eq!(l.config.auth_info.username.as_deref(), Some("bob"));
        assert_eq!(l.warnings.len(), 2, "{:?}", l.warnings);
        assert!(l.warnings[0].contains("TLS certificate verification"));
        assert!(l.warnings[1].ends_with("is reached without TLS"));
        // The same options are the same client; another option is not.
        let again = load(&args, &none).await.expect("loads");
        assert_eq!(l.fingerprint, again.fingerprint);
        let other = AuthArgs {
            api_key: Some("t".into()),
            ..args.clone()
        };
        let third = load(&other, &none).await.expect("loads");
        assert_ne!(l.fingerprint, third.fingerprint);

        let bad = AuthArgs {
            host: Some("http://[::1".into()),
            ..Default::default()
        };
        let e = load_err(&bad, &none).await;
        assert!(
            e.starts_with("invalid API server URL \"http://[::1\""),
            "{e}"
        );
    }

    #[tokio::test]
    async fn contexts_plugins_and_overrides() {
        let f = files(
            &[
                ("/home/u/.kube/config", EXEC_KUBECONFIG),
                ("/etc/ca.pem", CA_PEM),
                ("/etc/empty.pem", "nothing here"),
                ("/etc/client.crt", "client-cert-bytes"),
                ("/etc/client.key", "client-key-bytes"),
            ],
            &[("HOME", "/home/u")],
        );
        // ~/.kube/config by default; on a host its exec plugin is refused...
        let e = load_err(&AuthArgs::default(), &f).await;
        assert!(e.contains("uses an exec credential plugin"), "{e}");
        // ...unless the task gives the token itself.
        let args = AuthArgs {
            api_key: Some("tok".into()),
            ca_cert: Some("/etc/ca.pem".into()),
            client_cert: Some("/etc/client.crt".into()),
            client_key: Some("/etc/client.key".into()),
            validate_certs: Some(true),
            proxy: Some("http://proxy:3128".into()),
            no_proxy: Some("10.0.0.9".into()),
            ..Default::default()
        };
        let l = load(&args, &f).await.expect("loads");
        assert_eq!(l.config.cluster_url.to_string(), "https://10.0.0.9:6443/");
        assert!(l.config.auth_info.exec.is_none());
        let roots = l.config.root_cert.as_ref().expect("roots");
        assert_eq!(roots.len(), 1);
        // DER starts with a SEQUENCE tag.
        assert_eq!(roots[0][0], 0x30);
        assert_eq!(
            l.config.auth_info.client_certificate_data.as_deref(),
            Some(
                base64::engine::general_purpose::STANDARD
                    .encode("client-cert-bytes")
                    .as_str()
            )
        );
        assert!(!l.config.accept_invalid_certs);
        assert!(l.config.proxy_url.is_none(), "no_proxy names the server");
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let proxied = AuthArgs {
            no_proxy: Some("example.com".into()),
            ..args.clone()
        };
        let l = load(&proxied, &f).await.expect("loads");
        assert_eq!(
            l.config.proxy_url.map(|u| u.to_string()).as_deref(),
            Some("http://proxy:3128/")
        );

        for (ca, want) in [
            (
                "/etc/empty.pem",
                "ca_cert /etc/empty.pem holds no certificate",
            ),
            (
                "/etc/none.pem",
                "cannot read ca_cert /etc/none.pem named in the kubeconfig: No such file or directory",
            ),
        ] {
            let a = AuthArgs {
                ca_cert: Some(ca.into()),
                ..args.clone()
            };
            assert_eq!(load_err(&a, &f).await, want);
        }
        // A context that does not exist names those that do.
        let a = AuthArgs {
            context: Some("z".into()),
            ..args.clone()
        };
        assert_eq!(
            load_err(&a, &f).await,
            "context \"z\" not found in the kubeconfig (contexts: x, y)"
        );
    }

    #[tokio::test]
    async fn kubeconfig_sources_and_their_errors() {
        let no_current = "apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://10.0.0.9:6443'}
  name: c
contexts: []
";
        let f = files(
            &[("/home/u/k1", no_current), ("/home/u/bad", "clusters: 7\n")],
            &[("HOME", "/home/u")],
        );
        let path = |p: &str| AuthArgs {
            kubeconfig: Some(KubeconfigArg::Path(p.into())),
            ..Default::default()
        };
        assert_eq!(
            load_err(&path("~/k1"), &f).await,
            "the kubeconfig has no current-context and the task gives no context"
        );
        // Without a context, the task's host is used bare.
        let with_host = AuthArgs {
            host: Some("https://10.1.1.1:443".into()),
            ..path("~/k1")
        };
        let l = load(&with_host, &f).await.expect("loads");
        assert_eq!(l.config.cluster_url.to_string(), "https://10.1.1.1:443/");
        let e = load_err(&path("~/bad"), &f).await;
        assert!(
            e.starts_with("kubeconfig /home/u/bad is not valid: "),
            "{e}"
        );
        let inline = AuthArgs {
            kubeconfig: Some(KubeconfigArg::Inline("[1, 2]".into())),
            ..Default::default()
        };
        let e = load_err(&inline, &f).await;
        assert!(
            e.starts_with("the kubeconfig option is not a valid kubeconfig: "),
            "{e}"
        );
        // A kubeconfig given inline is read like a file.
        let inline = AuthArgs {
            kubeconfig: Some(KubeconfigArg::Inline(
                serde_json::json!({
                    "clusters": [{"name": "c", "cluster": {"server": "https://10.2.2.2:6443"}}],
                    "users": [{"name": "u", "user": {"token": "t"}}],
                    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "x",
                })
                .to_string(),
            )),
            ..Default::default()
        };
        let l = load(&inline, &f).await.expect("loads");
        assert_eq!(l.config.cluster_url.to_string(), "https://10.2.2.2:6443/");
    }

    #[tokio::test]
    async fn unreadable_files_say_why() {
        struct Denied;
        #[async_trait::async_trait]
        impl HostFiles for Denied {
            async fn read(&self, _: &str) -> Result<Option<Vec<u8>>, String> {
                Err("Permission denied".into())
            }
            async fn env(&self, name: &str) -> Option<String> {
                (name == "KUBECONFIG").then(|| "/k/a:/k/b".into())
            }
            fn on_controller(&self) -> bool {
                false
            }
        }
        let e = load_err(&AuthArgs::default(), &files(&[], &[])).await;
        assert!(e.starts_with("no Kubernetes configuration"), "{e}");
        let e = match load(&AuthArgs::default(), &Denied).await {
            Ok(_) => panic!("loaded"),
            Err(e) => e.to_string(),
        };
        assert_eq!(e, "cannot read kubeconfig /k/a: Permission denied");
    }

    #[tokio::test]
    async fn environment_fills_what_the_task_leaves_unset() {
        let f = files(
            &[],
            &[
                ("K8S_AUTH_KUBECONFIG", "/k/config"),
                ("K8S_AUTH_HOST", "https://h:6443"),
                ("K8S_AUTH_API_KEY", ""),
                ("K8S_AUTH_CONTEXT", "ctx"),
                ("K8S_AUTH_VERIFY_SSL", "no"),
                ("K8S_AUTH_PROXY", "http://p:1"),
            ],
        );
        let a = AuthArgs {
            context: Some("mine".into()),
            ..Default::default()
        }
        .with_env(&f)
        .await;
        assert_eq!(a.kubeconfig, Some(KubeconfigArg::Path("/k/config".into())));
        assert_eq!(a.host.as_deref(), Some("https://h:6443"));
        // The task's own value wins; an empty variable is no value.
        assert_eq!(a.context.as_deref(), Some("mine"));
        assert_eq!(a.api_key, None);
        assert_eq!(a.validate_certs, Some(false));
        assert_eq!(a.proxy.as_deref(), Some("http://p:1"));
        let kept = AuthArgs {
            validate_certs: Some(true),
            ..Default::default()
        }
        .with_env(&f)
        .await;
        assert_eq!(kept.validate_certs, Some(true));
    }

    #[test]
    fn no_proxy_suffixes() {
        assert!(no_proxy_matches(
            "localhost, .example.com",
            "api.example.com"
        ));
        assert!(no_proxy_matches("example.com", "example.com"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(no_proxy_matches("*", "10.0.0.1"));
        assert!(!no_proxy_matches("", "10.0.0.1"));
    }
}
