// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Action groups for `module_defaults: {group/NAME: ...}`, as ansible-core
//! 2.21 resolves them: an unqualified name is `ansible.builtin.NAME`, whose
//! groups (in ansible-core's builtin runtime metadata) mostly extend the
//! groups of collections. Only the members kiln implements are listed; a
//! group of a collection kiln knows nothing of holds no kiln module.

/// kubernetes.core's `k8s` group.
const K8S: &[&str] = &[
    "k8s",
    "k8s_cluster_info",
    "k8s_cp",
    "k8s_drain",
    "k8s_exec",
    "k8s_info",
    "k8s_json_patch",
    "k8s_log",
    "k8s_rollback",
    "k8s_scale",
    "k8s_service",
    "k8s_taint",
];

/// kubernetes.core's `helm` group.
const HELM: &[&str] = &[
    "helm",
    "helm_info",
    "helm_plugin",
    "helm_plugin_info",
    "helm_repository",
];

/// Groups by fully qualified name, with their members (short names).
/// `ansible.builtin.k8s` extends `kubernetes.core.k8s` (the other groups it
/// extends are in collections that hold no module kiln has);
/// `ansible.builtin.testgroup` lists `ping` (its other members and extended
/// groups are test plugins not shipped).
const GROUPS: &[(&str, &[&str])] = &[
    ("ansible.builtin.testgroup", &["ping"]),
    ("ansible.builtin.testlegacy", &[]),
    ("ansible.builtin.aws", &[]),
    ("ansible.builtin.acme", &[]),
    ("ansible.builtin.azure", &[]),
    ("ansible.builtin.cpm", &[]),
    ("ansible.builtin.docker", &[]),
    ("ansible.builtin.gcp", &[]),
    ("ansible.builtin.k8s", K8S),
    ("ansible.builtin.os", &[]),
    ("ansible.builtin.ovirt", &[]),
    ("ansible.builtin.vmware", &[]),
    ("kubernetes.core.k8s", K8S),
    ("kubernetes.core.helm", HELM),
];

/// The group's fully qualified name: a name that is not `ns.coll.name` is
/// ansible.builtin's.
pub fn qualified(group: &str) -> String {
    if group.split('.').count() >= 3 {
        group.to_string()
    } else {
        format!("ansible.builtin.{group}")
    }
}

/// Whether the group (fully qualified) holds `action` (a short name).
pub fn holds(group: &str, action: &str) -> bool {
    GROUPS
        .iter()
        .any(|(g, members)| *g == group && members.contains(&action))
}

/// Why `group/NAME` cannot be used, as ansible-core says it, when ansible-core
/// itself cannot resolve it: an `ansible.builtin` group that does not exist.
/// (A group of another collection is taken as it is: kiln cannot tell which
/// collections are installed.)
pub fn unresolved(group: &str) -> Option<String> {
    let fq = qualified(group);
    let builtin = fq.starts_with("ansible.builtin.") || fq.starts_with("ansible.legacy.");
    if builtin && !GROUPS.iter().any(|(g, _)| *g == fq) {
        return Some(format!(
            "Error loading module_defaults: could not resolve the module_defaults group {fq}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_ansible_builtins_groups() {
        assert_eq!(qualified("k8s"), "ansible.builtin.k8s");
        assert_eq!(qualified("kubernetes.core.k8s"), "kubernetes.core.k8s");
        assert!(holds("ansible.builtin.k8s", "k8s_info"));
        assert!(holds("kubernetes.core.k8s", "k8s_taint"));
        // helm is kubernetes.core's helm group, not its k8s group.
        assert!(!holds("kubernetes.core.k8s", "helm"));
        assert!(holds("kubernetes.core.helm", "helm"));
        assert!(holds("ansible.builtin.testgroup", "ping"));
        assert!(!holds("ansible.builtin.k8s", "ping"));
    }

    #[test]
    fn an_unknown_builtin_group_is_refused() {
        assert_eq!(
            unresolved("helm").as_deref(),
            Some(
                "Error loading module_defaults: could not resolve the module_defaults group ansible.builtin.helm"
            )
        );
        assert!(unresolved("k8s").is_none());
        assert!(unresolved("ansible.builtin.docker").is_none());
        assert!(unresolved("amazon.aws.aws").is_none());
    }
}
