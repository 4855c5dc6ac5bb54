// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! k8s_info, k8s and k8s_drain run by the kiln binary against the fake API
//! server (tests/kube-fake): on the controller, and on a remote host whose
//! kubeconfig is read over SSH and whose API server is reached through the
//! SSH session. Playbooks assert on the registered results (a failed
//! assert fails the run); the tests also read the fake's store back.

mod support;

use kube_fake::{FakeApi, FakeConfig};
use serde_json::{Value, json};
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "kiln failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The recap line of `host`.
    fn recap(&self, host: &str) -> String {
        self.stdout
            .lines()
            .rev()
            .find(|l| l.starts_with(host) && l.contains("ok="))
            .unwrap_or_default()
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A controller directory: HOME, inventory, playbooks.
struct Controller {
    root: tempfile::TempDir,
}

impl Controller {
    fn new(inventory: &str) -> Controller {
        let root = tempfile::Builder::new()
            .prefix("kiln-k8s-")
            .tempdir()
            .expect("tempdir");
        fs::create_dir_all(root.path().join("home/.ssh")).expect("home");
        fs::write(root.path().join("inventory.ini"), inventory).expect("inventory");
        Controller { root }
    }

    fn local() -> Controller {
        Controller::new("localhost ansible_connection=local\n")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn run(&self, playbook: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let pb = self.path("site.yml");
        fs::write(&pb, playbook).expect("playbook");
        let started = Instant::now();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
        cmd.arg("playbook")
            .arg("-i")
            .arg(self.path("inventory.ini"))
            .arg(&pb)
            .args(args)
            .env("HOME", self.path("home"))
            .env_remove("KUBECONFIG")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("ANSIBLE_CONFIG")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("KILN_K8S_REQUEST_TIMEOUT", "5")
            .current_dir(self.root.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("kiln runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: started.elapsed(),
        }
    }
}

fn fake() -> FakeApi {
    FakeApi::start(FakeConfig::default()).expect("fake API server starts")
}

fn kubeconfig(api: &FakeApi) -> String {
    api.kubeconfig_path().display().to_string()
}

#[test]
fn info_with_selectors_unknown_kinds_and_missing_objects() {
    let api = fake();
    for (name, app) in [("web-1", "web"), ("web-2", "web"), ("db-1", "db")] {
        api.seed(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
            "data": {"k": name}}))
            .expect("seed");
    }
    let c = Controller::local();
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  module_defaults: {{}}
  tasks:
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: ConfigMap
        namespace: default
        label_selectors: [app=web]
      register: web
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: ConfigMap
        namespace: default
        field_selectors: [metadata.name=db-1]
        hidden_fields: [metadata.managedFields, data]
      register: db
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: ConfigMap
        name: nothing-here
        namespace: default
      register: missing
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: Gizmo
        api_version: example.com/v1
      register: unknown
    - ansible.builtin.assert:
        that:
          - web.resources | length == 2
          - web.resources | map(attribute='metadata.name') | sort == ['web-1', 'web-2']
          - web.resources[0].kind == 'ConfigMap'
          - web.resources[0].apiVersion == 'v1'
          - web.api_found
          - not web.changed
          - db.resources | length == 1
          - db.resources[0].data is not defined
          - db.resources[0].metadata.name == 'db-1'
          - missing.resources == []
          - missing.api_found
          - unknown.api_found == false
          - unknown.resources == []
          - unknown is not failed
          - "'Failed to find API for resource' in unknown.msg"
"#,
        kc = kubeconfig(&api)
    )
    .replace("  module_defaults: {}\n", "");
    let r = c.run(&pb, &[], &[]);
    r.ok();
    assert!(r.recap("localhost").contains("ok=5"), "{}", r.stdout);
}

#[test]
fn wait_for_a_joining_node_to_become_ready_uses_the_timeout() {
    let api = fake();
    api.add_node("worker-3", false).expect("node");
    api.schedule_node_ready("worker-3", true, Duration::from_secs(2));
    let c = Controller::local();
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: the joined node becomes Ready
      kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: Node
        name: worker-3
        wait: true
        wait_sleep: 1
        wait_timeout: 30
        wait_condition: {{type: Ready, status: "True"}}
      register: node
    - ansible.builtin.assert:
        that:
          - node.resources | length == 1
          - node.resources[0].status.conditions | selectattr('type', 'equalto', 'Ready') | map(attribute='status') | first == 'True'
    - name: a node that never joins is waited for until the timeout, then not found
      kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: Node
        name: worker-9
        wait: true
        wait_timeout: 2
      register: absent
    - ansible.builtin.assert:
        that: ["absent.resources == []"]
"#,
        kc = kubeconfig(&api)
    );
    let r = c.run(&pb, &[], &[]);
    r.ok();
    // Ready after ~2 s, then 2 s of waiting for worker-9: a watch, not a
    // 30 s timeout nor a sleep loop that overshoots.
    assert!(
        r.took < Duration::from_secs(15),
        "took {:?}\n{}",
        r.took,
        r.stdout
    );

    // The wait was a watch on that one node, not a polling loop.
    let node_reqs: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/nodes" && r.query.contains("worker-3"))
        .collect();
    assert!(
        node_reqs
            .iter()
            .any(|r| r.query.contains("watch=true") && r.query.contains("resourceVersion=")),
        "{:?}",
        node_reqs.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    assert!(node_reqs.len() <= 4, "{} requests", node_reqs.len());

    // A node that stays NotReady: the task fails at its timeout.
    api.add_node("worker-4", false).expect("node");
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: Node
        name: worker-4
        wait: true
        wait_timeout: 2
        wait_condition: {{type: Ready, status: "True"}}
"#,
        kc = kubeconfig(&api)
    );
    let started = Instant::now();
    let r = c.run(&pb, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "Failed to gather information about Node(s) even after waiting for 2 seconds"
        ),
        "{}",
        r.stdout
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The workloads a drain meets: a DaemonSet, a Deployment whose pod has an
/// emptyDir volume, a Deployment under a PodDisruptionBudget that allows
/// no disruption, and a bare pod.
const WORKLOADS: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: agent:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: c, image: cache:1}]
      volumes: [{name: scratch, emptyDir: {}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: w, image: web:1}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: default}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: bare, namespace: default}
spec: {containers: [{name: b, image: bare:1}]}
"#;

fn pods_on(api: &FakeApi, node: &str) -> Vec<String> {
    let mut v: Vec<String> = api
        .list("v1", "Pod", Some("default"))
        .into_iter()
        .filter(|p| p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node))
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .filter_map(|p| {
            p.pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

fn unschedulable(api: &FakeApi, node: &str) -> bool {
    api.get("v1", "Node", None, node)
        .and_then(|n| n.pointer("/spec/unschedulable").and_then(Value::as_bool))
        .unwrap_or(false)
}

#[test]
fn drain_filters_pdb_retries_uncordon_and_check_mode() {
    let api = fake();
    api.add_node("worker-1", true).expect("node");
    let c = Controller::local();
    fs::write(c.path("workloads.yml"), WORKLOADS).expect("workloads");
    let kc = kubeconfig(&api);
    // Set-up through the k8s module itself (multi-document src), waiting
    // until the Deployments are available.
    let setup = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        src: workloads.yml
      register: made
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        kind: Deployment
        api_version: apps/v1
        name: "{{{{ item }}}}"
        namespace: default
        wait: true
        wait_timeout: 30
      loop: [web, cache]
    - ansible.builtin.assert:
        that:
          - made.changed
          - made.result.results | length == 5
          - made.result.results | map(attribute='method') | unique == ['create']
"#
    );
    c.run(&setup, &[], &[]).ok();
    let deadline = Instant::now() + Duration::from_secs(20);
    while pods_on(&api, "worker-1").len() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = pods_on(&api, "worker-1");
    assert_eq!(before.len(), 5, "{before:?}");

    // Every combination of the three filter flags: which errors stop the
    // drain, and the node uncordoned again because this run cordoned it.
    let mut cases = String::new();
    for bits in 0..8u8 {
        let (force, ds, ed) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
        cases.push_str(&format!(
            "      - {{force: {force}, ignore_daemonsets: {ds}, delete_emptydir_data: {ed}}}\n"
        ));
    }
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_drain:
        kubeconfig: {kc}
        name: worker-1
        delete_options: "{{{{ item }}}}"
      loop:
{cases}      register: drains
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - drains.results | select('failed') | list | length == 8
          - "('cannot delete Pods not managed by ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet (use option force set to yes): default/bare.' in item.msg) == (not item.item.force)"
          - "('cannot delete Pods with local storage: default/cache-' in item.msg) == (not item.item.delete_emptydir_data)"
          - "('cannot delete DaemonSet-managed Pods (use option ignore_daemonset set to yes): default/agent-' in item.msg) == (not item.item.ignore_daemonsets)"
          - "item.msg.startswith('Pod deletion errors: ') or item.msg.startswith('Failed to delete pod default/web-')"
          - "'Too Many Requests' not in item.msg"
      loop: "{{{{ drains.results }}}}"
      loop_control: {{label: "{{{{ item.item }}}}"}}
    - ansible.builtin.assert:
        that:
          - "drains.results[7].msg.endswith(\"due to: Cannot evict pod as it would violate the pod's disruption budget.\")"
"#
    );
    c.run(&pb, &[], &[]).ok();
    // The last case (all flags) passed the filters, cordoned, and stopped at
    // the budget: the node stays cordoned (as the collection leaves it);
    // nothing was evicted.
    assert!(unschedulable(&api, "worker-1"));
    assert_eq!(pods_on(&api, "worker-1"), before);

    // Check mode: what would be evicted, nothing changed.
    let all = "{force: true, ignore_daemonsets: true, delete_emptydir_data: true, wait_timeout: 30, wait_sleep: 1}";
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_drain:
        kubeconfig: {kc}
        name: worker-1
        delete_options: {all}
      register: d
    - ansible.builtin.assert:
        that:
          - d.changed
          - d.would_evict | length == 4
          - "'default/bare' in d.would_evict"
          - "d.result == 'node worker-1 already marked unschedulable. Would have deleted 4 Pod(s) from node if not in check mode.'"
"#
    );
    c.run(&pb, &["--check"], &[]).ok();
    assert_eq!(pods_on(&api, "worker-1"), before);

    // kubectl mode: the budget's refusal is retried; the budget goes away
    // after 3 s (as if replicas became available elsewhere) and the drain
    // finishes.
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  vars:
    kiln_drain_mode: kubectl
  tasks:
    - kubernetes.core.k8s_drain:
        kubeconfig: {kc}
        name: worker-1
        delete_options: {all}
      register: d
    - ansible.builtin.assert:
        that:
          - d.changed
          - "d.result == 'node worker-1 already marked unschedulable. 4 Pod(s) deleted from node.'"
"#
    );
    let started = Instant::now();
    let handle = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_secs(3));
            api.remove(
                "policy/v1",
                "PodDisruptionBudget",
                Some("default"),
                "web-pdb",
            )
        });
        c.run(&pb, &[], &[])
    });
    handle.ok();
    assert!(started.elapsed() >= Duration::from_secs(3));
    let left = pods_on(&api, "worker-1");
    assert!(
        left.iter().all(|p| p.starts_with("agent-")),
        "only the DaemonSet pod stays: {left:?}"
    );

    // Uncordon, then again: unchanged.
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_drain: {{kubeconfig: {kc}, name: worker-1, state: uncordon}}
      register: u1
    - kubernetes.core.k8s_drain: {{kubeconfig: {kc}, name: worker-1, state: uncordon}}
      register: u2
    - kubernetes.core.k8s_drain: {{kubeconfig: {kc}, name: worker-1, state: cordon}}
      register: c1
    - ansible.builtin.assert:
        that:
          - u1.changed and u1.result == 'node worker-1 marked schedulable.'
          - not u2.changed and u2.result == 'node worker-1 already marked schedulable.'
          - c1.changed and c1.result == 'node worker-1 marked unschedulable.'
"#
    );
    c.run(&pb, &[], &[]).ok();
    assert!(unschedulable(&api, "worker-1"));
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: default
  labels: {app: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1.0
          ports: [{containerPort: 8080}]
"#;

#[test]
fn apply_twice_is_unchanged_then_delete_with_wait() {
    let api = fake();
    api.add_node("worker-1", true).expect("node");
    let c = Controller::local();
    fs::write(c.path("deploy.yml"), DEPLOYMENT).expect("manifest");
    let kc = kubeconfig(&api);
    let apply = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        src: deploy.yml
        apply: true
      register: first
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        src: deploy.yml
        apply: true
      register: second
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: present
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: settings, namespace: default}}
          data: {{mode: fast}}
      register: cm1
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: present
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: settings, namespace: default}}
          data: {{mode: fast}}
      register: cm2
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: present
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: settings, namespace: default}}
          data: {{mode: slow}}
      register: cm3
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: present
        server_side_apply: {{field_manager: kiln-test}}
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: ssa, namespace: default}}
          data: {{a: "1"}}
      register: ssa1
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: present
        server_side_apply: {{field_manager: kiln-test}}
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: ssa, namespace: default}}
          data: {{a: "1"}}
      register: ssa2
    - ansible.builtin.assert:
        that:
          - first.changed
          - first.method == 'apply'
          - first.result.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] is defined
          - first.result.kind == 'Deployment'
          - not second.changed
          - cm1.changed and cm1.method == 'create'
          - not cm2.changed and cm2.method == 'update'
          - cm3.changed and cm3.result.data.mode == 'slow'
          - ssa1.changed and ssa1.method == 'apply'
          - not ssa2.changed
"#
    );
    c.run(&apply, &[], &[]).ok();
    let d = api
        .get("apps/v1", "Deployment", Some("default"), "api")
        .expect("deployment stored");
    assert_eq!(d.pointer("/spec/replicas"), Some(&json!(2)));

    // Check mode and diff: a change is reported, nothing is sent.
    let changed = DEPLOYMENT.replace("api:1.0", "api:2.0");
    fs::write(c.path("deploy.yml"), changed).expect("manifest");
    let check = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        src: deploy.yml
        apply: true
      register: r
    - ansible.builtin.assert:
        that:
          - r.changed
          - r.diff.after.spec.template.spec.containers[0].image == 'api:2.0'
"#
    );
    c.run(&check, &["--check", "--diff"], &[]).ok();
    let d = api
        .get("apps/v1", "Deployment", Some("default"), "api")
        .expect("deployment stored");
    assert_eq!(
        d.pointer("/spec/template/spec/containers/0/image"),
        Some(&json!("api:1.0"))
    );

    // Delete with wait: gone when the task ends; again: unchanged.
    let delete = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        kind: Deployment
        api_version: apps/v1
        name: api
        namespace: default
        state: absent
        wait: true
        wait_timeout: 30
      register: gone
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        kind: Deployment
        api_version: apps/v1
        name: api
        namespace: default
        state: absent
      register: again
    - ansible.builtin.assert:
        that:
          - gone.changed and gone.method == 'delete'
          - gone.duration is defined
          - not again.changed
"#
    );
    c.run(&delete, &[], &[]).ok();
    assert!(
        api.get("apps/v1", "Deployment", Some("default"), "api")
            .is_none()
    );

    // No name: every object the label selectors match is deleted.
    for (name, tier) in [("t-1", "temp"), ("t-2", "temp"), ("keep", "prod")] {
        api.seed(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default", "labels": {"tier": tier}}}))
            .expect("seed");
    }
    let by_label = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        kind: ConfigMap
        namespace: default
        label_selectors: [tier=temp]
        state: absent
      register: swept
    - ansible.builtin.assert:
        that:
          - swept.changed
          - swept.result | length == 2
"#
    );
    c.run(&by_label, &[], &[]).ok();
    assert!(api.get("v1", "ConfigMap", Some("default"), "t-1").is_none());
    assert!(api.get("v1", "ConfigMap", Some("default"), "t-2").is_none());
    assert!(
        api.get("v1", "ConfigMap", Some("default"), "keep")
            .is_some()
    );
}

/// A task that must fail, and the words its failure must hold.
fn fails_with(c: &Controller, task: &str, words: &str, env: &[(&str, &str)]) {
    let pb = format!("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - {task}\n");
    let r = c.run(&pb, &[], env);
    assert_eq!(
        r.code, 2,
        "expected a task failure for {task}\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
    assert!(
        r.stdout.contains(words),
        "expected {words:?} in the failure of {task}:\n{}",
        r.stdout
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.took < Duration::from_secs(20), "took {:?}", r.took);
}

#[test]
fn bad_input_fails_clearly_and_quickly() {
    let api = fake();
    let c = Controller::local();
    let kc = kubeconfig(&api);

    // Unreadable kubeconfig.
    fails_with(
        &c,
        "kubernetes.core.k8s_info: {kind: Pod, kubeconfig: /nonexistent/kubeconfig}",
        "cannot read kubeconfig /nonexistent/kubeconfig: No such file or directory",
        &[],
    );
    // A kubeconfig that is not one.
    fs::write(c.path("broken.conf"), "clusters: [unclosed\n").expect("file");
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {}}}",
            c.path("broken.conf").display()
        ),
        "is not valid",
        &[],
    );
    // Unknown context.
    fails_with(
        &c,
        &format!("kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {kc}, context: nope}}"),
        "context \"nope\" not found in the kubeconfig (contexts: token, cert)",
        &[],
    );
    // Wrong CA: a CA that did not sign the server's certificate.
    let other = fake();
    fs::write(c.path("other-ca.pem"), other.ca_pem()).expect("ca");
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {kc}, ca_cert: {}}}",
            c.path("other-ca.pem").display()
        ),
        "invalid peer certificate",
        &[],
    );
    // Expired (revoked) token.
    api.revoke_token(api.token());
    fails_with(
        &c,
        &format!("kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {kc}, namespace: default}}"),
        "Unauthorized",
        &[],
    );
    // The client certificate context still works.
    let ok = format!(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - kubernetes.core.k8s_info: {{kind: Namespace, kubeconfig: {kc}, context: cert}}\n      register: ns\n    - assert: {{that: [ns.resources | length >= 3]}}\n"
    );
    c.run(&ok, &[], &[]).ok();
    // A server that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = silent.local_addr().expect("addr").port();
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {kc}, context: cert, host: 'https://127.0.0.1:{port}'}}"
        ),
        "did not answer",
        &[],
    );
    drop(silent);
    // Unknown kind in k8s (k8s_info only reports api_found: false).
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s: {{kubeconfig: {kc}, context: cert, definition: {{apiVersion: v1, kind: Gadget, metadata: {{name: g}}}}}}"
        ),
        "Failed to find exact match for v1.Gadget by [kind, name, singularName, shortNames]",
        &[],
    );
    // Malformed manifest.
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s: {{kubeconfig: {kc}, context: cert, definition: \"kind: [unclosed\\nmetadata: x\\n\"}}"
        ),
        "Failed to load resource definition",
        &[],
    );
}

/// On a remote host the kubeconfig is the host's and the API server is
/// reached through the host's SSH session: the kubeconfig names the server
/// `kubernetes`, a name only the host resolves (its /etc/hosts).
#[test]
fn remote_host_reads_its_kubeconfig_and_tunnels_through_ssh() {
    let api = fake();
    api.add_node("cp-1", true).expect("node");
    let host = support::sshd::TestHost::builder()
        .hosts_entry("kubernetes", "127.0.0.1")
        .log_level("DEBUG")
        .start();
    // The host's kubeconfig: server by the host-only name.
    let text = fs::read_to_string(api.kubeconfig_path()).expect("kubeconfig");
    let remote = text.replace(
        &api.url(),
        &format!("https://kubernetes:{}", api.addr().port()),
    );
    let admin_conf: PathBuf = host.state_dir().join("admin.conf");
    fs::write(&admin_conf, remote).expect("admin.conf");
    let c = Controller::new(&format!(
        "cp1 ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={}\n",
        host.address(),
        host.port(),
        host.client_key_path().display()
    ));
    fs::write(
        c.path("home/.ssh/known_hosts"),
        format!("{}\n", host.known_hosts_line()),
    )
    .expect("known_hosts");
    let pb = format!(
        r#"
- hosts: cp1
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_drain:
        kubeconfig: {conf}
        name: cp-1
        state: cordon
      register: cordon
    - ansible.builtin.command: echo host-task
      register: echo
    - kubernetes.core.k8s_info:
        kubeconfig: {conf}
        kind: Node
        name: cp-1
      register: node
    - name: on the controller (delegate_to localhost), with the controller's kubeconfig
      kubernetes.core.k8s_info:
        kubeconfig: {local}
        kind: Node
        name: cp-1
      delegate_to: localhost
      register: from_controller
    - name: the node is deleted from the cluster, through the host
      kubernetes.core.k8s:
        kubeconfig: {conf}
        kind: Node
        name: cp-1
        state: absent
      register: deleted
    - ansible.builtin.assert:
        that:
          - cordon.changed
          - echo.stdout == 'host-task'
          - node.resources[0].spec.unschedulable
          - from_controller.resources[0].metadata.uid == node.resources[0].metadata.uid
          - deleted.changed
"#,
        conf = admin_conf.display(),
        local = kubeconfig(&api)
    );
    c.run(&pb, &[], &[]).ok();
    assert!(api.get("v1", "Node", None, "cp-1").is_none());
    let log = host.log();
    assert!(
        log.contains("direct-tcpip"),
        "the API server was reached through the SSH session:\n{log}"
    );
    // On the controller the same kubeconfig cannot work: `kubernetes` does
    // not resolve here, which is why the tunnel matters.
    use std::net::ToSocketAddrs;
    assert!(("kubernetes", 443).to_socket_addrs().is_err());
}

/// KUBECONFIG lists several files: missing ones are skipped, the first
/// file that sets a value wins (here current-context), users may come
/// from an exec credential plugin, and insecure TLS is only used when asked
/// and then warned about.
#[test]
fn kubeconfig_merge_exec_plugin_and_insecure_warning() {
    let api = fake();
    let c = Controller::local();
    let full = fs::read_to_string(api.kubeconfig_path()).expect("kubeconfig");
    // The first file only chooses the context.
    fs::write(
        c.path("first.conf"),
        "apiVersion: v1\nkind: Config\ncurrent-context: cert\n",
    )
    .expect("first");
    fs::write(c.path("second.conf"), &full).expect("second");
    // The token context no longer works, so only `cert` (from the first
    // file) can succeed.
    api.revoke_token(api.token());
    let list = format!(
        "{}:{}:{}",
        c.path("missing.conf").display(),
        c.path("first.conf").display(),
        c.path("second.conf").display()
    );
    let pb = "
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info: {kind: Namespace, name: default}
      register: ns
    - assert: {that: [ns.resources | length == 1]}
";
    c.run(pb, &[], &[("KUBECONFIG", &list)]).ok();

    // An exec credential plugin gives the token.
    api.add_token("exec-given-token", "admin");
    let plugin = c.path("plugin.sh");
    fs::write(
        &plugin,
        "#!/bin/sh\nprintf '%s' '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-given-token\"}}'\n",
    )
    .expect("plugin");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&plugin)
        .status()
        .expect("chmod");
    let exec_user = format!(
        "- name: token-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        plugin.display()
    );
    let start = full.find("- name: token-user").expect("token user");
    let end = full.find("- name: cert-user").expect("cert user");
    let with_exec = format!("{}{}{}", &full[..start], exec_user, &full[end..]);
    fs::write(c.path("exec.conf"), with_exec).expect("exec kubeconfig");
    let pb = format!(
        "
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info: {{kind: Namespace, name: kube-system, kubeconfig: {}}}
      register: ns
    - assert: {{that: [ns.resources | length == 1]}}
",
        c.path("exec.conf").display()
    );
    c.run(&pb, &[], &[]).ok();

    // validate_certs: false reaches a server whose CA the kubeconfig does
    // not hold (the token is valid there), with a warning; the wrong-CA
    // case in bad_input_fails_clearly_and_quickly shows the refusal.
    let other = fake();
    let pb = format!(
        "
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info:
        kind: Namespace
        kubeconfig: {}
        context: token
        host: {}
        validate_certs: false
      register: ns
    - assert: {{that: [ns.resources | length >= 3]}}
",
        c.path("second.conf").display(),
        other.url()
    );
    let r = c.run(&pb, &[], &[]);
    r.ok();
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("TLS certificate verification of the API server"),
        "{all}"
    );
}

/// A pod recreated under the same name on the same node (a new UID, as a
/// StatefulSet does) counts as gone in kubectl mode; the collection's
/// behaviour waits for it until the timeout and warns.
#[test]
fn drain_kubectl_mode_counts_a_recreated_pod_as_gone() {
    let api = fake();
    api.add_node("worker-1", true).expect("node");
    let c = Controller::local();
    let kc = kubeconfig(&api);
    let solo = || {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "solo", "namespace": "default"},
            "spec": {"nodeName": "worker-1", "containers": [{"name": "s", "image": "s:1"}]},
            "status": {"phase": "Running"}})
    };
    let uid = |api: &FakeApi| {
        api.get("v1", "Pod", Some("default"), "solo").and_then(|p| {
            p.pointer("/metadata/uid")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    };
    for (mode, warned) in [("collection", true), ("kubectl", false)] {
        api.seed(solo()).expect("seed");
        let first = uid(&api).expect("pod");
        let pb = format!(
            r#"
- hosts: localhost
  gather_facts: false
  vars:
    kiln_drain_mode: {mode}
  tasks:
    - kubernetes.core.k8s_drain:
        kubeconfig: {kc}
        name: worker-1
        delete_options: {{force: true, wait_timeout: 4, wait_sleep: 1}}
      register: d
    - kubernetes.core.k8s_drain: {{kubeconfig: {kc}, name: worker-1, state: uncordon}}
"#
        );
        let r = std::thread::scope(|s| {
            // The "controller" that recreates the pod as soon as it is gone.
            let recreate = s.spawn(|| {
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if uid(&api).as_deref() != Some(first.as_str()) {
                        api.seed(solo()).expect("reseed");
                        return true;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                false
            });
            let r = c.run(&pb, &[], &[]);
            assert!(
                recreate.join().expect("thread"),
                "the pod was never evicted"
            );
            r
        });
        r.ok();
        assert_ne!(uid(&api).as_deref(), Some(first.as_str()));
        let warning = r
            .stdout
            .contains("timeout reached while pods were still running.")
            || r.stderr
                .contains("timeout reached while pods were still running.");
        assert_eq!(warning, warned, "{mode}:\n{}\n{}", r.stdout, r.stderr);
        api.remove("v1", "Pod", Some("default"), "solo");
    }
}

/// `template`, `generate_name`, `force` (replace) and `state: patched`.
#[test]
fn template_generate_name_replace_and_patched() {
    let api = fake();
    let c = Controller::local();
    let kc = kubeconfig(&api);
    fs::create_dir_all(c.path("templates")).expect("dir");
    fs::write(
        c.path("templates/cm.yml.j2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ cm_name }}\n  namespace: default\ndata:\n  colour: {{ colour }}\n",
    )
    .expect("template");
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  vars:
    cm_name: painted
    colour: blue
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        template: cm.yml.j2
      register: t
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        generate_name: run-
        kind: ConfigMap
        namespace: default
      register: g
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        force: true
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: painted, namespace: default}}
          data: {{shape: round}}
      register: replaced
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: patched
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: never-made, namespace: default}}
          data: {{a: b}}
      register: p
    - ansible.builtin.assert:
        that:
          - t.changed and t.result.data.colour == 'blue'
          - g.changed and g.result.metadata.name.startswith('run-')
          - replaced.changed and replaced.method == 'replace'
          - "replaced.result.data == {{'shape': 'round'}}"
          - not p.changed
          - "'was not found but will not be created' in p.warnings[0]"
"#
    );
    c.run(&pb, &[], &[]).ok();
    assert!(
        api.get("v1", "ConfigMap", Some("default"), "never-made")
            .is_none()
    );
    let painted = api
        .get("v1", "ConfigMap", Some("default"), "painted")
        .expect("stored");
    assert_eq!(painted.pointer("/data"), Some(&json!({"shape": "round"})));
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1 that counts the tunnels it made.
fn connect_proxy() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("proxy listener");
    let port = listener.local_addr().expect("addr").port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().expect("clone"));
                let mut line = String::new();
                reader.read_line(&mut line).expect("request line");
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let Ok(upstream) = std::net::TcpStream::connect(&target) else {
                    return;
                };
                seen.fetch_add(1, Ordering::SeqCst);
                let mut c = client;
                c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .expect("reply");
                let (mut c2, mut u2) =
                    (c.try_clone().expect("c"), upstream.try_clone().expect("u"));
                let mut u = upstream;
                std::thread::spawn(move || std::io::copy(&mut u2, &mut c2));
                let _ = std::io::copy(&mut c, &mut u);
            });
        }
    });
    (port, count)
}

#[test]
fn proxy_option_tunnels_through_an_http_proxy() {
    let api = fake();
    let c = Controller::local();
    let (port, count) = connect_proxy();
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: Namespace
        name: default
        proxy: http://127.0.0.1:{port}
      register: ns
    - ansible.builtin.assert:
        that: ["ns.resources | length == 1"]
"#,
        kc = kubeconfig(&api)
    );
    c.run(&pb, &[], &[]).ok();
    assert!(count.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[test]
fn impersonation_headers_are_sent() {
    let api = fake();
    let c = Controller::local();
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: ConfigMap
        namespace: kube-public
        impersonate_user: alice
        impersonate_groups: [devs, ops]
"#,
        kc = kubeconfig(&api)
    );
    c.run(&pb, &[], &[]).ok();
    let r = api
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/namespaces/kube-public/configmaps")
        .expect("the list request");
    assert_eq!(r.impersonate_user.as_deref(), Some("alice"));
    assert_eq!(r.impersonate_groups, vec!["devs", "ops"]);
}

/// In-cluster configuration: no kubeconfig anywhere, the service account's
/// token, CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount
/// and KUBERNETES_SERVICE_HOST/PORT. The kiln binary runs in a private mount
/// namespace where a tmpfs hides /run and the account directory is a bind
/// mount of a temp dir, so the machine's own /run is never written.
#[test]
fn in_cluster_service_account_is_used_without_a_kubeconfig() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        eprintln!("skipped: needs root for unshare -m");
        return;
    }
    let api = fake();
    api.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}))
        .expect("namespace");
    api.seed(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "team-settings", "namespace": "team"}, "data": {"a": "1"}}))
        .expect("seed");
    let c = Controller::local();
    let sa = c.path("serviceaccount");
    fs::create_dir_all(&sa).expect("dir");
    fs::write(sa.join("token"), api.token()).expect("token");
    fs::write(sa.join("ca.crt"), api.ca_pem()).expect("ca");
    fs::write(sa.join("namespace"), "team").expect("namespace");
    let pb = r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info: {kind: ConfigMap}
      register: mine
    - kubernetes.core.k8s:
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: made-in-cluster}
          data: {b: "2"}
      register: made
    - ansible.builtin.assert:
        that:
          - mine.resources | map(attribute='metadata.name') | list == ['team-settings']
          - made.changed and made.result.metadata.namespace == 'team'
"#;
    fs::write(c.path("site.yml"), pb).expect("playbook");
    let account = "/var/run/secrets/kubernetes.io/serviceaccount";
    let script = format!(
        "set -e; mount --make-rprivate /; mount -t tmpfs kiln-incluster /run; \
         mkdir -p {account}; mount --bind \"$1\" {account}; shift; exec \"$@\""
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script, "sh"])
        .arg(&sa)
        .arg(env!("CARGO_BIN_EXE_kiln"))
        .arg("playbook")
        .arg("-i")
        .arg(c.path("inventory.ini"))
        .arg(c.path("site.yml"))
        .env("HOME", c.path("home"))
        .env_remove("KUBECONFIG")
        .env_remove("K8S_AUTH_KUBECONFIG")
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", api.addr().port().to_string())
        .env("ANSIBLE_NOCOLOR", "1")
        .env("KILN_K8S_REQUEST_TIMEOUT", "5")
        .current_dir(c.path(""))
        .output()
        .expect("unshare runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        api.get("v1", "ConfigMap", Some("team"), "made-in-cluster")
            .is_some()
    );
    // The account directory existed only in the private mount namespace.
    assert!(!std::path::Path::new("/run/secrets/kubernetes.io").exists());
}

/// Client-side apply as the collection does it: the last-applied annotation
/// (sorted compact JSON), a field dropped from the manifest is removed,
/// what another writer added is kept, list items merge by their key, and a
/// second run changes nothing.
#[test]
fn apply_removes_dropped_fields_and_keeps_foreign_ones() {
    let api = fake();
    api.add_node("worker-1", true).expect("node");
    let c = Controller::local();
    let kc = kubeconfig(&api);
    let task = |labels: &str, data: &str, env: &str, reg: &str| {
        format!(
            r#"
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        apply: true
        definition:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {{name: applied, namespace: default, labels: {labels}}}
            data: {data}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: web, namespace: default}}
            spec:
              replicas: 1
              selector: {{matchLabels: {{app: web}}}}
              template:
                metadata: {{labels: {{app: web}}}}
                spec:
                  containers:
                    - name: web
                      image: web:1
                      env: {env}
      register: {reg}"#
        )
    };
    let first = format!(
        "- hosts: localhost\n  gather_facts: false\n  tasks:{}{}\n    - ansible.builtin.assert:\n        that:\n          - one.changed\n          - not two.changed\n          - \"one.result.results[0].result.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] == '{{\\\"apiVersion\\\":\\\"v1\\\",\\\"data\\\":{{\\\"a\\\":\\\"1\\\",\\\"b\\\":\\\"2\\\"}},\\\"kind\\\":\\\"ConfigMap\\\",\\\"metadata\\\":{{\\\"labels\\\":{{\\\"app\\\":\\\"x\\\",\\\"tier\\\":\\\"web\\\"}},\\\"name\\\":\\\"applied\\\",\\\"namespace\\\":\\\"default\\\"}}}}'\"\n",
        task(
            "{app: x, tier: web}",
            "{a: '1', b: '2'}",
            "[{name: A, value: '1'}, {name: B, value: '2'}]",
            "one"
        ),
        task(
            "{app: x, tier: web}",
            "{a: '1', b: '2'}",
            "[{name: A, value: '1'}, {name: B, value: '2'}]",
            "two"
        ),
    );
    c.run(&first, &[], &[]).ok();
    // Another writer adds a data key and an env var.
    let other = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: patched
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: applied, namespace: default}}
          data: {{foreign: kept}}
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        state: patched
        merge_type: strategic-merge
        definition:
          apiVersion: apps/v1
          kind: Deployment
          metadata: {{name: web, namespace: default}}
          spec: {{template: {{spec: {{containers: [{{name: web, env: [{{name: C, value: other}}]}}]}}}}}}
"#
    );
    c.run(&other, &[], &[]).ok();
    // The manifest drops label tier, data b and env B.
    let second = format!(
        "- hosts: localhost\n  gather_facts: false\n  tasks:{}{}\n    - ansible.builtin.assert:\n        that:\n          - three.changed\n          - not four.changed\n",
        task("{app: x}", "{a: '1'}", "[{name: A, value: '1'}]", "three"),
        task("{app: x}", "{a: '1'}", "[{name: A, value: '1'}]", "four"),
    );
    c.run(&second, &[], &[]).ok();
    let cm = api
        .get("v1", "ConfigMap", Some("default"), "applied")
        .expect("stored");
    assert_eq!(
        cm.pointer("/data"),
        Some(&json!({"a": "1", "foreign": "kept"}))
    );
    assert_eq!(cm.pointer("/metadata/labels"), Some(&json!({"app": "x"})));
    let d = api
        .get("apps/v1", "Deployment", Some("default"), "web")
        .expect("stored");
    let env: Vec<&str> = d
        .pointer("/spec/template/spec/containers/0/env")
        .and_then(Value::as_array)
        .expect("env")
        .iter()
        .filter_map(|e| e.get("name").and_then(Value::as_str))
        .collect();
    assert_eq!(env, ["A", "C"]);
}

/// append_hash names a ConfigMap as the collection does; validate asks the
/// server (dry run, fieldValidation); metadata_only trims k8s_info's objects;
/// options kiln cannot honour are refused.
#[test]
fn append_hash_validate_metadata_only_and_refused_options() {
    let api = fake();
    let c = Controller::local();
    let kc = kubeconfig(&api);
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        append_hash: true
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: settings, namespace: default}}
          data: {{mode: fast, b: "é"}}
      register: h1
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        append_hash: true
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: settings, namespace: default}}
          data: {{mode: fast, b: "é"}}
      register: h2
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        validate: {{fail_on_error: false}}
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: odd, namespace: default}}
          bogus: 1
          data: {{a: "1"}}
      register: warned
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        validate: {{fail_on_error: true, strict: false}}
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: lenient, namespace: default}}
          bogus: 1
      register: lenient
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        validate: {{fail_on_error: true}}
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: refused, namespace: default}}
          bogus: 1
      register: refused
      ignore_errors: true
    - kubernetes.core.k8s_info:
        kubeconfig: {kc}
        kind: ConfigMap
        namespace: default
        name: odd
        metadata_only: true
      register: meta
    - ansible.builtin.assert:
        that:
          - h1.changed and h1.result.metadata.name == 'settings-fgm2h965bh'
          - not h2.changed
          - warned.changed
          - "warned.warnings | select('search', 'ConfigMap odd: .*unknown field .bogus.') | list | length == 1"
          - lenient.changed and lenient.warnings is not defined
          - refused.failed
          - "'ConfigMap refused: ' in refused.msg and 'unknown field' in refused.msg"
          - meta.resources[0].kind == 'PartialObjectMetadata'
          - meta.resources[0].apiVersion == 'meta.k8s.io/v1'
          - meta.resources[0].metadata.name == 'odd'
          - meta.resources[0].data is not defined
"#
    );
    c.run(&pb, &[], &[]).ok();
    // One client for the run: the six tasks shared its discovery of v1.
    let discoveries = api
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v1")
        .count();
    assert_eq!(discoveries, 1);
    assert!(
        api.get("v1", "ConfigMap", Some("default"), "settings-fgm2h965bh")
            .is_some()
    );
    assert!(
        api.get("v1", "ConfigMap", Some("default"), "refused")
            .is_none()
    );
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {kc}, proxy_headers: {{user_agent: x}}}}"
        ),
        "proxy_headers is not supported by kiln",
        &[],
    );
    fails_with(
        &c,
        &format!(
            "kubernetes.core.k8s: {{kubeconfig: {kc}, kind: ConfigMap, name: v, namespace: default, validate: {{version: '1.30'}}}}"
        ),
        "validate.version is not supported",
        &[],
    );
    fails_with(
        &c,
        &format!("kubernetes.core.k8s_info: {{kind: Pod, kubeconfig: {kc}, persist_config: true}}"),
        "persist_config is not supported by kiln",
        &[],
    );
}

/// Server-side apply conflicts and force_conflicts, delete_options
/// (propagationPolicy), delete_all, and continue_on_error.
#[test]
fn conflicts_delete_options_delete_all_and_continue_on_error() {
    let api = fake();
    api.add_node("worker-1", true).expect("node");
    let c = Controller::local();
    let kc = kubeconfig(&api);
    let ssa = |manager: &str, value: &str, force: bool, reg: &str| {
        format!(
            r#"
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        server_side_apply: {{field_manager: {manager}, force_conflicts: {force}}}
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: shared, namespace: default}}
          data: {{owner: {value}}}
      register: {reg}
      ignore_errors: true"#
        )
    };
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:{}{}{}
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        continue_on_error: true
        definition:
          - {{apiVersion: v1, kind: Gadget, metadata: {{name: g, namespace: default}}}}
          - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: after-error, namespace: default}}}}
      register: cont
    - ansible.builtin.assert:
        that:
          - first_owner.changed
          - conflict.failed
          - "'Apply failed with 1 conflict' in conflict.msg"
          - forced.changed and forced.result.data.owner == 'two'
          - cont.changed
          - "'Failed to find exact match for v1.Gadget' in cont.result.results[0].error.msg"
          - cont.result.results[1].changed
"#,
        ssa("one", "one", false, "first_owner"),
        ssa("two", "two", false, "conflict"),
        ssa("two", "two", true, "forced"),
    );
    c.run(&pb, &[], &[]).ok();
    assert!(
        api.get("v1", "ConfigMap", Some("default"), "after-error")
            .is_some()
    );

    // delete_options: an orphaned ReplicaSet outlives its Deployment.
    fs::write(c.path("deploy.yml"), DEPLOYMENT).expect("manifest");
    let pb = format!(
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s: {{kubeconfig: {kc}, src: deploy.yml, wait: true, wait_timeout: 30}}
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        api_version: apps/v1
        kind: Deployment
        name: api
        namespace: default
        state: absent
        wait: true
        wait_timeout: 30
        delete_options: {{propagationPolicy: Orphan}}
    - kubernetes.core.k8s_info: {{kubeconfig: {kc}, api_version: apps/v1, kind: ReplicaSet, namespace: default}}
      register: rs
    - kubernetes.core.k8s:
        kubeconfig: {kc}
        kind: ConfigMap
        namespace: default
        delete_all: true
        state: absent
      register: swept
    - kubernetes.core.k8s_info: {{kubeconfig: {kc}, kind: ConfigMap, namespace: default}}
      register: left
    - ansible.builtin.assert:
        that:
          - rs.resources | length == 1
          - swept.changed
          - left.resources == []
"#
    );
    c.run(&pb, &[], &[]).ok();
}
