// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The HTTPS listener: TLS (server certificate from the test CA, client
//! certificates optional), authentication (bearer token or client
//! certificate, else 401), and dispatch of each request to its handler.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::FakeError;
use crate::crud;
use crate::discovery;
use crate::eviction;
use crate::openapi;
use crate::protobuf;
use crate::request::{Request, Route, route};
use crate::status::ApiError;
use crate::store::Store;
use crate::table;
use crate::watch;

/// Timings of the simulated cluster; the defaults keep tests fast.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long the simulated kubelet takes to stop a pod being deleted
    /// gracefully (never longer than the pod's grace period).
    pub kubelet_stop_delay: Duration,
    /// How long a pod bound to a node stays Pending before it runs and is Ready.
    pub pod_start_delay: Duration,
    /// How often a watch that allows bookmarks gets one.
    pub bookmark_interval: Duration,
    /// How many events watches can resume from before 410 Expired.
    pub history_limit: usize,
    /// `Retry-After` seconds on an eviction refused by a PodDisruptionBudget.
    /// The API server sends none (0): drain clients retry on their own schedule.
    pub pdb_retry_after: u32,
    /// The period of the controllers (kubelet, scheduler, ReplicaSet, Deployment,
    /// DaemonSet, disruption, garbage collector, namespace) loop.
    pub tick: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubelet_stop_delay: Duration::from_millis(300),
            pod_start_delay: Duration::from_millis(200),
            bookmark_interval: Duration::from_secs(1),
            history_limit: 10_000,
            pdb_retry_after: 0,
            tick: Duration::from_millis(50),
        }
    }
}

/// State shared by the listener, the handlers and the controllers.
pub struct Shared {
    pub store: Store,
    pub opts: Options,
    pub address: String,
    /// Bearer token -> user name.
    pub tokens: Mutex<HashMap<String, String>>,
    /// DER client certificate -> user name.
    pub certs: Mutex<HashMap<Vec<u8>, String>>,
    /// Scheduled node Ready flips: (when, node, ready).
    pub node_schedule: Mutex<Vec<(std::time::Instant, String, bool)>>,
    /// Every authenticated request, for tests that check how a client talked.
    pub log: Mutex<Vec<RequestRecord>>,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string (`watch=1&resourceVersion=12`).
    pub query: String,
    pub content_type: String,
    pub user_agent: String,
    /// The authenticated user.
    pub user: String,
    /// `Impersonate-User` and `Impersonate-Group` headers, as sent.
    pub impersonate_user: Option<String>,
    pub impersonate_groups: Vec<String>,
    /// The HTTP status answered.
    pub status: u16,
}

pub type RespBody = BoxBody<Bytes, Infallible>;

fn full(
    code: u16,
    content_type: &str,
    body: Vec<u8>,
    retry_after: Option<u32>,
) -> hyper::Response<RespBody> {
    let mut b = hyper::Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("Content-Type", content_type)
        .header("Cache-Control", "no-cache, private");
    if let Some(s) = retry_after {
        b = b.header("Retry-After", s.to_string());
    }
    b.body(Full::new(Bytes::from(body)).boxed())
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()).boxed()))
}

fn json_response(code: u16, v: &Value) -> hyper::Response<RespBody> {
    full(code, "application/json", v.to_string().into_bytes(), None)
}

fn error_response(e: &ApiError) -> hyper::Response<RespBody> {
    full(
        e.code,
        "application/json",
        e.to_status().to_string().into_bytes(),
        e.retry_after,
    )
}

pub fn tls_config(
    cert_pem: &str,
    key_pem: &str,
    ca_pem: &str,
) -> Result<rustls::ServerConfig, FakeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = pem_blocks(cert_pem, "CERTIFICATE")
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let key = pem_blocks(key_pem, "PRIVATE KEY")
        .into_iter()
        .next()
        .ok_or_else(|| FakeError::Tls("no private key".into()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in pem_blocks(ca_pem, "CERTIFICATE") {
        roots
            .add(CertificateDer::from(c))
            .map_err(|e| FakeError::Tls(e.to_string()))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(|e| FakeError::Tls(e.to_string()))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| FakeError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .map_err(|e| FakeError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// The DER payloads of the PEM blocks labelled `label`.
fn pem_blocks(pem: &str, label: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(s) = rest.find(&begin) {
        let after = &rest[s + begin.len()..];
        let Some(e) = after.find(&end) else { break };
        let b64: String = after[..e].chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &after[e + end.len()..];
    }
    out
}

pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            // A client that fails the handshake (wrong CA, plain HTTP) just goes away.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec());
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let peer = peer.clone();
                async move { Ok::<_, Infallible>(handle(shared, peer, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
    }
}

fn authenticate(
    sh: &Shared,
    peer: Option<&Vec<u8>>,
    req: &hyper::Request<Incoming>,
) -> Option<String> {
    if let Some(auth) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let token = auth.strip_prefix("Bearer ")?.trim();
        // A bad token is refused even when a certificate would do, as the API server does.
        return sh.tokens.lock().ok()?.get(token).cloned();
    }
    let der = peer?;
    sh.certs.lock().ok()?.get(der).cloned()
}

async fn handle(
    sh: Arc<Shared>,
    peer: Option<Vec<u8>>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<RespBody> {
    let Some(user) = authenticate(&sh, peer.as_ref(), &req) else {
        return error_response(&ApiError::unauthorized());
    };
    let impersonate_user = req
        .headers()
        .get("impersonate-user")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let impersonate_groups: Vec<String> = req
        .headers()
        .get_all("impersonate-group")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (content_type, accept, user_agent) = (
        header("content-type"),
        header("accept"),
        header("user-agent"),
    );
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return error_response(&ApiError::bad_request(e.to_string())),
    };
    // Bodies are JSON; typed clients' protobuf Eviction and DeleteOptions are decoded to it.
    let base = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let (body, content_type) = if !body.is_empty() && base == "application/vnd.kubernetes.protobuf"
    {
        match protobuf::to_json(&body, &content_type) {
            Ok(v) => (Bytes::from(v.to_string()), "application/json".to_string()),
            Err(e) => return error_response(&e),
        }
    } else if !body.is_empty() && base.contains("cbor") {
        return error_response(&ApiError::unsupported_media_type(&content_type));
    } else {
        (body, content_type)
    };
    let request = Request {
        method,
        path,
        query,
        content_type,
        accept,
        user_agent,
        body,
        warnings: Default::default(),
    };
    let reply = dispatch(&sh, &request);
    let status = match &reply {
        Ok(Reply::Json(code, _)) => *code,
        Ok(_) => 200,
        Err(e) => e.code,
    };
    if let Ok(mut log) = sh.log.lock() {
        log.push(RequestRecord {
            method: request.method.to_string(),
            path: request.path.clone(),
            query: raw_query,
            content_type: request.content_type.clone(),
            user_agent: request.user_agent.clone(),
            user,
            impersonate_user,
            impersonate_groups,
            status,
        });
    }
    let warnings = request.warnings.take();
    let mut response = match reply {
        Ok(Reply::Json(code, v)) => json_response(code, &v),
        Ok(Reply::Text(t)) => full(200, "text/plain; charset=utf-8", t.into_bytes(), None),
        Ok(Reply::Watch(b)) => hyper::Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .body(BodyExt::boxed(b))
            .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()).boxed())),
        Err(e) => error_response(&e),
    };
    for w in warnings {
        // RFC 7234 warn-code 299 with a quoted text, as the API server sends warnings.
        let text = format!("299 - \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""));
        if let Ok(v) = hyper::header::HeaderValue::from_str(&text) {
            response.headers_mut().append("Warning", v);
        }
    }
    response
}

pub enum Reply {
    Json(u16, Value),
    Text(String),
    Watch(watch::ChannelBody),
}

fn dispatch(sh: &Arc<Shared>, req: &Request) -> Result<Reply, ApiError> {
    let json = |j: crud::Json| Reply::Json(j.code, j.body);
    let target = match route(&req.path)? {
        Route::Version => return Ok(Reply::Json(200, discovery::version())),
        Route::Health => return Ok(Reply::Text("ok".into())),
        Route::OpenApiRoot => return Ok(Reply::Json(200, openapi::root())),
        Route::OpenApi(p) => {
            return openapi::document(&p)
                .map(|d| Reply::Json(200, d))
                .ok_or_else(ApiError::path_not_found);
        }
        Route::CoreVersions => return Ok(Reply::Json(200, discovery::core_versions(&sh.address))),
        Route::Groups => return Ok(Reply::Json(200, discovery::groups())),
        Route::Group(g) => return Ok(Reply::Json(200, discovery::group(&g))),
        Route::ResourceList(g, v) => return Ok(Reply::Json(200, discovery::resource_list(&g, &v))),
        Route::Resource(t) => t,
    };
    let rt = crate::resources::get(target.ty);
    let table = req.accept.contains("as=Table");
    match (
        &req.method,
        target.name.as_deref(),
        target.subresource.as_deref(),
    ) {
        (&Method::GET, None, None) if req.flag("watch") => {
            Ok(Reply::Watch(watch::watch(sh, req, &target)?))
        }
        (&Method::GET, None, None) => {
            let list = crud::list(sh, req, &target)?;
            Ok(if table {
                Reply::Json(200, table::table(rt, &list.body, true))
            } else {
                json(list)
            })
        }
        (&Method::GET, Some(name), Some("scale")) if crud::scalable(rt) => {
            crud::get_scale(sh, &target, name).map(json)
        }
        (&Method::PUT | &Method::PATCH, Some(name), Some("scale")) if crud::scalable(rt) => {
            crud::write_scale(sh, req, &target, name).map(json)
        }
        (&Method::GET, Some(name), None | Some("status")) => {
            let one = crud::get(sh, &target, name)?;
            Ok(if table {
                Reply::Json(200, table::table(rt, &one.body, false))
            } else {
                json(one)
            })
        }
        (&Method::POST, None, None) => crud::create(sh, req, &target).map(json),
        (&Method::POST, Some(name), Some("eviction")) if rt.kind == "Pod" => {
            eviction::evict(sh, req, &target, name).map(json)
        }
        (&Method::PUT, Some(name), _) => crud::replace(sh, req, &target, name).map(json),
        (&Method::PATCH, Some(name), _) => crud::patch(sh, req, &target, name).map(json),
        (&Method::DELETE, Some(name), None) => crud::delete(sh, req, &target, name).map(json),
        (&Method::DELETE, None, None) => crud::delete_collection(sh, req, &target).map(json),
        (m, _, _) => Err(ApiError::method_not_allowed(m.as_str(), rt)),
    }
}
