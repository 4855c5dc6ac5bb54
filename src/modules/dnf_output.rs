// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! What kiln's `dnf` module reads from the host: rpm's package list, the
//! transaction table of a `dnf --assumeno` dry run, dnf's error lines, and
//! rpm's version order. Ansible's module asks dnf's Python API for the
//! transaction's install and remove sets; kiln gets the same sets from the
//! command line: after a real transaction as the difference of rpm's
//! package lists before and after, in check mode from the dry run's table.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// rpm's query format for one installed package as dnf names it
/// (`name-[epoch:]version-release.arch`), tab, its name and arch.
pub const RPM_QF: &str = "%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}\\t%{NAME}.%{ARCH}\\t%{VERSION}-%{RELEASE}\\n";

/// One installed package from [`RPM_QF`] output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Installed {
    /// `name-[epoch:]version-release.arch`.
    pub nevra: String,
    /// `name.arch`.
    pub name_arch: String,
    /// `version-release`.
    pub vr: String,
}

impl Installed {
    pub fn name(&self) -> &str {
        self.name_arch
            .rsplit_once('.')
            .map(|(n, _)| n)
            .unwrap_or(&self.name_arch)
    }
}

/// Reads [`RPM_QF`] lines.
pub fn parse_installed(text: &str) -> Vec<Installed> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(Installed {
                nevra: f.next()?.trim().to_string(),
                name_arch: f.next()?.trim().to_string(),
                vr: f.next()?.trim().to_string(),
            })
        })
        .filter(|p| !p.nevra.is_empty())
        .collect()
}

/// Ansible's `results` for a transaction: what it installed (new,
/// upgraded, downgraded or reinstalled versions) then what it removed
/// (including the versions an upgrade replaced), each sorted.
pub fn results(installed: &BTreeSet<String>, removed: &BTreeSet<String>) -> Vec<String> {
    installed
        .iter()
        .map(|p| format!("Installed: {p}"))
        .chain(removed.iter().map(|p| format!("Removed: {p}")))
        .collect()
}

/// The sets of a transaction that ran: rpm's lists before and after.
pub fn diff(before: &[Installed], after: &[Installed]) -> (BTreeSet<String>, BTreeSet<String>) {
    let b: BTreeSet<String> = before.iter().map(|p| p.nevra.clone()).collect();
    let a: BTreeSet<String> = after.iter().map(|p| p.nevra.clone()).collect();
    (
        a.difference(&b).cloned().collect(),
        b.difference(&a).cloned().collect(),
    )
}

/// The sets of a dry run (`dnf --assumeno`): the table's entries, plus the
/// installed versions an upgrade or downgrade would replace.
pub fn planned(table: &str, before: &[Installed]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut installed, mut removed) = (BTreeSet::new(), BTreeSet::new());
    // Which kind the current section is: install, replace (upgrade and
    // downgrade: install and remove the old) or remove.
    let mut section: Option<&str> = None;
    let mut pending: Option<String> = None;
    for line in table.lines() {
        let t = line.trim_end();
        if !t.starts_with(' ') {
            section = match t.trim_end_matches(':') {
                "Installing"
                | "Installing dependencies"
                | "Installing weak dependencies"
                | "Reinstalling" => Some("install"),
                "Upgrading" | "Downgrading" => Some("replace"),
                "Removing"
                | "Removing dependencies"
                | "Removing dependent packages"
                | "Removing unused dependencies" => Some("remove"),
                _ => None,
            };
            pending = None;
            continue;
        }
        let Some(kind) = section else { continue };
        // dnf wraps an entry whose name is wider than its column: the name
        // alone on one line, the other columns on the next.
        let joined = match pending.take() {
            Some(name) => format!("{name} {}", t.trim()),
            None => t.trim().to_string(),
        };
        let cols: Vec<&str> = joined.split_whitespace().collect();
        if cols.len() == 1 {
            pending = Some(cols[0].to_string());
            continue;
        }
        if cols.len() < 3 || cols[0] == "replacing" {
            continue;
        }
        let (name, arch, evr) = (cols[0], cols[1], cols[2]);
        let nevra = format!("{name}-{evr}.{arch}");
        match kind {
            "remove" => {
                removed.insert(nevra);
            }
            _ => {
                if kind == "replace" {
                    let name_arch = format!("{name}.{arch}");
                    removed.extend(
                        before
                            .iter()
                            .filter(|p| p.name_arch == name_arch)
                            .map(|p| p.nevra.clone()),
                    );
                }
                installed.insert(nevra);
            }
        }
    }
    (installed, removed)
}

/// Ansible's `failures` for dnf's error lines about the task's names: a
/// name no repository has, a name every match of which is excluded (dnf's
/// `upgrade` says "No match" for an excluded name; dnf's API, as Ansible
/// reports it, says it was filtered out).
pub fn failures(output: &str, excludes: &[String]) -> Vec<String> {
    const FILTERED: &str = "All matches were filtered out by exclude filtering for argument: ";
    output
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            if let Some(p) = l.strip_prefix("No match for argument: ") {
                Some(if excludes.iter().any(|x| glob(x, p)) {
                    format!("{p} {FILTERED}{p}")
                } else {
                    format!("No package {p} available.")
                })
            } else {
                l.strip_prefix(FILTERED).map(|p| format!("{p} {l}"))
            }
        })
        .collect()
}

/// A shell-style pattern (`*`, `?`) as dnf matches excludes.
fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// rpm's version comparison (`rpmvercmp`): alternating runs of digits and
/// letters compared run by run (numbers as numbers, a number beats
/// letters), other characters only separate, `~` sorts before anything and
/// `^` after the end.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while let Some((&c, rest)) = x.split_first() {
            if sep(c) {
                x = rest;
            } else {
                break;
            }
        }
        while let Some((&c, rest)) = y.split_first() {
            if sep(c) {
                y = rest;
            } else {
                break;
            }
        }
        match (x.first(), y.first()) {
            (Some(b'~'), Some(b'~')) => {
                x = &x[1..];
                y = &y[1..];
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (Some(b'^'), Some(b'^')) => {
                x = &x[1..];
                y = &y[1..];
                continue;
            }
            (Some(b'^'), None) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            _ => {}
        }
        let numeric = x[0].is_ascii_digit();
        let run = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (nx, ny) = (run(x), run(y));
        if ny == 0 {
            // The other side's run is of the other kind: a number wins.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (rx, ry) = (&x[..nx], &y[..ny]);
        let ord = if numeric {
            let strip = |s: &[u8]| {
                let z = s.iter().take_while(|&&c| c == b'0').count();
                s[z..].to_vec()
            };
            let (sx, sy) = (strip(rx), strip(ry));
            sx.len().cmp(&sy.len()).then_with(|| sx.cmp(&sy))
        } else {
            rx.cmp(ry)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        x = &x[nx..];
        y = &y[ny..];
    }
}

/// Whether `spec` (`name-version` or `name-version-release`) pins an
/// older version of a package installed in a newer one: Ansible's module
/// then leaves it alone unless `allow_downgrade`.
pub fn newer_installed(spec: &str, installed: &[Installed]) -> bool {
    installed.iter().any(|p| {
        let Some(rest) = spec
            .strip_prefix(p.name())
            .and_then(|r| r.strip_prefix('-'))
        else {
            return false;
        };
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return false;
        }
        // Compare as much of the installed version-release as the spec names.
        let have = if rest.contains('-') {
            p.vr.clone()
        } else {
            p.vr.split('-').next().unwrap_or("").to_string()
        };
        vercmp(&have, rest) == Ordering::Greater
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(nevra: &str, name_arch: &str, vr: &str) -> Installed {
        Installed {
            nevra: nevra.into(),
            name_arch: name_arch.into(),
            vr: vr.into(),
        }
    }

    #[test]
    fn rpm_version_order() {
        for (a, b, o) in [
            ("1.0", "1.0", Ordering::Equal),
            ("1.0", "2.0", Ordering::Less),
            ("1.10", "1.9", Ordering::Greater),
            ("1.0a", "1.0", Ordering::Greater),
            ("1.0~rc1", "1.0", Ordering::Less),
            ("1.0^git1", "1.0", Ordering::Greater),
            ("1.a", "1.1", Ordering::Less),
            ("2.0-1", "2.0-1", Ordering::Equal),
            ("001", "1", Ordering::Equal),
        ] {
            assert_eq!(vercmp(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn downgrade_pins_are_recognised() {
        let have = [pkg("kiln-a-2.0-1.noarch", "kiln-a.noarch", "2.0-1")];
        assert!(newer_installed("kiln-a-1.0", &have));
        assert!(newer_installed("kiln-a-1.0-1", &have));
        assert!(!newer_installed("kiln-a-2.0", &have));
        assert!(!newer_installed("kiln-a-3.0", &have));
        assert!(!newer_installed("kiln-b-1.0", &have));
        assert!(!newer_installed("kiln-a", &have));
    }

    /// `dnf --assumeno upgrade kiln-a` as dnf 4.14 printed it (Debian's dnf
    /// with a local repository on a bare test host).
    const UPGRADE_DRY_RUN: &str =
        "Last metadata expiration check: 0:06:21 ago on Thu Nov 26 21:14:06 2026.
Dependencies resolved.
================================================================================
 Package            Architecture       Version           Repository        Size
================================================================================
Upgrading:
 kiln-a             noarch             2.0-1             kiln             5.9 k
Installing dependencies:
 kiln-a-very-long-package-name-that-dnf-wraps
                    noarch             1.0-1             kiln             5.9 k

Transaction Summary
================================================================================
Upgrade  1 Package

Total size: 5.9 k
Operation aborted.
";

    #[test]
    fn dry_run_tables_become_sets() {
        let before = parse_installed(
            "kiln-a-1.0-1.noarch\tkiln-a.noarch\t1.0-1\nkiln-lib-1.0-1.noarch\tkiln-lib.noarch\t1.0-1\n",
        );
        let (i, r) = planned(UPGRADE_DRY_RUN, &before);
        assert_eq!(
            results(&i, &r),
            [
                "Installed: kiln-a-2.0-1.noarch",
                "Installed: kiln-a-very-long-package-name-that-dnf-wraps-1.0-1.noarch",
                "Removed: kiln-a-1.0-1.noarch"
            ]
        );
        let removal = "Removing:\n kiln-lib   noarch   1.0-1   @System   0\nRemoving dependent packages:\n kiln-a   noarch   2.0-1   @System  0\n";
        let (i, r) = planned(removal, &before);
        assert!(i.is_empty());
        assert_eq!(
            r.into_iter().collect::<Vec<_>>(),
            ["kiln-a-2.0-1.noarch", "kiln-lib-1.0-1.noarch"]
        );
    }

    #[test]
    fn transactions_are_package_list_differences() {
        let before = parse_installed("a-1-1.noarch\ta.noarch\t1-1\nb-1-1.noarch\tb.noarch\t1-1\n");
        let after = parse_installed(
            "a-2-1.noarch\ta.noarch\t2-1\nb-1-1.noarch\tb.noarch\t1-1\nc-1:3-1.x86_64\tc.x86_64\t3-1\n",
        );
        let (i, r) = diff(&before, &after);
        assert_eq!(
            results(&i, &r),
            [
                "Installed: a-2-1.noarch",
                "Installed: c-1:3-1.x86_64",
                "Removed: a-1-1.noarch"
            ]
        );
    }

    #[test]
    fn error_lines_become_failures() {
        let err = "No match for argument: kiln-nope\nAll matches were filtered out by exclude filtering for argument: kiln-a\nError: Unable to find a match: kiln-nope kiln-a\n";
        assert_eq!(
            failures(err, &[]),
            [
                "No package kiln-nope available.",
                "kiln-a All matches were filtered out by exclude filtering for argument: kiln-a"
            ]
        );
        assert_eq!(
            failures("No match for argument: kiln-a\n", &["kiln-*".into()]),
            ["kiln-a All matches were filtered out by exclude filtering for argument: kiln-a"]
        );
        assert!(!glob("kiln-?", "kiln-ab") && glob("k*n-?b", "kiln-ab"));
    }
}
