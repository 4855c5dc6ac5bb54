// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Hashes: `hash`, `checksum`, `sha1`, `md5`, `to_uuid`, and
//! `password_hash` with the crypt(3) algorithms Ansible gets from
//! libxcrypt (SHA-512, SHA-256 and MD5 crypt), including libxcrypt's way of
//! turning a given salt into the salt string.

use super::{Def, err, text};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};
use sha2::Digest as _;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "hash",
        |v: Def, algo: Option<String>| -> Result<String, Error> {
            hash(&text(&v), algo.as_deref().unwrap_or("sha1"))
        },
    );
    env.add_filter("checksum", |v: Def| hex(&sha1_bytes(text(&v).as_bytes())));
    env.add_filter("sha1", |v: Def| hex(&sha1_bytes(text(&v).as_bytes())));
    env.add_filter("md5", |v: Def| hex(&md5::compute(text(&v).as_bytes()).0));
    env.add_filter("to_uuid", to_uuid);
    env.add_filter("password_hash", password_hash);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha1_bytes(b: &[u8]) -> Vec<u8> {
    use sha1::Digest as _;
    sha1::Sha1::digest(b).to_vec()
}

fn hash(s: &str, algo: &str) -> Result<String, Error> {
    let b = s.as_bytes();
    Ok(match algo {
        "sha1" => hex(&sha1_bytes(b)),
        "md5" => hex(&md5::compute(b).0),
        "sha224" => hex(&sha2::Sha224::digest(b)),
        "sha256" => hex(&sha2::Sha256::digest(b)),
        "sha384" => hex(&sha2::Sha384::digest(b)),
        "sha512" => hex(&sha2::Sha512::digest(b)),
        other => return Err(err(format!("unsupported hash type {other}"))),
    })
}

/// Ansible's namespace for `to_uuid`.
const ANSIBLE_NAMESPACE: &str = "361E6D51-FAEC-444A-9079-341386DA8E2E";

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let h: String = s
        .trim_start_matches("urn:")
        .trim_start_matches("uuid:")
        .trim_matches(['{', '}'])
        .replace('-', "");
    if h.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Python's uuid.uuid5.
fn to_uuid(v: Def, namespace: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let namespace: Option<String> = namespace.or(kwargs.get("namespace")?);
    kwargs.assert_all_used()?;
    let ns_text = namespace.unwrap_or_else(|| ANSIBLE_NAMESPACE.to_string());
    let ns = parse_uuid(&ns_text).ok_or_else(|| {
        err(format!(
            "Invalid value '{ns_text}' for 'namespace': badly formed hexadecimal UUID string"
        ))
    })?;
    let mut data = ns.to_vec();
    data.extend_from_slice(text(&v).as_bytes());
    let h = sha1_bytes(&data);
    let mut u = [0u8; 16];
    u.copy_from_slice(&h[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let x = hex(&u);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    ))
}

const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn b64_24(out: &mut String, b2: u8, b1: u8, b0: u8, n: usize) {
    let mut w = (u32::from(b2) << 16) | (u32::from(b1) << 8) | u32::from(b0);
    for _ in 0..n {
        out.push(CRYPT64[(w & 0x3f) as usize] as char);
        w >>= 6;
    }
}

/// libxcrypt's crypt_gensalt for `$5$`/`$6$`: the salt bytes are encoded
/// three at a time, as long as more than three remain.
fn gensalt_sha(rbytes: &[u8], maxsalt: usize) -> Result<String, Error> {
    if rbytes.len() < 3 {
        return Err(err("Failed to generate salt"));
    }
    let mut out = String::new();
    let mut used = 0;
    while used + 3 < rbytes.len() && (used * 4 / 3) < maxsalt {
        b64_24(
            &mut out,
            rbytes[used + 2],
            rbytes[used + 1],
            rbytes[used],
            4,
        );
        used += 3;
    }
    Ok(out)
}

fn sha_crypt<D: sha2::Digest + Clone>(pw: &[u8], salt: &[u8], rounds: usize) -> Vec<u8> {
    let hlen = <D as sha2::Digest>::output_size();
    let mut b = D::new();
    b.update(pw);
    b.update(salt);
    b.update(pw);
    let db = b.finalize().to_vec();
    let mut a = D::new();
    a.update(pw);
    a.update(salt);
    let mut i = pw.len();
    while i > hlen {
        a.update(&db);
        i -= hlen;
    }
    a.update(&db[..i]);
    let mut i = pw.len();
    while i > 0 {
        if i & 1 != 0 {
            a.update(&db);
        } else {
            a.update(pw);
        }
        i >>= 1;
    }
    let da = a.finalize().to_vec();
    let mut dp = D::new();
    for _ in 0..pw.len() {
        dp.update(pw);
    }
    let dp = dp.finalize().to_vec();
    let pseq: Vec<u8> = (0..pw.len()).map(|i| dp[i % hlen]).collect();
    let mut ds = D::new();
    for _ in 0..(16 + usize::from(da[0])) {
        ds.update(salt);
    }
    let ds = ds.finalize().to_vec();
    let sseq: Vec<u8> = (0..salt.len()).map(|i| ds[i % hlen]).collect();
    let mut c = da;
    for r in 0..rounds {
        let mut h = D::new();
        if r & 1 != 0 {
            h.update(&pseq);
        } else {
            h.update(&c);
        }
        if r % 3 != 0 {
            h.update(&sseq);
        }
        if r % 7 != 0 {
            h.update(&pseq);
        }
        if r & 1 != 0 {
            h.update(&c);
        } else {
            h.update(&pseq);
        }
        c = h.finalize().to_vec();
    }
    c
}

fn sha512_crypt(pw: &[u8], salt: &str, rounds: Option<usize>) -> String {
    let r = rounds.unwrap_or(5000).clamp(1000, 999_999_999);
    let c = sha_crypt::<sha2::Sha512>(pw, salt.as_bytes(), r);
    let mut out = String::from("$6$");
    if rounds.is_some() {
        out.push_str(&format!("rounds={r}$"));
    }
    out.push_str(salt);
    out.push('$');
    const ORDER: [(usize, usize, usize); 21] = [
        (0, 21, 42),
        (22, 43, 1),
        (44, 2, 23),
        (3, 24, 45),
        (25, 46, 4),
        (47, 5, 26),
        (6, 27, 48),
        (28, 49, 7),
        (50, 8, 29),
        (9, 30, 51),
        (31, 52, 10),
        (53, 11, 32),
        (12, 33, 54),
        (34, 55, 13),
        (56, 14, 35),
        (15, 36, 57),
        (37, 58, 16),
        (59, 17, 38),
        (18, 39, 60),
        (40, 61, 19),
        (62, 20, 41),
    ];
    for (a, b, d) in ORDER {
        b64_24(&mut out, c[a], c[b], c[d], 4);
    }
    b64_24(&mut out, 0, 0, c[63], 2);
    out
}

fn sha256_crypt(pw: &[u8], salt: &str, rounds: Option<usize>) -> String {
    let r = rounds.unwrap_or(5000).clamp(1000, 999_999_999);
    let c = sha_crypt::<sha2::Sha256>(pw, salt.as_bytes(), r);
    let mut out = String::from("$5$");
    if rounds.is_some() {
        out.push_str(&format!("rounds={r}$"));
    }
    out.push_str(salt);
    out.push('$');
    const ORDER: [(usize, usize, usize); 10] = [
        (0, 10, 20),
        (21, 1, 11),
        (12, 22, 2),
        (3, 13, 23),
        (24, 4, 14),
        (15, 25, 5),
        (6, 16, 26),
        (27, 7, 17),
        (18, 28, 8),
        (9, 19, 29),
    ];
    for (a, b, d) in ORDER {
        b64_24(&mut out, c[a], c[b], c[d], 4);
    }
    b64_24(&mut out, 0, c[31], c[30], 3);
    out
}

fn md5_crypt(pw: &[u8], salt: &str) -> String {
    let salt = salt.as_bytes();
    let mut ctx = md5::Context::new();
    ctx.consume(pw);
    ctx.consume(b"$1$");
    ctx.consume(salt);
    let mut alt = md5::Context::new();
    alt.consume(pw);
    alt.consume(salt);
    alt.consume(pw);
    let alt = alt.finalize().0;
    let mut i = pw.len();
    while i > 0 {
        let n = i.min(16);
        ctx.consume(&alt[..n]);
        i -= n;
    }
    let mut i = pw.len();
    while i > 0 {
        if i & 1 != 0 {
            ctx.consume([0u8]);
        } else {
            ctx.consume(&pw[..1.min(pw.len())]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize().0;
    for r in 0..1000 {
        let mut c = md5::Context::new();
        if r & 1 != 0 {
            c.consume(pw);
        } else {
            c.consume(fin);
        }
        if r % 3 != 0 {
            c.consume(salt);
        }
        if r % 7 != 0 {
            c.consume(pw);
        }
        if r & 1 != 0 {
            c.consume(fin);
        } else {
            c.consume(pw);
        }
        fin = c.finalize().0;
    }
    let mut out = format!("$1${}$", String::from_utf8_lossy(salt));
    for (a, b, d) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        b64_24(&mut out, fin[a], fin[b], fin[d], 4);
    }
    b64_24(&mut out, 0, 0, fin[11], 2);
    out
}

fn random_bytes(n: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b
}

const VALID_SALT: &str = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn password_hash(
    v: Value,
    hashtype: Option<String>,
    salt: Option<Value>,
    salt_size: Option<usize>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let hashtype = hashtype
        .or(kwargs.get("hashtype")?)
        .unwrap_or_else(|| "sha512".into());
    let salt: Option<Value> = salt.or(kwargs.get("salt")?);
    let salt_size: Option<usize> = salt_size.or(kwargs.get("salt_size")?);
    let rounds: Option<usize> = kwargs.get("rounds")?;
    let _ident: Option<String> = kwargs.get("ident")?;
    kwargs.assert_all_used()?;
    let algo = match hashtype.as_str() {
        "sha512" | "sha512_crypt" => "sha512_crypt",
        "sha256" | "sha256_crypt" => "sha256_crypt",
        "md5" | "md5_crypt" => "md5_crypt",
        other => return Err(err(format!("crypt does not support '{other}' algorithm"))),
    };
    let (max_salt, implicit_rounds, default_rounds) = match algo {
        "sha512_crypt" => (16, Some(656_000), 5000),
        "sha256_crypt" => (16, Some(535_000), 5000),
        _ => (8, None, 0),
    };
    let salt = salt.filter(|s| !s.is_none()).map(|s| text(&s));
    let rbytes = match &salt {
        Some(s) => {
            if !s.chars().all(|c| VALID_SALT.contains(c)) {
                return Err(err("invalid characters in salt"));
            }
            if s.chars().count() > max_salt {
                return Err(err(format!(
                    "invalid salt size supplied ({}), expected at most {max_salt}",
                    s.len()
                )));
            }
            s.as_bytes().to_vec()
        }
        None => {
            let n = salt_size.unwrap_or(max_salt);
            if n > max_salt {
                return Err(err(format!(
                    "invalid salt size supplied ({n}), expected at most {max_salt}"
                )));
            }
            random_bytes(n)
        }
    };
    let pw = text(&v);
    let count = rounds.or(implicit_rounds);
    match algo {
        "md5_crypt" => {
            if rbytes.len() < 6 {
                return Err(err(format!(
                    "Failed to generate salt for '{algo}' algorithm"
                )));
            }
            let mut s = String::new();
            b64_24(&mut s, rbytes[2], rbytes[1], rbytes[0], 4);
            b64_24(&mut s, rbytes[5], rbytes[4], rbytes[3], 4);
            Ok(md5_crypt(pw.as_bytes(), &s))
        }
        _ => {
            let s = gensalt_sha(&rbytes, max_salt)
                .map_err(|_| err(format!("Failed to generate salt for '{algo}' algorithm")))?;
            let r = count.filter(|c| *c != default_rounds);
            Ok(if algo == "sha512_crypt" {
                sha512_crypt(pw.as_bytes(), &s, r)
            } else {
                sha256_crypt(pw.as_bytes(), &s, r)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypt_reference_vectors() {
        // From the SHA-crypt specification's test vectors.
        assert_eq!(
            sha512_crypt(b"Hello world!", "saltstring", None),
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        );
        assert_eq!(
            sha512_crypt(b"Hello world!", "saltstringsaltst", Some(10000)),
            "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
        );
    }
}
