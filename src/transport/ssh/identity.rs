// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Reading identity files, with one repair the SSH key library needs.
//!
//! OpenSSH writes an ECDSA private scalar as an SSH `mpint`: leading zero
//! bytes are dropped. About one P-256 key in 512 has a scalar below 2^248,
//! so its `mpint` is 31 bytes or shorter, and the key library (ssh-key,
//! through russh) refuses anything under 32 bytes with "Length". OpenSSH
//! and Ansible use such keys without a word, so kiln must too: when a key
//! fails to load, an OpenSSH-format ECDSA key whose scalar is short is
//! rewritten in memory with the scalar padded to the curve's size, then
//! loaded again. The file is never changed.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use russh::keys::{PrivateKey, ssh_key};
use zeroize::Zeroizing;

const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC: &[u8] = b"openssh-key-v1\0";

/// Loads the private key at `path`, decrypting it with `passphrase` when
/// given. An encrypted key without a passphrase fails with
/// `KeyIsEncrypted`, as `russh::keys::load_secret_key` does.
pub(crate) fn load(
    path: &Path,
    passphrase: Option<&str>,
) -> Result<PrivateKey, russh::keys::Error> {
    match russh::keys::load_secret_key(path, passphrase) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => Err(russh::keys::Error::KeyIsEncrypted),
        Err(first) => {
            let Ok(text) = std::fs::read_to_string(path).map(Zeroizing::new) else {
                return Err(first);
            };
            match repair(&text, passphrase) {
                Some(fixed) => russh::keys::decode_secret_key(&fixed, None).map_err(|_| first),
                None => Err(first),
            }
        }
    }
}

/// The key in `text` written again, unencrypted, with a short ECDSA scalar
/// padded; `None` when the text is not such a key (or the passphrase does
/// not open it), so the library's own error stands. Public for the fuzz
/// target: it parses a binary format.
pub fn repair(text: &str, passphrase: Option<&str>) -> Option<Zeroizing<String>> {
    let body: Zeroizing<String> = Zeroizing::new(
        text.trim()
            .strip_prefix(BEGIN)?
            .strip_suffix(END)?
            .split_whitespace()
            .collect(),
    );
    let raw = Zeroizing::new(STANDARD.decode(body.as_bytes()).ok()?);
    let mut r = Reader(raw.strip_prefix(MAGIC)?);
    let cipher = r.string()?;
    let _kdf = r.string()?;
    let _kdf_options = r.string()?;
    if r.u32()? != 1 {
        return None;
    }
    let public = r.string()?;
    let sealed = r.string()?;
    let private = if cipher == b"none" {
        Zeroizing::new(sealed.to_vec())
    } else {
        open(text, passphrase?)?
    };
    let section = pad_scalar(&private)?;
    let mut out = Vec::with_capacity(section.len() + public.len() + 64);
    out.extend_from_slice(MAGIC);
    put_string(&mut out, b"none");
    put_string(&mut out, b"none");
    put_string(&mut out, b"");
    out.extend_from_slice(&1u32.to_be_bytes());
    put_string(&mut out, public);
    put_string(&mut out, &section);
    let out = Zeroizing::new(out);
    let encoded = Zeroizing::new(STANDARD.encode(&*out));
    let mut pem = String::with_capacity(encoded.len() + 80);
    pem.push_str(BEGIN);
    pem.push('\n');
    for line in encoded.as_bytes().chunks(70) {
        pem.push_str(std::str::from_utf8(line).ok()?);
        pem.push('\n');
    }
    pem.push_str(END);
    pem.push('\n');
    Some(Zeroizing::new(pem))
}

/// The decrypted private section of an encrypted key, through the key
/// library's own KDF and cipher (only its last step, decoding the scalar,
/// is what fails). Ciphers with an authentication tag are left to the
/// library: ssh-keygen writes aes256-ctr unless told otherwise.
fn open(text: &str, passphrase: &str) -> Option<Zeroizing<Vec<u8>>> {
    let key = ssh_key::PrivateKey::from_openssh(text).ok()?;
    let cipher = key.cipher();
    if cipher.has_tag() {
        return None;
    }
    let (k, iv) = key.kdf().derive_key_and_iv(cipher, passphrase).ok()?;
    let mut buffer = Zeroizing::new(key.key_data().encrypted()?.to_vec());
    cipher.decrypt(&k, &iv, &mut buffer, None).ok()?;
    Some(buffer)
}

/// The private section (`checkint checkint keytype ... comment padding`)
/// with an ECDSA scalar shorter than its curve padded with leading zeros;
/// `None` when the key is not ECDSA or its scalar is not short.
fn pad_scalar(section: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut r = Reader(section);
    let check1 = r.u32()?;
    let check2 = r.u32()?;
    if check1 != check2 {
        // A wrong passphrase: let the library say so.
        return None;
    }
    let kind = r.string()?;
    let size = match kind {
        b"ecdsa-sha2-nistp256" => 32,
        b"ecdsa-sha2-nistp384" => 48,
        b"ecdsa-sha2-nistp521" => 66,
        _ => return None,
    };
    let curve = r.string()?;
    let point = r.string()?;
    let scalar = r.string()?;
    // The library takes 32 bytes or more; a longer curve's short scalar
    // is padded to 32 only if it is under that.
    let floor = 32;
    if scalar.is_empty() || scalar.len() >= floor || scalar.len() > size {
        return None;
    }
    let comment = r.string()?;
    let mut out = Vec::with_capacity(section.len() + floor);
    out.extend_from_slice(&check1.to_be_bytes());
    out.extend_from_slice(&check2.to_be_bytes());
    put_string(&mut out, kind);
    put_string(&mut out, curve);
    put_string(&mut out, point);
    // Leading zeros up to 32 bytes; the first byte is zero, so the value
    // stays non-negative as an mpint must.
    let mut padded = Zeroizing::new(vec![0u8; floor - scalar.len()]);
    padded.extend_from_slice(scalar);
    put_string(&mut out, &padded);
    put_string(&mut out, comment);
    // Padding 1, 2, 3... to the "none" cipher's block of 8.
    let mut n = 1u8;
    while out.len() % 8 != 0 {
        out.push(n);
        n += 1;
    }
    Some(Zeroizing::new(out))
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    // Key sections are far below 4 GiB; a longer one cannot come from a
    // key file this function was given.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s);
}

/// SSH wire-format reading over a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test-only keys whose P-256 scalar is 31 bytes as OpenSSH writes it
    /// (found by generating keys with ssh-keygen until one was short); the
    /// encrypted one is the same key under the passphrase "kiln-test".
    const SHORT: &str = include_str!("../../../tests/fixtures/keys/ecdsa256_short_scalar");
    const SHORT_PUB: &str = include_str!("../../../tests/fixtures/keys/ecdsa256_short_scalar.pub");
    const SHORT_ENC: &str =
        include_str!("../../../tests/fixtures/keys/ecdsa256_short_scalar_encrypted");

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/keys")
            .join(name)
    }

    fn public_of(text: &str) -> String {
        let mut parts = text.split_whitespace();
        format!(
            "{} {}",
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default()
        )
    }

    #[test]
    fn the_library_alone_refuses_a_short_scalar() {
        // If this starts passing, the library was fixed and the repair
        // can go.
        assert!(russh::keys::decode_secret_key(SHORT, None).is_err());
    }

    #[test]
    fn a_short_p256_scalar_is_padded_and_the_key_loads() {
        let key = load(&fixture("ecdsa256_short_scalar"), None).expect("loads");
        let public = key.public_key().to_openssh().expect("public");
        assert_eq!(public_of(&public), public_of(SHORT_PUB));
        // The padded key signs like the original: its public half is the
        // file's, and the scalar is the file's with leading zeros.
        let ssh_key::private::KeypairData::Ecdsa(pair) = key.key_data() else {
            panic!("not ecdsa");
        };
        let bytes = pair.private_key_bytes();
        assert_eq!(bytes.len(), 32);
        assert_eq!(bytes[0], 0);
    }

    #[test]
    fn an_encrypted_short_scalar_is_opened_with_its_passphrase() {
        let path = fixture("ecdsa256_short_scalar_encrypted");
        assert!(matches!(
            load(&path, None),
            Err(russh::keys::Error::KeyIsEncrypted)
        ));
        let key = load(&path, Some("kiln-test")).expect("loads");
        let public = key.public_key().to_openssh().expect("public");
        assert_eq!(public_of(&public), public_of(SHORT_PUB));
        assert!(load(&path, Some("wrong")).is_err());
        assert!(repair(SHORT_ENC, Some("wrong")).is_none());
        assert!(repair(SHORT_ENC, None).is_none());
    }

    #[test]
    fn keys_that_need_no_repair_are_left_to_the_library() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("id");
        let st = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .expect("ssh-keygen");
        assert!(st.success());
        let text = std::fs::read_to_string(&path).expect("key");
        assert!(repair(&text, None).is_none(), "ed25519 needs no repair");
        assert!(load(&path, None).is_ok());
        // Not a key at all: the library's error stands.
        std::fs::write(&path, "not a key\n").expect("write");
        assert!(load(&path, None).is_err());
        assert!(repair("not a key", None).is_none());
        assert!(repair(&format!("{BEGIN}\n!!!\n{END}\n"), None).is_none());
        assert!(load(&dir.path().join("absent"), None).is_err());
    }

    #[test]
    fn truncated_sections_are_refused_without_panicking() {
        let mut r = Reader(&[0, 0, 0, 9, 1, 2]);
        assert!(r.string().is_none());
        assert!(Reader(&[0, 0]).u32().is_none());
        assert!(
            pad_scalar(&[0, 0, 0, 1, 0, 0, 0, 2]).is_none(),
            "checkints differ"
        );
        let mut s = Vec::new();
        s.extend_from_slice(&7u32.to_be_bytes());
        s.extend_from_slice(&7u32.to_be_bytes());
        put_string(&mut s, b"ssh-ed25519");
        assert!(pad_scalar(&s).is_none(), "not ecdsa");
    }
}
