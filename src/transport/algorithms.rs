// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Which SSH algorithms kiln offers. By default only modern ones: no SHA-1
//! RSA signatures, no DSA, no CBC ciphers, no SHA-1 MACs and no SHA-1 key
//! exchange, because a provisioning tool holds the keys to every host. A
//! host whose ssh config names a weak algorithm (`Ciphers +aes128-cbc`,
//! `HostKeyAlgorithms ssh-rsa`, `PubkeyAcceptedAlgorithms +ssh-rsa`) gets it
//! offered, with a warning: that is an explicit decision about one old host.

use std::borrow::Cow;
use std::str::FromStr;

use russh::Preferred;
use russh::keys::Algorithm;

use super::known_hosts::match_pattern_list;

/// The algorithm options of one host's ssh config, as written (OpenSSH's
/// `+list`, `-patterns`, `^list` or a full list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlgorithmSpec {
    pub kex: Option<String>,
    pub ciphers: Option<String>,
    pub macs: Option<String>,
    pub host_keys: Option<String>,
    /// `PubkeyAcceptedAlgorithms`: only whether SHA-1 `ssh-rsa` user
    /// signatures are allowed is taken from it.
    pub pubkey: Option<String>,
}

/// What kiln offers to one host.
#[derive(Debug, Clone)]
pub(crate) struct Chosen {
    pub preferred: Preferred,
    /// Whether an RSA user key may sign with SHA-1 (`ssh-rsa`).
    pub sha1_rsa_signatures: bool,
    /// The weak algorithms the config turned on, for the warning.
    pub weak: Vec<String>,
}

/// A name the config asked for that kiln will never offer.
fn never(name: &str) -> bool {
    matches!(name, "none" | "clear" | "ssh-dss")
}

fn weak_cipher(name: &str) -> bool {
    name.ends_with("-cbc") || name.starts_with("3des")
}

fn weak_mac(name: &str) -> bool {
    name.starts_with("hmac-sha1") || name.starts_with("hmac-md5")
}

fn weak_kex(name: &str) -> bool {
    name.ends_with("-sha1")
}

fn weak_key(name: &str) -> bool {
    name == "ssh-rsa"
}

/// Extension pseudo-algorithms carried in the kex list; always sent.
fn kex_extension(name: &str) -> bool {
    name.starts_with("ext-info-") || name.starts_with("kex-strict-")
}

/// Applies one OpenSSH algorithm list option to `default`. `known` says
/// whether russh implements a name; other names are left out (a config
/// written for OpenSSH may name algorithms kiln lacks). An empty result is
/// an error, as in OpenSSH.
fn apply_list(
    keyword: &str,
    default: &[String],
    spec: Option<&str>,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, String> {
    let Some(spec) = spec.map(str::trim) else {
        return Ok(default.to_vec());
    };
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .filter(|n| {
                let ok = known(n) && !never(n);
                if !ok {
                    tracing::debug!("{keyword}: {n} is not an algorithm kiln offers; left out");
                }
                ok
            })
            .map(str::to_string)
            .collect()
    };
    let mut out: Vec<String> = if let Some(rest) = spec.strip_prefix('+') {
        let mut v = default.to_vec();
        v.extend(names(rest).into_iter().filter(|n| !default.contains(n)));
        v
    } else if let Some(rest) = spec.strip_prefix('^') {
        let first = names(rest);
        let rest: Vec<String> = default
            .iter()
            .filter(|d| !first.contains(d))
            .cloned()
            .collect();
        [first, rest].concat()
    } else if let Some(rest) = spec.strip_prefix('-') {
        default
            .iter()
            .filter(|d| !match_pattern_list(d, rest))
            .cloned()
            .collect()
    } else {
        names(spec)
    };
    out.dedup();
    if out.is_empty() {
        return Err(format!(
            "{keyword} {spec}: no algorithm left that kiln supports"
        ));
    }
    Ok(out)
}

fn strings<T: AsRef<str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|i| i.as_ref().to_string()).collect()
}

/// The algorithms to offer for `spec`.
pub(crate) fn choose(spec: &AlgorithmSpec) -> Result<Chosen, String> {
    let base = Preferred::default();
    let mut weak = Vec::new();
    let mut note_weak = |list: &[String], is_weak: fn(&str) -> bool| {
        weak.extend(list.iter().filter(|n| is_weak(n)).cloned());
    };

    // Extension markers (strict kex against Terrapin, ext-info) are not
    // algorithms russh can look up by name: kept as they are.
    let (extensions, plain): (Vec<russh::kex::Name>, Vec<russh::kex::Name>) = base
        .kex
        .iter()
        .copied()
        .partition(|n| kex_extension(n.as_ref()));
    let kex_default = strings(&plain);
    let kex = apply_list("KexAlgorithms", &kex_default, spec.kex.as_deref(), &|n| {
        russh::kex::Name::try_from(n).is_ok() && !kex_extension(n)
    })?;
    note_weak(&kex, weak_kex);

    let ciphers = apply_list(
        "Ciphers",
        &strings(&base.cipher),
        spec.ciphers.as_deref(),
        &|n| russh::cipher::Name::try_from(n).is_ok(),
    )?;
    note_weak(&ciphers, weak_cipher);

    let macs = apply_list("MACs", &strings(&base.mac), spec.macs.as_deref(), &|n| {
        russh::mac::Name::try_from(n).is_ok()
    })?;
    note_weak(&macs, weak_mac);

    // The SHA-1 `ssh-rsa` host key signature is out of the defaults.
    let key_default: Vec<String> = base
        .key
        .iter()
        .map(|a| a.as_str().to_string())
        .filter(|n| !weak_key(n))
        .collect();
    let keys = apply_list(
        "HostKeyAlgorithms",
        &key_default,
        spec.host_keys.as_deref(),
        &|n| Algorithm::from_str(n).is_ok_and(|a| base.key.contains(&a)),
    )?;
    note_weak(&keys, weak_key);

    let pubkey_default: Vec<String> = key_default.clone();
    let pubkey = apply_list(
        "PubkeyAcceptedAlgorithms",
        &pubkey_default,
        spec.pubkey.as_deref(),
        &|n| Algorithm::from_str(n).is_ok_and(|a| base.key.contains(&a)),
    )?;
    let sha1_rsa_signatures = pubkey.iter().any(|n| weak_key(n));
    if sha1_rsa_signatures {
        weak.push("ssh-rsa (user signatures)".into());
    }

    let kex: Vec<russh::kex::Name> = kex
        .iter()
        .filter_map(|n| russh::kex::Name::try_from(n.as_str()).ok())
        .chain(extensions)
        .collect();
    let cipher: Vec<russh::cipher::Name> = ciphers
        .iter()
        .filter_map(|n| russh::cipher::Name::try_from(n.as_str()).ok())
        .collect();
    let mac: Vec<russh::mac::Name> = macs
        .iter()
        .filter_map(|n| russh::mac::Name::try_from(n.as_str()).ok())
        .collect();
    let key: Vec<Algorithm> = keys
        .iter()
        .filter_map(|n| Algorithm::from_str(n).ok())
        .collect();
    Ok(Chosen {
        preferred: Preferred {
            kex: Cow::Owned(kex),
            key: Cow::Owned(key),
            cipher: Cow::Owned(cipher),
            mac: Cow::Owned(mac),
            ..base
        },
        sha1_rsa_signatures,
        weak,
    })
}

/// OpenSSH's words for a failed negotiation ("no matching cipher found.
/// Their offer: ..."), with kiln's hint when what the server offers is
/// only what kiln refuses by default.
pub(crate) fn no_match_text(kind: &russh::AlgorithmKind, theirs: &[String]) -> String {
    let (what, is_weak, keyword): (&str, fn(&str) -> bool, &str) = match kind {
        russh::AlgorithmKind::Kex => ("key exchange method", weak_kex, "KexAlgorithms"),
        russh::AlgorithmKind::Key => ("host key type", weak_key, "HostKeyAlgorithms"),
        russh::AlgorithmKind::Cipher => ("cipher", weak_cipher, "Ciphers"),
        russh::AlgorithmKind::Mac => ("MAC", weak_mac, "MACs"),
        russh::AlgorithmKind::Compression => ("compression method", |_| false, "Compression"),
    };
    let offer: Vec<&str> = theirs
        .iter()
        .map(String::as_str)
        .filter(|n| !kex_extension(n))
        .collect();
    let mut text = format!("no matching {what} found. Their offer: {}", offer.join(","));
    let weak: Vec<&str> = offer
        .iter()
        .copied()
        .filter(|n| is_weak(n) || n.contains("dss"))
        .collect();
    if !weak.is_empty() {
        let ask = weak.iter().find(|n| !n.contains("dss"));
        match ask {
            Some(n) => text.push_str(&format!(
                "\r\nkiln refuses weak SSH algorithms unless the host's ssh config asks for one (e.g. `{keyword} +{n}`)"
            )),
            None => text.push_str("\r\nkiln never offers DSA"),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: AsRef<str>>(v: &[T]) -> Vec<&str> {
        v.iter().map(AsRef::as_ref).collect()
    }

    #[test]
    fn defaults_are_modern_only() {
        let c = choose(&AlgorithmSpec::default()).expect("defaults");
        assert!(c.weak.is_empty());
        assert!(!c.sha1_rsa_signatures);
        let keys: Vec<&str> = c.preferred.key.iter().map(|a| a.as_str()).collect();
        assert!(keys.contains(&"ssh-ed25519") && keys.contains(&"rsa-sha2-256"));
        assert!(!keys.contains(&"ssh-rsa"));
        assert!(
            names(&c.preferred.cipher)
                .iter()
                .all(|n| !n.ends_with("-cbc"))
        );
        assert!(names(&c.preferred.mac).iter().all(|n| !n.contains("sha1")));
        assert!(
            names(&c.preferred.kex)
                .iter()
                .all(|n| !n.ends_with("-sha1"))
        );
        // The strict-kex extension must stay (Terrapin).
        assert!(names(&c.preferred.kex).contains(&"kex-strict-c-v00@openssh.com"));
    }

    #[test]
    fn a_config_may_ask_for_weak_algorithms_by_name() {
        let spec = AlgorithmSpec {
            ciphers: Some("+aes128-cbc".into()),
            macs: Some("^hmac-sha1".into()),
            host_keys: Some("ssh-rsa,ssh-dss,frob".into()),
            pubkey: Some("+ssh-rsa".into()),
            kex: Some("-curve25519*".into()),
        };
        let c = choose(&spec).expect("valid");
        assert_eq!(names(&c.preferred.cipher).last(), Some(&"aes128-cbc"));
        assert_eq!(names(&c.preferred.mac).first(), Some(&"hmac-sha1"));
        let keys: Vec<&str> = c.preferred.key.iter().map(|a| a.as_str()).collect();
        // DSA and unknown names are never offered.
        assert_eq!(keys, ["ssh-rsa"]);
        assert!(c.sha1_rsa_signatures);
        assert!(
            names(&c.preferred.kex)
                .iter()
                .all(|n| !n.starts_with("curve25519"))
        );
        assert_eq!(
            c.weak,
            [
                "aes128-cbc",
                "hmac-sha1",
                "ssh-rsa",
                "ssh-rsa (user signatures)"
            ]
        );
    }

    #[test]
    fn nothing_usable_is_an_error() {
        let spec = AlgorithmSpec {
            host_keys: Some("ssh-dss".into()),
            ..Default::default()
        };
        let e = choose(&spec).expect_err("no key type left");
        assert_eq!(
            e,
            "HostKeyAlgorithms ssh-dss: no algorithm left that kiln supports"
        );
    }

    #[test]
    fn refusal_text_is_openssh_s_with_a_hint() {
        let t = no_match_text(&russh::AlgorithmKind::Cipher, &["aes128-cbc".into()]);
        assert_eq!(
            t,
            "no matching cipher found. Their offer: aes128-cbc\r\nkiln refuses weak SSH algorithms unless the host's ssh config asks for one (e.g. `Ciphers +aes128-cbc`)"
        );
        let t = no_match_text(&russh::AlgorithmKind::Key, &["ssh-dss".into()]);
        assert!(
            t.ends_with("Their offer: ssh-dss\r\nkiln never offers DSA"),
            "{t}"
        );
    }
}
