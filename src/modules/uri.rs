// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `uri`: an HTTP request from the host (see `http.rs`: the host's curl),
//! with Ansible's result: the response headers as keys, `status`, `msg`,
//! `redirected`, `json` for JSON answers, `content` when asked, and the
//! body written to `dest`.

use super::args::ArgReader;
use super::copy::py_json;
use super::http::{Request, form_urlencode};
use super::probe::{probe, sh_path};
use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};

pub struct Uri;

static SPEC: ModuleSpec = ModuleSpec {
    name: "uri",
    args: super::args::file_args![
        ArgSpec::new("url", T::Str).required(),
        ArgSpec::new("force", T::Bool),
        ArgSpec::new("http_agent", T::Str),
        ArgSpec::new("use_proxy", T::Bool),
        ArgSpec::new("validate_certs", T::Bool),
        ArgSpec::new("url_username", T::Str).aliases(&["user"]),
        ArgSpec::new("url_password", T::Str).aliases(&["password"]),
        ArgSpec::new("force_basic_auth", T::Bool),
        ArgSpec::new("client_cert", T::Path),
        ArgSpec::new("client_key", T::Path),
        ArgSpec::new("use_gssapi", T::Bool),
        ArgSpec::new("follow_redirects", T::Str)
            .choices(&["all", "no", "none", "safe", "urllib2", "yes"]),
        ArgSpec::new("dest", T::Path),
        ArgSpec::new("body", T::Raw),
        ArgSpec::new("body_format", T::Str).choices(&[
            "form-urlencoded",
            "json",
            "raw",
            "form-multipart"
        ]),
        ArgSpec::new("src", T::Path),
        ArgSpec::new("method", T::Str),
        ArgSpec::new("return_content", T::Bool),
        ArgSpec::new("creates", T::Path),
        ArgSpec::new("removes", T::Path),
        ArgSpec::new("status_code", T::List),
        ArgSpec::new("timeout", T::Int),
        ArgSpec::new("headers", T::Dict),
        ArgSpec::new("unix_socket", T::Path),
        ArgSpec::new("remote_src", T::Bool),
        ArgSpec::new("ca_path", T::Path),
        ArgSpec::new("unredirected_headers", T::List),
        ArgSpec::new("decompress", T::Bool),
        ArgSpec::new("ciphers", T::List),
        ArgSpec::new("use_netrc", T::Bool),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[&["body", "src"]],
    required_one_of: &[],
    runs_on: RunsOn::Host,
    any_args: false,
    raw_args: &[],
};

pub struct UriArgs {
    request: Request,
    url: String,
    codes: Vec<i64>,
    return_content: bool,
    dest: Option<String>,
    mode: Option<String>,
    owner: Option<String>,
    group: Option<String>,
    creates: Option<String>,
    removes: Option<String>,
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A mode argument as chmod takes it (an int is the octal Ansible meant).
pub fn chmod_mode(v: &Json) -> String {
    match v {
        Json::Number(n) => format!("{:o}", n.as_u64().unwrap_or(0)),
        other => text(other),
    }
}

/// The body as Ansible sends it for `body_format`, and its content type.
fn encode_body(body: &Json, format: &str) -> Result<(String, Option<&'static str>), String> {
    match format {
        "json" => Ok((
            match body {
                Json::String(s) => s.clone(),
                other => py_json(other),
            },
            Some("application/json"),
        )),
        "form-urlencoded" => {
            let pairs: Vec<(String, String)> = match body {
                Json::String(s) => {
                    return Ok((s.clone(), Some("application/x-www-form-urlencoded")));
                }
                Json::Object(m) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
                Json::Array(items) => items
                    .iter()
                    .filter_map(|p| match p {
                        Json::Array(kv) if kv.len() == 2 => Some((text(&kv[0]), text(&kv[1]))),
                        _ => None,
                    })
                    .collect(),
                _ => {
                    return Err(
                        "failed to parse body as form_urlencoded: not a valid non-string sequence or mapping object"
                            .into(),
                    );
                }
            };
            Ok((
                form_urlencode(&pairs),
                Some("application/x-www-form-urlencoded"),
            ))
        }
        "form-multipart" => Err("kiln does not send form-multipart bodies yet".into()),
        _ => Ok((text(body), None)),
    }
}

/// Python's repr of a list of ints.
fn py_list(codes: &[i64]) -> String {
    let items: Vec<String> = codes.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

#[async_trait::async_trait]
impl Module for Uri {
    type Args = UriArgs;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<UriArgs, String> {
        let a = ArgReader::new(&SPEC, args);
        a.require(&["url"])?;
        let url = a.str("url").unwrap_or_default();
        let method = a.str_or("method", "GET").to_uppercase();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(
                "Parameter 'method' needs to be a single word in uppercase, like GET or POST."
                    .into(),
            );
        }
        let mut headers: Vec<(String, String)> = match a.raw("headers") {
            Some(Json::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            _ => Vec::new(),
        };
        let format = a
            .choice("body_format", Some("raw"))?
            .unwrap_or_else(|| "raw".into())
            .to_lowercase();
        let body = match a.raw("body") {
            Some(b) => {
                let (encoded, ctype) = encode_body(b, &format)?;
                if let Some(t) = ctype
                    && !headers
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                {
                    headers.push(("Content-Type".into(), t.into()));
                }
                Some(encoded.into_bytes())
            }
            None => None,
        };
        let follow = match a.str_or("follow_redirects", "safe").as_str() {
            "all" | "yes" | "urllib2" => true,
            "safe" => matches!(method.as_str(), "GET" | "HEAD"),
            _ => false,
        };
        let codes = match a.raw("status_code") {
            None => vec![200],
            Some(Json::Array(v)) => v
                .iter()
                .map(|c| {
                    c.as_i64()
                        .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| {
                            format!(
                                "Elements value for option 'status_code' is of type {} and we were unable to convert to int",
                                super::spec::json_type(c)
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => vec![other.as_i64().unwrap_or(200)],
        };
        Ok(UriArgs {
            request: Request {
                url: url.clone(),
                method,
                headers,
                body,
                user: a.str("url_username"),
                password: a.str("url_password"),
                force_basic_auth: a.bool("force_basic_auth", false)?,
                validate_certs: a.bool("validate_certs", true)?,
                follow,
                timeout: a
                    .raw("timeout")
                    .and_then(Json::as_i64)
                    .unwrap_or(30)
                    .max(1)
                    .unsigned_abs(),
                use_proxy: a.bool("use_proxy", true)?,
                agent: a.str_or("http_agent", "ansible-httpget"),
                want_body: true,
                keep_short: false,
                after: String::new(),
            },
            url,
            codes,
            return_content: a.bool("return_content", false)?,
            dest: a.str("dest"),
            mode: a.raw("mode").map(chmod_mode),
            owner: a.str("owner"),
            group: a.str("group"),
            creates: a.str("creates"),
            removes: a.str("removes"),
        })
    }

    async fn plan(&self, ctx: &ModuleCtx<'_>, a: &UriArgs) -> Result<Step<()>, ModuleError> {
        if ctx.check_mode {
            let mut r = ModResult::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!("This action (uri) does not support check mode."),
            );
            return Ok(Step::Done(r));
        }
        if a.creates.is_some() || a.removes.is_some() {
            let mut s = String::new();
            if let Some(c) = &a.creates {
                s.push_str(&format!("[ -e {} ] && kv created 1\n", sh_path(c)));
            }
            if let Some(r) = &a.removes {
                s.push_str(&format!("[ -e {} ] && kv present 1\n", sh_path(r)));
            }
            let reply = probe(ctx, &s).await?;
            let skip = |text: String| {
                let mut r = ModResult::new();
                r.insert("changed".into(), json!(false));
                r.insert("stdout_lines".into(), json!([text]));
                r.insert("stdout".into(), json!(text));
                Ok(Step::Done(r))
            };
            if let Some(c) = &a.creates
                && reply.has("created")
            {
                return skip(format!("skipped, since '{c}' exists"));
            }
            if let Some(r) = &a.removes
                && !reply.has("present")
            {
                return skip(format!("skipped, since '{r}' does not exist"));
            }
        }
        let mut request = a.request.clone();
        request.keep_short = a.dest.is_some() && !a.return_content;
        if let Some(dest) = &a.dest {
            // The body goes to `dest` (beside it first) only for an
            // expected status other than 304.
            let codes: Vec<String> = a
                .codes
                .iter()
                .filter(|c| **c != 304)
                .map(i64::to_string)
                .collect();
            let mut fix = String::new();
            if let Some(m) = &a.mode {
                fix.push_str(&format!(" && chmod {} \"$t\"", quote(m)));
            }
            if let Some(o) = &a.owner {
                fix.push_str(&format!(" && chown {} \"$t\"", quote(o)));
            }
            if let Some(g) = &a.group {
                fix.push_str(&format!(" && chgrp {} \"$t\"", quote(g)));
            }
            request.after = format!(
                "p={p}\ncase \" {codes} \" in *\" $code \"*)\n  kdir \"$p\"; t=$(mktemp \"$_d/.kiln-XXXXXXXX\") && {{ if [ -e \"$p\" ]; then chmod --reference=\"$p\" \"$t\"; else chmod \"$(printf %o $((0666 & ~$(umask))))\" \"$t\"; fi; }} && cat \"$d/out\" > \"$t\"{fix} && mv -f -- \"$t\" \"$p\" && kv wrote 1 || {{ rm -f -- \"$t\"; kv writefail 1; }} ;;\nesac\nkst st \"$p\"",
                p = sh_path(dest),
                codes = codes.join(" "),
            );
        }
        let (resp, reply) = match request.send(ctx).await? {
            Ok(x) => x,
            Err(e) => return Ok(Step::Done(failed(e))),
        };
        let mut r: Map<String, Json> = if resp.status == 0 {
            let mut m = Map::new();
            m.insert("msg".into(), json!(resp.failure()));
            m.insert("redirected".into(), json!(false));
            m.insert("url".into(), json!(a.url));
            m.insert("status".into(), json!(-1));
            m
        } else {
            resp.info(&a.url)
        };
        let status = if resp.status == 0 { -1 } else { resp.status };
        r.insert("elapsed".into(), json!(0));
        r.insert("changed".into(), json!(false));
        let ctype = resp.header("content-type").unwrap_or("").to_lowercase();
        let mime = ctype.split(';').next().unwrap_or("").trim().to_string();
        let sub = mime.split_once('/').map_or("", |(_, s)| s);
        let sub = sub.split_once('+').map_or(sub, |(_, suffix)| suffix);
        let maybe_json = !mime.is_empty() && matches!(sub, "json" | "javascript");
        let expected = a.codes.contains(&status);
        // urllib's `read()` raises IncompleteRead on a body shorter than
        // its Content-Length; Ansible reads the body whole only to return
        // it or parse it. Otherwise it copies what came to `dest` (the
        // request's `keep_short`) or does not read it at all.
        if let Some((got, want)) = resp.short
            && (maybe_json || a.return_content || !expected)
        {
            return Ok(Step::Done(failed(format!(
                "HTTP Error while fetching {}: IncompleteRead({got} bytes read, {} more expected)",
                mask_url(&a.url),
                want.saturating_sub(got)
            ))));
        }
        let content = String::from_utf8_lossy(&resp.body).into_owned();
        if maybe_json || a.return_content || !expected {
            r.remove("body");
        }
        if let Some(dest) = &a.dest
            && resp.status != 0
        {
            if reply.has("writefail") {
                return Ok(Step::Done(failed(format!(
                    "failed to write the response to {dest}"
                ))));
            }
            if reply.has("wrote") {
                r.insert("changed".into(), json!(true));
            }
            r.insert("path".into(), json!(dest));
            if reply.has("wrote") {
                super::probe::add_path_info(&mut r, reply.stat("st").as_ref());
            }
        }
        if maybe_json && let Ok(js) = serde_json::from_str::<Json>(&content) {
            r.insert("json".into(), js);
        }
        if !expected {
            let msg = r
                .get("msg")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            r.insert(
                "msg".into(),
                json!(format!(
                    "Status code was {status} and not {}: {msg}",
                    py_list(&a.codes)
                )),
            );
            r.insert("failed".into(), json!(true));
        }
        if a.return_content {
            r.insert("content".into(), json!(content));
        }
        Ok(Step::Done(r))
    }

    async fn apply(&self, _: &ModuleCtx<'_>, _: &UriArgs, _: ()) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

/// The URL with its credentials hidden, as Ansible's `mask_url` shows it
/// in messages: `user:pass@` becomes `****:****@`, `user@` `****@`.
fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, path) = rest.split_at(end);
    match netloc.rsplit_once('@') {
        Some((creds, host)) if !creds.is_empty() => {
            let mask = if creds.contains(':') {
                "****:****"
            } else {
                "****"
            };
            format!("{scheme}://{mask}@{host}{path}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_url;

    #[test]
    fn credentials_are_masked_in_messages() {
        assert_eq!(mask_url("http://u:p@h:1/a@b"), "http://****:****@h:1/a@b");
        assert_eq!(mask_url("https://u@h/x"), "https://****@h/x");
        assert_eq!(mask_url("http://h/x?u@v"), "http://h/x?u@v");
    }
}
