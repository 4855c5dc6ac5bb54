// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The command line: a thin layer over the engine. `kiln playbook ...` takes
//! ansible-playbook's options and `kiln vault ...` ansible-vault's; invoked
//! through a link named `ansible-playbook` or `ansible-vault`, the binary
//! takes that program's argv unchanged.

// The CLI is where kiln talks to the terminal: listings, inventory dumps,
// vault output and usage errors are printed here and nowhere else.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::engine::{self, Request};
use crate::exec::RunOptions;
use crate::output::Bus;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "kiln",
    version,
    about = "Runs Ansible playbooks natively: no Python on targets, one SSH session per host"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run playbooks (ansible-playbook's options).
    Playbook(Box<PlaybookArgs>),
    /// Show the inventory (ansible-inventory's options).
    Inventory(inventory::InventoryArgs),
    /// Encrypt, decrypt and edit Ansible Vault files (ansible-vault's options).
    Vault(vault::VaultArgs),
}

#[derive(Args, Debug, Default)]
pub struct PlaybookArgs {
    /// Playbook files to run, in order.
    #[arg(required = true, value_name = "PLAYBOOK")]
    pub playbooks: Vec<PathBuf>,
    /// Inventory source: a file, a directory or a comma list `host1,host2,` (repeatable).
    #[arg(
        short = 'i',
        long = "inventory",
        alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Vec<String>,
    /// Limit the run to hosts matching this pattern.
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Extra variables: key=value, JSON or YAML text, or @file (repeatable).
    #[arg(short = 'e', long = "extra-vars", value_name = "EXTRA_VARS")]
    pub extra_vars: Vec<String>,
    /// How many hosts run at once (default 50).
    #[arg(short = 'f', long = "forks", value_name = "FORKS")]
    pub forks: Option<usize>,
    /// Connect as this user.
    #[arg(short = 'u', long = "user", value_name = "REMOTE_USER")]
    pub user: Option<String>,
    /// Run operations with become (sudo).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// Become this user (default root).
    #[arg(long = "become-user", value_name = "BECOME_USER")]
    pub become_user: Option<String>,
    /// Privilege escalation method (sudo, su).
    #[arg(long = "become-method", value_name = "BECOME_METHOD")]
    pub become_method: Option<String>,
    /// Ask for the become (sudo/su) password once, before the run.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Ask for the SSH login password once, before the run.
    #[arg(short = 'k', long = "ask-pass")]
    pub ask_pass: bool,
    /// Private key file for SSH.
    #[arg(
        long = "private-key",
        alias = "key-file",
        value_name = "PRIVATE_KEY_FILE"
    )]
    pub private_key: Option<PathBuf>,
    /// SSH connect timeout in seconds.
    #[arg(short = 'T', long = "timeout", value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    /// Connection type for every host (ssh, local).
    #[arg(short = 'c', long = "connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// More output (-v to -vvvv).
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,
    /// Only validate the playbooks.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// List the hosts each play would run on.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks each play would run.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// Change nothing; report what would change.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show differences in files.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// Only run tasks with these tags (comma separated, repeatable).
    #[arg(short = 't', long = "tags", value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Skip tasks with these tags (comma separated, repeatable).
    #[arg(long = "skip-tags", value_name = "SKIP_TAGS")]
    pub skip_tags: Vec<String>,
    /// Start at the first task whose name matches.
    #[arg(long = "start-at-task", value_name = "START_AT_TASK")]
    pub start_at_task: Option<String>,
    /// List all tags of each play.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
    /// Run handlers even on hosts that failed.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Ask before each task: (N)o/(y)es/(c)ontinue.
    #[arg(long = "step")]
    pub step: bool,
    /// Print the plan graph and exit (`--plan=dot` for Graphviz).
    #[arg(long = "plan", num_args = 0..=1, default_missing_value = "text", value_name = "FORMAT")]
    pub plan: Option<String>,
    /// Write the run's events as JSON lines (ansible-runner's job events) to FILE.
    #[arg(long = "events", value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Never draw the progress display (it is only drawn on a terminal).
    #[arg(long = "no-progress")]
    pub no_progress: bool,
    /// Print per-task and per-host durations after the recap.
    #[arg(long = "timing")]
    pub timing: bool,
    /// Also write the run as ansible-runner's artifacts: DIR/IDENT/job_events/*.json, stdout, status, rc.
    #[arg(long = "artifact-dir", value_name = "DIR")]
    pub artifact_dir: Option<PathBuf>,
    /// The run's name under --artifact-dir (ansible-runner's ident; default a random uuid).
    #[arg(long = "ident", value_name = "IDENT", requires = "artifact_dir")]
    pub ident: Option<String>,
    /// The command line as given (recorded in the artifacts' `command`).
    #[arg(skip)]
    pub argv: Vec<String>,
    #[command(flatten)]
    pub vault: vault::VaultOpts,
}

/// Entry point shared by `kiln` and the `ansible-playbook` link.
pub fn main_with_args(argv: Vec<String>) -> i32 {
    let invoked_as = argv
        .first()
        .and_then(|a| {
            std::path::Path::new(a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let argv: Vec<String> = match invoked_as.as_str() {
        "ansible-playbook" | "ansible-vault" | "ansible-inventory" => {
            let sub = invoked_as.trim_start_matches("ansible-");
            let mut v = vec!["kiln".to_string(), sub.to_string()];
            v.extend(argv.into_iter().skip(1));
            v
        }
        _ => argv,
    };
    let given = std::env::args().collect::<Vec<_>>();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                // ansible-playbook exits 5 on bad options.
                _ => 5,
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Playbook(mut args) => {
            args.argv = given;
            playbook(*args)
        }
        Command::Inventory(args) => inventory::run(args),
        Command::Vault(args) => vault::run(args),
    }
}

fn playbook(mut args: PlaybookArgs) -> i32 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut opts = RunOptions::default();
    if let Some(f) = args.forks {
        if f == 0 {
            eprintln!("[ERROR]: The number of processes (--forks) must be >= 1");
            return 5;
        }
        opts.forks = f;
    }
    opts.limit = args.limit.clone();
    opts.remote_user = args.user.clone();
    opts.become_ = args.become_;
    opts.become_user = args.become_user.clone();
    opts.become_method = args.become_method.clone();
    opts.private_key = args.private_key.clone();
    opts.verbosity = args.verbose;
    opts.check = args.check;
    opts.diff = args.diff;
    let mut inventories = args.inventory.clone();
    // Without an ansible.cfg the ANSIBLE_* variables still apply (an
    // empty file's settings, as Ansible's defaults with its environment).
    let loaded = match crate::config::find(&cwd, &opts.home) {
        Some(path) => crate::config::Config::load(&path),
        None => Ok(crate::config::Config::default()),
    };
    let cfg = match loaded.and_then(|c| {
        engine::apply_config(&c, &mut opts, &mut inventories, args.forks.is_some())?;
        Ok(c)
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("[ERROR]: {e}");
            return 1;
        }
    };
    // ANSIBLE_VERBOSITY / `verbosity` raise the level -v gives.
    if let Some(n) = cfg
        .get("defaults", "verbosity", "ANSIBLE_VERBOSITY")
        .and_then(|v| v.trim().parse::<u8>().ok())
    {
        args.verbose = args.verbose.max(n);
        opts.verbosity = args.verbose;
    }
    crate::output::trace::init(args.verbose);
    let vault = match playbook_secrets(&args.vault, &cfg, &cwd) {
        Ok(v) => v,
        Err(m) => {
            eprintln!("[ERROR]: {m}");
            return 1;
        }
    };
    crate::output::trace::add_redactor(vault.clone());
    if let Some(t) = args.timeout {
        opts.timeout = std::time::Duration::from_secs(t);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        opts.ask = Some(prompt::ask);
    }
    // Encrypted identity files ask for their passphrase when first used.
    crate::transport::passphrase::set_prompt(prompt::ask_passphrase);
    // Asked once, in Ansible's order and words, before anything runs.
    if args.ask_pass {
        match prompt::ask_secret("SSH password: ") {
            Ok(p) => opts.conn_password = Some(p),
            Err(e) => {
                eprintln!("[ERROR]: {e}");
                return 5;
            }
        }
    }
    if args.ask_become_pass {
        match prompt::ask_secret("BECOME password: ") {
            Ok(p) => opts.become_password = Some(p),
            Err(e) => {
                eprintln!("[ERROR]: {e}");
                return 5;
            }
        }
    }
    // Passwords typed at the prompts are masked in kiln's diagnostics.
    let typed = Arc::new(crate::vault::Revealed::default());
    for p in [&opts.conn_password, &opts.become_password]
        .into_iter()
        .flatten()
    {
        typed.mark(p.expose());
    }
    crate::output::trace::add_redactor(typed);
    opts.connection = args.connection.clone();
    opts.force_handlers = args.force_handlers;
    opts.step = args.step;
    let split = |v: &[String]| -> Vec<String> {
        v.iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    opts.tags = split(&args.tags);
    opts.skip_tags = split(&args.skip_tags);
    opts.start_at_task = args.start_at_task.clone();
    let req = Request {
        playbooks: args.playbooks.clone(),
        inventories,
        extra_vars: args.extra_vars.clone(),
        opts,
        cwd,
        vault,
    };
    let prepared = match engine::prepare(&req) {
        Ok(p) => p,
        Err(e) => {
            if let engine::EngineError::Limit { warnings, .. } = &e {
                for w in warnings {
                    eprintln!("[WARNING]: {w}");
                }
            }
            // An error about a decrypted file (a template in a vaulted
            // playbook's vars, say) may quote a secret: masked like output.
            let shown = e.to_string();
            let shown = req.vault.revealed().redact(&shown).unwrap_or(shown);
            eprintln!("[ERROR]: {shown}");
            return e.exit_code();
        }
    };
    if args.syntax_check {
        for p in &args.playbooks {
            println!("\nplaybook: {}", p.display());
        }
        return 0;
    }
    if args.list_hosts || args.list_tasks || args.list_tags || args.plan.is_some() {
        return crate::cli::listing::print(&prepared, &args);
    }
    let bus = Arc::new(Bus::new());
    let artifacts = match sinks(&args, &cfg, &bus) {
        Ok(a) => a,
        Err(m) => {
            eprintln!("[ERROR]: {m}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("[ERROR]: cannot start the runtime: {e}");
            return 1;
        }
    };
    if args.verbose > 1 {
        let argv0 = args.argv.first().cloned().unwrap_or_default();
        bus.emit(crate::output::Event::Preamble(
            verbose_header::version_block(&cfg, &argv0),
        ));
    }
    if args.verbose > 0 {
        // ansible-playbook's first words at -v.
        bus.emit(crate::output::Event::Preamble(match &cfg.path {
            Some(p) => format!("Using {} as config file", p.display()),
            None => "No config file found; using defaults".into(),
        }));
    }
    if args.verbose > 1 {
        let callback = cfg
            .get("defaults", "stdout_callback", "ANSIBLE_STDOUT_CALLBACK")
            .unwrap_or_else(|| "default".into());
        for line in verbose_header::skipped_callbacks(&callback) {
            bus.emit(crate::output::Event::Verbose(line));
        }
    }
    let interrupt = Arc::new(crate::exec::Interrupt::default());
    let outcome = runtime.block_on(async {
        let listener = tokio::spawn(listen_for_signals(interrupt.clone()));
        let outcome = engine::run_interruptible(prepared, bus.clone(), interrupt.clone()).await;
        listener.abort();
        outcome
    });
    if let Some(e) = &outcome.error {
        eprintln!("[ERROR]: {e}");
    }
    if outcome.interrupted == Some(2) {
        eprintln!("[ERROR]: User interrupted execution");
    }
    if let Some(a) = artifacts
        && let Err(e) = a.finish(outcome.exit_code)
    {
        eprintln!("[WARNING]: {e}");
    }
    outcome.exit_code
}

/// ansible-core 2.21's deprecation of the `oneline` callback, with the
/// origin of the setting as Ansible names it.
fn oneline_deprecation(cfg: &crate::config::Config) -> String {
    let origin = if std::env::var_os("ANSIBLE_STDOUT_CALLBACK").is_some() {
        "<Config env: ANSIBLE_STDOUT_CALLBACK>\n\noneline".to_string()
    } else {
        let path = cfg
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!("{path} (section 'defaults' option 'stdout_callback')")
    };
    format!(
        "[WARNING]: Deprecation warnings can be disabled by setting `deprecation_warnings=False` in ansible.cfg.\n\
         [DEPRECATION WARNING]: oneline has been deprecated. Use another callback plugin, or vendor and/or move the oneline callback to a collection. This feature will be removed from ansible-core version 2.23.\n\
         Origin: {origin}\n\n"
    )
}

/// Sets up the screen and the sinks the options ask for. Every file is
/// opened here, so a bad path stops the run before any host is touched.
/// Returns the artifact directory to finish when the run is over.
fn sinks(
    args: &PlaybookArgs,
    cfg: &crate::config::Config,
    bus: &Bus,
) -> Result<Option<crate::output::artifacts::Artifacts>, String> {
    use crate::output::{
        Callback, artifacts::Artifacts, awx::AwxDisplay, events::EventsFile, logfile::LogFile,
        progress, timing,
    };
    use std::io::IsTerminal;
    let callback = cfg
        .get("defaults", "stdout_callback", "ANSIBLE_STDOUT_CALLBACK")
        .unwrap_or_else(|| "default".into());
    // ansible-runner's callback frames the events into the text of the
    // callback it replaced (ORIGINAL_STDOUT_CALLBACK).
    let awx = callback == "awx_display";
    let shown = if awx {
        std::env::var("ORIGINAL_STDOUT_CALLBACK")
            .ok()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "default".into())
    } else {
        callback
    };
    // ansible-core 2.21's words for a callback it cannot load.
    let style = Callback::from_name(&shown).ok_or_else(|| Callback::load_error(&shown))?;
    let deprecations = cfg
        .get_bool(
            "defaults",
            "deprecation_warnings",
            "ANSIBLE_DEPRECATION_WARNINGS",
        )?
        .unwrap_or(true);
    if style == Callback::Oneline && deprecations {
        eprint!("{}", oneline_deprecation(cfg));
    }
    let flag = |key: &str, env: &str| -> Result<bool, String> {
        Ok(cfg.get_bool("defaults", key, env)?.unwrap_or(true))
    };
    // ansible.posix.json's json_indent: 4, one line when 0 or less.
    let indent = match cfg.get("defaults", "json_indent", "ANSIBLE_JSON_INDENT") {
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n > 0 => Some(n as usize),
            Ok(_) => None,
            Err(_) => return Err(format!("invalid json_indent '{v}' (a number)")),
        },
        None => Some(4),
    };
    let mut screen = crate::output::Screen::new(args.verbose)
        .with_columns(crate::output::columns())
        .with_callback(style)
        .with_json_indent(indent)
        .with_display_hosts(
            flag("display_ok_hosts", "ANSIBLE_DISPLAY_OK_HOSTS")?,
            flag("display_skipped_hosts", "ANSIBLE_DISPLAY_SKIPPED_HOSTS")?,
        )
        .with_markers(
            args.check
                && cfg
                    .get_bool(
                        "defaults",
                        "check_mode_markers",
                        "ANSIBLE_CHECK_MODE_MARKERS",
                    )?
                    .unwrap_or(false),
            cfg.get_bool(
                "defaults",
                "display_failed_stderr",
                "ANSIBLE_DISPLAY_FAILED_STDERR",
            )?
            .unwrap_or(false),
        )
        .with_included_and_paths(
            flag("display_included_hosts", "ANSIBLE_DISPLAY_INCLUDED_HOSTS")?,
            cfg.get_bool(
                "defaults",
                "show_task_path_on_failure",
                "ANSIBLE_SHOW_TASK_PATH_ON_FAILURE",
            )?
            .unwrap_or(false),
        );
    let format = crate::output::result_format::ResultFormat::parse(
        cfg.get(
            "defaults",
            "callback_result_format",
            "ANSIBLE_CALLBACK_RESULT_FORMAT",
        )
        .as_deref(),
        cfg.get_bool(
            "defaults",
            "callback_format_pretty",
            "ANSIBLE_CALLBACK_FORMAT_PRETTY",
        )?,
        cfg.get(
            "defaults",
            "callback_result_indentation",
            "ANSIBLE_CALLBACK_RESULT_INDENTATION",
        )
        .as_deref(),
        cfg.get(
            "defaults",
            "callback_result_yaml_line_width",
            "ANSIBLE_CALLBACK_YAML_LINE_WIDTH",
        )
        .as_deref(),
        crate::output::columns(),
    )?;
    // Only the default callback has these options.
    if style == Callback::Default {
        screen = screen.with_result_format(format);
    }
    screen = screen.with_custom_stats(
        cfg.get_bool("defaults", "show_custom_stats", "ANSIBLE_SHOW_CUSTOM_STATS")?
            .unwrap_or(false),
    );
    if let Some(options) = profile_tasks(cfg, args.verbose)? {
        screen = screen.with_profile(options);
    }
    bus.set_screen(screen);
    let color = colors(cfg)?;
    if awx {
        let dir = std::env::var_os("AWX_ISOLATED_DATA_DIR").map(PathBuf::from);
        let sink =
            AwxDisplay::new(dir.as_deref(), std::io::stdout(), color).map_err(|e| e.to_string())?;
        bus.add(Box::new(sink));
    } else {
        let progress =
            (!args.no_progress && std::io::stdout().is_terminal()).then(progress::Progress::new);
        bus.add(Box::new(progress::Terminal {
            progress,
            timing: args.timing.then(timing::Timing::default),
            color,
        }));
    }
    if let Some(path) = &args.events {
        let f = EventsFile::create(path)
            .map_err(|e| format!("cannot write the events file {}: {e}", path.display()))?;
        bus.add(Box::new(f));
    }
    let artifacts = match &args.artifact_dir {
        Some(root) => {
            let ident = args
                .ident
                .clone()
                .unwrap_or_else(crate::output::events::uuid4);
            let cwd = std::env::current_dir().unwrap_or_default();
            let a = Artifacts::create(root, &ident, &args.argv, &cwd).map_err(|e| e.to_string())?;
            bus.add(Box::new(a.sink().map_err(|e| e.to_string())?));
            Some(a)
        }
        None => None,
    };
    fact_cache_dir(cfg)?;
    let log_path = cfg
        .get("defaults", "log_path", "ANSIBLE_LOG_PATH")
        .filter(|p| !p.is_empty());
    if let Some(p) = log_path {
        let path = match p.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(rest),
            None => PathBuf::from(&p),
        };
        let f = LogFile::open(&path)
            .map_err(|e| format!("cannot write the log file {}: {e}", path.display()))?;
        bus.add(Box::new(f));
    }
    Ok(artifacts)
}

/// Whether the screen is in colour, as Ansible decides: off with
/// ANSIBLE_NOCOLOR or NO_COLOR (`nocolor` in ansible.cfg), off when stdout
/// is not a terminal or a terminal without colours (TERM=dumb), and on
/// with ANSIBLE_FORCE_COLOR (`force_color`) whatever the rest says.
fn colors(cfg: &crate::config::Config) -> Result<bool, String> {
    use std::io::IsTerminal;
    let force = cfg
        .get_bool("defaults", "force_color", "ANSIBLE_FORCE_COLOR")?
        .unwrap_or(false);
    if force {
        return Ok(true);
    }
    let nocolor = cfg
        .get_bool("defaults", "nocolor", "ANSIBLE_NOCOLOR")?
        .or(
            // NO_COLOR is the second name of the same setting.
            std::env::var("NO_COLOR").ok().map(|v| {
                crate::modules::spec::to_bool(&serde_json::Value::String(v)).unwrap_or(true)
            }),
        )
        .unwrap_or(false);
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    Ok(!nocolor && !dumb && std::io::stdout().is_terminal())
}

/// The `profile_tasks` callback's settings when `callbacks_enabled`
/// names it (short or as `ansible.posix.profile_tasks`).
fn profile_tasks(
    cfg: &crate::config::Config,
    verbosity: u8,
) -> Result<Option<crate::output::timing::ProfileOptions>, String> {
    let enabled = cfg
        .get("defaults", "callbacks_enabled", "ANSIBLE_CALLBACKS_ENABLED")
        .unwrap_or_default();
    if !enabled
        .split(',')
        .map(str::trim)
        .any(|c| c == "profile_tasks" || c == "ansible.posix.profile_tasks")
    {
        return Ok(None);
    }
    let section = "callback_profile_tasks";
    let mut o = crate::output::timing::ProfileOptions {
        paths: verbosity >= 2,
        ..Default::default()
    };
    if let Some(limit) = cfg.get(
        section,
        "task_output_limit",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT",
    ) {
        o.limit = match limit.trim() {
            "all" => None,
            n => Some(n.parse().map_err(|_| {
                format!("invalid task_output_limit '{n}' for profile_tasks (a number or 'all')")
            })?),
        };
    }
    if let Some(order) = cfg.get(section, "sort_order", "PROFILE_TASKS_SORT_ORDER") {
        o.descending = match order.trim() {
            "descending" => Some(true),
            "ascending" => Some(false),
            "none" => None,
            other => {
                return Err(format!(
                    "invalid sort_order '{other}' for profile_tasks (descending, ascending or none)"
                ));
            }
        };
    }
    if let Some(only) = cfg.get_bool(section, "summary_only", "PROFILE_TASKS_SUMMARY_ONLY")? {
        o.summary_only = only;
    }
    Ok(Some(o))
}

/// Ansible's `jsonfile` fact cache makes its directory when it starts;
/// ansible-runner asks for it (`ANSIBLE_CACHE_PLUGIN=jsonfile`) and lists
/// it among the artifacts. kiln keeps facts in memory only, so the
/// directory stays empty.
fn fact_cache_dir(cfg: &crate::config::Config) -> Result<(), String> {
    if cfg
        .get("defaults", "fact_caching", "ANSIBLE_CACHE_PLUGIN")
        .as_deref()
        != Some("jsonfile")
    {
        return Ok(());
    }
    let Some(dir) = cfg
        .get(
            "defaults",
            "fact_caching_connection",
            "ANSIBLE_CACHE_PLUGIN_CONNECTION",
        )
        .filter(|d| !d.is_empty())
    else {
        return Ok(());
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the fact cache directory {dir}: {e}"))
}

/// The vault passwords of a playbook run: ansible.cfg's, then the command
/// line's. ansible-playbook never prompts unasked; `--ask-vault-pass`
/// needs a terminal.
pub(crate) fn playbook_secrets(
    opts: &vault::VaultOpts,
    cfg: &crate::config::Config,
    cwd: &std::path::Path,
) -> Result<Arc<crate::vault::VaultSecrets>, String> {
    let mut sources = crate::vault::SecretSources::from_config(cfg, cwd)?;
    sources.add_command_line(
        &opts.vault_ids,
        &opts.vault_password_files,
        opts.ask_vault_pass,
    );
    if sources.is_empty() {
        return Ok(Arc::default());
    }
    if opts.ask_vault_pass && !prompt::TerminalPrompt::available() {
        return Err(
            "--ask-vault-pass needs a terminal to read the password from; give --vault-password-file FILE or --vault-id LABEL@FILE instead".into(),
        );
    }
    let loaded = crate::vault::load(
        &sources,
        crate::vault::LoadMode::default(),
        &mut prompt::TerminalPrompt,
        cwd,
    )
    .map_err(|e| e.to_string())?;
    for w in &loaded.warnings {
        eprintln!("[WARNING]: {w}");
    }
    Ok(Arc::new(loaded.secrets))
}

pub mod inventory;
pub mod listing;
mod prompt;
pub mod vault;
mod verbose_header;

/// Ctrl-C and SIGTERM while a playbook runs: each signal raises the
/// interruption one level (see exec::Interrupt); the run stops and the
/// recap is printed instead of the process dying.
async fn listen_for_signals(interrupt: Arc<crate::exec::Interrupt>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        tokio::select! {
            Some(()) = int.recv() => interrupt.raise(2),
            Some(()) = term.recv() => interrupt.raise(15),
            else => return,
        }
    }
}
