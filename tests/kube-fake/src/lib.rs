// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! A fake Kubernetes API server for kiln's tests (never part of the kiln binary).
//!
//! It listens on `127.0.0.1:0` over TLS 1.2/1.3 with a fresh test CA (a CA
//! and a separate server certificate for 127.0.0.1, localhost and
//! kubernetes), accepts a bearer token or a client certificate (401 Status
//! otherwise), and serves what clients such as kubectl and kube-rs use:
//!
//! - discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/GROUP[/VERSION]`
//!   (with `pods/eviction` as group policy, version v1), and a minimal
//!   `/openapi/v3` that lets kubectl leave field validation to the server;
//! - core/v1 namespaces, nodes, pods, configmaps, secrets, services,
//!   serviceaccounts, events, endpoints; apps/v1 deployments, daemonsets,
//!   replicasets, statefulsets; policy/v1 poddisruptionbudgets;
//!   coordination.k8s.io/v1 leases (a node lease per added node);
//!   `status` subresources, `scale` for deployments/replicasets/statefulsets;
//! - GET, LIST (label and field selectors with the API server's supported
//!   fields, `limit`/`continue` served from the first page's revision,
//!   `resourceVersionMatch=Exact`, 410 once compacted), POST (`generateName`, defaults, validation), PUT
//!   (optimistic concurrency), DELETE (graceful pods, finalizers,
//!   Background/Foreground/Orphan propagation, preconditions), deletecollection,
//!   `dryRun=All`; `v1 Status` errors with the real reasons and wording;
//! - PATCH: merge, JSON patch, strategic merge (containers/volumes/env by name,
//!   conditions by type, ports, finalizers; `$patch`, `$deleteFromPrimitiveList`),
//!   server-side apply with `managedFields`, field managers, 409 conflicts
//!   worded as the API server words them and `force=true`;
//! - `resourceVersion` (one global counter), `uid`, `generation` (spec
//!   changes only), no-op writes that keep the revision;
//! - watches: resume from a resourceVersion, selectors (an object leaving the
//!   selection is DELETED), BOOKMARK events, `sendInitialEvents`, an ERROR
//!   event with 410 Expired for a compacted revision, `timeoutSeconds`, Table
//!   rows for `kubectl get -w`;
//! - `Table` answers for `kubectl get` (server-side printing);
//! - evictions with PodDisruptionBudget arithmetic (minAvailable/maxUnavailable,
//!   integers and percentages, `disruptedPods`, IfHealthyBudget) and 429
//!   "Cannot evict pod as it would violate the pod's disruption budget.";
//! - protobuf request bodies from typed clients for Eviction, DeleteOptions,
//!   Namespace, ConfigMap and Secret (kubectl drain and kubectl create).
//!
//! Around it a simulated cluster runs every 50 ms: kubelets (pods bound to a
//! Ready node start and turn Ready; graceful deletions finish within the
//! grace period), node Ready flips on a schedule, the node lifecycle
//! controller's cordon taint, a scheduler (nodeSelector, cordon,
//! NoSchedule taints, fewest pods first), Deployment/ReplicaSet/DaemonSet/
//! StatefulSet controllers with their status fields (StatefulSet pods come
//! back under the same name with a new uid), the disruption controller, the
//! garbage collector and namespace deletion.
//!
//! Not served: other API groups (CRDs, RBAC), the objects a real cluster
//! creates on its own (the `kubernetes` Service, `default` ServiceAccounts,
//! `kube-root-ca.crt` ConfigMaps), protobuf for
//! other kinds (415), HTTP/2, authorization (every authenticated user may do
//! everything; impersonation headers are recorded, not enforced), field
//! validation below the top level and `metadata`: unknown fields at those two
//! levels are dropped and refused (400, `fieldValidation=Strict`) or warned
//! about (`Warning` header, the default), deeper ones are kept as sent.
//!
//! ```no_run
//! use kube_fake::{FakeApi, FakeConfig};
//! use serde_json::json;
//!
//! # fn main() -> Result<(), kube_fake::FakeError> {
//! // Works from a plain #[test] and from inside a tokio runtime alike: the
//! // server runs on its own runtime, stopped when `api` is dropped.
//! let api = FakeApi::start(FakeConfig::default())?;
//! api.kubeconfig_path();   // a kubeconfig file: contexts `token` (current) and `cert`
//! api.url();               // https://127.0.0.1:PORT
//! api.ca_pem();            // the CA that signed the server certificate
//! api.token();             // the bearer token of user `admin`
//! api.client_cert_pem();   // a client certificate (user `admin`, group system:masters)
//! // Seed objects directly (no validation, status kept as given):
//! api.seed(json!({"apiVersion": "v1", "kind": "ConfigMap",
//!                 "metadata": {"name": "cfg", "namespace": "default"}, "data": {"a": "1"}}))?;
//! api.add_node("worker-1", false)?;                      // a NotReady node
//! api.schedule_node_ready("worker-1", true, std::time::Duration::from_secs(2));
//! let node = api.get("v1", "Node", None, "worker-1");  // read the store back
//! let used_watch = api.requests().iter().any(|r| r.query.contains("watch=")); // how the client talked
//! # Ok(()) }
//! ```
//!
//! Timings (kubelet stop delay, pod start delay, bookmark interval, the
//! controllers' tick), the watch history length and the `Retry-After` of a
//! budget refusal (none by default, as the API server sends none) are
//! [`FakeConfig`] fields.
#![forbid(unsafe_code)]

mod apply;
mod controllers;
mod crud;
mod discovery;
mod eviction;
mod ids;
mod kubeconfig;
mod objects;
mod openapi;
mod patch;
mod pki;
mod protobuf;
mod request;
mod resources;
mod selectors;
mod server;
mod status;
mod store;
mod table;
mod watch;
mod workloads;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The test PKI, also for other TLS servers of kiln's tests (an HTTPS file
/// server for get_url and uri).
pub use pki::{CertKey, Pki};
pub use server::Options as FakeConfig;
pub use server::RequestRecord;
pub use status::ApiError;

/// Why the fake could not start or seed.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    #[error("TLS set-up: {0}")]
    Tls(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot seed: {0}")]
    Seed(String),
}

/// A running fake API server; dropping it stops the server and its controllers.
pub struct FakeApi {
    runtime: Option<tokio::runtime::Runtime>,
    shared: Arc<server::Shared>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    pki: pki::Pki,
    token: String,
    client: pki::CertKey,
}

const TOKEN: &str = "kiln-fake-admin-token";

impl FakeApi {
    /// Starts the server on 127.0.0.1 with an ephemeral port and writes its kubeconfig.
    /// The namespaces `default`, `kube-system` and `kube-public` exist, as in a new cluster.
    pub fn start(opts: FakeConfig) -> Result<FakeApi, FakeError> {
        let pki = pki::Pki::generate("kiln-fake-ca")?;
        let client = pki.client("admin", &["system:masters"])?;
        let tls = server::tls_config(&pki.server.cert_pem, &pki.server.key_pem, &pki.ca_pem)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kube-fake")
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let mut tokens = HashMap::new();
        tokens.insert(TOKEN.to_string(), "admin".to_string());
        let mut certs = HashMap::new();
        certs.insert(client.der.clone(), "admin".to_string());
        let shared = Arc::new(server::Shared {
            store: store::Store::new(opts.history_limit),
            opts,
            address: addr.to_string(),
            tokens: Mutex::new(tokens),
            certs: Mutex::new(certs),
            node_schedule: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
        });
        {
            let _guard = runtime.enter();
            let listener = tokio::net::TcpListener::from_std(std_listener)?;
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
            runtime.spawn(server::serve(listener, acceptor, shared.clone()));
            runtime.spawn(controllers::run(shared.clone()));
        }
        let dir = tempfile::Builder::new().prefix("kube-fake").tempdir()?;
        let api = FakeApi {
            runtime: Some(runtime),
            shared,
            addr,
            dir,
            pki,
            token: TOKEN.to_string(),
            client,
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            api.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))?;
        }
        std::fs::write(
            api.kubeconfig_path(),
            api.kubeconfig_with_namespace("default"),
        )?;
        Ok(api)
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The bearer token of user `admin`.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A client certificate and key for user `admin` (group `system:masters`).
    pub fn client_cert_pem(&self) -> &str {
        &self.client.cert_pem
    }

    pub fn client_key_pem(&self) -> &str {
        &self.client.key_pem
    }

    /// The kubeconfig file written at start (contexts `token`, current, and `cert`; namespace `default`).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The kubeconfig text with another default namespace.
    pub fn kubeconfig_with_namespace(&self, namespace: &str) -> String {
        kubeconfig::render(&kubeconfig::KubeconfigParts {
            url: &self.url(),
            ca_pem: &self.pki.ca_pem,
            token: &self.token,
            client_cert_pem: &self.client.cert_pem,
            client_key_pem: &self.client.key_pem,
            namespace,
        })
    }

    /// Accepts another bearer token for `user`.
    pub fn add_token(&self, token: &str, user: &str) {
        if let Ok(mut t) = self.shared.tokens.lock() {
            t.insert(token.to_string(), user.to_string());
        }
    }

    /// Stops accepting a token (an expired or revoked credential gets 401).
    pub fn revoke_token(&self, token: &str) {
        if let Ok(mut t) = self.shared.tokens.lock() {
            t.remove(token);
        }
    }

    /// A new client certificate for `user`, signed by the server's CA and accepted.
    pub fn issue_client_cert(
        &self,
        user: &str,
        groups: &[&str],
    ) -> Result<(String, String), FakeError> {
        let ck = self.pki.client(user, groups)?;
        if let Ok(mut c) = self.shared.certs.lock() {
            c.insert(ck.der.clone(), user.to_string());
        }
        Ok((ck.cert_pem, ck.key_pem))
    }

    /// Stores an object as given (status included), filling uid,
    /// resourceVersion, creationTimestamp and generation; replaces an existing one.
    pub fn seed(&self, mut obj: Value) -> Result<Value, FakeError> {
        let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let ty = resources::by_kind(av, kind)
            .ok_or_else(|| FakeError::Seed(format!("unknown type {av} {kind}")))?;
        let rt = resources::get(ty);
        if store::meta(&obj, "name").is_none() {
            return Err(FakeError::Seed("metadata.name is required".into()));
        }
        if rt.namespaced && store::meta(&obj, "namespace").is_none() {
            store::meta_mut(&mut obj).insert("namespace".into(), json!("default"));
        }
        objects::apply_defaults(rt, &mut obj);
        let key = store::key_of(ty, rt, &obj);
        let mut st = self.shared.store.lock();
        match st.objects.get(&key) {
            Some(old) => {
                for f in ["uid", "creationTimestamp"] {
                    if let Some(v) = old.pointer(&format!("/metadata/{f}")).cloned() {
                        store::meta_mut(&mut obj).insert(f.into(), v);
                    }
                }
            }
            None => {
                let status = obj.get("status").cloned();
                objects::stamp_new(rt, &mut obj);
                if let Some(s) = status.or_else(|| objects::initial_status(rt)) {
                    obj["status"] = s;
                }
            }
        }
        self.shared
            .store
            .commit(&mut st, &key, Some(obj))
            .ok_or_else(|| FakeError::Seed("store refused the object".into()))
    }

    /// Adds a node with the object a kubelet registers and the status it
    /// reports (Ready or not): addresses, capacity, `nodeInfo`, the pressure
    /// conditions, the kubelet endpoint, and the pod CIDR the node IPAM
    /// controller assigns.
    pub fn add_node(&self, name: &str, ready: bool) -> Result<Value, FakeError> {
        // Per-node values stable for a name, distinct between nodes.
        let n = (ids::template_hash(name).bytes().map(u32::from).sum::<u32>() % 250) + 2;
        let hex = |salt: &str| {
            ids::template_hash(&format!("{salt}{name}"))
                .bytes()
                .chain(ids::template_hash(&format!("{name}{salt}")).bytes())
                .map(|b| format!("{:02x}", b))
                .collect::<String>()
        };
        let machine_id: String = hex("machine").chars().take(32).collect();
        let uuid = |h: String| {
            format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )
        };
        let cidr = format!("10.244.{n}.0/24");
        let mut node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {
                    "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux"},
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            "status": {
                "addresses": [{"type": "InternalIP", "address": format!("10.0.0.{n}")},
                              {"type": "Hostname", "address": name}],
                "capacity": {"cpu": "2", "ephemeral-storage": "61202244Ki", "hugepages-1Gi": "0",
                             "hugepages-2Mi": "0", "memory": "4015424Ki", "pods": "110"},
                "allocatable": {"cpu": "2", "ephemeral-storage": "56403987978", "hugepages-1Gi": "0",
                                "hugepages-2Mi": "0", "memory": "3913024Ki", "pods": "110"},
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": machine_id,
                    "systemUUID": uuid(hex("system")),
                    "bootID": uuid(hex("boot")),
                    "kernelVersion": "6.8.0-45-generic",
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "containerRuntimeVersion": "containerd://2.0.0",
                    "kubeletVersion": "v1.37.0",
                    "kubeProxyVersion": "",
                    "operatingSystem": "linux",
                    "architecture": "amd64"},
                "images": [],
                "features": {"supplementalGroupsPolicy": true},
                "runtimeHandlers": [
                    {"name": "", "features": {"recursiveReadOnlyMounts": true, "userNamespaces": true}},
                    {"name": "runc", "features": {"recursiveReadOnlyMounts": true, "userNamespaces": true}}],
                "conditions": []
            }
        });
        controllers::set_node_ready(&mut node, ready);
        let node = self.seed(node)?;
        // The kubelet's heartbeat lease, which `kubectl describe node` reads.
        let renew = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        self.seed(json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease",
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                                              "uid": node.pointer("/metadata/uid").cloned().unwrap_or(Value::Null)}]},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": renew}
        }))?;
        Ok(node)
    }

    /// Flips a node's Ready condition after `after`, as its kubelet would (a join, a failure).
    pub fn schedule_node_ready(&self, name: &str, ready: bool, after: Duration) {
        if let Ok(mut s) = self.shared.node_schedule.lock() {
            s.push((Instant::now() + after, name.to_string(), ready));
        }
    }

    /// An object as stored, or None.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let ty = resources::by_kind(api_version, kind)?;
        let st = self.shared.store.lock();
        let ns = if resources::get(ty).namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        st.get(ty, ns, name).cloned()
    }

    /// Every stored object of a type (in one namespace, or all).
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Some(ty) = resources::by_kind(api_version, kind) else {
            return Vec::new();
        };
        let st = self.shared.store.lock();
        st.of_type(ty, namespace).map(|(_, v)| v.clone()).collect()
    }

    /// Removes an object at once (no grace period, no finalizers).
    pub fn remove(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let Some(ty) = resources::by_kind(api_version, kind) else {
            return false;
        };
        let ns = if resources::get(ty).namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        let key = (ty, ns.to_string(), name.to_string());
        let mut st = self.shared.store.lock();
        if !st.objects.contains_key(&key) {
            return false;
        }
        self.shared.store.commit(&mut st, &key, None);
        true
    }

    /// Every authenticated request so far (method, path, query, user,
    /// impersonation headers, status), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Forgets the watch history: watches from any earlier resourceVersion get 410 Expired.
    pub fn compact(&self) {
        self.shared.store.compact();
    }

    /// The current resourceVersion of the store.
    pub fn resource_version(&self) -> u64 {
        self.shared.store.lock().rv
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        // shutdown_background never blocks, so dropping inside an async test is fine.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
