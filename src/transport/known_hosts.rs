// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! OpenSSH `known_hosts` files: parsing, host lookup and the verdict that
//! `StrictHostKeyChecking=yes` gives, with OpenSSH's wording so that users
//! and tools that parse `ssh` output see the messages they know.
//!
//! Supported: plain host pattern lists (`*`, `?`, `!` negation), `[host]:port`
//! names, hashed names (`|1|salt|hmac`), the `@revoked` marker (a revoked key
//! always fails) and the `@cert-authority` marker (parsed; certificate
//! checking is not done yet, such lines never match a plain key).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::TransportError;

/// OpenSSH writes padded base64 but does not insist on the padding when it
/// reads, so neither do we.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What tells that a file changed: size, modification time, inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(u64, Option<std::time::SystemTime>, u64);

fn stamp(p: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some(Stamp(m.len(), m.modified().ok(), m.ino()))
}

/// The marker at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `@cert-authority`: the key signs host certificates.
    CertAuthority,
    /// `@revoked`: the key must never be accepted.
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Hosts {
    /// A comma-separated pattern list, kept as written.
    Patterns(String),
    /// `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

/// One usable line of a known_hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File and 1-based line number, for "Offending key in FILE:LINE".
    pub file: PathBuf,
    pub line: usize,
    pub marker: Option<Marker>,
    hosts: Hosts,
    /// The key type named inside the key blob (`ssh-ed25519`, `ssh-rsa`...).
    pub key_type: String,
    /// The public key in SSH wire format.
    pub key_blob: Vec<u8>,
}

/// What the known_hosts files say about one host and the key it presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// A line for this host holds this very key.
    Known(&'a Entry),
    /// The key is marked `@revoked` for this host.
    Revoked(&'a Entry),
    /// The host is known with another key of the same type; the first such
    /// line is the offending one.
    Changed(&'a Entry),
    /// No key of this type is known for the host.
    Unknown,
}

/// All entries of a set of known_hosts files, in file order.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    files: Vec<PathBuf>,
    entries: Vec<Entry>,
}

impl KnownHosts {
    /// Reads the given files. A missing or unreadable file counts as empty,
    /// as it does for OpenSSH (a fresh machine has no `~/.ssh/known_hosts`).
    pub fn load(paths: &[PathBuf]) -> KnownHosts {
        let mut kh = KnownHosts {
            files: paths.to_vec(),
            entries: Vec::new(),
        };
        for p in paths {
            match std::fs::read_to_string(p) {
                Ok(text) => kh.entries.extend(parse(&text, p)),
                Err(e) => tracing::debug!("known_hosts {}: {e}", p.display()),
            }
        }
        kh
    }

    /// The files' entries, parsed once for every connection that reads the
    /// same files while they stay unchanged.
    ///
    /// Why: each connection used to parse the files itself and keep its copy
    /// for the session's life, so N hosts sharing one known_hosts file of N
    /// lines held N² entries (about 0.3 MiB per host at 1,000 hosts) and
    /// spent quadratic time parsing. A file is known unchanged by its size,
    /// modification time and inode (`add_host_key` renames a new file in,
    /// which changes all three), so a key added by one connection is seen
    /// by the next.
    pub fn shared(paths: &[PathBuf]) -> std::sync::Arc<KnownHosts> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex, OnceLock};
        type Cache = Mutex<HashMap<Vec<PathBuf>, (Vec<Option<Stamp>>, Arc<KnownHosts>)>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let stamps: Vec<Option<Stamp>> = paths.iter().map(|p| stamp(p)).collect();
        let cache = CACHE.get_or_init(Cache::default);
        if let Ok(c) = cache.lock()
            && let Some((s, kh)) = c.get(paths)
            && *s == stamps
        {
            return kh.clone();
        }
        let kh = Arc::new(KnownHosts::load(paths));
        if let Ok(mut c) = cache.lock() {
            c.insert(paths.to_vec(), (stamps, kh.clone()));
        }
        kh
    }

    /// Parses one file's text; `file` is only used to name lines in messages.
    pub fn from_text(text: &str, file: &Path) -> KnownHosts {
        KnownHosts {
            files: vec![file.to_path_buf()],
            entries: parse(text, file),
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The plain-key lines whose host patterns match `host`.
    fn for_host(&self, host: &str) -> Vec<&Entry> {
        let host = host.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|e| e.matches_host(&host))
            .collect()
    }

    /// Key types (`ssh-ed25519`...) known for `host`, first-seen order. The
    /// client offers these host key algorithms first, as OpenSSH does, so a
    /// host known only by its RSA key is not asked for its Ed25519 key.
    pub fn known_key_types(&self, host: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.for_host(host) {
            if e.marker.is_none() && !out.contains(&e.key_type) {
                out.push(e.key_type.clone());
            }
        }
        out
    }

    /// The `@cert-authority` lines for `host`: keys trusted to sign its
    /// host certificates.
    pub fn authorities(&self, host: &str) -> Vec<&Entry> {
        self.for_host(host)
            .into_iter()
            .filter(|e| e.marker == Some(Marker::CertAuthority))
            .collect()
    }

    /// Whether `key_blob` is marked `@revoked` for `host`.
    pub fn is_revoked(&self, host: &str, key_blob: &[u8]) -> bool {
        self.for_host(host)
            .iter()
            .any(|e| e.marker == Some(Marker::Revoked) && e.key_blob == key_blob)
    }

    /// Looks `key_blob` up for `host` (as [`host_key_name`] spells it).
    pub fn check(&self, host: &str, key_blob: &[u8]) -> Verdict<'_> {
        let key_type = blob_key_type(key_blob).unwrap_or_default();
        let lines = self.for_host(host);
        if let Some(e) = lines
            .iter()
            .find(|e| e.marker == Some(Marker::Revoked) && e.key_blob == key_blob)
        {
            return Verdict::Revoked(e);
        }
        if let Some(e) = lines
            .iter()
            .find(|e| e.marker.is_none() && e.key_blob == key_blob)
        {
            return Verdict::Known(e);
        }
        if let Some(e) = lines
            .iter()
            .find(|e| e.marker.is_none() && e.key_type == key_type)
        {
            return Verdict::Changed(e);
        }
        Verdict::Unknown
    }

    /// The strict check: `Ok` only for a known key, otherwise the error with
    /// the text OpenSSH prints. `fingerprint` is the presented key's
    /// `SHA256:...` fingerprint, shown when the key has changed.
    pub fn verify(
        &self,
        host: &str,
        key_blob: &[u8],
        fingerprint: &str,
    ) -> Result<(), TransportError> {
        let kind = key_type_label(&blob_key_type(key_blob).unwrap_or_default());
        let detail = match self.check(host, key_blob) {
            Verdict::Known(_) => return Ok(()),
            Verdict::Revoked(_) => [
                BANNER,
                "@       WARNING: REVOKED HOST KEY DETECTED!               @",
                BANNER,
                &format!("The {kind} host key for {host} is marked as revoked."),
                "This could mean that a stolen key is being used to",
                "impersonate this host.",
            ]
            .join("\r\n"),
            Verdict::Changed(e) => {
                let add_to = self.files.first().unwrap_or(&e.file).display().to_string();
                [
                    BANNER,
                    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
                    BANNER,
                    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
                    "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
                    "It is also possible that a host key has just been changed.",
                    // OpenSSH ends this one line with a bare \n.
                    &format!(
                        "The fingerprint for the {kind} key sent by the remote host is\n{fingerprint}."
                    ),
                    "Please contact your system administrator.",
                    &format!("Add correct host key in {add_to} to get rid of this message."),
                    &format!(
                        "Offending {} key in {}:{}",
                        key_type_label(&e.key_type),
                        e.file.display(),
                        e.line
                    ),
                    "  remove with:",
                    &format!(
                        "  ssh-keygen -f \"{}\" -R \"{host}\"",
                        e.file.display()
                    ),
                    &format!(
                        "Host key for {host} has changed and you have requested strict checking."
                    ),
                ]
                .join("\r\n")
            }
            Verdict::Unknown => {
                format!(
                    "No {kind} host key is known for {host} and you have requested strict checking."
                )
            }
        };
        Err(TransportError::HostKey { detail })
    }
}

/// What [`add_host_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new line was written.
    Written,
    /// The file already held this key for this host (another connection
    /// added it first).
    AlreadyThere,
}

/// Adds `host`'s key to the known_hosts file at `path`, as `accept-new`
/// does: under an exclusive lock on the directory (so that connections to
/// many hosts at once each keep their line), the file is read again, the
/// line appended, and the result written to a temporary file that is then
/// renamed over the old one (so a reader never sees half a file). With
/// `hash`, the host name is stored hashed (`HashKnownHosts`).
pub fn add_host_key(
    path: &Path,
    host: &str,
    key_blob: &[u8],
    hash: bool,
) -> std::io::Result<Added> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        // Like OpenSSH creating ~/.ssh: private to the user.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
    }
    let lock = std::fs::File::open(&dir)?;
    lock.lock()?;
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let current = KnownHosts::from_text(&old, path);
    if matches!(
        current.check(&host.to_ascii_lowercase(), key_blob),
        Verdict::Known(_)
    ) {
        return Ok(Added::AlreadyThere);
    }
    let key_type = blob_key_type(key_blob).unwrap_or_default();
    let name = if hash {
        hashed_name(&host.to_ascii_lowercase())
    } else {
        host.to_string()
    };
    let mut text = old;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("{name} {key_type} {}\n", B64.encode(key_blob)));
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o644);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "known_hosts".into());
    let tmp = dir.join(format!(
        ".{file_name}.kiln-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| Added::Written)
}

/// `|1|salt|hash` for `host`, with a fresh salt, as `ssh-keygen -H` writes.
fn hashed_name(host: &str) -> String {
    let salt: [u8; 20] = rand::random();
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha1>::new_from_slice(&salt) {
        Ok(mut mac) => {
            mac.update(host.as_bytes());
            let hash = mac.finalize().into_bytes();
            format!("|1|{}|{}", B64.encode(salt), B64.encode(hash))
        }
        Err(_) => host.to_string(),
    }
}

const BANNER: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

/// The name a host is looked up by: the address as connected, with the port
/// in brackets form when it is not 22.
pub fn host_key_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_string()
    } else {
        format!("[{address}]:{port}")
    }
}

/// OpenSSH's short upper-case name of a key type, as in "No ED25519 host key".
pub fn key_type_label(key_type: &str) -> String {
    match key_type {
        "ssh-ed25519" => "ED25519".into(),
        "ssh-rsa" => "RSA".into(),
        "ssh-dss" => "DSA".into(),
        "sk-ssh-ed25519@openssh.com" => "ED25519-SK".into(),
        "sk-ecdsa-sha2-nistp256@openssh.com" => "ECDSA-SK".into(),
        t if t.starts_with("ecdsa-sha2-") => "ECDSA".into(),
        t => t.to_ascii_uppercase(),
    }
}

/// The key type string at the start of an SSH wire-format public key.
pub fn blob_key_type(blob: &[u8]) -> Option<String> {
    let len_bytes: [u8; 4] = blob.get(..4)?.try_into().ok()?;
    let len = u32::from_be_bytes(len_bytes) as usize;
    let name = blob.get(4..4usize.checked_add(len)?)?;
    String::from_utf8(name.to_vec()).ok()
}

fn parse(text: &str, file: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        match parse_line(raw) {
            Ok(Some((marker, hosts, key_type, key_blob))) => out.push(Entry {
                file: file.to_path_buf(),
                line: i + 1,
                marker,
                hosts,
                key_type,
                key_blob,
            }),
            Ok(None) => {}
            // OpenSSH skips lines it cannot read; so do we, leaving a trace.
            Err(why) => tracing::debug!(
                "{}:{}: skipped known_hosts line: {why}",
                file.display(),
                i + 1
            ),
        }
    }
    out
}

type Parsed = (Option<Marker>, Hosts, String, Vec<u8>);

fn parse_line(raw: &str) -> Result<Option<Parsed>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split_ascii_whitespace();
    let mut first = fields.next().unwrap_or_default();
    let marker = if let Some(m) = first.strip_prefix('@') {
        let marker = match m {
            "cert-authority" => Marker::CertAuthority,
            "revoked" => Marker::Revoked,
            other => return Err(format!("unknown marker @{other}")),
        };
        first = fields.next().ok_or("no host field")?;
        Some(marker)
    } else {
        None
    };
    let hosts = parse_hosts(first)?;
    let type_field = fields.next().ok_or("no key type")?;
    let b64 = fields.next().ok_or("no key data")?;
    let key_blob = B64.decode(b64).map_err(|e| format!("bad key data: {e}"))?;
    let key_type = blob_key_type(&key_blob).ok_or("key data too short")?;
    // A line whose type field disagrees with its key is corrupt.
    if key_type != type_field {
        return Err(format!(
            "key type {type_field} does not match key data ({key_type})"
        ));
    }
    Ok(Some((marker, hosts, key_type, key_blob)))
}

fn parse_hosts(field: &str) -> Result<Hosts, String> {
    let Some(rest) = field.strip_prefix("|1|") else {
        return Ok(Hosts::Patterns(field.to_string()));
    };
    let (salt, hash) = rest.split_once('|').ok_or("hashed host without hash")?;
    let salt = B64.decode(salt).map_err(|e| format!("bad salt: {e}"))?;
    let hash = B64.decode(hash).map_err(|e| format!("bad hash: {e}"))?;
    Ok(Hosts::Hashed { salt, hash })
}

impl Entry {
    /// `host` must already be lower-case, as OpenSSH lower-cases it before
    /// both pattern matching and hashing.
    fn matches_host(&self, host: &str) -> bool {
        match &self.hosts {
            Hosts::Patterns(list) => match_pattern_list(host, list),
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(host.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
        }
    }
}

/// OpenSSH's host list rule: some positive pattern matches and no negated
/// one (`!pattern`) does.
pub(crate) fn match_pattern_list(host: &str, list: &str) -> bool {
    let mut positive = false;
    for pat in list.split(',') {
        let (negated, pat) = match pat.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pat),
        };
        if glob(&pat.to_ascii_lowercase(), host) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// `*` matches any run of characters, `?` exactly one.
pub(crate) fn glob(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, text index).
    let mut back: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                back = Some((pi + 1, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match back {
                Some((bp, bt)) => {
                    pi = bp;
                    ti = bt + 1;
                    back = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    /// A wire-format public key of `key_type` with random key bytes: enough
    /// for known_hosts, which only compares blobs and reads the type.
    fn fake_key(key_type: &str) -> Vec<u8> {
        let mut body = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut body);
        let mut blob = Vec::new();
        blob.extend_from_slice(&(key_type.len() as u32).to_be_bytes());
        blob.extend_from_slice(key_type.as_bytes());
        blob.extend_from_slice(&(body.len() as u32).to_be_bytes());
        blob.extend_from_slice(&body);
        blob
    }

    fn line(hosts: &str, blob: &[u8]) -> String {
        let t = blob_key_type(blob).expect("type");
        format!("{hosts} {t} {} comment", B64.encode(blob))
    }

    /// Hashes `host` the way `ssh-keygen -H` does, with a fresh salt.
    fn hashed(host: &str) -> String {
        let mut salt = [0u8; 20];
        rand::thread_rng().fill_bytes(&mut salt);
        let mut mac = Hmac::<Sha1>::new_from_slice(&salt).expect("hmac key");
        mac.update(host.as_bytes());
        let hash = mac.finalize().into_bytes();
        format!("|1|{}|{}", B64.encode(salt), B64.encode(hash))
    }

    fn file() -> PathBuf {
        PathBuf::from("/tmp/kh")
    }

    #[test]
    fn name_brackets_non_default_ports() {
        assert_eq!(host_key_name("web1", 22), "web1");
        assert_eq!(host_key_name("127.0.0.5", 2222), "[127.0.0.5]:2222");
        assert_eq!(host_key_name("::1", 2200), "[::1]:2200");
    }

    #[test]
    fn plain_lists_wildcards_and_negation() {
        let k = fake_key("ssh-ed25519");
        let text = [
            "# comment",
            "",
            &line("alpha,beta.example.com", &k),
            &line("*.lab,!bad.lab", &k),
            &line("node?", &k),
        ]
        .join("\n");
        let kh = KnownHosts::from_text(&text, &file());
        assert_eq!(kh.entries().len(), 3);
        for host in ["alpha", "BETA.example.com", "x.lab", "node7"] {
            assert!(matches!(kh.check(host, &k), Verdict::Known(_)), "{host}");
        }
        for host in ["gamma", "bad.lab", "node10", "lab"] {
            assert_eq!(kh.check(host, &k), Verdict::Unknown, "{host}");
        }
        match kh.check("node7", &k) {
            Verdict::Known(e) => assert_eq!(e.line, 5),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn hashed_entry_matches_only_its_host() {
        let k = fake_key("ssh-ed25519");
        let text = line(&hashed("[10.1.2.3]:2222"), &k);
        let kh = KnownHosts::from_text(&text, &file());
        assert!(matches!(kh.check("[10.1.2.3]:2222", &k), Verdict::Known(_)));
        assert_eq!(kh.check("10.1.2.3", &k), Verdict::Unknown);
        assert_eq!(kh.check("[10.1.2.3]:2200", &k), Verdict::Unknown);
    }

    #[test]
    fn port_must_match() {
        let k = fake_key("ssh-ed25519");
        let text = [line("[127.0.0.9]:2222", &k), line("127.0.0.8", &k)].join("\n");
        let kh = KnownHosts::from_text(&text, &file());
        assert!(matches!(
            kh.check(&host_key_name("127.0.0.9", 2222), &k),
            Verdict::Known(_)
        ));
        // Wrong port, and a plain name only covers port 22.
        assert_eq!(
            kh.check(&host_key_name("127.0.0.9", 2200), &k),
            Verdict::Unknown
        );
        assert_eq!(
            kh.check(&host_key_name("127.0.0.8", 2222), &k),
            Verdict::Unknown
        );
        assert!(matches!(
            kh.check(&host_key_name("127.0.0.8", 22), &k),
            Verdict::Known(_)
        ));
    }

    #[test]
    fn changed_key_names_file_and_line() {
        let old = fake_key("ssh-ed25519");
        let new = fake_key("ssh-ed25519");
        let rsa = fake_key("ssh-rsa");
        let text = [
            "# header".to_string(),
            line("other", &new),
            line("web", &old),
            line("web", &rsa),
        ]
        .join("\n");
        let kh = KnownHosts::from_text(&text, Path::new("/home/u/.ssh/known_hosts"));
        assert_eq!(kh.check("web", &new), Verdict::Changed(&kh.entries()[1]));
        let err = kh.verify("web", &new, "SHA256:abc").expect_err("changed");
        let msg = err.to_string();
        assert!(
            msg.contains("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!"),
            "{msg}"
        );
        assert!(
            msg.contains("Offending ED25519 key in /home/u/.ssh/known_hosts:3"),
            "{msg}"
        );
        assert!(msg.contains("SHA256:abc."), "{msg}");
        assert!(msg.ends_with("Host key verification failed."), "{msg}");
        // The RSA key on line 4 is still fine.
        assert!(kh.verify("web", &rsa, "x").is_ok());
    }

    #[test]
    fn other_key_type_is_unknown_not_changed() {
        let ed = fake_key("ssh-ed25519");
        let ecdsa = fake_key("ecdsa-sha2-nistp256");
        let kh = KnownHosts::from_text(&line("web", &ed), &file());
        assert_eq!(kh.check("web", &ecdsa), Verdict::Unknown);
        let msg = kh
            .verify("web", &ecdsa, "x")
            .expect_err("unknown")
            .to_string();
        assert_eq!(
            msg,
            "No ECDSA host key is known for web and you have requested strict checking.\r\nHost key verification failed."
        );
        assert_eq!(kh.known_key_types("web"), vec!["ssh-ed25519".to_string()]);
        assert!(kh.known_key_types("elsewhere").is_empty());
    }

    #[test]
    fn revoked_key_fails_even_when_also_listed() {
        let k = fake_key("ssh-ed25519");
        let text = [line("web", &k), format!("@revoked {}", line("*", &k))].join("\n");
        let kh = KnownHosts::from_text(&text, &file());
        assert_eq!(kh.check("web", &k), Verdict::Revoked(&kh.entries()[1]));
        let msg = kh.verify("web", &k, "x").expect_err("revoked").to_string();
        assert!(msg.contains("REVOKED HOST KEY DETECTED"), "{msg}");
        assert!(msg.ends_with("Host key verification failed."));
    }

    #[test]
    fn cert_authority_parsed_but_not_a_host_key() {
        let ca = fake_key("ssh-ed25519");
        let text = format!("@cert-authority {}", line("*.example.com", &ca));
        let kh = KnownHosts::from_text(&text, &file());
        assert_eq!(kh.entries()[0].marker, Some(Marker::CertAuthority));
        assert_eq!(kh.check("a.example.com", &ca), Verdict::Unknown);
    }

    #[test]
    fn bad_lines_are_skipped() {
        let k = fake_key("ssh-ed25519");
        let text = [
            "web ssh-ed25519".to_string(),
            "web ssh-ed25519 !!!notbase64".into(),
            format!("web ssh-rsa {}", B64.encode(&k)),
            "@bogus web ssh-ed25519 AAAA".into(),
            "|1|onlysalt ssh-ed25519 AAAA".into(),
            line("web", &k),
        ]
        .join("\n");
        let kh = KnownHosts::from_text(&text, &file());
        assert_eq!(kh.entries().len(), 1);
        assert_eq!(kh.entries()[0].line, 6);
    }

    #[test]
    fn missing_files_are_empty() {
        let kh = KnownHosts::load(&[PathBuf::from("/nonexistent/kiln/known_hosts")]);
        assert!(kh.entries().is_empty());
    }

    #[test]
    fn added_keys_are_found_again_hashed_or_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/known_hosts");
        let k1 = fake_key("ssh-ed25519");
        let k2 = fake_key("ssh-ed25519");
        assert_eq!(
            add_host_key(&path, "[h1]:2222", &k1, false).expect("add"),
            Added::Written
        );
        assert_eq!(
            add_host_key(&path, "[h1]:2222", &k1, false).expect("add"),
            Added::AlreadyThere
        );
        assert_eq!(
            add_host_key(&path, "H2", &k2, true).expect("add"),
            Added::Written
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.lines().nth(1).is_some_and(|l| l.starts_with("|1|")),
            "{text}"
        );
        let kh = KnownHosts::load(&[path]);
        assert!(matches!(kh.check("[h1]:2222", &k1), Verdict::Known(_)));
        assert!(matches!(kh.check("h2", &k2), Verdict::Known(_)));
    }

    #[test]
    fn connections_share_one_parse_until_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        let k1 = fake_key("ssh-ed25519");
        let k2 = fake_key("ssh-ed25519");
        std::fs::write(&path, line("h1", &k1) + "\n").expect("seed");
        let files = [path.clone()];
        let a = KnownHosts::shared(&files);
        let b = KnownHosts::shared(&files);
        assert!(std::sync::Arc::ptr_eq(&a, &b), "parsed twice");
        assert!(matches!(b.check("h1", &k1), Verdict::Known(_)));
        // A key added by one connection (accept-new) is seen by the next.
        add_host_key(&path, "h2", &k2, false).expect("add");
        let c = KnownHosts::shared(&files);
        assert!(!std::sync::Arc::ptr_eq(&a, &c), "stale after a write");
        assert!(matches!(c.check("h2", &k2), Verdict::Known(_)));
        assert!(matches!(a.check("h2", &k2), Verdict::Unknown));
    }

    #[test]
    fn concurrent_adds_keep_every_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, "# kept\n").expect("seed");
        let keys: Vec<Vec<u8>> = (0..24).map(|_| fake_key("ssh-ed25519")).collect();
        std::thread::scope(|s| {
            for (i, k) in keys.iter().enumerate() {
                let path = &path;
                s.spawn(move || {
                    add_host_key(path, &format!("host{i}"), k, i % 2 == 0).expect("add")
                });
            }
        });
        let kh = KnownHosts::load(std::slice::from_ref(&path));
        for (i, k) in keys.iter().enumerate() {
            assert!(
                matches!(kh.check(&format!("host{i}"), k), Verdict::Known(_)),
                "host{i}"
            );
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# kept\n"));
        assert_eq!(text.lines().count(), 25);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn glob_basics() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("?b", "ab"));
        assert!(!glob("?b", "b"));
        assert!(glob("[10.0.0.*]:22?2", "[10.0.0.7]:2202"));
    }
}
