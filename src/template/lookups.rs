// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `lookup()`, `query()` and `q()` with ansible.builtin's lookup plugins.
//!
//! Lookups read what they need from the template's variables, as Ansible's
//! do: `vars` (all variables, lazily), `ansible_search_path` (the
//! directories relative paths are searched in, each with its `files/` or
//! `templates/` subdirectory first) and `playbook_dir` (the working
//! directory of `pipe` and `lines`).

use super::filters::{err, glob, items, percent, yaml_free_kv};
use super::pyrepr::{py_str, py_type_name};
use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_function(
        "lookup",
        |s: &State, name: String, terms: Rest<Value>, kw: Kwargs| {
            invoke(s, &name, &terms, kw, false)
        },
    );
    env.add_function(
        "query",
        |s: &State, name: String, terms: Rest<Value>, kw: Kwargs| {
            invoke(s, &name, &terms, kw, true)
        },
    );
    env.add_function(
        "q",
        |s: &State, name: String, terms: Rest<Value>, kw: Kwargs| {
            invoke(s, &name, &terms, kw, true)
        },
    );
}

/// Options of one lookup call (its keyword arguments).
struct Opts {
    values: Vec<(String, Value)>,
}

impl Opts {
    fn from(kw: &Kwargs) -> Result<Opts, Error> {
        let mut values = Vec::new();
        for k in kw.args() {
            values.push((k.to_string(), kw.get::<Value>(k)?));
        }
        Ok(Opts { values })
    }

    fn get(&self, k: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }

    fn flag(&self, k: &str, default: bool) -> bool {
        self.get(k).map(super::pyrepr::py_truthy).unwrap_or(default)
    }
}

fn invoke(
    state: &State,
    name: &str,
    terms: &[Value],
    kw: Kwargs,
    query: bool,
) -> Result<Value, Error> {
    let opts = Opts::from(&kw)?;
    let wantlist = query || opts.flag("wantlist", false);
    let errors = opts
        .get("errors")
        .map(py_str)
        .unwrap_or_else(|| "strict".into());
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    let result = run(state, name, terms, &opts);
    let list = match result {
        Ok(l) => l,
        Err(e) if e.kind() == ErrorKind::UnknownFunction => return Err(e),
        Err(e) => match errors.as_str() {
            "warn" | "ignore" => {
                if errors == "warn" {
                    super::warnings::warn_error(
                        &format!("An error occurred while running the lookup plugin '{name}'."),
                        e.detail().unwrap_or(&e.to_string()),
                    );
                }
                return Ok(if wantlist {
                    Value::from(Vec::<Value>::new())
                } else {
                    Value::from(())
                });
            }
            _ => {
                let detail = e
                    .detail()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string());
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("The lookup plugin '{name}' failed: {detail}"),
                ));
            }
        },
    };
    if wantlist || list.is_empty() {
        return Ok(Value::from(list));
    }
    if list.len() == 1 {
        return Ok(list.into_iter().next().unwrap_or_default());
    }
    if list.iter().all(|v| v.kind() == ValueKind::String) {
        return Ok(Value::from(
            list.iter().map(py_str).collect::<Vec<_>>().join(","),
        ));
    }
    Ok(Value::from(list))
}

/// The directories relative paths are looked up in.
fn search_path(state: &State) -> Vec<PathBuf> {
    if let Some(sp) = state
        .lookup("ansible_search_path")
        .filter(|v| !v.is_undefined())
        && let Ok(it) = sp.try_iter()
    {
        let v: Vec<PathBuf> = it.map(|p| PathBuf::from(py_str(&p))).collect();
        if !v.is_empty() {
            return v;
        }
    }
    vec![basedir(state)]
}

fn basedir(state: &State) -> PathBuf {
    state
        .lookup("playbook_dir")
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| PathBuf::from(py_str(&v)))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Ansible's `path_dwim_relative_stack`: each search directory's `subdir/`
/// then itself, for a relative `source`; an absolute path as it is.
pub(super) fn find_file(
    paths: &[PathBuf],
    basedir: &Path,
    subdir: &str,
    source: &str,
) -> Option<PathBuf> {
    if source.starts_with('/') || source.starts_with('~') {
        let p = PathBuf::from(super::filters::expanduser(source));
        return p.exists().then_some(p);
    }
    let root = source.split('/').next().unwrap_or("");
    let mut search = Vec::new();
    for p in paths {
        let pb_base = p.parent().map(Path::to_path_buf).unwrap_or_default();
        if pb_base.ends_with("tasks") {
            if let Some(role) = pb_base.parent() {
                search.push(role.join(subdir).join(source));
            }
            search.push(pb_base.join(source));
        }
        if root != subdir {
            search.push(p.join(subdir).join(source));
        }
        search.push(p.join(source));
    }
    if root != subdir {
        search.push(basedir.join(subdir).join(source));
    }
    search.push(basedir.join(source));
    search.into_iter().find(|c| c.exists())
}

fn flatten1(terms: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for t in terms {
        if t.kind() == ValueKind::Seq {
            out.extend(
                t.try_iter()
                    .map(|i| i.collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
        } else {
            out.push(t.clone());
        }
    }
    out
}

fn run_command(cmd: &str, cwd: &Path) -> Result<(i32, String), Error> {
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| err(format!("lookup_plugin.pipe({cmd}) failed: {e}")))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// The `url` lookup's keyword options, with Ansible's defaults.
fn url_options(o: &Opts) -> Result<super::lookup_url::UrlOptions, Error> {
    let mut uo = super::lookup_url::UrlOptions::default();
    let text = |k: &str| o.get(k).filter(|v| !v.is_none()).map(py_str);
    uo.validate_certs = o.flag("validate_certs", true);
    uo.force_basic_auth = o.flag("force_basic_auth", false);
    uo.split_lines = o.flag("split_lines", true);
    uo.username = text("username");
    uo.password = text("password");
    uo.ca_path = text("ca_path");
    // urllib's proxies come from the controller's environment;
    // use_proxy=False turns them all off.
    if o.flag("use_proxy", true) {
        uo.proxies = super::lookup_url::ProxyEnv::from_vars(|k| std::env::var(k).ok());
    }
    if let Some(a) = text("http_agent") {
        uo.http_agent = a;
    }
    if let Some(t) = o.get("timeout") {
        uo.timeout = f64::try_from(t.clone())
            .ok()
            .or_else(|| py_str(t).trim().parse().ok())
            .ok_or_else(|| err(format!("timeout must be a number, got {}", py_str(t))))?;
    }
    if let Some(f) = text("follow_redirects") {
        uo.follow_redirects = !matches!(f.as_str(), "none" | "no" | "False" | "false");
    }
    if let Some(h) = o.get("headers").filter(|v| !v.is_none()) {
        if h.kind() != ValueKind::Map {
            return Err(err(format!(
                "Invalid type for configuration option 'headers': {} is not a dict",
                py_type_name(h)
            )));
        }
        for k in h.try_iter()? {
            let v = h.get_item(&k)?;
            uo.headers.push((py_str(&k), py_str(&v)));
        }
    }
    Ok(uo)
}

fn run(state: &State, name: &str, terms: &[Value], o: &Opts) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    match name {
        "env" => {
            // The default keeps its type; None is the option unset ('').
            let default = o
                .get("default")
                .filter(|d| !d.is_none())
                .cloned()
                .unwrap_or_else(|| Value::from(""));
            for t in terms {
                let var = py_str(t)
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                out.push(
                    std::env::var(&var)
                        .map(Value::from)
                        .unwrap_or_else(|_| default.clone()),
                );
            }
        }
        "file" => {
            let paths = search_path(state);
            let base = basedir(state);
            for t in terms {
                let term = py_str(t);
                let found = find_file(&paths, &base, "files", &term).ok_or_else(|| {
                    err(format!("Unable to access the file '{term}': File not found. Use -vvvvv to see paths searched."))
                })?;
                let text = read_text(&found)
                    .map_err(|e| err(format!("Unable to access the file '{term}': {e}")))?;
                let mut stripped: &str = &text;
                if o.flag("lstrip", false) {
                    stripped = stripped.trim_start();
                }
                if o.flag("rstrip", true) {
                    stripped = stripped.trim_end();
                }
                mark_if_secret(&text, stripped);
                out.push(Value::from(stripped));
            }
        }
        "unvault" => {
            let paths = search_path(state);
            let base = basedir(state);
            for t in terms {
                let term = py_str(t);
                let found = find_file(&paths, &base, "files", &term)
                    .ok_or_else(|| err(format!("Unable to find file matching \"{term}\" ")))?;
                let text = read_text(&found).map_err(err)?;
                out.push(Value::from(text.as_str()));
            }
        }
        "pipe" | "lines" => {
            let cwd = basedir(state);
            for t in terms {
                let cmd = py_str(t);
                let (rc, stdout) = run_command(&cmd, &cwd)?;
                if rc != 0 {
                    return Err(err(if name == "pipe" {
                        format!("lookup_plugin.pipe({cmd}) returned {rc}")
                    } else {
                        format!("lookup_plugin.lines({cmd}) returned {rc}")
                    }));
                }
                if name == "pipe" {
                    out.push(Value::from(stdout.trim_end()));
                } else {
                    out.extend(stdout.lines().map(Value::from));
                }
            }
        }
        "vars" => {
            let vars = state.lookup("vars").unwrap_or_default();
            // default=None is the option unset.
            let default = o.get("default").filter(|d| !d.is_none()).cloned();
            for t in terms {
                let n = py_str(t);
                let v = if vars.is_undefined() {
                    Value::UNDEFINED
                } else {
                    vars.get_attr(&n)?
                };
                // A variable whose template fails fails the lookup, default
                // or not.
                let v = surface_invalid(v)?;
                if !v.is_undefined() {
                    out.push(v);
                } else if let Some(d) = &default {
                    out.push(d.clone());
                } else {
                    return Err(Error::new(
                        ErrorKind::UndefinedError,
                        format!("No variable named '{n}' was found."),
                    ));
                }
            }
        }
        "varnames" => {
            let vars = state.lookup("vars").unwrap_or_default();
            let names: Vec<String> = vars
                .try_iter()
                .map(|i| i.map(|k| py_str(&k)).collect())
                .unwrap_or_default();
            for t in terms {
                if t.kind() != ValueKind::String {
                    return Err(err(format!(
                        "Invalid setting identifier, \"{}\" is not a string, it is a {}",
                        py_str(t),
                        py_type_name(t)
                    )));
                }
                let re = super::filters::regex_compile(&py_str(t), false, false)?;
                out.extend(
                    names
                        .iter()
                        .filter(|n| re.is_match(n))
                        .map(|n| Value::from(n.as_str())),
                );
            }
        }
        "items" => out = flatten1(terms),
        "list" => out = terms.to_vec(),
        "indexed_items" => {
            out = flatten1(terms)
                .into_iter()
                .enumerate()
                .map(|(i, v)| Value::from(vec![Value::from(i as i64), v]))
                .collect()
        }
        "dict" => {
            for t in terms {
                if t.kind() != ValueKind::Map {
                    return Err(err(format!(
                        "the 'dict' lookup plugin expects a dictionary, got '{}' of type <class '{}'>)",
                        py_str(t),
                        py_type_name(t)
                    )));
                }
                for k in t.try_iter()? {
                    let v = t.get_item(&k)?;
                    out.push(Value::from_pairs([("key", k), ("value", v)]));
                }
            }
        }
        "nested" => {
            if terms.is_empty() {
                return Err(err(
                    "with_nested requires at least one element in the nested list",
                ));
            }
            let mut result: Vec<Value> = items(&terms[0])?;
            for next in &terms[1..] {
                let b = items(next)?;
                let mut r = Vec::new();
                for x in &result {
                    for y in &b {
                        r.push(Value::from(flatten1(&[x.clone(), y.clone()])));
                    }
                }
                result = r;
            }
            // Each element is flattened one level: it must be iterable.
            for x in result {
                out.push(Value::from(flatten1(&items(&x)?)));
            }
        }
        "together" => {
            if terms.is_empty() {
                return Err(err(
                    "with_together requires at least one element in each list",
                ));
            }
            let lists: Vec<Vec<Value>> = terms.iter().map(items).collect::<Result<_, _>>()?;
            let n = lists.iter().map(Vec::len).max().unwrap_or(0);
            for i in 0..n {
                let row: Vec<Value> = lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or(Value::from(())))
                    .collect();
                out.push(Value::from(flatten1(&row)));
            }
        }
        "subelements" => {
            if !(2..=3).contains(&terms.len()) {
                return Err(err(
                    "subelements lookup expects a list of two or three items, ",
                ));
            }
            if let Some(flags) = terms.get(2)
                && flags.kind() != ValueKind::Map
            {
                return Err(err(
                    "subelements lookup expects a list of two or three items, the optional third item must be a dict with flags skip_missing",
                ));
            }
            let skip = terms
                .get(2)
                .and_then(|f| f.get_attr("skip_missing").ok())
                .is_some_and(|v| v.is_true());
            let kw = Kwargs::from_iter([("skip_missing", Value::from(skip))]);
            let tmpl = state.env().template_from_str("")?;
            let mut st = tmpl.new_state();
            let v = st.apply_filter(
                "subelements",
                &[terms[0].clone(), terms[1].clone(), Value::from(kw)],
            )?;
            // The lookup hands out each element without the subelement key
            // (`a.b`: without `b` in the element's `a`).
            let key = py_str(&terms[1]);
            let path: Vec<&str> = key.split('.').collect();
            for pair in v.try_iter()? {
                let el = pair.get_item(&Value::from(0))?;
                let sub = pair.get_item(&Value::from(1))?;
                out.push(Value::from(vec![without_key(&el, &path), sub]));
            }
        }
        "sequence" => out = sequence(terms, o)?,
        "first_found" => out = first_found(state, terms, o)?,
        "fileglob" => {
            let paths = search_path(state);
            let base = basedir(state);
            for t in terms {
                let term = py_str(t);
                let file = super::filters::basename(&term).to_string();
                let mut dirs: Vec<PathBuf> = Vec::new();
                if file != term {
                    if let Some(d) =
                        find_file(&paths, &base, "files", &super::filters::dirname(&term))
                    {
                        dirs.push(d);
                    }
                } else {
                    for p in &paths {
                        dirs.push(p.join("files"));
                        dirs.push(p.clone());
                    }
                }
                for d in dirs {
                    let found: Vec<String> = glob(&format!("{}/{file}", d.display()))
                        .into_iter()
                        .filter(|g| Path::new(g).is_file())
                        .collect();
                    if !found.is_empty() {
                        out.extend(found.into_iter().map(Value::from));
                        break;
                    }
                }
            }
        }
        "template" => {
            let paths = search_path(state);
            let base = basedir(state);
            for t in terms {
                let term = py_str(t);
                let found = find_file(&paths, &base, "templates", &term).ok_or_else(|| {
                    err(format!(
                        "the template file {term} could not be found for the lookup"
                    ))
                })?;
                let text = read_text(&found).map_err(err)?;
                out.push(Value::from(render_template(state, &text, o)?));
            }
        }
        "url" => {
            let uo = url_options(o)?;
            for t in terms {
                let url = py_str(t);
                let lines =
                    super::lookup_url::fetch(&url, &uo).map_err(|e| err(e.message(&url)))?;
                out.extend(lines.into_iter().map(Value::from));
            }
        }
        "ini" => out = ini(state, terms, o)?,
        "csvfile" => out = csvfile(state, terms, o)?,
        "password" => out = password(state, terms, o)?,
        "random_choice" => {
            use rand::Rng;
            if !terms.is_empty() {
                let i = rand::thread_rng().gen_range(0..terms.len());
                out.push(terms[i].clone());
            }
        }
        "config" => {
            let cfg = super::current_config();
            let vars = state.lookup("vars").unwrap_or_default();
            let var = |name: &str| {
                vars.get_attr(name)
                    .ok()
                    .filter(|v| !v.is_undefined() && !v.is_none())
            };
            out = super::lookup_config::run(&cfg, terms, &|k| o.get(k).cloned(), &var)?;
        }
        _ => {
            return Err(Error::new(
                ErrorKind::UnknownFunction,
                format!("The lookup plugin '{name}' was not found."),
            ));
        }
    }
    Ok(out)
}

/// A variable whose template failed is held as an invalid value carrying
/// the error; it becomes that error here.
fn surface_invalid(v: Value) -> Result<Value, Error> {
    if v.kind() != ValueKind::Invalid {
        return Ok(v);
    }
    let shown = v.to_string();
    let inner = shown
        .strip_prefix("<invalid value: ")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(&shown);
    let detail = inner
        .split_once(": ")
        .map(|(_, d)| d)
        .unwrap_or(inner)
        .to_string();
    let kind = if detail.ends_with(" is undefined") {
        ErrorKind::UndefinedError
    } else {
        ErrorKind::InvalidOperation
    };
    Err(Error::new(kind, detail))
}

/// `v` (a dict) with the last key of `path` removed from the dict the
/// rest of the path leads to.
fn without_key(v: &Value, path: &[&str]) -> Value {
    if v.kind() != ValueKind::Map {
        return v.clone();
    }
    let Some((first, rest)) = path.split_first() else {
        return v.clone();
    };
    let mut pairs = Vec::new();
    for k in v.try_iter().into_iter().flatten() {
        let item = v.get_item(&k).unwrap_or_default();
        if py_str(&k) == *first {
            if rest.is_empty() {
                continue;
            }
            pairs.push((k, without_key(&item, rest)));
        } else {
            pairs.push((k, item));
        }
    }
    Value::from_pairs(pairs)
}

/// A controller file's text, decrypted when it is a vault (Ansible's
/// `get_text_file_contents`); a decrypted text is marked as secret.
fn read_text(path: &Path) -> Result<zeroize::Zeroizing<String>, String> {
    let vault = super::current_vault();
    let bytes = crate::vault::read_file(path, &vault).map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| format!("{} is not valid UTF-8 ({e})", path.display()))?;
    if bytes.was_encrypted() {
        vault.revealed().mark(text.trim_end_matches(['\r', '\n']));
    }
    Ok(zeroize::Zeroizing::new(text.to_string()))
}

/// Marks `text`, derived from a file's text (stripped), as secret when
/// the file's text already is.
fn mark_if_secret(file_text: &str, text: &str) {
    let revealed = super::current_vault();
    if revealed.revealed().redact(file_text).is_some() {
        revealed.revealed().mark(text);
    }
}

/// The sequence options are integers for Ansible's config system: decimal only.
fn parse_num(s: &str) -> Result<i64, Error> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| err(format!("Invalid value provided for 'integer': '{s}'")))
}

fn sequence(terms: &[Value], o: &Opts) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    let terms: Vec<Value> = if terms.is_empty() && !o.values.is_empty() {
        vec![Value::from("")]
    } else {
        terms.to_vec()
    };
    for t in terms {
        let term = py_str(&t);
        let mut start: i64 = 1;
        let mut end: Option<i64> = None;
        let mut stride: i64 = 1;
        let mut count: Option<i64> = None;
        let mut format = "%d".to_string();
        for (k, v) in &o.values {
            match k.as_str() {
                "start" => start = parse_num(&py_str(v))?,
                "end" => end = Some(parse_num(&py_str(v))?),
                "stride" => stride = parse_num(&py_str(v))?,
                "count" => count = Some(parse_num(&py_str(v))?),
                "format" => format = py_str(v),
                _ => {}
            }
        }
        if let Some(m) = shortcut(&term) {
            if let Some(s) = m.0 {
                start = parse_num(&s)?;
            }
            end = Some(parse_num(&m.1)?);
            if let Some(s) = m.2 {
                stride = parse_num(&s)?;
            }
            if let Some(f) = m.3 {
                format = f;
            }
        } else {
            let kv = yaml_free_kv(&term);
            let mut unknown = Vec::new();
            for (k, v) in kv {
                match k.as_str() {
                    "start" => start = parse_num(&v)?,
                    "end" => end = Some(parse_num(&v)?),
                    "stride" => stride = parse_num(&v)?,
                    "count" => count = Some(parse_num(&v)?),
                    "format" => format = v,
                    _ => unknown.push(k),
                }
            }
            if !unknown.is_empty() {
                return Err(err(format!(
                    "unrecognized arguments to with_sequence: [{}]",
                    unknown
                        .iter()
                        .map(|u| format!("'{u}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        if count.is_none() && end.is_none() {
            return Err(err("must specify count or end in with_sequence"));
        }
        if count.is_some() && end.is_some() {
            return Err(err("can't specify both count and end in with_sequence"));
        }
        if let Some(c) = count {
            if c == 0 {
                continue;
            }
            end = Some(start + c * stride - 1);
        }
        let end = end.unwrap_or(start);
        if stride > 0 && end < start {
            return Err(err("to count backwards make stride negative"));
        }
        if stride < 0 && end > start {
            return Err(err("to count forward don't make stride negative"));
        }
        if stride == 0 {
            continue;
        }
        if format.matches('%').count() != 1 {
            return Err(err(format!("bad formatting string: {format}")));
        }
        let adjust = if stride >= 0 { 1 } else { -1 };
        let mut i = start;
        while (stride > 0 && i < end + adjust) || (stride < 0 && i > end + adjust) {
            out.push(Value::from(percent(&format, &[Value::from(i)])?));
            i += stride;
        }
    }
    Ok(out)
}

/// `[start-]end[/stride][:format]`.
/// (start, end, stride, format) of a shortcut term.
type Shortcut = (Option<String>, String, Option<String>, Option<String>);

fn shortcut(term: &str) -> Option<Shortcut> {
    // Ansible's pattern: each number `0?x?[0-9a-f]+` (any case), checked
    // as a decimal integer afterwards.
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| {
            regex::Regex::new(
                r"(?i)^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(/(0?x?[0-9a-f]+))?(:(.+))?$",
            )
            .ok()
        })
        .as_ref()?;
    let c = re.captures(term)?;
    let text = |i: usize| c.get(i).map(|m| m.as_str().to_string());
    Some((text(2), text(3)?, text(5), text(7)))
}

fn split_on(v: &Value, seps: &str) -> Vec<String> {
    let mut out = Vec::new();
    let list: Vec<Value> = match v.kind() {
        ValueKind::Seq => v.try_iter().map(|i| i.collect()).unwrap_or_default(),
        ValueKind::None | ValueKind::Undefined => Vec::new(),
        _ => vec![v.clone()],
    };
    for x in list {
        out.extend(
            py_str(&x)
                .split(|c| seps.contains(c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        );
    }
    out
}

/// The options first_found reads while it walks its terms: a dict term
/// sets them all anew (its own `files`, `paths`, `skip`, the rest at their
/// defaults), and they hold for the terms after it.
struct FirstFoundOpts {
    paths: Value,
    skip: bool,
}

fn first_found(state: &State, terms: &[Value], o: &Opts) -> Result<Vec<Value>, Error> {
    let mut search: Vec<String> = Vec::new();
    fn process(terms: &[Value], cur: &mut FirstFoundOpts, search: &mut Vec<String>) {
        for t in terms {
            let files = match t.kind() {
                ValueKind::Map => {
                    let get = |k: &str| t.get_attr(k).ok().filter(|v| !v.is_undefined());
                    cur.paths = get("paths").unwrap_or_default();
                    cur.skip = get("skip").is_some_and(|v| super::pyrepr::py_truthy(&v));
                    get("files").unwrap_or_default()
                }
                ValueKind::Seq => {
                    let inner: Vec<Value> = t.try_iter().map(|i| i.collect()).unwrap_or_default();
                    process(&inner, cur, search);
                    continue;
                }
                _ => Value::from(vec![t.clone()]),
            };
            let filelist = split_on(&files, ",;");
            let pathlist = split_on(&cur.paths, ",:;");
            if pathlist.is_empty() {
                search.extend(filelist);
            } else {
                for p in &pathlist {
                    for f in &filelist {
                        search.push(super::filters::path_join(&[p.clone(), f.clone()]));
                    }
                }
            }
        }
    }
    // No terms: the `files` option's names, with the call's options.
    let terms: Vec<Value> = if terms.is_empty() {
        match o.get("files") {
            Some(f) if f.kind() == ValueKind::Seq => items(f)?,
            Some(f) => vec![f.clone()],
            None => Vec::new(),
        }
    } else {
        terms.to_vec()
    };
    let mut cur = FirstFoundOpts {
        paths: o.get("paths").cloned().unwrap_or_default(),
        skip: o.flag("skip", false),
    };
    process(&terms, &mut cur, &mut search);
    let paths = search_path(state);
    let base = basedir(state);
    for f in search {
        if let Some(p) = find_file(&paths, &base, "files", &f) {
            return Ok(vec![Value::from(super::filters::normpath(&absolute(&p)))]);
        }
    }
    if cur.skip {
        return Ok(Vec::new());
    }
    Err(err("No file was found when using first_found."))
}

fn absolute(p: &Path) -> String {
    if p.is_absolute() {
        p.display().to_string()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p).display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    }
}

/// Options of a lookup: keyword arguments, then inline `k=v` words of the
/// term (which override them), and the term's first bare word.
fn term_options(term: &str, o: &Opts) -> (Option<String>, Vec<(String, String)>) {
    // A list option (chars=['digits', ...]) is its comma-joined items.
    let text = |v: &Value| match v.kind() {
        ValueKind::Seq => v
            .try_iter()
            .map(|it| it.map(|x| py_str(&x)).collect::<Vec<_>>().join(","))
            .unwrap_or_default(),
        _ => py_str(v),
    };
    let mut opts: Vec<(String, String)> =
        o.values.iter().map(|(k, v)| (k.clone(), text(v))).collect();
    let mut key = None;
    for (k, v) in yaml_free_kv(term) {
        if k == "_raw_params" {
            key.get_or_insert(v);
        } else {
            opts.retain(|(n, _)| *n != k);
            opts.push((k, v));
        }
    }
    (key, opts)
}

fn opt<'a>(opts: &'a [(String, String)], k: &str) -> Option<&'a str> {
    opts.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn is_true(s: Option<&str>) -> bool {
    matches!(
        s.map(str::to_lowercase).as_deref(),
        Some("true" | "yes" | "1" | "on")
    )
}

/// One INI section: its keys and values (`None`: a key without a value,
/// allowed with `allow_no_value`).
type IniSection = Vec<(String, Option<String>)>;

/// Python's configparser reading of an INI text: section -> [(key, value)].
fn parse_ini(
    text: &str,
    case_sensitive: bool,
    allow_no_value: bool,
) -> Result<Vec<(String, IniSection)>, String> {
    let mut out: Vec<(String, IniSection)> = Vec::new();
    let mut last_key: Option<usize> = None;
    for (lineno, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation line of the previous value.
            if let (Some(sec), Some(i)) = (out.last_mut(), last_key)
                && let Some(v) = sec.1[i].1.as_mut()
            {
                v.push('\n');
                v.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            out.push((name.to_string(), Vec::new()));
            last_key = None;
            continue;
        }
        let split = trimmed.find(['=', ':']);
        let (k, v) = match split {
            Some(i) => (trimmed[..i].trim(), Some(trimmed[i + 1..].trim())),
            None if allow_no_value => (trimmed, None),
            None => {
                return Err(format!(
                    "Source contains parsing errors: '<???>'\n\t[line {:>2}]: {}",
                    lineno + 1,
                    super::pyrepr::py_repr(&Value::from(format!("{line}\n")))
                ));
            }
        };
        let k = if case_sensitive {
            k.to_string()
        } else {
            k.to_lowercase()
        };
        if let Some(sec) = out.last_mut() {
            sec.1.retain(|(n, _)| *n != k);
            sec.1.push((k, v.map(str::to_string)));
            last_key = Some(sec.1.len() - 1);
        }
    }
    Ok(out)
}

/// configparser's BasicInterpolation: `%(name)s` and `%%`.
fn interpolate(v: &str, section: &IniSection, defaults: &IniSection, depth: usize) -> String {
    if depth > 10 || !v.contains('%') {
        return v.to_string();
    }
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(') {
            let end = r.find(")s").unwrap_or(r.len());
            let name = r[..end].to_lowercase();
            let val = section
                .iter()
                .chain(defaults)
                .find(|(k, _)| *k == name)
                .and_then(|(_, v)| v.clone())
                .unwrap_or_default();
            out.push_str(&interpolate(&val, section, defaults, depth + 1));
            rest = r.get(end + 2..).unwrap_or("");
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn ini(state: &State, terms: &[Value], o: &Opts) -> Result<Vec<Value>, Error> {
    let paths = search_path(state);
    let base = basedir(state);
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        let (key, opts) = if term.contains('=') || term.trim().contains(' ') {
            term_options(&term, o)
        } else {
            (
                Some(term.clone()),
                o.values
                    .iter()
                    .map(|(k, v)| (k.clone(), py_str(v)))
                    .collect(),
            )
        };
        let key = key.ok_or_else(|| {
            err(format!(
                "No key to look up was provided as first term within string inline options: {term}"
            ))
        })?;
        let file = opt(&opts, "file").unwrap_or("ansible.ini").to_string();
        let properties = match opt(&opts, "type") {
            None | Some("ini") => false,
            Some("properties") => true,
            Some(other) => {
                return Err(err(format!(
                    "Invalid value '{other}' for config 'type' for 'ini' lookup plugin."
                )));
            }
        };
        let section = if properties {
            "java_properties".to_string()
        } else {
            opt(&opts, "section").unwrap_or("global").to_string()
        };
        let path = find_file(&paths, &base, "files", &file)
            .ok_or_else(|| err(format!("Unable to find '{file}' in expected paths")))?;
        let mut text = read_text(&path).map_err(err)?.to_string();
        if properties {
            text = format!("[java_properties]\n{text}");
        }
        let case_sensitive = is_true(opt(&opts, "case_sensitive"));
        let parsed =
            parse_ini(&text, case_sensitive, is_true(opt(&opts, "allow_no_value"))).map_err(err)?;
        let defaults: IniSection = parsed
            .iter()
            .find(|(n, _)| n == "DEFAULT")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let Some((_, entries)) = parsed.iter().find(|(n, _)| *n == section) else {
            return Err(err(format!("No section '{section}' in '{file}'.")));
        };
        let interp = opt(&opts, "interpolation").is_none_or(|v| is_true(Some(v)));
        // A key without a value gives nothing.
        let fix = |v: &Option<String>| {
            v.as_ref().map(|v| {
                Value::from(if interp {
                    interpolate(v, entries, &defaults, 0)
                } else {
                    v.to_string()
                })
            })
        };
        if is_true(opt(&opts, "re")) {
            let re = super::filters::regex_compile(&format!("^(?:{key})"), false, false)?;
            // configparser's items(section): the defaults first, then the
            // section's own keys; a key in both keeps its place.
            let mut merged: IniSection = defaults.clone();
            for (k, v) in entries {
                match merged.iter_mut().find(|(n, _)| n == k) {
                    Some(slot) => slot.1 = v.clone(),
                    None => merged.push((k.clone(), v.clone())),
                }
            }
            out.extend(
                merged
                    .iter()
                    .filter(|(k, _)| re.is_match(k))
                    .filter_map(|(_, v)| fix(v)),
            );
        } else {
            let k = if case_sensitive {
                key.clone()
            } else {
                key.to_lowercase()
            };
            match entries.iter().chain(defaults.iter()).find(|(n, _)| *n == k) {
                Some((_, v)) => out.extend(fix(v)),
                None => out.push(Value::from(opt(&opts, "default").unwrap_or(""))),
            }
        }
    }
    Ok(out)
}

/// One CSV record (Python's csv.excel dialect with the given delimiter).
fn csv_row(line: &str, delim: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.is_empty() => quoted = true,
            (false, c) if c == delim => out.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn csvfile(state: &State, terms: &[Value], o: &Opts) -> Result<Vec<Value>, Error> {
    if terms.is_empty() {
        return Err(err("Search key is required but was not found"));
    }
    let paths = search_path(state);
    let base = basedir(state);
    let mut out = Vec::new();
    for t in terms {
        let (key, opts) = term_options(&py_str(t), o);
        let key = key.ok_or_else(|| err("Search key is required but was not found"))?;
        let file = opt(&opts, "file").unwrap_or("ansible.csv").to_string();
        // Python's csv takes one character; `TAB` names the tab, and an
        // inline `delimiter=\t` is the tab after parse_kv's escapes.
        let inline_tab = py_str(t).contains("delimiter=\\t");
        let delim = match opt(&opts, "delimiter").unwrap_or("TAB") {
            "TAB" => '\t',
            "\\t" if inline_tab => '\t',
            d => {
                let mut cs = d.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => c,
                    _ => return Err(err("\"delimiter\" must be a 1-character string")),
                }
            }
        };
        let int_opt = |name: &str, default: usize| -> Result<usize, Error> {
            match opt(&opts, name) {
                None => Ok(default),
                Some(c) => c.trim().parse().map_err(|_| {
                    err(format!(
                        "Config '{name}' for 'csvfile' lookup plugin from 'Direct' has an invalid value: Invalid value provided for 'int': '{c}'"
                    ))
                }),
            }
        };
        let col = int_opt("col", 1)?;
        let keycol = int_opt("keycol", 0)?;
        let path = find_file(&paths, &base, "files", &file)
            .ok_or_else(|| err(format!("Unable to find '{file}' in expected paths")))?;
        let text = read_text(&path).map_err(err)?;
        let found = text
            .lines()
            .map(|l| csv_row(l, delim))
            .find(|row| row.get(keycol).is_some_and(|k| *k == key));
        match found {
            Some(row) => out.push(Value::from(
                row.get(col)
                    .cloned()
                    .ok_or_else(|| err("list index out of range"))?,
            )),
            None => {
                if let Some(d) = o.get("default") {
                    out.push(d.clone());
                } else if let Some(d) = opt(&opts, "default") {
                    out.push(Value::from(d));
                }
            }
        }
    }
    Ok(out)
}

/// Python's `string` module sets the password lookup's `chars` may name.
fn char_set(spec: &str) -> String {
    match spec {
        "ascii_letters" => ('a'..='z').chain('A'..='Z').collect(),
        "ascii_lowercase" => ('a'..='z').collect(),
        "ascii_uppercase" => ('A'..='Z').collect(),
        "digits" => ('0'..='9').collect(),
        "hexdigits" => "0123456789abcdefABCDEF".into(),
        "octdigits" => "01234567".into(),
        "punctuation" => "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".into(),
        other => other.to_string(),
    }
}

/// The password lookup: the file's password, or a new random one written
/// to the file (created with its directories, mode 0600) as Ansible does.
fn password(state: &State, terms: &[Value], o: &Opts) -> Result<Vec<Value>, Error> {
    use rand::Rng;
    use std::io::Write as _;
    let base = basedir(state);
    let mut out = Vec::new();
    for t in terms {
        let (path, opts) = term_options(&py_str(t), o);
        let path = path.ok_or_else(|| err("A path is required for the password lookup"))?;
        let length: usize = opt(&opts, "length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(20);
        let chars: String = match opt(&opts, "chars") {
            Some(c) => c.split(',').map(|s| char_set(s.trim())).collect(),
            None => ["ascii_letters", "digits", ".,:-_"]
                .iter()
                .map(|s| char_set(s))
                .collect(),
        };
        let pool: Vec<char> = chars.chars().collect();
        if pool.is_empty() {
            return Err(err(
                "The password lookup needs a non-empty set of characters",
            ));
        }
        let full = if path.starts_with('/') {
            PathBuf::from(&path)
        } else {
            base.join(&path)
        };
        if path != "/dev/null"
            && let Ok(existing) = std::fs::read_to_string(&full)
        {
            let first = existing.trim_end().to_string();
            let pw = first.split(" salt=").next().unwrap_or_default().to_string();
            out.push(Value::from(pw));
            continue;
        }
        let mut rng = rand::thread_rng();
        let pw: String = (0..length)
            .map(|_| pool[rng.gen_range(0..pool.len())])
            .collect();
        if path != "/dev/null" {
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
            }
            let mut f = std::fs::File::create(&full)
                .map_err(|e| err(format!("cannot write {}: {e}", full.display())))?;
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o600));
            writeln!(f, "{pw}").map_err(|e| err(e.to_string()))?;
        }
        out.push(Value::from(pw));
    }
    Ok(out)
}

/// The variables a `template` lookup renders with: `template_vars` over
/// the caller's variables.
#[derive(Debug)]
struct Layered {
    vars: Value,
    extra: Value,
}

impl Object for Layered {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Ok(v) = self.extra.get_item(key)
            && !v.is_undefined()
        {
            return Some(v);
        }
        self.vars.get_item(key).ok().filter(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = self
            .vars
            .try_iter()
            .map(|i| i.collect())
            .unwrap_or_default();
        keys.extend(
            self.extra
                .try_iter()
                .map(|i| i.collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        Enumerator::Values(keys)
    }
}

fn render_template(state: &State, text: &str, o: &Opts) -> Result<String, Error> {
    let vars = state.lookup("vars").unwrap_or_default();
    let extra = o
        .get("template_vars")
        .cloned()
        .unwrap_or_else(|| Value::from_pairs(Vec::<(Value, Value)>::new()));
    let ctx = Value::from_object(Layered { vars, extra });
    // The lookup's delimiter options, which a `#jinja2:` header overrides.
    let mut base = super::TemplateOptions::default();
    for (name, slot) in [
        ("variable_start_string", &mut base.variable_start_string),
        ("variable_end_string", &mut base.variable_end_string),
        ("comment_start_string", &mut base.comment_start_string),
        ("comment_end_string", &mut base.comment_end_string),
    ] {
        if let Some(v) = o.get(name).filter(|v| !v.is_none()) {
            *slot = py_str(v);
        }
    }
    let (body, opts) = base
        .extract_header(text)
        .map_err(|m| err(format!("Syntax error in template: {m}")))?;
    let body = body.to_string();
    let out = if opts == super::TemplateOptions::default() {
        let tmpl = state.env().template_from_str(&body)?;
        tmpl.render(ctx)?
    } else {
        let mut env = state.env().clone();
        env.set_syntax(opts.syntax()?);
        let tmpl = env.template_from_str(&body)?;
        tmpl.render(ctx)?
    };
    let want = super::syntax::trailing_newlines(text);
    let have = super::syntax::trailing_newlines(&out);
    let mut out = out;
    for _ in have..want {
        out.push('\n');
    }
    Ok(out)
}
