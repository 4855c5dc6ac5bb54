// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `gather_subset`: which fact collectors run. The names, the fact ids that
//! select a collector, the dependencies between collectors and the `min` set
//! are Ansible's for Linux (module_utils/facts/default_collectors.py and the
//! setup module), so every subset spelling Ansible accepts selects the same
//! collectors here.

use std::collections::BTreeSet;

/// One collector: its name, the fact ids that also select it, and the
/// collectors whose facts it needs (which are then gathered too).
#[derive(Debug, Clone, Copy)]
pub struct Collector {
    pub name: &'static str,
    pub ids: &'static [&'static str],
    pub requires: &'static [&'static str],
}

const fn c(
    name: &'static str,
    ids: &'static [&'static str],
    requires: &'static [&'static str],
) -> Collector {
    Collector {
        name,
        ids,
        requires,
    }
}

/// Ansible's Linux collectors, in its default order.
pub const COLLECTORS: &[Collector] = &[
    c(
        "platform",
        &[
            "system",
            "kernel",
            "kernel_version",
            "machine",
            "python_version",
            "architecture",
            "machine_id",
        ],
        &[],
    ),
    c(
        "distribution",
        &[
            "distribution_version",
            "distribution_release",
            "distribution_major_version",
            "os_family",
        ],
        &[],
    ),
    c("lsb", &[], &[]),
    c("selinux", &[], &[]),
    c("apparmor", &[], &[]),
    c("chroot", &["is_chroot"], &[]),
    c("fips", &[], &[]),
    c("python", &[], &[]),
    c(
        "caps",
        &["system_capabilities", "system_capabilities_enforced"],
        &[],
    ),
    c("pkg_mgr", &[], &["distribution"]),
    c("service_mgr", &[], &["platform", "distribution"]),
    c("cmdline", &[], &[]),
    c("date_time", &[], &[]),
    c("env", &[], &[]),
    c("loadavg", &[], &[]),
    c(
        "ssh_pub_keys",
        &[
            "ssh_host_pub_keys",
            "ssh_host_key_dsa_public",
            "ssh_host_key_rsa_public",
            "ssh_host_key_ecdsa_public",
            "ssh_host_key_ed25519_public",
        ],
        &[],
    ),
    c(
        "user",
        &[
            "user_id",
            "user_uid",
            "user_gid",
            "user_gecos",
            "user_dir",
            "user_shell",
            "real_user_id",
            "effective_user_id",
            "effective_group_ids",
        ],
        &[],
    ),
    c("systemd", &[], &[]),
    c(
        "virtual",
        &[
            "virtualization_type",
            "virtualization_role",
            "virtualization_tech_guest",
            "virtualization_tech_host",
        ],
        &[],
    ),
    c(
        "hardware",
        &[
            "processor",
            "processor_cores",
            "processor_count",
            "mounts",
            "devices",
        ],
        &["platform"],
    ),
    c("dns", &[], &[]),
    c("fibre_channel_wwn", &[], &[]),
    c("iscsi", &[], &[]),
    c("nvme", &[], &[]),
    c(
        "network",
        &[
            "interfaces",
            "default_ipv4",
            "default_ipv6",
            "all_ipv4_addresses",
            "all_ipv6_addresses",
        ],
        &["distribution", "platform"],
    ),
    c("local", &[], &[]),
    c("facter", &["facter"], &[]),
    c("ohai", &[], &[]),
];

/// What `min` means (the setup module's minimal_gather_subset).
pub const MINIMAL: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];

/// Every word a subset may name: collector names and their fact ids.
pub fn valid_subsets() -> BTreeSet<&'static str> {
    COLLECTORS
        .iter()
        .flat_map(|c| std::iter::once(c.name).chain(c.ids.iter().copied()))
        .collect()
}

fn aliases(name: &str) -> Vec<&'static str> {
    COLLECTORS
        .iter()
        .filter(|c| c.name == name)
        .flat_map(|c| c.ids.iter().copied())
        .collect()
}

fn collector_of(word: &str) -> Option<&'static Collector> {
    COLLECTORS
        .iter()
        .find(|c| c.name == word || c.ids.contains(&word))
}

/// The collectors a `gather_subset` list selects, dependencies included, in
/// Ansible's default order. The error is Ansible's message for an unknown
/// subset.
pub fn resolve(gather_subset: &[String]) -> Result<Vec<&'static Collector>, String> {
    let valid = valid_subsets();
    let minimal: BTreeSet<&str> = MINIMAL.iter().copied().collect();
    let mut add: BTreeSet<String> = BTreeSet::new();
    let mut exclude: BTreeSet<String> = BTreeSet::new();
    let mut explicit: BTreeSet<String> = BTreeSet::new();
    let default_all = ["all".to_string()];
    let subsets = if gather_subset.is_empty() {
        &default_all[..]
    } else {
        gather_subset
    };
    // `min` is always there first; the listed words add or exclude.
    for word in std::iter::once("min").chain(subsets.iter().map(String::as_str)) {
        match word {
            "min" => add.extend(minimal.iter().map(|s| s.to_string())),
            "all" => add.extend(valid.iter().map(|s| s.to_string())),
            _ => {
                if let Some(neg) = word.strip_prefix('!') {
                    match neg {
                        "min" => exclude.extend(minimal.iter().map(|s| s.to_string())),
                        "all" => exclude.extend(
                            valid
                                .iter()
                                .filter(|s| !minimal.contains(*s))
                                .map(|s| s.to_string()),
                        ),
                        _ => {
                            exclude.extend(aliases(neg).into_iter().map(str::to_string));
                            exclude.insert(neg.to_string());
                        }
                    }
                } else {
                    if !valid.contains(word) {
                        return Err(format!(
                            "Bad subset '{word}' given to Ansible. gather_subset options allowed: all, {}",
                            valid.iter().copied().collect::<Vec<_>>().join(", ")
                        ));
                    }
                    explicit.insert(word.to_string());
                    add.insert(word.to_string());
                }
            }
        }
    }
    if add.is_empty() {
        add.extend(valid.iter().map(|s| s.to_string()));
    }
    let names: BTreeSet<&String> = add
        .iter()
        .filter(|n| !exclude.contains(*n) || explicit.contains(*n))
        .collect();
    let mut chosen: BTreeSet<&'static str> = names
        .iter()
        .filter_map(|n| collector_of(n))
        .map(|c| c.name)
        .collect();
    // Dependencies, until nothing new is needed.
    loop {
        let needed: Vec<&'static str> = chosen
            .iter()
            .filter_map(|n| collector_of(n))
            .flat_map(|c| c.requires.iter().copied())
            .filter(|r| !chosen.contains(r))
            .collect();
        if needed.is_empty() {
            break;
        }
        chosen.extend(needed);
    }
    Ok(COLLECTORS
        .iter()
        .filter(|c| chosen.contains(c.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(subset: &[&str]) -> Vec<&'static str> {
        let v: Vec<String> = subset.iter().map(|s| s.to_string()).collect();
        resolve(&v)
            .expect("valid subset")
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn all_is_every_collector() {
        assert_eq!(names(&["all"]).len(), COLLECTORS.len());
        assert_eq!(names(&[]).len(), COLLECTORS.len());
    }

    #[test]
    fn not_all_is_min() {
        let mut want: Vec<&str> = MINIMAL.to_vec();
        want.sort_unstable();
        let mut got = names(&["!all"]);
        got.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn nothing_but_distribution() {
        // CMT's gather_subset: ['!min', '!all', 'distribution'].
        assert_eq!(names(&["!min", "!all", "distribution"]), ["distribution"]);
        assert!(names(&["!all", "!min"]).is_empty());
    }

    #[test]
    fn fact_ids_select_their_collector_with_its_dependencies() {
        assert_eq!(
            names(&["!all", "!min", "all_ipv4_addresses"]),
            ["platform", "distribution", "network"]
        );
        assert_eq!(
            names(&["!all", "!min", "devices"]),
            ["platform", "hardware"]
        );
        assert_eq!(
            names(&["!all", "!min", "pkg_mgr"]),
            ["distribution", "pkg_mgr"]
        );
    }

    #[test]
    fn negations_remove_aliases_too() {
        let got = names(&["all", "!hardware", "!network", "!facter"]);
        assert!(!got.contains(&"hardware") && !got.contains(&"network"));
        assert!(!got.contains(&"facter") && got.contains(&"virtual"));
        // An explicit name wins over an exclusion.
        assert!(names(&["!all", "!min", "!dns", "dns"]).contains(&"dns"));
    }

    #[test]
    fn unknown_subset_is_ansibles_error() {
        let err = resolve(&["bogus".to_string()]).unwrap_err();
        assert!(err.starts_with(
            "Bad subset 'bogus' given to Ansible. gather_subset options allowed: all, all_ipv4_addresses, all_ipv6_addresses, apparmor,"
        ));
        // Excluding an unknown subset is not an error.
        assert!(resolve(&["!bogus".to_string()]).is_ok());
    }

    /// Every gather_subset of tests/facts_cases/subsets.json, which
    /// tests/oracle/record_fact_subsets.py recorded from ansible-core 2.21's
    /// own collector selection: the same collectors, or the same error.
    #[test]
    fn subsets_agree_with_ansible_core() {
        let cases: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../../../tests/facts_cases/subsets.json"))
                .expect("subsets.json parses");
        assert!(!cases.is_empty());
        let mut failures = Vec::new();
        for case in &cases {
            let subset: Vec<String> = case["gather_subset"]
                .as_array()
                .expect("gather_subset")
                .iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect();
            let got = match resolve(&subset) {
                Ok(cs) => {
                    let mut v: Vec<&str> = cs.iter().map(|c| c.name).collect();
                    v.sort_unstable();
                    serde_json::json!({"gather_subset": subset, "collectors": v})
                }
                Err(e) => serde_json::json!({"gather_subset": subset, "error": e}),
            };
            if &got != case {
                failures.push(format!("ansible: {case}\n  kiln:    {got}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
