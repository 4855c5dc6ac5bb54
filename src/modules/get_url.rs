// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `get_url`: downloads a URL on the host (the host's curl, see `http.rs`)
//! into `dest`, replacing it only when the content differs.
//!
//! Round trips: one probe of the destination (is it a directory, its SHA-1
//! and the `checksum` algorithm's digest, its mtime for If-Modified-Since),
//! one more for a checksum given as a URL, and the download itself, whose
//! script checks the digest, compares with the destination and moves a temp
//! file beside it into place (keeping an existing file's owner and mode,
//! like Ansible's `atomic_move`), all on the host.

use super::args::ArgReader;
use super::http::Request;
use super::probe::{basename, join, probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::uri::chmod_mode;
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};

pub struct GetUrl;

const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

static SPEC: ModuleSpec = ModuleSpec {
    name: "get_url",
    args: super::args::file_args![
        ArgSpec::new("url", T::Str).required(),
        ArgSpec::new("dest", T::Path).required(),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("http_agent", T::Str),
        ArgSpec::new("use_proxy", T::Bool),
        ArgSpec::new("validate_certs", T::Bool),
        ArgSpec::new("url_username", T::Str).aliases(&["username"]),
        ArgSpec::new("url_password", T::Str).aliases(&["password"]),
        ArgSpec::new("force_basic_auth", T::Bool),
        ArgSpec::new("client_cert", T::Path),
        ArgSpec::new("client_key", T::Path),
        ArgSpec::new("use_gssapi", T::Bool),
        ArgSpec::new("backup", T::Bool),
        ArgSpec::new("checksum", T::Str),
        ArgSpec::new("timeout", T::Int),
        ArgSpec::new("headers", T::Dict),
        ArgSpec::new("tmp_dest", T::Path),
        ArgSpec::new("unredirected_headers", T::List),
        ArgSpec::new("decompress", T::Bool),
        ArgSpec::new("ciphers", T::List),
        ArgSpec::new("use_netrc", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct GetUrlArgs {
    request: Request,
    url: String,
    dest: String,
    force: bool,
    /// `backup`: the old file copied under Ansible's timestamped name
    /// before the new one replaces it.
    backup: bool,
    checksum: String,
    mode: Option<String>,
    owner: Option<String>,
    group: Option<String>,
}

/// The file name of a URL (`url_filename`): its path's last part, else
/// `index.html`.
fn url_filename(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let name = basename(path);
    if name.is_empty() {
        "index.html".into()
    } else {
        name.to_string()
    }
}

/// The digest for `filename` in a checksum file (`HASH  name`, `HASH *name`,
/// or a lone hash).
fn digest_for(text: &str, filename: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for l in &lines {
        let mut parts = l.split_whitespace();
        let hash = parts.next()?;
        match parts.next() {
            Some(name) => {
                let name = name.trim_start_matches('*');
                let name = name.strip_prefix("./").unwrap_or(name);
                if name == filename {
                    return Some(hash.to_string());
                }
            }
            None if lines.len() == 1 => return Some(hash.to_string()),
            None => {}
        }
    }
    None
}

fn base(a: &GetUrlArgs, dest: &str) -> Map<String, Json> {
    let mut r = Map::new();
    r.insert("changed".into(), json!(false));
    r.insert("checksum_dest".into(), Json::Null);
    r.insert("checksum_src".into(), Json::Null);
    r.insert("dest".into(), json!(dest));
    r.insert("elapsed".into(), json!(0));
    r.insert("url".into(), json!(a.url));
    r
}

fn fail(mut r: Map<String, Json>, msg: String) -> ModResult {
    r.insert("failed".into(), json!(true));
    r.insert("msg".into(), json!(msg));
    r
}

#[async_trait::async_trait]
impl Module for GetUrl {
    type Args = GetUrlArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<GetUrlArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["url", "dest"])?;
        let url = a.str("url").unwrap_or_default();
        let headers: Vec<(String, String)> = match a.raw("headers") {
            Some(Json::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(GetUrlArgs {
            request: Request {
                url: url.clone(),
                method: "GET".into(),
                headers,
                body: None,
                user: a.str("url_username"),
                password: a.str("url_password"),
                force_basic_auth: a.bool("force_basic_auth", false)?,
                validate_certs: a.bool("validate_certs", true)?,
                follow: true,
                timeout: a
                    .raw("timeout")
                    .and_then(Json::as_i64)
                    .unwrap_or(10)
                    .max(1)
                    .unsigned_abs(),
                use_proxy: a.bool("use_proxy", true)?,
                agent: a.str_or("http_agent", "ansible-httpget"),
                want_body: false,
                keep_short: false,
                after: String::new(),
            },
            url,
            dest: a.str("dest").unwrap_or_default(),
            force: a.bool("force", false)?,
            backup: a.bool("backup", false)?,
            checksum: a.str_or("checksum", ""),
            mode: a.raw("mode").map(chmod_mode),
            owner: a.str("owner"),
            group: a.str("group"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &GetUrlArgs) -> Result<Step<()>, ModuleError> {
        let mut r = base(a, &a.dest);
        // The checksum: `algorithm:digest` or `algorithm:URL of a sums file`.
        let mut algorithm = String::new();
        let mut want = String::new();
        if !a.checksum.is_empty() {
            let Some((alg, value)) = a.checksum.split_once(':') else {
                return Ok(Step::Done(fail(
                    r,
                    "The checksum parameter has to be in format <algorithm>:<checksum>".into(),
                )));
            };
            algorithm = alg.to_lowercase();
            if !ALGORITHMS.contains(&algorithm.as_str()) {
                return Ok(Step::Done(fail(
                    r,
                    format!("Could not hash file with algorithm '{alg}'."),
                )));
            }
            want = value.to_string();
            if value.contains("://") {
                let mut req = a.request.clone();
                req.url = value.to_string();
                req.want_body = true;
                let (resp, _) = match req.send(ctx).await? {
                    Ok(x) => x,
                    Err(e) => return Ok(Step::Done(failed(e))),
                };
                let filename = url_filename(&a.url);
                match digest_for(&String::from_utf8_lossy(&resp.body), &filename) {
                    Some(d) => want = d,
                    None => {
                        return Ok(Step::Done(failed(format!(
                            "Unable to find a checksum for file '{filename}' in '{value}'"
                        ))));
                    }
                }
            }
            want = want
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
                .to_lowercase();
            if want.is_empty() || !want.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(Step::Done(fail(r, "The checksum format is invalid".into())));
            }
        }
        // The destination: a directory gets the URL's file name.
        let file = join(&a.dest, &url_filename(&a.url));
        let sum = |p: &str, key: &str| {
            let mut s = format!(
                "if [ -f {p} ]; then kv {key}exists 1; x=$(stat -c %Y -- {p}) && kv {key}mtime \"$x\"; x=$(sha1sum < {p}) && kv {key}sha1 \"${{x%% *}}\"\n"
            );
            if !algorithm.is_empty() {
                s.push_str(&format!(
                    "  x=$({algorithm}sum < {p}) && kv {key}sum \"${{x%% *}}\"\n"
                ));
            }
            s.push_str(&format!("  kst {key}st {p}\nfi\n"));
            s
        };
        let mut s = format!("if [ -d {} ]; then kv isdir 1; fi\n", sh_path(&a.dest));
        s.push_str(&sum(&sh_path(&a.dest), "d"));
        s.push_str(&sum(&sh_path(&file), "f"));
        let reply = probe(ctx, &s).await?;
        if let Some(e) = reply.failure() {
            return Ok(Step::Done(failed(e)));
        }
        let is_dir = reply.has("isdir");
        let key = if is_dir { "f" } else { "d" };
        let dest = if is_dir { file.clone() } else { a.dest.clone() };
        let exists = reply.has(&format!("{key}exists"));
        if !is_dir && exists && !a.force && !want.is_empty() {
            let have = reply.text(&format!("{key}sum")).unwrap_or_default();
            if have == want {
                r.insert("msg".into(), json!("file already exists"));
                super::probe::add_path_info(&mut r, reply.stat("dst").as_ref());
                return Ok(Step::Done(r));
            }
        }
        let mut request = a.request.clone();
        if ctx.check_mode {
            request.method = "HEAD".into();
        }
        if exists
            && !a.force
            && let Some(t) = reply
                .text(&format!("{key}mtime"))
                .and_then(|t| t.trim().parse::<i64>().ok())
            && let Some(when) = chrono::DateTime::from_timestamp(t, 0)
        {
            request.headers.push((
                "If-Modified-Since".into(),
                when.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
        let check = if !want.is_empty() {
            format!(
                "  c=$({algorithm}sum < \"$s\"); c=${{c%% *}}; kv sumsrc \"$c\"; [ \"$c\" = {} ] || exit 0\n",
                quote(&want)
            )
        } else {
            String::new()
        };
        let mut fix = String::new();
        if let Some(m) = &a.mode {
            fix.push_str(&format!("chmod {} \"$p\" && ", quote(m)));
        }
        if let Some(o) = &a.owner {
            fix.push_str(&format!("chown {} \"$p\" && ", quote(o)));
        }
        if let Some(g) = &a.group {
            fix.push_str(&format!("chgrp {} \"$p\" && ", quote(g)));
        }
        let write = if ctx.check_mode {
            "  exit 0\n".to_string()
        } else {
            format!(
                "  kdir \"$p\"; t=$(mktemp \"$_d/.kiln.XXXXXXXX\") || {{ kv movefail 1; exit 0; }}\n\
                 if [ -e \"$p\" ]; then chmod --reference=\"$p\" \"$t\"; chown --reference=\"$p\" \"$t\" 2>/dev/null; else chmod \"$(printf %o $((0666 & ~$(umask))))\" \"$t\"; fi\n\
                 if [ \"$o\" != \"$h\" ]; then {backup}cat \"$s\" > \"$t\" && mv -f -- \"$t\" \"$p\" && kv moved 1 || {{ rm -f -- \"$t\"; kv movefail 1; exit 0; }}; else rm -f -- \"$t\"; fi\n\
                 kst before \"$p\"; {fix}:\n\
                 kst st \"$p\"; m=$(md5sum < \"$p\"); kv md5 \"${{m%% *}}\"\n",
                backup = if a.backup {
                    "{ [ ! -e \"$p\" ] || { b=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\" && cp -p -- \"$p\" \"$b\" && kv backup \"$b\"; }; } && "
                } else {
                    ""
                },
            )
        };
        request.after = format!(
            "p={p}\ncase \"$code\" in 2??)\n\
             s=$(mktemp \"$d/.kiln.XXXXXXXX\") && mv -f \"$d/out\" \"$s\" && kv src \"$s\"\n\
             h=$(sha1sum < \"$s\"); h=${{h%% *}}; kv sha1src \"$h\"\n\
             o=; [ -f \"$p\" ] && {{ o=$(sha1sum < \"$p\"); o=${{o%% *}}; kv sha1dest \"$o\"; }}\n\
             {check}{write};; esac\n",
            p = sh_path(&dest),
        );
        let (resp, reply) = match request.send(ctx).await? {
            Ok(x) => x,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        let mut r = base(a, &dest);
        if resp.status == 0 {
            let mut m = Map::new();
            m.insert("msg".into(), json!(resp.failure()));
            m.insert("url".into(), json!(a.url));
            m.insert("dest".into(), json!(dest));
            m.insert("elapsed".into(), json!(0));
            m.insert("failed".into(), json!(true));
            return Ok(Step::Done(m));
        }
        if resp.status == 304 {
            let mut m = Map::new();
            m.insert("url".into(), json!(a.url));
            m.insert("dest".into(), json!(dest));
            m.insert("changed".into(), json!(false));
            m.insert(
                "msg".into(),
                json!(format!("HTTP Error 304: {}", resp.reason)),
            );
            m.insert("status_code".into(), json!(304));
            m.insert("elapsed".into(), json!(0));
            return Ok(Step::Done(m));
        }
        let info = resp.info(&a.url);
        let msg = info.get("msg").cloned().unwrap_or(json!(""));
        if resp.status != 200 {
            let mut m = Map::new();
            m.insert("msg".into(), json!("Request failed"));
            m.insert("status_code".into(), json!(resp.status));
            m.insert("response".into(), msg);
            m.insert("url".into(), json!(a.url));
            m.insert("dest".into(), json!(dest));
            m.insert("elapsed".into(), json!(0));
            m.insert("failed".into(), json!(true));
            return Ok(Step::Done(m));
        }
        // urllib reads the body in chunks and does not see it end early;
        // get_url compares the temp file's size with Content-Length.
        if let Some((got, want)) = resp.short {
            let left = want.saturating_sub(got);
            return Ok(Step::Done(failed(format!(
                "Incomplete read, (rsp.length={left}, cl={want}, st.st_size={got}) failed to read remaining {left} bytes"
            ))));
        }
        let src = reply.text("src").unwrap_or_default();
        r.insert("src".into(), json!(src));
        r.insert("checksum_src".into(), json!(reply.text("sha1src")));
        r.insert("checksum_dest".into(), json!(reply.text("sha1dest")));
        if ctx.check_mode {
            let changed =
                reply.text("sha1dest").is_none() || reply.text("sha1dest") != reply.text("sha1src");
            r.insert("changed".into(), json!(changed));
            r.insert("msg".into(), msg);
            return Ok(Step::Done(r));
        }
        if !want.is_empty() {
            let got = reply.text("sumsrc").unwrap_or_default();
            if got != want {
                return Ok(Step::Done(fail(
                    r,
                    format!("The checksum for {src} did not match {want}; it was {got}."),
                )));
            }
        }
        if reply.has("movefail") {
            return Ok(Step::Done(fail(
                r,
                format!("failed to copy {src} to {dest}"),
            )));
        }
        let before = reply.stat("before");
        let after = reply.stat("st");
        let attrs_changed = before.as_ref().map(|b| (b.perm(), b.uid, b.gid))
            != after.as_ref().map(|b| (b.perm(), b.uid, b.gid));
        r.insert("changed".into(), json!(reply.has("moved") || attrs_changed));
        r.insert("md5sum".into(), json!(reply.text("md5")));
        if let Some(b) = reply.text("backup") {
            r.insert("backup_file".into(), json!(b));
        }
        r.insert("msg".into(), msg);
        r.insert("status_code".into(), json!(resp.status));
        super::probe::add_path_info(&mut r, after.as_ref());
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &GetUrlArgs,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sums_files() {
        assert_eq!(url_filename("http://h:1/a/file.txt?x=1"), "file.txt");
        assert_eq!(url_filename("http://h:1/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
        let sums = "abc  other.txt\ndef *file.txt\n";
        assert_eq!(digest_for(sums, "file.txt").as_deref(), Some("def"));
        assert_eq!(digest_for("123\n", "x").as_deref(), Some("123"));
        assert_eq!(digest_for(sums, "nope"), None);
    }
}
