// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `async`/`poll`: a module's apply step run as a detached job on the host.
//!
//! There is no Python on the host, so Ansible's async_wrapper is a POSIX sh
//! script here: it writes `{"started": 1, "finished": 0, ...}` to the job
//! file (`~/.ansible_async/<jid>`, or `ansible_async_dir` /
//! `ANSIBLE_ASYNC_DIR`), starts the command in its own session (`setsid`,
//! so the job survives the SSH channel and its whole process group can be
//! killed), and a watchdog kills it when the time limit passes, as
//! async_wrapper does. When the command ends, the job file is replaced
//! (temp file + rename) by a JSON record of its exit code, stdout and
//! stderr; the controller turns that record into the module's result with
//! the module's own code (a [`Finisher`]), so a result read back by
//! `async_status` is the same as a synchronous run's.

use super::{ModResult, ModuleCtx, ModuleError};
use crate::transport::quote;
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a finished job's command produced.
#[derive(Debug, Clone, Default)]
pub struct JobOutput {
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// When the command started and ended on the host.
    pub start: Option<chrono::DateTime<chrono::Local>>,
    pub end: Option<chrono::DateTime<chrono::Local>>,
}

/// Makes a module's result from its detached command's output.
pub type Finisher = Arc<dyn Fn(JobOutput) -> ModResult + Send + Sync>;

/// A module's apply step as one command line for the host.
pub struct Detached {
    /// The shell command line (before become and environment, which the
    /// launcher's own command gets).
    pub line: String,
    /// Bytes for the command's stdin.
    pub stdin: Option<Vec<u8>>,
    pub finish: Finisher,
}

/// What a module run under `async` came to before anything was detached.
pub enum Launch {
    /// The result is known without running anything (nothing to change,
    /// check mode, bad arguments).
    Settled(ModResult),
    /// The command to run detached.
    Run(Detached),
}

/// How kiln can run a module under `async`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// As a job: detached on the host when the module's apply step is one
    /// command ([`super::Module::detach`]), else applied by the controller
    /// within the time limit and stored as the job's result.
    Detached,
    /// Ansible's action plugin refuses async ("This action (copy) does not
    /// support async."): the task fails at run time with those words.
    RefusedByAnsible,
    /// Not a module kiln knows: refused when the playbook is loaded.
    NotInKiln,
}

/// ansible-core 2.21's action plugins that do not set `_supports_async`.
const ANSIBLE_REFUSES: &[&str] = &[
    "add_host",
    "assemble",
    "assert",
    "async_status",
    "copy",
    "debug",
    "fail",
    "fetch",
    "group_by",
    "include_vars",
    "pause",
    "raw",
    "reboot",
    "script",
    "set_fact",
    "set_stats",
    "template",
    "unarchive",
    "validate_argument_spec",
    "wait_for_connection",
    "include_tasks",
    "include_role",
    "import_tasks",
    "import_role",
    "meta",
];

/// How `action` (a canonical short name) can run under `async`.
pub fn support(action: &str) -> Support {
    if ANSIBLE_REFUSES.contains(&action) {
        return Support::RefusedByAnsible;
    }
    match super::lookup(action) {
        // Ansible's normal action runs any module under async_wrapper.
        Some(_) => Support::Detached,
        None => Support::NotInKiln,
    }
}

/// What async_wrapper's watchdog leaves in the job file of a job it killed
/// (a module applied by the controller that outran `async`).
pub fn timed_out() -> ModResult {
    let mut r = Map::new();
    r.insert("msg".into(), json!("Timeout exceeded"));
    r.insert("failed".into(), json!(true));
    r
}

/// Ansible's failure for an action that refuses async.
pub fn refused(action_written: &str) -> ModResult {
    let mut r = super::raised(format!(
        "This action ({action_written}) does not support async."
    ));
    r.insert("changed".into(), json!(false));
    r
}

/// Told each status of a polled job that has not finished yet.
pub type OnPoll = Arc<dyn Fn(&ModResult) + Send + Sync>;

/// The `async` and `poll` of a task, and where its job files go.
#[derive(Clone)]
pub struct AsyncRun {
    /// `async`: seconds the job may run.
    pub limit: u64,
    /// `poll`: seconds between status checks; 0 returns at once.
    pub poll: u64,
    /// The async directory as configured (`~` not yet expanded).
    pub dir: String,
    /// Each poll that finds the job still running (Ansible's
    /// `runner_on_async_poll`).
    pub on_poll: Option<OnPoll>,
    /// What a module needs to go on running after its task returned
    /// (`poll: 0` for a module that is not one detachable command).
    pub background: Option<Background>,
}

/// The owned parts of a task's module context, so that a module's whole
/// run can outlive the task (`poll: 0`): the task's variables (the
/// templar comes with them).
#[derive(Clone)]
pub struct Background {
    pub host: String,
    pub scope: crate::vars::Scope,
}

/// The async directory for a host: `ansible_async_dir`, else the
/// controller's `ANSIBLE_ASYNC_DIR`, else Ansible's default.
pub fn async_dir(vars: &dyn crate::template::Resolver) -> String {
    if let Ok(Some(v)) = vars.resolve("ansible_async_dir")
        && let Json::String(s) = crate::template::value_to_json(&v)
        && !s.is_empty()
    {
        return s;
    }
    std::env::var("ANSIBLE_ASYNC_DIR")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "~/.ansible_async".to_string())
}

/// The directory as a shell word, `~` expanded by the host's shell (the
/// remote user's home, or the become user's).
pub fn dir_word(dir: &str) -> String {
    if dir == "~" {
        "\"$HOME\"".to_string()
    } else if let Some(rest) = dir.strip_prefix("~/") {
        format!("\"$HOME\"/{}", quote(rest))
    } else {
        quote(dir)
    }
}

/// When async_wrapper's watchdog kills a job: it checks every 5 s (every
/// limit/2 s for limits of 5 s and less) and kills at the first check past
/// the limit.
pub fn kill_after(limit: u64) -> u64 {
    if limit <= 5 {
        limit.max(1)
    } else {
        limit.div_ceil(5) * 5
    }
}

/// The detached part: runs the command with the watchdog, then writes the
/// job file. `$1` job file, `$2` seconds before the kill, `$3` the command.
/// Its side files are removed before the result is renamed into place, so a
/// job that reads as finished has left nothing else behind.
const RUNNER: &str = r#"f=$1; k=$2; cmd=$3
trap '' HUP
now() { date +%s.%N 2>/dev/null; }
js() {
  od -An -v -tu1 "$1" | LC_ALL=C awk 'BEGIN { printf "\"" }
    { for (i = 1; i <= NF; i++) { c = $i + 0
        if (c == 34) printf "\\\""; else if (c == 92) printf "\\\\"
        else if (c == 10) printf "\\n"; else if (c == 9) printf "\\t"
        else if (c == 13) printf "\\r"; else if (c < 32 || c == 127) printf "\\u%04x", c
        else printf "%c", c } }
    END { printf "\"" }'
}
start=$(now)
if command -v setsid >/dev/null 2>&1; then
  setsid /bin/sh -c "$cmd" <"$f.in" >"$f.out" 2>"$f.err" &
else
  /bin/sh -c "$cmd" <"$f.in" >"$f.out" 2>"$f.err" &
fi
job=$!
echo "$job" > "$f.pid"
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "$k" & s=$!; wait $s
  : > "$f.killed"; kill -KILL "-$job" 2>/dev/null || kill -KILL "$job" 2>/dev/null ) &
wd=$!
wait "$job"; rc=$?
end=$(now)
kill -TERM "$wd" 2>/dev/null; wait "$wd" 2>/dev/null
if [ -e "$f.killed" ]; then
  printf '{"msg": "Timeout exceeded", "failed": true, "child_pid": %s}\n' "$job" > "$f.tmp"
else
  { printf '{"_kiln_job": 1, "rc": %s, "start": "%s", "end": "%s", "stdout": ' "$rc" "$start" "$end"
    js "$f.out"; printf ', "stderr": '; js "$f.err"; printf '}\n'; } > "$f.tmp"
fi
rm -f "$f.in" "$f.out" "$f.err" "$f.pid" "$f.killed"
mv -f "$f.tmp" "$f"
"#;

/// Marker before the job id and file in the launcher's output.
const STARTED: &str = "__kiln_async_started__";

/// The script that creates the job file and starts [`RUNNER`] detached
/// (stdin, when given, is saved for the command first). It prints
/// [`STARTED`], the job id and the job file.
pub fn launch_script(dir: &str, limit: u64, line: &str, stdin: bool) -> String {
    let id: u64 = rand::random::<u64>() % 1_000_000_000_000;
    let save_stdin = if stdin { "cat" } else { ":" };
    format!(
        "d={dir}; mkdir -p \"$d\" || {{ printf 'could not create directory: %s\\n' \"$d\" >&2; exit 1; }}\n\
         jid=j{id}.$$; f=\"$d/$jid\"\n\
         printf '{{\"started\": 1, \"finished\": 0, \"ansible_job_id\": \"%s\"}}\\n' \"$jid\" > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" || exit 1\n\
         {save_stdin} > \"$f.in\" || exit 1\n\
         if command -v setsid >/dev/null 2>&1; then\n\
         setsid /bin/sh -c {runner} kiln-async \"$f\" {kill} {line} </dev/null >/dev/null 2>&1 &\n\
         else\n\
         nohup /bin/sh -c {runner} kiln-async \"$f\" {kill} {line} </dev/null >/dev/null 2>&1 &\n\
         fi\n\
         printf '%s\\n%s\\n%s\\n' {STARTED} \"$jid\" \"$f\"\n",
        dir = dir_word(dir),
        runner = quote(RUNNER),
        kill = kill_after(limit),
        line = quote(line),
    )
}

/// The script that stores a result known on the controller as a finished
/// job (JSON on stdin), as a job that ended at once would have left it.
fn store_script(dir: &str) -> String {
    let id: u64 = rand::random::<u64>() % 1_000_000_000_000;
    format!(
        "d={dir}; mkdir -p \"$d\" || {{ printf 'could not create directory: %s\\n' \"$d\" >&2; exit 1; }}\n\
         jid=j{id}.$$; f=\"$d/$jid\"\n\
         cat > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" || exit 1\n\
         printf '%s\\n%s\\n%s\\n' {STARTED} \"$jid\" \"$f\"\n",
        dir = dir_word(dir),
    )
}

/// The script that replaces job file `file` (a path the host expanded)
/// with the JSON on stdin, atomically as async_wrapper does.
fn finish_script(file: &str) -> String {
    format!(
        "f={}; cat > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\"",
        quote(file)
    )
}

/// The job id and file a launcher printed.
fn started(out: &crate::transport::ExecOutput) -> Result<(String, String), String> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().skip_while(|l| *l != STARTED).skip(1);
    match (lines.next(), lines.next(), out.rc) {
        (Some(jid), Some(file), 0) => Ok((jid.to_string(), file.to_string())),
        _ => {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Err(if err.is_empty() {
                format!("could not start the async job (exit code {})", out.rc)
            } else {
                err
            })
        }
    }
}

/// What a job file held when it was read.
pub enum JobFile {
    Missing,
    /// Not JSON (yet): being written.
    Unreadable(String),
    Data(Map<String, Json>),
}

/// Reads a job file (`file` is already a shell word).
pub async fn read_job(ctx: &ModuleCtx<'_>, file_word: &str) -> Result<JobFile, ModuleError> {
    let cmd = format!("f={file_word}; if [ -e \"$f\" ]; then echo 1; cat \"$f\"; else echo 0; fi");
    let out = ctx.run(&cmd, None).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let Some(body) = text.strip_prefix("1\n") else {
        return Ok(JobFile::Missing);
    };
    Ok(match serde_json::from_str::<Json>(body) {
        Ok(Json::Object(m)) => JobFile::Data(m),
        _ => JobFile::Unreadable(body.to_string()),
    })
}

/// The `poll: 0` jobs of one run (the `Runner` owns it; modules reach it
/// through `ModuleCtx::jobs`), so two runs in one process never wait for,
/// stop, or read the results of each other's jobs.
pub struct Jobs {
    /// By job id: how to make each detached command's result.
    finishers: Mutex<HashMap<String, Finisher>>,
    /// Modules whose work is several remote operations, still running as
    /// controller tasks.
    controller: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Set when the run is interrupted: controller jobs stop their module
    /// and let their keeper record the job as failed.
    stop: tokio::sync::watch::Sender<bool>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            finishers: Mutex::default(),
            controller: Mutex::default(),
            stop: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl Jobs {
    fn finisher(&self, jid: &str) -> Option<Finisher> {
        self.finishers.lock().ok().and_then(|m| m.get(jid).cloned())
    }

    fn remember(&self, jid: &str, f: Finisher) {
        if let Ok(mut m) = self.finishers.lock() {
            m.insert(jid.to_string(), f);
        }
    }

    fn hold(&self, job: tokio::task::JoinHandle<()>) {
        if let Ok(mut jobs) = self.controller.lock() {
            jobs.retain(|j| !j.is_finished());
            jobs.push(job);
        }
    }

    fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Waits for the controller's jobs (each ends by its `async` limit),
    /// or stops them when the run is interrupted. Their hosts' sessions
    /// must stay open until then: the run calls this before it closes them.
    pub async fn settle(&self, stop: bool) {
        if stop {
            self.stop.send_replace(true);
        }
        loop {
            let jobs: Vec<_> = self
                .controller
                .lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default();
            if jobs.is_empty() {
                return;
            }
            for mut j in jobs {
                if !stop {
                    let _ = j.await;
                    continue;
                }
                // A stopped job only has its keeper to release; one whose
                // host no longer answers is not waited for long.
                let waited = std::time::Duration::from_secs(5);
                if tokio::time::timeout(waited, &mut j).await.is_err() {
                    j.abort();
                    let _ = j.await;
                }
            }
        }
    }
}

fn epoch(v: Option<&Json>) -> Option<chrono::DateTime<chrono::Local>> {
    let t: f64 = v?.as_str()?.parse().ok()?;
    let secs = t.floor() as i64;
    let nanos = ((t - t.floor()) * 1e9) as u32;
    chrono::DateTime::from_timestamp(secs, nanos).map(|d| d.with_timezone(&chrono::Local))
}

/// A job file's data as the module's result: the runner's raw record goes
/// through the job's finisher; anything else (a stored result, the
/// watchdog's "Timeout exceeded") is the result already.
pub fn job_result(
    jobs: &Jobs,
    jid: &str,
    data: Map<String, Json>,
    finish: Option<&Finisher>,
) -> ModResult {
    if !data.contains_key("_kiln_job") {
        return data;
    }
    let text = |k: &str| {
        data.get(k)
            .and_then(Json::as_str)
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default()
    };
    let out = JobOutput {
        rc: data.get("rc").and_then(Json::as_i64).unwrap_or(-1) as i32,
        stdout: text("stdout"),
        stderr: text("stderr"),
        start: epoch(data.get("start")),
        end: epoch(data.get("end")),
    };
    match finish.cloned().or_else(|| jobs.finisher(jid)) {
        Some(f) => f(out),
        // A job of another run: its raw record is all there is.
        None => {
            let mut r = Map::new();
            r.insert("rc".into(), json!(out.rc));
            r.insert(
                "stdout".into(),
                json!(String::from_utf8_lossy(&out.stdout).into_owned()),
            );
            r.insert(
                "stderr".into(),
                json!(String::from_utf8_lossy(&out.stderr).into_owned()),
            );
            if out.rc != 0 {
                r.insert("failed".into(), json!(true));
            }
            r
        }
    }
}

/// What async_status's action puts under every status it returns.
pub fn status_base(jid: &str) -> ModResult {
    let mut r = Map::new();
    r.insert("started".into(), json!(false));
    r.insert("finished".into(), json!(false));
    // A status is a module result: `failed` is false unless it failed.
    r.insert("failed".into(), json!(false));
    r.insert("stdout".into(), json!(""));
    r.insert("stderr".into(), json!(""));
    r.insert("stdout_lines".into(), json!([]));
    r.insert("stderr_lines".into(), json!([]));
    r.insert("ansible_job_id".into(), json!(jid));
    r
}

/// A job's status as async_status reports it: its result when finished
/// (with `finished`, the id and the file), else `started`/`finished: false`.
pub fn status_of(jobs: &Jobs, jid: &str, file: &str, data: Map<String, Json>) -> ModResult {
    let mut r = status_base(jid);
    r.insert("results_file".into(), json!(file));
    r.insert("started".into(), json!(true));
    let running = data.contains_key("started");
    let finished = !running || data.get("finished").is_some_and(truthy);
    let result = if running {
        data
    } else {
        job_result(jobs, jid, data, None)
    };
    for (k, v) in result {
        r.insert(k, v);
    }
    if !running {
        r.insert("ansible_job_id".into(), json!(jid));
    }
    r.insert("finished".into(), json!(finished));
    let started = r.get("started").is_some_and(truthy);
    r.insert("started".into(), json!(started));
    r
}

fn truthy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

impl AsyncRun {
    /// Runs what a module came to under `async`: with `poll`, waits for the
    /// job and returns its result; without, returns the started job.
    pub async fn run(&self, ctx: &ModuleCtx<'_>, launch: Launch) -> Result<ModResult, ModuleError> {
        let (script, stdin, finish) = match launch {
            Launch::Settled(r) => {
                let body = serde_json::to_vec(&r).unwrap_or_default();
                (store_script(&self.dir), Some(body), None)
            }
            Launch::Run(d) => (
                launch_script(&self.dir, self.limit, &d.line, d.stdin.is_some()),
                d.stdin,
                Some(d.finish),
            ),
        };
        let out = ctx.run(&script, stdin.as_deref()).await?;
        let (jid, file) = match started(&out) {
            Ok(x) => x,
            Err(msg) => return Ok(super::failed(msg)),
        };
        if self.poll == 0 {
            if let Some(f) = finish {
                ctx.jobs.remember(&jid, f);
            }
            return Ok(started_result(&jid, &file));
        }
        self.wait(ctx, &jid, &file, finish.as_ref()).await
    }

    /// Ansible's `_poll_async_result`: sleeps `poll` seconds, reads the
    /// status, until the job finished or `async` seconds are used up.
    async fn wait(
        &self,
        ctx: &ModuleCtx<'_>,
        jid: &str,
        file: &str,
        finish: Option<&Finisher>,
    ) -> Result<ModResult, ModuleError> {
        let word = quote(file);
        let mut time_left = self.limit as i64;
        let mut last = status_base(jid);
        while time_left > 0 {
            tokio::time::sleep(std::time::Duration::from_secs(self.poll)).await;
            time_left -= self.poll as i64;
            match read_job(ctx, &word).await? {
                JobFile::Missing => {
                    let mut r = status_base(jid);
                    r.insert("results_file".into(), json!(file));
                    r.insert("started".into(), json!(true));
                    r.insert("finished".into(), json!(true));
                    r.insert("failed".into(), json!(true));
                    r.insert("msg".into(), json!("could not find job"));
                    return Ok(r);
                }
                JobFile::Unreadable(_) => {
                    last = status_base(jid);
                    last.insert("results_file".into(), json!(file));
                    last.insert("started".into(), json!(true));
                    self.polled(&last);
                }
                JobFile::Data(data) if data.contains_key("started") => {
                    last = status_of(&ctx.jobs, jid, file, data);
                    last.insert("changed".into(), json!(false));
                    self.polled(&last);
                }
                JobFile::Data(data) => {
                    let result = job_result(&ctx.jobs, jid, data, finish);
                    let mut r = status_base(jid);
                    r.insert("results_file".into(), json!(file));
                    r.insert("started".into(), json!(true));
                    r.extend(result);
                    r.insert("ansible_job_id".into(), json!(jid));
                    r.insert("finished".into(), json!(true));
                    // Ansible removes a finished job's file (mode=cleanup).
                    ctx.run(&format!("rm -f {word}"), None).await?;
                    return Ok(r);
                }
            }
        }
        // Out of time: kill the job now (Ansible's watchdog would a little
        // later) so nothing is left running.
        let kill = format!(
            "f={word}; : > \"$f.killed\"; p=$(cat \"$f.pid\" 2>/dev/null) && {{ kill -KILL \"-$p\" 2>/dev/null || kill -KILL \"$p\" 2>/dev/null; }}; true"
        );
        ctx.run(&kill, None).await?;
        // ansible-core 2.21 builds this failure from a fresh result that
        // is never marked parsed, so its message is always the
        // "unparsable" one (not "did not complete within the requested
        // time"), and the last status carries empty warning lists.
        last.insert("changed".into(), json!(false));
        last.insert("failed".into(), json!(false));
        last.insert("deprecations".into(), json!([]));
        last.insert("warnings".into(), json!([]));
        let mut r = Map::new();
        r.insert("failed".into(), json!(true));
        r.insert("changed".into(), json!(false));
        r.insert("async_result".into(), Json::Object(last));
        r.insert(
            "msg".into(),
            json!("async task produced unparsable results"),
        );
        Ok(r)
    }

    fn polled(&self, status: &ModResult) {
        if let Some(f) = &self.on_poll {
            f(status);
        }
    }
}

/// The result a controller-run job's keeper leaves when kiln went away
/// before the module finished (killed, or stopped by Ctrl-C/SIGTERM). Like
/// async_wrapper's record of a wrapper that died ("FATAL ERROR: ..."), it
/// is a failure: the module's work stopped part way, and what it already
/// changed on the host is not known.
pub const CONTROLLER_GONE: &str = "FATAL ERROR: kiln ran this module from the controller and ended before the module finished; the module stopped part way and what it changed on the host is unknown";

/// The job file's text while a controller-run job is running.
const RUNNING: &str = r#"{"started": 1, "finished": 0}"#;

/// The host side of a controller-run job: it holds a channel open for the
/// job's whole life (its stdin stays open until the controller wrote the
/// result). When that stdin ends with the job file still saying "running"
/// (kiln killed: the SSH connection dropped; or kiln stopped the job), it
/// replaces the file with [`CONTROLLER_GONE`], so async_status reports a
/// finished, failed job instead of one running for ever. Signals are
/// ignored so that a session torn down under it still lets it write.
fn keeper_script(file: &str) -> String {
    let gone = json!({"failed": true, "msg": CONTROLLER_GONE}).to_string();
    format!(
        "trap '' HUP INT TERM PIPE; f={file}; cat >/dev/null 2>&1\n\
         if [ \"$(cat \"$f\" 2>/dev/null)\" = {running} ]; then\n\
         printf '%s\\n' {gone} > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\"\n\
         fi\n\
         true",
        file = quote(file),
        running = quote(RUNNING),
        gone = quote(&gone),
    )
}

impl AsyncRun {
    /// `poll: 0` for a module whose work is not one command: the job file
    /// says "started", the module runs on in a controller task (within the
    /// watchdog's limit) that writes its result to the job file when it
    /// ends, and the task returns at once, as Ansible's does. A keeper on
    /// the host (see [`keeper_script`]) marks the job failed if kiln ends
    /// before the module does: unlike Ansible's async_wrapper, the module's
    /// work cannot go on without the controller.
    pub async fn run_in_background(
        &self,
        ctx: &ModuleCtx<'_>,
        module: &'static dyn super::DynModule,
        raw: &super::Args,
        bg: &Background,
    ) -> Result<ModResult, ModuleError> {
        let out = ctx
            .run(&store_script(&self.dir), Some(RUNNING.as_bytes()))
            .await?;
        let (jid, file) = match started(&out) {
            Ok(x) => x,
            Err(msg) => return Ok(super::failed(msg)),
        };
        let (conn, become_, env) = (ctx.conn.clone(), ctx.become_.clone(), ctx.env.clone());
        let (check_mode, diff, verbosity) = (ctx.check_mode, ctx.diff, ctx.verbosity);
        let (bg, raw, target) = (bg.clone(), raw.clone(), file.clone());
        let jobs = ctx.jobs.clone();
        let files = ctx.files.clone();
        let mut stop = ctx.jobs.stopping();
        let limit = std::time::Duration::from_secs(kill_after(self.limit));
        let job = tokio::spawn(async move {
            let ctx = ModuleCtx {
                host: &bg.host,
                conn,
                become_,
                check_mode,
                diff,
                templar: bg.scope.templar(),
                vars: &bg.scope,
                verbosity,
                env,
                jobs,
                files,
            };
            let (held, mut lease) = tokio::io::duplex(8);
            let keeper = keeper_script(&target);
            let keep = ctx.run_stream(&keeper, &mut lease);
            let work = async {
                let run = tokio::time::timeout(limit, module.execute(&ctx, &raw));
                let result = tokio::select! {
                    r = run => match r {
                        Ok(Ok(r)) => Some(r),
                        Ok(Err(ModuleError::NotEscalated(out))) => Some(super::not_escalated(&out)),
                        Ok(Err(e)) => Some(super::failed(e.message())),
                        Err(_) => Some(timed_out()),
                    },
                    // The run is stopping: the keeper records that.
                    _ = stop.wait_for(|s| *s) => None,
                };
                if let Some(result) = result {
                    let body = serde_json::to_vec(&result).unwrap_or_default();
                    // Nothing is left to tell if the host cannot take the
                    // result: its keeper then marks the job failed.
                    let _ = ctx.run(&finish_script(&target), Some(&body)).await;
                }
                // Ends the keeper's stdin: the job file is final now, or
                // the keeper makes it so.
                drop(held);
            };
            let _ = tokio::join!(keep, work);
        });
        ctx.jobs.hold(job);
        Ok(started_result(&jid, &file))
    }
}

/// What a task with `poll: 0` returns once its job started.
fn started_result(jid: &str, file: &str) -> ModResult {
    let mut r = Map::new();
    r.insert("ansible_job_id".into(), json!(jid));
    r.insert("changed".into(), json!(true));
    r.insert("failed".into(), json!(false));
    r.insert("finished".into(), json!(false));
    r.insert("results_file".into(), json!(file));
    r.insert("started".into(), json!(true));
    r
}

/// Makes the status map of a cleanup (`mode: cleanup`).
pub fn erased(jid: &str, file: &str) -> ModResult {
    let mut r = status_base(jid);
    r.insert("erased".into(), json!(file));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(task: &str) -> Result<crate::playbook::Playbook, String> {
        let src = format!("- hosts: all\n  tasks:\n{task}");
        crate::playbook::load_playbook_str(&src, "pb.yml").map_err(|errs| {
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn every_module_loads_under_async() {
        // Native modules run as jobs too; modules Ansible itself refuses
        // load (they fail at run time in Ansible's words), and so does
        // `async: 0`.
        assert!(load("    - file: path=/tmp/x state=touch\n      async: 10\n").is_ok());
        assert!(load("    - copy: content=x dest=/tmp/x\n      async: 10\n").is_ok());
        assert!(load("    - shell: sleep 1\n      async: 10\n      poll: 0\n").is_ok());
        assert!(load("    - file: path=/tmp/x state=touch\n      async: 0\n").is_ok());
        assert_eq!(support("command"), Support::Detached);
        assert_eq!(support("file"), Support::Detached);
        assert_eq!(support("apt"), Support::Detached);
        assert_eq!(support("copy"), Support::RefusedByAnsible);
        assert_eq!(support("no_such_module"), Support::NotInKiln);
    }

    /// Runs the launcher with the local /bin/sh as the host's shell.
    fn sh(script: &str, home: &std::path::Path) -> std::process::Output {
        std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env("HOME", home)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("sh runs")
    }

    fn read(path: &str) -> Map<String, Json> {
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(path)
                && let Ok(Json::Object(m)) = serde_json::from_str::<Json>(&text)
                && !m.contains_key("started")
            {
                return m;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("job {path} did not finish");
    }

    #[test]
    fn the_wrapper_records_output_as_json_and_its_watchdog_kills() {
        let home = tempfile::tempdir().expect("tempdir");
        let out = sh(
            &launch_script(
                "~/.ansible_async",
                30,
                "printf 'a\"b\\\\c\\n\\tx\\001'; echo err >&2; exit 3",
                false,
            ),
            home.path(),
        );
        let out = crate::transport::ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        };
        let (jid, file) = started(&out).expect("started");
        assert!(file.starts_with(&home.path().display().to_string()));
        assert!(file.ends_with(&format!("/.ansible_async/{jid}")));
        let data = read(&file);
        assert_eq!(data["rc"], json!(3));
        assert_eq!(data["stdout"], json!("a\"b\\c\n\tx\u{1}"));
        assert_eq!(data["stderr"], json!("err\n"));
        // Only the job file is left.
        let left: Vec<_> = std::fs::read_dir(home.path().join(".ansible_async"))
            .expect("dir")
            .filter_map(|e| e.ok())
            .collect();
        assert_eq!(left.len(), 1);

        // A directory that cannot be made (under a plain file) fails the launch.
        let blocker = home.path().join("plain");
        std::fs::write(&blocker, "x").expect("write");
        let bad = blocker.join("jobs").display().to_string();
        let out = sh(&launch_script(&bad, 1, "true", false), home.path());
        assert_ne!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stderr).contains("could not create directory"));

        let dir = home.path().join("jobs");
        let out = sh(
            &launch_script(&dir.display().to_string(), 1, "sleep 30", false),
            home.path(),
        );
        let out = crate::transport::ExecOutput {
            rc: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        };
        let (_, file) = started(&out).expect("started");
        let data = read(&file);
        assert_eq!(data["msg"], json!("Timeout exceeded"));
        assert_eq!(data["failed"], json!(true));
        let pid = data["child_pid"].as_i64().expect("pid");
        // The job's process group is gone (killed children may take a
        // moment to be reaped by init).
        let alive = || {
            std::process::Command::new("kill")
                .args(["-0", "--", &format!("-{pid}")])
                .stderr(std::process::Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        let mut tries = 0;
        while alive() && tries < 50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            tries += 1;
        }
        assert!(!alive(), "job group {pid} still runs");
    }

    #[test]
    fn kill_time_follows_the_wrappers_checks() {
        assert_eq!(kill_after(1), 1);
        assert_eq!(kill_after(5), 5);
        assert_eq!(kill_after(6), 10);
        assert_eq!(kill_after(30), 30);
        assert_eq!(kill_after(31), 35);
    }

    #[test]
    fn home_is_expanded_by_the_host() {
        assert_eq!(dir_word("~/.ansible_async"), "\"$HOME\"/.ansible_async");
        assert_eq!(dir_word("~"), "\"$HOME\"");
        assert_eq!(dir_word("/tmp/a b"), "'/tmp/a b'");
    }

    #[test]
    fn a_running_job_reports_started_not_finished() {
        let mut data = Map::new();
        data.insert("started".into(), json!(1));
        data.insert("finished".into(), json!(0));
        data.insert("ansible_job_id".into(), json!("j1.2"));
        let r = status_of(&Jobs::default(), "j1.2", "/r/j1.2", data);
        assert_eq!(r["started"], json!(true));
        assert_eq!(r["finished"], json!(false));
        assert_eq!(r["results_file"], json!("/r/j1.2"));
        assert_eq!(r["stdout_lines"], json!([]));
    }

    #[test]
    fn a_raw_record_goes_through_the_finisher() {
        let mut data = Map::new();
        data.insert("_kiln_job".into(), json!(1));
        data.insert("rc".into(), json!(3));
        data.insert("stdout".into(), json!("out\n"));
        data.insert("stderr".into(), json!(""));
        let f: Finisher = Arc::new(|o: JobOutput| {
            let mut m = Map::new();
            m.insert("rc".into(), json!(o.rc));
            m.insert("seen".into(), json!(String::from_utf8_lossy(&o.stdout)));
            m
        });
        let r = job_result(&Jobs::default(), "j9.1", data, Some(&f));
        assert_eq!(r["rc"], json!(3));
        assert_eq!(r["seen"], json!("out\n"));
    }

    #[test]
    fn a_stored_result_is_finished_with_the_status_keys() {
        let mut data = Map::new();
        data.insert("msg".into(), json!("Timeout exceeded"));
        data.insert("failed".into(), json!(true));
        let r = status_of(&Jobs::default(), "j5.5", "/d/j5.5", data);
        assert_eq!(r["finished"], json!(true));
        assert_eq!(r["started"], json!(true));
        assert_eq!(r["msg"], json!("Timeout exceeded"));
        assert_eq!(r["ansible_job_id"], json!("j5.5"));
    }

    #[test]
    fn the_keeper_marks_a_job_its_controller_left_and_only_that() {
        let dir = tempfile::tempdir().expect("tempdir");
        let left = dir.path().join("j1.1");
        let done = dir.path().join("j2.2");
        std::fs::write(&left, RUNNING).expect("write");
        std::fs::write(&done, r#"{"changed": true, "rc": 0}"#).expect("write");
        for f in [&left, &done] {
            // stdin at its end at once: the controller is gone.
            let out = sh(&keeper_script(&f.display().to_string()), dir.path());
            assert!(out.status.success(), "{out:?}");
        }
        let gone = read(&left.display().to_string());
        assert_eq!(gone["failed"], json!(true));
        assert_eq!(gone["msg"], json!(CONTROLLER_GONE));
        let r = status_of(&Jobs::default(), "j1.1", "/d/j1.1", gone);
        assert_eq!(r["finished"], json!(true));
        assert_eq!(
            std::fs::read_to_string(&done).expect("read"),
            r#"{"changed": true, "rc": 0}"#
        );
    }

    #[test]
    fn each_run_has_its_own_jobs() {
        let mut data = Map::new();
        data.insert("_kiln_job".into(), json!(1));
        data.insert("rc".into(), json!(0));
        data.insert("stdout".into(), json!("x"));
        data.insert("stderr".into(), json!(""));
        let mine = Jobs::default();
        let other = Jobs::default();
        mine.remember(
            "j7.7",
            Arc::new(|_: JobOutput| {
                let mut m = Map::new();
                m.insert("finished_by".into(), json!("mine"));
                m
            }),
        );
        assert_eq!(
            job_result(&mine, "j7.7", data.clone(), None)["finished_by"],
            json!("mine")
        );
        // Another run reading the same job has only the raw record.
        let r = job_result(&other, "j7.7", data, None);
        assert!(!r.contains_key("finished_by"));
        assert_eq!(r["stdout"], json!("x"));
    }
}
