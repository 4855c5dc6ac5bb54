// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The vault text format.
//!
//! ```text
//! $ANSIBLE_VAULT;1.1;AES256            (or 1.2;AES256;<vault id>)
//! <hex, 80 columns a line>
//! ```
//!
//! The hex body decodes to three lines of hex of its own: the PBKDF2 salt,
//! the HMAC-SHA256 of the ciphertext, and the ciphertext. The double hex
//! encoding is redundant, but it is the format every Ansible since 1.5 reads
//! and writes, so kiln keeps it byte for byte.

use super::error::{VaultError, VaultErrorKind};
use crate::span::Span;

/// The first field of the header line.
pub const HEADER: &str = "$ANSIBLE_VAULT";
/// The only cipher Ansible reads and writes since 2.4.
pub const CIPHER: &str = "AES256";
/// The vault id of a password given without a label.
pub const DEFAULT_ID: &str = "default";
/// Body lines are wrapped at this width.
const WIDTH: usize = 80;
/// AES block size: the ciphertext is PKCS#7-padded to a multiple of it.
const BLOCK: usize = 16;
/// HMAC-SHA256 length.
const MAC_LEN: usize = 32;

/// A parsed vault: the header fields and the decoded body parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `1.1` or `1.2` (kept as written, so that a rewrite can keep it).
    pub version: String,
    pub cipher: String,
    /// The label of a 1.2 envelope.
    pub vault_id: Option<String>,
    pub salt: Vec<u8>,
    pub hmac: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Whether `data` is vault text (it starts with the vault header).
pub fn is_vault(data: &[u8]) -> bool {
    data.starts_with(HEADER.as_bytes())
}

impl Envelope {
    /// An envelope as Ansible writes it: 1.2 with the id when a vault id
    /// other than `default` is given, 1.1 without one otherwise.
    pub fn for_write(
        vault_id: Option<&str>,
        salt: Vec<u8>,
        hmac: Vec<u8>,
        ciphertext: Vec<u8>,
    ) -> Envelope {
        let vault_id = vault_id
            .filter(|id| !id.is_empty() && *id != DEFAULT_ID)
            .map(str::to_string);
        Envelope {
            version: if vault_id.is_some() { "1.2" } else { "1.1" }.into(),
            cipher: CIPHER.into(),
            vault_id,
            salt,
            hmac,
            ciphertext,
        }
    }

    /// The vault text: header line, then the body wrapped at 80 columns,
    /// every line ending with a newline.
    pub fn format(&self) -> String {
        let mut inner =
            Vec::with_capacity(2 * (self.salt.len() + self.hmac.len() + self.ciphertext.len()) + 2);
        inner.extend_from_slice(hex(&self.salt).as_bytes());
        inner.push(b'\n');
        inner.extend_from_slice(hex(&self.hmac).as_bytes());
        inner.push(b'\n');
        inner.extend_from_slice(hex(&self.ciphertext).as_bytes());
        let body = hex(&inner);
        let mut out = String::with_capacity(body.len() + body.len() / WIDTH + 64);
        out.push_str(HEADER);
        out.push(';');
        out.push_str(&self.version);
        out.push(';');
        out.push_str(&self.cipher);
        // `for_write` only sets an id on 1.2 envelopes; one read from a
        // 1.1 header that carried an id anyway is written back as read.
        if let Some(id) = &self.vault_id {
            out.push(';');
            out.push_str(id);
        }
        out.push('\n');
        // The body is ASCII hex, so byte chunks are char boundaries.
        for chunk in body.as_bytes().chunks(WIDTH) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex that is known to hold only hex digits (checked by the caller).
fn unhex_checked(digits: &[u8]) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

/// The position of line `line` (1-based within the vault text), column
/// `col`, for a vault that starts at `origin`: a whole file (synthetic
/// origin) or an inline value (its first line at `origin.line`).
fn place(origin: &Span, line: usize, col: usize) -> Span {
    let line = u32::try_from(line).unwrap_or(u32::MAX);
    let col = u32::try_from(col).unwrap_or(u32::MAX);
    if origin.is_synthetic() {
        Span::new(origin.file.clone(), line, col)
    } else if line == 1 {
        // The first line starts at the origin's column.
        Span::new(
            origin.file.clone(),
            origin.line,
            origin.col.saturating_add(col - 1),
        )
    } else {
        Span::new(
            origin.file.clone(),
            origin.line.saturating_add(line - 1),
            col,
        )
    }
}

/// Python's `bytes.splitlines()`: `\n`, `\r` and `\r\n` end lines.
fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' => {
                lines.push(&data[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&data[start..i]);
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < data.len() {
        lines.push(&data[start..]);
    }
    lines
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Parses vault text that starts at `origin` (see [`place`]). Every error
/// names the line (and column) at fault; none contains data from the body
/// beyond its length.
pub fn parse(data: &[u8], origin: &Span) -> Result<Envelope, VaultError> {
    let err = |line: usize, col: usize, kind: VaultErrorKind| {
        VaultError::new(place(origin, line, col), kind)
    };
    if !is_vault(data) {
        return Err(VaultError::new(origin.clone(), VaultErrorKind::NotVault));
    }
    let lines = split_lines(data);
    let header_line = lines.first().copied().unwrap_or_default();
    let header = std::str::from_utf8(trim(header_line)).map_err(|_| {
        err(
            1,
            1,
            VaultErrorKind::Header("the header line is not ASCII".into()),
        )
    })?;
    let fields: Vec<&str> = header.split(';').map(str::trim).collect();
    if fields[0] != HEADER {
        return Err(err(
            1,
            1,
            VaultErrorKind::Header(format!(
                "the header must start with `{HEADER};`, found {:?}",
                fields[0]
            )),
        ));
    }
    if fields.len() < 3 {
        return Err(err(
            1,
            1,
            VaultErrorKind::Header(
                "expected `$ANSIBLE_VAULT;<version>;<cipher>[;<vault id>]`: the version or the cipher is missing"
                    .into(),
            ),
        ));
    }
    let version = fields[1].to_string();
    let cipher = fields[2].to_string();
    if version.is_empty() {
        return Err(err(
            1,
            1,
            VaultErrorKind::Header("the format version is empty".into()),
        ));
    }
    if cipher != CIPHER {
        return Err(err(1, 1, VaultErrorKind::UnknownCipher(cipher)));
    }
    let vault_id = fields
        .get(3)
        .filter(|id| !id.is_empty())
        .map(|id| id.to_string());

    // The outer hex: every body line, whitespace at either end ignored.
    let mut digits: Vec<u8> = Vec::with_capacity(data.len());
    let mut last_line = 1;
    for (i, raw) in lines.iter().enumerate().skip(1) {
        let line = trim(raw);
        if line.is_empty() {
            continue;
        }
        let lead = raw.len() - raw.trim_ascii_start().len();
        if let Some(pos) = line.iter().position(|c| nibble(*c).is_none()) {
            return Err(err(
                i + 1,
                lead + pos + 1,
                VaultErrorKind::Body(format!(
                    "the body holds a character that is not a hex digit ({:?})",
                    char::from(line[pos])
                )),
            ));
        }
        digits.extend_from_slice(line);
        last_line = i + 1;
    }
    if digits.is_empty() {
        return Err(err(
            1,
            1,
            VaultErrorKind::Truncated("nothing follows the header line".into()),
        ));
    }
    let inner = unhex_checked(&digits).ok_or_else(|| {
        err(
            last_line,
            1,
            VaultErrorKind::Truncated(format!(
                "the body has an odd number of hex digits ({})",
                digits.len()
            )),
        )
    })?;
    let whole = |kind| VaultError::new(origin.clone(), kind);
    let mut parts = inner.splitn(3, |b| *b == b'\n');
    let (Some(salt_hex), Some(mac_hex), Some(ct_hex)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(whole(VaultErrorKind::Truncated(
            "the body does not hold all three parts (salt, HMAC, ciphertext)".into(),
        )));
    };
    let decode = |what: &str, h: &[u8], cut_short: bool| {
        if h.iter().any(|c| nibble(*c).is_none()) {
            return Err(whole(VaultErrorKind::Body(format!(
                "the {what} is not hex"
            ))));
        }
        unhex_checked(h).ok_or_else(|| {
            let m = format!("the {what} has an odd number of hex digits");
            whole(if cut_short {
                VaultErrorKind::Truncated(m)
            } else {
                VaultErrorKind::Body(m)
            })
        })
    };
    let salt = decode("salt", salt_hex, false)?;
    let hmac = decode("HMAC", mac_hex, false)?;
    let ciphertext = decode("ciphertext", ct_hex, true)?;
    if salt.is_empty() {
        return Err(whole(VaultErrorKind::Body("the salt is empty".into())));
    }
    if hmac.len() != MAC_LEN {
        return Err(whole(VaultErrorKind::Body(format!(
            "the HMAC is {} bytes long, an HMAC-SHA256 is {MAC_LEN}",
            hmac.len()
        ))));
    }
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK) {
        return Err(whole(VaultErrorKind::Truncated(format!(
            "the ciphertext is {} bytes long, not a whole number of {BLOCK}-byte blocks",
            ciphertext.len()
        ))));
    }
    Ok(Envelope {
        version,
        cipher,
        vault_id,
        salt,
        hmac,
        ciphertext,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: Option<&str>) -> Envelope {
        Envelope::for_write(id, b"salt-bytes".to_vec(), vec![7; 32], vec![9; 48])
    }

    fn file() -> Span {
        Span::synthetic("v.yml")
    }

    #[test]
    fn round_trip_both_versions() {
        for id in [None, Some("default"), Some("prod")] {
            let e = sample(id);
            let text = e.format();
            assert_eq!(parse(text.as_bytes(), &file()).unwrap(), e);
            if id == Some("prod") {
                assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
            } else {
                assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
            }
        }
    }

    #[test]
    fn body_is_wrapped_at_80_columns() {
        let e = Envelope::for_write(None, vec![1; 32], vec![2; 32], vec![3; 160]);
        let text = e.format();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1..lines.len() - 1].iter().all(|l| l.len() == 80));
        assert!(lines[lines.len() - 1].len() <= 80);
        assert!(text.ends_with('\n'));
        // Two levels of hex: 2 * (64 + 1 + 64 + 1 + 320) digits.
        let body: usize = lines[1..].iter().map(|l| l.len()).sum();
        assert_eq!(body, 2 * (64 + 1 + 64 + 1 + 320));
    }

    #[test]
    fn crlf_and_indentation_are_accepted() {
        let text = sample(Some("x")).format().replace('\n', "\r\n");
        assert_eq!(
            parse(text.as_bytes(), &file()).unwrap().vault_id.as_deref(),
            Some("x")
        );
        let indented: String = sample(None)
            .format()
            .lines()
            .map(|l| format!("  {l}  \n"))
            .collect();
        assert!(parse(indented.trim_start().as_bytes(), &file()).is_ok());
    }

    #[test]
    fn header_errors() {
        let e = parse(b"hello", &file()).unwrap_err();
        assert_eq!(e.kind, VaultErrorKind::NotVault);
        let e = parse(b"$ANSIBLE_VAULT;1.1\nabcd\n", &file()).unwrap_err();
        assert!(matches!(e.kind, VaultErrorKind::Header(_)), "{e}");
        let e = parse(b"$ANSIBLE_VAULT;1.1;AES\nabcd\n", &file()).unwrap_err();
        assert_eq!(e.kind, VaultErrorKind::UnknownCipher("AES".into()));
        let e = parse(b"$ANSIBLE_VAULTX;1.1;AES256\nabcd\n", &file()).unwrap_err();
        assert!(matches!(e.kind, VaultErrorKind::Header(_)), "{e}");
    }

    #[test]
    fn body_errors_name_the_line() {
        let mut text = sample(None).format();
        text.insert_str(text.find('\n').unwrap() + 1 + 81 + 5, "zz");
        let e = parse(text.as_bytes(), &file()).unwrap_err();
        assert!(matches!(e.kind, VaultErrorKind::Body(_)), "{e}");
        assert_eq!(e.span.to_string(), "v.yml:3:6");
        // Inline: the envelope's first line is line 10 of the file.
        let e = parse(text.as_bytes(), &Span::new("pb.yml", 10, 7)).unwrap_err();
        assert_eq!(e.span.to_string(), "pb.yml:12:6");
    }

    /// The property the fuzz target checks (fuzz/fuzz_targets/vault_envelope.rs),
    /// over seeded mutations of real envelopes, so that it runs with the
    /// unit tests too: no panic, and what parses survives format + parse.
    #[test]
    fn mutations_never_panic_and_round_trip() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        let seeds = [
            sample(None).format(),
            sample(Some("prod")).format(),
            Envelope::for_write(None, vec![1; 32], vec![2; 32], vec![3; 16]).format(),
        ];
        let alphabet = b"0123456789abcdefABCDEF;$\n\r \t@xyz\xff";
        for round in 0..4000 {
            let mut data = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..data.len().max(1));
                match rng.gen_range(0..4) {
                    0 => data.truncate(at),
                    1 if at < data.len() => data[at] = alphabet[rng.gen_range(0..alphabet.len())],
                    2 => data.insert(
                        at.min(data.len()),
                        alphabet[rng.gen_range(0..alphabet.len())],
                    ),
                    _ if at < data.len() => {
                        data.remove(at);
                    }
                    _ => {}
                }
            }
            let _ = parse(&data, &Span::new("m.yml", 4, 2));
            if let Ok(env) = parse(&data, &file()) {
                let again = parse(env.format().as_bytes(), &file());
                assert_eq!(
                    again.as_ref().ok(),
                    Some(&env),
                    "{:?}",
                    String::from_utf8_lossy(&data)
                );
            }
        }
    }

    #[test]
    fn truncation_is_reported_as_such() {
        let text = sample(None).format();
        for cut in [
            text.find('\n').unwrap() + 1,
            text.len() - 7,
            text.len() - 40,
        ] {
            let e = parse(&text.as_bytes()[..cut], &file()).unwrap_err();
            assert!(
                matches!(e.kind, VaultErrorKind::Truncated(_)),
                "cut at {cut}: {e}"
            );
        }
    }
}
