// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The fake API server seen from a raw HTTPS client: authentication, Status
//! errors, list paging, watch streams (bookmarks, selector transitions,
//! 410 Expired), evictions against a PodDisruptionBudget, graceful deletion.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use kube_fake::{FakeApi, FakeConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{Value, json};

fn pem_der(pem: &str, label: &str) -> Vec<u8> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).map(|i| i + begin.len()).unwrap_or(0);
    let stop = pem.find(&end).unwrap_or(pem.len());
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default()
}

struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    token: Option<String>,
}

async fn connect(api: &FakeApi, token: Option<&str>, client_cert: bool) -> Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(pem_der(api.ca_pem(), "CERTIFICATE")))
        .expect("CA parses");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots);
    let cfg = if client_cert {
        let cert = CertificateDer::from(pem_der(api.client_cert_pem(), "CERTIFICATE"));
        let key = PrivateKeyDer::try_from(pem_der(api.client_key_pem(), "PRIVATE KEY"))
            .expect("key parses");
        builder
            .with_client_auth_cert(vec![cert], key)
            .expect("client cert")
    } else {
        builder.with_no_client_auth()
    };
    let tcp = tokio::net::TcpStream::connect(api.addr())
        .await
        .expect("connects");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("127.0.0.1").expect("ip name"), tcp)
        .await
        .expect("TLS handshake with the test CA");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .expect("http1");
    tokio::spawn(conn);
    Client {
        sender,
        token: token.map(str::to_string),
    }
}

impl Client {
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<Value>,
    ) -> hyper::Response<Incoming> {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("Host", "127.0.0.1");
        if let Some(t) = &self.token {
            b = b.header("Authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            b = b.header("Content-Type", content_type);
        }
        let req = b
            .body(Full::new(Bytes::from(
                body.map(|v| v.to_string()).unwrap_or_default(),
            )))
            .expect("request builds");
        self.sender.ready().await.expect("connection ready");
        self.sender.send_request(req).await.expect("response")
    }

    async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(method, path, "application/json", body).await
    }

    async fn call_as(
        &mut self,
        method: &str,
        path: &str,
        ct: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let resp = self.send(method, path, ct, body).await;
        let code = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Reads watch events (one JSON object per line) until `n` arrived or `secs` passed.
async fn events(resp: hyper::Response<Incoming>, n: usize, secs: u64) -> Vec<Value> {
    let mut body = resp.into_body();
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while out.len() < n {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(f))) => f,
            _ => break,
        };
        if let Ok(data) = frame.into_data() {
            buf.push_str(&String::from_utf8_lossy(&data));
            while let Some(i) = buf.find('\n') {
                let line: String = buf.drain(..=i).collect();
                out.push(serde_json::from_str(line.trim()).unwrap_or(Value::Null));
            }
        }
    }
    out
}

fn cm(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

#[tokio::test]
async fn authentication_and_status_errors() {
    let api = FakeApi::start(FakeConfig::default()).expect("starts");
    let (code, body) = connect(&api, None, false)
        .await
        .call("GET", "/api/v1/namespaces", None)
        .await;
    assert_eq!((code, body["reason"].as_str()), (401, Some("Unauthorized")));
    let (code, _) = connect(&api, Some("wrong"), true)
        .await
        .call("GET", "/api/v1/namespaces", None)
        .await;
    assert_eq!(
        code, 401,
        "a bad token is refused even with a good certificate"
    );
    let mut c = connect(&api, None, true).await;
    let (code, _) = c.call("GET", "/api/v1/namespaces/default", None).await;
    assert_eq!(code, 200, "client certificate authenticates");
    let mut c = connect(&api, Some(api.token()), false).await;
    let (code, body) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(cm("a", json!({}))),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(body["metadata"]["namespace"], "default");
    assert!(
        body["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| u.len() == 36)
    );
    let (code, body) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(cm("a", json!({}))),
        )
        .await;
    assert_eq!(
        (code, body["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );
    assert_eq!(body["message"], "configmaps \"a\" already exists");
    let (code, body) = c
        .call("GET", "/api/v1/namespaces/nowhere/configmaps/a", None)
        .await;
    assert_eq!((code, body["reason"].as_str()), (404, Some("NotFound")));
    let (code, body) = c
        .call(
            "POST",
            "/api/v1/namespaces/nowhere/configmaps",
            Some(cm("b", json!({}))),
        )
        .await;
    assert_eq!(
        (code, body["message"].as_str()),
        (404, Some("namespaces \"nowhere\" not found"))
    );
    let stale = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "1"}, "data": {}});
    let (code, body) = c
        .call(
            "PUT",
            "/api/v1/namespaces/default/configmaps/a",
            Some(stale),
        )
        .await;
    assert_eq!((code, body["reason"].as_str()), (409, Some("Conflict")));
    let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                     "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let (code, body) = c
        .call(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            Some(bad),
        )
        .await;
    assert_eq!((code, body["reason"].as_str()), (422, Some("Invalid")));
    let (code, _) = c.call("GET", "/apis/nope/v1/things", None).await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn list_paging_and_expired_continue() {
    let api = FakeApi::start(FakeConfig::default()).expect("starts");
    for i in 0..5 {
        api.seed(cm(&format!("c{i}"), json!({}))).expect("seeded");
    }
    let mut c = connect(&api, Some(api.token()), false).await;
    let mut names = Vec::new();
    let mut path = "/api/v1/namespaces/default/configmaps?limit=2".to_string();
    let mut first_continue = String::new();
    loop {
        let (code, body) = c.call("GET", &path, None).await;
        assert_eq!(code, 200);
        names.extend(
            body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string)),
        );
        match body["metadata"]["continue"].as_str() {
            Some(tok) => {
                if first_continue.is_empty() {
                    first_continue = tok.to_string();
                    assert_eq!(body["metadata"]["remainingItemCount"], 3);
                }
                // Writes after the first page do not show in the next ones.
                api.seed(cm("c9", json!({}))).expect("seeded");
                path = format!("/api/v1/namespaces/default/configmaps?limit=2&continue={tok}");
            }
            None => break,
        }
    }
    assert_eq!(names, ["c0", "c1", "c2", "c3", "c4"]);
    // An exact revision lists the store as it was then.
    let (_, first) = c
        .call("GET", "/api/v1/namespaces/default/configmaps?limit=1", None)
        .await;
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    api.seed(cm("c10", json!({}))).expect("seeded");
    let (_, exact) = c
        .call("GET", &format!("/api/v1/namespaces/default/configmaps?resourceVersion={rv}&resourceVersionMatch=Exact"), None)
        .await;
    assert_eq!(
        exact["items"].as_array().map(Vec::len),
        Some(6),
        "c10 came later"
    );
    // Once the first page's revision is compacted away, its token is refused.
    api.compact();
    let (code, body) = c
        .call(
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?limit=2&continue={first_continue}"),
            None,
        )
        .await;
    assert_eq!((code, body["reason"].as_str()), (410, Some("Expired")));
}

#[tokio::test]
async fn watch_events_bookmarks_and_gone() {
    let opts = FakeConfig {
        bookmark_interval: Duration::from_millis(300),
        ..FakeConfig::default()
    };
    let api = FakeApi::start(opts).expect("starts");
    let start = api.resource_version();
    let mut c = connect(&api, Some(api.token()), false).await;
    let resp = c
        .send("GET", &format!("/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersion={start}"), "", None)
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut w = connect(&api, Some(api.token()), false).await;
    w.call(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(cm("x", json!({"app": "web"}))),
    )
    .await;
    w.call(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(cm("other", json!({"app": "db"}))),
    )
    .await;
    // Leaving the selection is a DELETED event for this watcher.
    w.call_as(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/x",
        "application/merge-patch+json",
        Some(json!({"metadata": {"labels": {"app": "db"}}})),
    )
    .await;
    let evs = events(resp, 3, 5).await;
    let kinds: Vec<&str> = evs.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(&kinds[..2], ["ADDED", "DELETED"], "{evs:?}");
    assert_eq!(kinds[2], "BOOKMARK");
    assert_eq!(evs[0]["object"]["metadata"]["name"], "x");
    let bm_rv: u64 = evs[2]["object"]["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    assert!(bm_rv > start, "bookmarks carry a current resourceVersion");
    api.compact();
    // The first watch's connection still streams; a new one asks from the compacted revision.
    let mut c = connect(&api, Some(api.token()), false).await;
    let resp = c
        .send(
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={start}"),
            "",
            None,
        )
        .await;
    let evs = events(resp, 1, 5).await;
    assert_eq!(evs[0]["type"], "ERROR");
    assert_eq!(evs[0]["object"]["code"], 410);
    assert_eq!(evs[0]["object"]["reason"], "Expired");
}

#[tokio::test]
async fn eviction_budget_arithmetic_and_graceful_deletion() {
    let api = FakeApi::start(FakeConfig::default()).expect("starts");
    api.add_node("n1", true).expect("node");
    let mut c = connect(&api, Some(api.token()), false).await;
    for name in ["p1", "p2", "p3"] {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "db"}},
                         "spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 1, "containers": [{"name": "c", "image": "i"}]}});
        assert_eq!(
            c.call("POST", "/api/v1/namespaces/default/pods", Some(pod))
                .await
                .0,
            201
        );
    }
    let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "db"},
                     "spec": {"maxUnavailable": "34%", "selector": {"matchLabels": {"app": "db"}}}});
    assert_eq!(
        c.call(
            "POST",
            "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            Some(pdb)
        )
        .await
        .0,
        201
    );
    // Three ready pods, 34% of 3 rounds up to 2 unavailable: desired 1, so two evictions are allowed.
    let mut status = Value::Null;
    for _ in 0..50 {
        status = c
            .call(
                "GET",
                "/apis/policy/v1/namespaces/default/poddisruptionbudgets/db",
                None,
            )
            .await
            .1["status"]
            .clone();
        if status["currentHealthy"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (
            status["desiredHealthy"].as_i64(),
            status["disruptionsAllowed"].as_i64()
        ),
        (Some(1), Some(2)),
        "{status}"
    );
    let evict = |name: &str| json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}});
    let (code, body) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/pods/p1/eviction",
            Some(evict("p1")),
        )
        .await;
    assert_eq!((code, body["status"].as_str()), (201, Some("Success")));
    // Graceful: the pod is terminating until the simulated kubelet finishes it.
    let (code, p1) = c
        .call("GET", "/api/v1/namespaces/default/pods/p1", None)
        .await;
    assert_eq!(code, 200);
    assert_eq!(p1["metadata"]["deletionGracePeriodSeconds"], 1);
    assert_eq!(
        c.call(
            "POST",
            "/api/v1/namespaces/default/pods/p2/eviction",
            Some(evict("p2"))
        )
        .await
        .0,
        201
    );
    let (code, body) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/pods/p3/eviction",
            Some(evict("p3")),
        )
        .await;
    assert_eq!(code, 429);
    assert_eq!(body["reason"], "TooManyRequests");
    assert_eq!(
        body["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(body["details"]["causes"][0]["reason"], "DisruptionBudget");
    assert_eq!(
        body["details"]["causes"][0]["message"],
        "The disruption budget db needs 1 healthy pods and has 1 currently"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (code, _) = c
        .call("GET", "/api/v1/namespaces/default/pods/p1", None)
        .await;
    assert_eq!(code, 404, "the kubelet finished the graceful deletion");
}

async fn wait_for(
    c: &mut Client,
    path: &str,
    secs: u64,
    check: impl Fn(u16, &Value) -> bool,
) -> (u16, Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let (code, body) = c.call("GET", path, None).await;
        if check(code, &body) || tokio::time::Instant::now() > deadline {
            return (code, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn deployment_controllers_and_foreground_deletion() {
    let api = FakeApi::start(FakeConfig::default()).expect("starts");
    api.add_node("n1", true).expect("node");
    let mut c = connect(&api, Some(api.token()), false).await;
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}});
    assert_eq!(
        c.call(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            Some(d)
        )
        .await
        .0,
        201
    );
    let (_, dep) = wait_for(
        &mut c,
        "/apis/apps/v1/namespaces/default/deployments/web",
        10,
        |_, b| b["status"]["readyReplicas"] == 2,
    )
    .await;
    assert_eq!(dep["status"]["availableReplicas"], 2, "{dep}");
    assert_eq!(dep["status"]["observedGeneration"], 1);
    let (_, pods) = c
        .call(
            "GET",
            "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb",
            None,
        )
        .await;
    let items = pods["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|p| p["spec"]["nodeName"] == "n1" && p["status"]["phase"] == "Running")
    );
    assert!(
        items
            .iter()
            .all(|p| p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet")
    );
    let (code, body) = c
        .call(
            "DELETE",
            "/apis/apps/v1/namespaces/default/deployments/web",
            Some(json!({"propagationPolicy": "Foreground"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        body["metadata"]["finalizers"],
        json!(["foregroundDeletion"]),
        "the owner waits for its dependents"
    );
    assert!(body["metadata"]["deletionTimestamp"].is_string());
    let (code, _) = wait_for(
        &mut c,
        "/apis/apps/v1/namespaces/default/deployments/web",
        15,
        |code, _| code == 404,
    )
    .await;
    assert_eq!(code, 404);
    let (_, pods) = c.call("GET", "/api/v1/namespaces/default/pods", None).await;
    assert_eq!(
        pods["items"],
        json!([]),
        "pods went before their deployment"
    );
    let (_, rs) = c
        .call("GET", "/apis/apps/v1/namespaces/default/replicasets", None)
        .await;
    assert_eq!(rs["items"], json!([]));
}

#[tokio::test]
async fn statefulset_pods_come_back_under_their_name_with_a_new_uid() {
    let api = FakeApi::start(FakeConfig::default()).expect("starts");
    api.add_node("n1", true).expect("node");
    let mut c = connect(&api, Some(api.token()), false).await;
    let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                     "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                              "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}});
    assert_eq!(
        c.call(
            "POST",
            "/apis/apps/v1/namespaces/default/statefulsets",
            Some(sts)
        )
        .await
        .0,
        201
    );
    let (_, s) = wait_for(
        &mut c,
        "/apis/apps/v1/namespaces/default/statefulsets/db",
        10,
        |_, b| b["status"]["readyReplicas"] == 2,
    )
    .await;
    assert_eq!(s["status"]["readyReplicas"], 2, "{s}");
    let (_, p0) = c
        .call("GET", "/api/v1/namespaces/default/pods/db-0", None)
        .await;
    let old_uid = p0["metadata"]["uid"].clone();
    assert_eq!(
        p0["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "db-0"
    );
    let evict =
        json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "db-0"}});
    assert_eq!(
        c.call(
            "POST",
            "/api/v1/namespaces/default/pods/db-0/eviction",
            Some(evict)
        )
        .await
        .0,
        201
    );
    let (code, p0) = wait_for(
        &mut c,
        "/api/v1/namespaces/default/pods/db-0",
        10,
        |code, b| {
            code == 200 && b["metadata"]["uid"] != old_uid && b["status"]["phase"] == "Running"
        },
    )
    .await;
    assert_eq!(code, 200);
    assert_ne!(p0["metadata"]["uid"], old_uid, "same name, new pod");
}

#[tokio::test]
async fn unready_pods_and_the_unhealthy_pod_eviction_policy() {
    let api = FakeApi::start(FakeConfig::default()).expect("starts");
    for (name, ready) in [("a", "True"), ("b", "False")] {
        api.seed(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "q"}},
            "spec": {"nodeName": "gone", "containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}]}}))
            .expect("seeded");
    }
    api.seed(
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "q", "namespace": "default"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "q"}}}}),
    )
    .expect("seeded");
    let mut c = connect(&api, Some(api.token()), false).await;
    let evict = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "b"}});
    let (code, body) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/pods/b/eviction",
            Some(evict.clone()),
        )
        .await;
    assert_eq!(
        code, 429,
        "IfHealthyBudget: the budget is not met, so even the unready pod stays: {body}"
    );
    c.call_as(
        "PATCH",
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets/q",
        "application/merge-patch+json",
        Some(json!({"spec": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}})),
    )
    .await;
    let (code, _) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/pods/b/eviction",
            Some(evict),
        )
        .await;
    assert_eq!(code, 201, "AlwaysAllow lets the unready pod go");
    let ready = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "a"}});
    let (code, _) = c
        .call(
            "POST",
            "/api/v1/namespaces/default/pods/a/eviction",
            Some(ready),
        )
        .await;
    assert_eq!(code, 429, "the healthy pod is still protected");
}
