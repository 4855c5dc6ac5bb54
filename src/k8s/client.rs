// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! One `kube::Client` per (where the module runs, kubeconfig, context,
//! options), built once and reused by every later task of the run.

use super::api::Kube;
use super::config::{self, AuthArgs, HostFiles};
use super::error::{K8sError, chain};
use super::tunnel::TunnelConnector;
use crate::transport::Connection;
use kube::client::ConfigExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Where the module runs, as far as reaching the API server goes.
pub enum Place {
    /// On the controller: connect directly.
    Controller,
    /// On a remote host: connect through its SSH session.
    Host(Arc<dyn Connection>),
}

/// Installs ring as the process's rustls provider, once: kube and rustls
/// use the process default, and the build has no other provider.
fn install_crypto() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Kube>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Kube>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The client for `args` where the module runs, with the warnings the task
/// shows (insecure TLS).
pub async fn connect(
    args: &AuthArgs,
    place: Place,
    files: &dyn HostFiles,
) -> Result<(Arc<Kube>, Vec<String>), K8sError> {
    install_crypto();
    let args = args.clone().with_env(files).await;
    let loaded = config::load(&args, files).await?;
    let place_key = match &place {
        Place::Controller => "controller".to_string(),
        // The session's identity: a new connection to the host is a new
        // tunnel, so a new client.
        Place::Host(conn) => format!("host:{:p}", Arc::as_ptr(conn) as *const ()),
    };
    let key = format!("{place_key}|{}", loaded.fingerprint);
    if let Some(k) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok((k.clone(), loaded.warnings));
    }
    let config = loaded.config;
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let client = match place {
        Place::Controller => kube::Client::try_from(config).map_err(|e| {
            K8sError::Connect(format!(
                "cannot set up the client for {server}: {}",
                chain(&e)
            ))
        })?,
        Place::Host(conn) => tunnelled(config, conn).map_err(|e| {
            K8sError::Connect(format!(
                "cannot set up the client for {server}: {}",
                chain(&e)
            ))
        })?,
    };
    let kube = Arc::new(Kube::new(client, server, namespace));
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, kube.clone());
    Ok((kube, loaded.warnings))
}

/// kube's usual middleware (base URI, authentication, impersonation
/// headers) over TLS over an SSH tunnel.
fn tunnelled(config: kube::Config, conn: Arc<dyn Connection>) -> Result<kube::Client, kube::Error> {
    let connector = TunnelConnector {
        conn,
        timeout: config.connect_timeout.unwrap_or(Duration::from_secs(10)),
        proxy: None,
    };
    let https = config.rustls_https_connector_with_connector(connector)?;
    let http: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(http);
    Ok(kube::Client::new(service, config.default_namespace.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::KubeconfigArg;

    /// Serves one kubeconfig file and no environment.
    struct OneFile(String);

    #[async_trait::async_trait]
    impl HostFiles for OneFile {
        async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
            Ok((path == "/kc").then(|| self.0.clone().into_bytes()))
        }
        async fn env(&self, _: &str) -> Option<String> {
            None
        }
        fn on_controller(&self) -> bool {
            true
        }
    }

    const KC: &str = "apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://10.1.2.3:6443', insecure-skip-tls-verify: true}
  name: c
users:
- name: u
  user: {token: abc}
contexts:
- context: {cluster: c, user: u, namespace: team}
  name: one
- context: {cluster: c, user: u}
  name: two
current-context: one
";

    #[tokio::test]
    async fn one_client_per_kubeconfig_and_context() {
        let files = OneFile(KC.into());
        let args = AuthArgs {
            kubeconfig: Some(KubeconfigArg::Path("/kc".into())),
            ..Default::default()
        };
        let (a, warnings) = connect(&args, Place::Controller, &files)
            .await
            .expect("client");
        assert_eq!(a.default_namespace, "team");
        assert!(warnings[0].contains("TLS certificate verification"));
        let (b, _) = connect(&args, Place::Controller, &files)
            .await
            .expect("client");
        assert!(Arc::ptr_eq(&a, &b), "the same client is reused");
        let two = AuthArgs {
            context: Some("two".into()),
            ..args.clone()
        };
        let (c, _) = connect(&two, Place::Controller, &files)
            .await
            .expect("client");
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(c.default_namespace, "default");
        // A different kubeconfig text under the same path is a new client.
        let changed = OneFile(KC.replace("10.1.2.3", "10.1.2.4"));
        let (d, _) = connect(&args, Place::Controller, &changed)
            .await
            .expect("client");
        assert!(!Arc::ptr_eq(&a, &d));
        assert_eq!(d.server, "https://10.1.2.4:6443/");
    }
}
