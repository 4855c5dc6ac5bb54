// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `kiln vault` (and the `ansible-vault` link): ansible-vault's subcommands
//! and options. Exit codes follow ansible-vault: 5 for a usage error, 1 for
//! anything else that fails.

use super::prompt::{PromptError, TerminalPrompt, terminal_line};
use crate::vault::files::{PrivateTemp, mode_of, write_atomic};
use crate::vault::{
    LoadMode, Prompter, SecretSources, VaultError, VaultSecret, VaultSecrets, encrypt_with,
};
use clap::{ArgAction, Args, Subcommand};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Where vault passwords come from (shared with `kiln playbook`).
#[derive(Args, Debug, Default, Clone)]
pub struct VaultOpts {
    /// A vault identity: `LABEL@SOURCE` where SOURCE is a password file,
    /// an executable script or `prompt` (repeatable).
    #[arg(long = "vault-id", value_name = "VAULT_IDS")]
    pub vault_ids: Vec<String>,
    /// Ask for the vault password (needs a terminal).
    #[arg(
        short = 'J',
        long = "ask-vault-password",
        alias = "ask-vault-pass",
        conflicts_with = "vault_password_files"
    )]
    pub ask_vault_pass: bool,
    /// A vault password file, or an executable script printing the password (repeatable).
    #[arg(
        long = "vault-password-file",
        alias = "vault-pass-file",
        value_name = "VAULT_PASSWORD_FILES"
    )]
    pub vault_password_files: Vec<String>,
}

#[derive(Args, Debug)]
pub struct VaultArgs {
    #[command(subcommand)]
    pub action: VaultAction,
}

#[derive(Args, Debug)]
pub struct Common {
    #[command(flatten)]
    pub vault: VaultOpts,
    /// More output (accepted for compatibility).
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum VaultAction {
    /// Create a new vault encrypted file (in $EDITOR).
    Create {
        #[command(flatten)]
        common: Common,
        /// The vault id to encrypt with (required if more than one is given).
        #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
        encrypt_vault_id: Option<String>,
        /// Open the editor even when stdout is not a terminal.
        #[arg(long = "skip-tty-check")]
        skip_tty_check: bool,
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Decrypt vault encrypted files (or stdin).
    Decrypt {
        #[command(flatten)]
        common: Common,
        /// Output file name; `-` for stdout.
        #[arg(long = "output", value_name = "OUTPUT_FILE")]
        output: Option<String>,
        #[arg(value_name = "file_name")]
        files: Vec<String>,
    },
    /// Edit a vault encrypted file in $EDITOR.
    Edit {
        #[command(flatten)]
        common: Common,
        #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
        encrypt_vault_id: Option<String>,
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Show the plaintext of vault encrypted files.
    View {
        #[command(flatten)]
        common: Common,
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Encrypt files (or stdin).
    Encrypt {
        #[command(flatten)]
        common: Common,
        #[arg(long = "output", value_name = "OUTPUT_FILE")]
        output: Option<String>,
        #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
        encrypt_vault_id: Option<String>,
        #[arg(value_name = "file_name")]
        files: Vec<String>,
    },
    /// Encrypt strings into `!vault |` YAML values.
    #[command(name = "encrypt_string")]
    EncryptString {
        #[command(flatten)]
        common: Common,
        #[arg(long = "output", value_name = "OUTPUT_FILE")]
        output: Option<String>,
        #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
        encrypt_vault_id: Option<String>,
        /// Prompt for the string to encrypt.
        #[arg(short = 'p', long = "prompt")]
        prompt: bool,
        /// Do not hide input when prompted for the string.
        #[arg(long = "show-input")]
        show_input: bool,
        /// The variable name of each string argument, in order (repeatable).
        #[arg(short = 'n', long = "name", value_name = "ENCRYPT_STRING_NAMES")]
        names: Vec<String>,
        /// The variable name for the string read from stdin.
        #[arg(long = "stdin-name", value_name = "ENCRYPT_STRING_STDIN_NAME")]
        stdin_name: Option<String>,
        #[arg(value_name = "string_to_encrypt")]
        strings: Vec<String>,
    },
    /// Re-encrypt vault files with a new password.
    Rekey {
        #[command(flatten)]
        common: Common,
        #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
        encrypt_vault_id: Option<String>,
        /// The new password file.
        #[arg(
            long = "new-vault-password-file",
            value_name = "NEW_VAULT_PASSWORD_FILE",
            conflicts_with = "new_vault_id"
        )]
        new_vault_password_file: Option<String>,
        /// The new vault identity (`LABEL@SOURCE`).
        #[arg(long = "new-vault-id", value_name = "NEW_VAULT_ID")]
        new_vault_id: Option<String>,
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
}

/// A failure and its exit code.
struct Failure(i32, String);

impl From<VaultError> for Failure {
    fn from(e: VaultError) -> Self {
        Failure(1, e.to_string())
    }
}

fn usage(m: impl Into<String>) -> Failure {
    Failure(5, m.into())
}

fn fail(m: impl Into<String>) -> Failure {
    Failure(1, m.into())
}

/// Runs one `kiln vault` command.
pub fn run(args: VaultArgs) -> i32 {
    match dispatch(args.action) {
        Ok(()) => 0,
        Err(Failure(code, m)) => {
            eprintln!("[ERROR]: {m}");
            code
        }
    }
}

/// The vault settings of ansible.cfg and the environment.
fn config_sources(cwd: &Path) -> Result<SecretSources, Failure> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cfg = match crate::config::find(cwd, &home) {
        Some(p) => crate::config::Config::load(&p).map_err(|e| fail(e.to_string()))?,
        None => crate::config::Config::default(),
    };
    SecretSources::from_config(&cfg, cwd).map_err(fail)
}

fn load_secrets(
    sources: &SecretSources,
    mode: LoadMode,
    cwd: &Path,
) -> Result<VaultSecrets, Failure> {
    let loaded = crate::vault::load(sources, mode, &mut TerminalPrompt, cwd)?;
    for w in &loaded.warnings {
        eprintln!("[WARNING]: {w}");
    }
    if loaded.secrets.is_empty() {
        return Err(usage("A vault password is required to use Ansible's Vault"));
    }
    Ok(loaded.secrets)
}

/// The secret to encrypt with, as ansible-vault picks it.
fn encrypt_secret<'a>(
    secrets: &'a VaultSecrets,
    encrypt_id: Option<&str>,
) -> Result<&'a VaultSecret, Failure> {
    if secrets.secrets().len() > 1 && encrypt_id.is_none() {
        return Err(usage(format!(
            "The vault-ids {} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id",
            secrets.labels().join(",")
        )));
    }
    Ok(secrets.encrypt_secret(encrypt_id)?)
}

fn dispatch(action: VaultAction) -> Result<(), Failure> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut sources = config_sources(&cwd)?;
    let salt = sources.encrypt_salt.clone();
    let salt = salt.as_deref().map(str::as_bytes);
    let reading = LoadMode {
        auto_prompt: true,
        new_password: false,
    };
    let writing = LoadMode {
        auto_prompt: true,
        new_password: true,
    };
    let add = |s: &mut SecretSources, c: &Common| {
        s.add_command_line(
            &c.vault.vault_ids,
            &c.vault.vault_password_files,
            c.vault.ask_vault_pass,
        )
    };
    match action {
        VaultAction::Encrypt {
            common,
            output,
            encrypt_vault_id,
            files,
        } => {
            add(&mut sources, &common);
            if output.is_some() && files.len() > 1 {
                return Err(usage(
                    "At most one input file may be used with the --output option",
                ));
            }
            let secrets = load_secrets(&sources, writing, &cwd)?;
            let id = encrypt_vault_id.or(sources.encrypt_identity.clone());
            let secret = encrypt_secret(&secrets, id.as_deref())?;
            let files = if files.is_empty() {
                if std::io::stdin().is_terminal() {
                    eprintln!("Reading plaintext input from stdin");
                }
                vec!["-".to_string()]
            } else {
                files
            };
            for f in &files {
                let plain = read_input(f, &cwd)?;
                let text = encrypt_with(secret, Some(secret.label()), &plain, salt, f)?;
                write_output(output.as_deref().unwrap_or(f), text.as_bytes(), &cwd)?;
            }
            if std::io::stdout().is_terminal() {
                eprintln!("Encryption successful");
            }
            Ok(())
        }
        VaultAction::Decrypt {
            common,
            output,
            files,
        } => {
            add(&mut sources, &common);
            if output.is_some() && files.len() > 1 {
                return Err(usage(
                    "At most one input file may be used with the --output option",
                ));
            }
            let secrets = load_secrets(&sources, reading, &cwd)?;
            let files = if files.is_empty() {
                if std::io::stdin().is_terminal() {
                    eprintln!("Reading ciphertext input from stdin");
                }
                vec!["-".to_string()]
            } else {
                files
            };
            for f in &files {
                let data = read_input(f, &cwd)?;
                let shown = if f == "-" { "<stdin>" } else { f.as_str() };
                let d = secrets
                    .decrypt(&data, &crate::span::Span::synthetic(shown))
                    .map_err(Failure::from)?;
                write_output(output.as_deref().unwrap_or(f), &d.plaintext, &cwd)?;
            }
            if std::io::stdout().is_terminal() {
                eprintln!("Decryption successful");
            }
            Ok(())
        }
        VaultAction::View { common, files } => {
            add(&mut sources, &common);
            let secrets = load_secrets(&sources, reading, &cwd)?;
            for f in &files {
                let shown = f.display().to_string();
                let data = read_input(&shown, &cwd)?;
                let d = secrets
                    .decrypt(&data, &crate::span::Span::synthetic(&shown))
                    .map_err(Failure::from)?;
                page(&d.plaintext)?;
            }
            Ok(())
        }
        VaultAction::Create {
            common,
            encrypt_vault_id,
            skip_tty_check,
            files,
        } => {
            add(&mut sources, &common);
            if files.len() != 1 {
                return Err(usage(
                    "ansible-vault create can take only one filename argument",
                ));
            }
            let secrets = load_secrets(&sources, writing, &cwd)?;
            let id = encrypt_vault_id.or(sources.encrypt_identity.clone());
            let secret = encrypt_secret(&secrets, id.as_deref())?;
            if !(std::io::stdout().is_terminal() || skip_tty_check) {
                return Err(usage("not a tty, editor cannot be opened"));
            }
            let path = cwd.join(&files[0]);
            if let Some(dir) = path.parent()
                && !dir.exists()
            {
                eprintln!("[WARNING]: {} does not exist, creating...", dir.display());
                std::fs::create_dir_all(dir)
                    .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
            }
            if path.is_file() {
                return Err(fail(format!(
                    "{} exists, please use 'edit' instead",
                    files[0].display()
                )));
            }
            let edited = edit_in_editor(b"", &path)?;
            let text = encrypt_with(
                secret,
                Some(secret.label()),
                &edited,
                salt,
                &files[0].display().to_string(),
            )?;
            write_atomic(&path, text.as_bytes(), 0o600)?;
            Ok(())
        }
        VaultAction::Edit { common, files, .. } => {
            add(&mut sources, &common);
            let secrets = load_secrets(&sources, reading, &cwd)?;
            for f in &files {
                let path = real_path(&cwd.join(f));
                let shown = f.display().to_string();
                let data = read_input(&path.display().to_string(), &cwd)?;
                let d = secrets
                    .decrypt(&data, &crate::span::Span::synthetic(&shown))
                    .map_err(Failure::from)?;
                let edited = edit_in_editor(&d.plaintext, &path)?;
                if *edited == *d.plaintext {
                    continue;
                }
                // Re-encrypted with the password that opened it, keeping
                // the vault id (and so the format version) of the file.
                let secret = secrets
                    .secrets()
                    .iter()
                    .find(|s| s.label() == d.opened_with)
                    .ok_or_else(|| fail("the password that opened the file is gone"))?;
                let text = encrypt_with(
                    secret,
                    d.envelope.vault_id.as_deref(),
                    &edited,
                    salt,
                    &shown,
                )?;
                write_atomic(&path, text.as_bytes(), mode_of(&path))?;
            }
            Ok(())
        }
        VaultAction::Rekey {
            common,
            encrypt_vault_id,
            new_vault_password_file,
            new_vault_id,
            files,
        } => {
            let identity_list = sources.vault_ids.clone();
            add(&mut sources, &common);
            let secrets = load_secrets(&sources, reading, &cwd)?;
            let encrypt_id = encrypt_vault_id.or(sources.encrypt_identity.clone());
            let mut new_sources = SecretSources {
                default_identity: sources.default_identity.clone(),
                ..SecretSources::default()
            };
            if encrypt_id.is_some() {
                new_sources.vault_ids = identity_list;
            }
            new_sources.add_command_line(
                &new_vault_id.into_iter().collect::<Vec<_>>(),
                &new_vault_password_file.into_iter().collect::<Vec<_>>(),
                common.vault.ask_vault_pass,
            );
            let new_secrets = crate::vault::load(&new_sources, writing, &mut TerminalPrompt, &cwd)?;
            for w in &new_secrets.warnings {
                eprintln!("[WARNING]: {w}");
            }
            if new_secrets.secrets.is_empty() {
                return Err(usage(
                    "A new vault password is required to use Ansible's Vault rekey",
                ));
            }
            let new_secret = new_secrets.secrets.encrypt_secret(encrypt_id.as_deref())?;
            for f in &files {
                let path = real_path(&cwd.join(f));
                let shown = f.display().to_string();
                let data = read_input(&path.display().to_string(), &cwd)?;
                let d = secrets
                    .decrypt(&data, &crate::span::Span::synthetic(&shown))
                    .map_err(Failure::from)?;
                let text = encrypt_with(
                    new_secret,
                    Some(new_secret.label()),
                    &d.plaintext,
                    salt,
                    &shown,
                )?;
                write_atomic(&path, text.as_bytes(), mode_of(&path))?;
            }
            eprintln!("Rekey successful");
            Ok(())
        }
        VaultAction::EncryptString {
            common,
            output,
            encrypt_vault_id,
            prompt,
            show_input,
            names,
            stdin_name,
            strings,
        } => {
            add(&mut sources, &common);
            let read_stdin = strings.iter().any(|s| s == "-")
                || stdin_name.is_some()
                || (strings.is_empty() && !prompt);
            if prompt && read_stdin {
                return Err(usage(
                    "The --prompt option is not supported if also reading input from stdin",
                ));
            }
            let secrets = load_secrets(&sources, writing, &cwd)?;
            let id = encrypt_vault_id.or(sources.encrypt_identity.clone());
            let secret = encrypt_secret(&secrets, id.as_deref())?;
            encrypt_strings(EncryptStrings {
                secret,
                salt,
                prompt,
                show_input,
                read_stdin,
                names,
                stdin_name,
                strings,
                output,
                cwd: &cwd,
            })
        }
    }
}

struct EncryptStrings<'a> {
    secret: &'a VaultSecret,
    salt: Option<&'a [u8]>,
    prompt: bool,
    show_input: bool,
    read_stdin: bool,
    names: Vec<String>,
    stdin_name: Option<String>,
    strings: Vec<String>,
    output: Option<String>,
    cwd: &'a Path,
}

/// `encrypt_string`: each input becomes `[name: ]!vault |` and the vault
/// text indented by 10 spaces, as ansible-vault prints it.
fn encrypt_strings(a: EncryptStrings<'_>) -> Result<(), Failure> {
    const FROM_STDIN: &str = "stdin";
    const FROM_ARGS: &str = "the command line args";
    const FROM_PROMPT: &str = "the interactive prompt";
    // (plaintext, where it came from, variable name)
    type Item<'s> = (Zeroizing<Vec<u8>>, &'s str, Option<String>);
    let mut items: Vec<Item<'_>> = Vec::new();
    if a.prompt {
        let name = prompt_line("Variable name (enter for no name): ", true)?;
        let name = (!name.is_empty()).then(|| name.to_string());
        let text = prompt_line(
            if a.show_input {
                "String to encrypt:"
            } else {
                "String to encrypt (hidden): "
            },
            a.show_input,
        )?;
        if text.is_empty() {
            return Err(usage(
                "The plaintext provided from the prompt was empty, not encrypting",
            ));
        }
        items.push((Zeroizing::new(text.as_bytes().to_vec()), FROM_PROMPT, name));
    }
    if a.read_stdin {
        if std::io::stdout().is_terminal() {
            eprintln!(
                "Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)"
            );
        }
        let mut buf = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| fail(format!("cannot read stdin: {e}")))?;
        if buf.is_empty() {
            return Err(usage("stdin was empty, not encrypting"));
        }
        items.push((buf, FROM_STDIN, a.stdin_name.clone()));
    }
    let args: Vec<&String> = a.strings.iter().filter(|s| *s != "-").collect();
    if !a.names.is_empty() && args.len() > a.names.len() {
        eprintln!("The number of --name options do not match the number of args.");
        eprintln!(
            "The last named variable will be \"{}\". The rest will not have names.",
            a.names[a.names.len() - 1]
        );
    }
    for (i, s) in args.iter().enumerate() {
        if s.is_empty() {
            return Err(usage(
                "The plaintext provided from the command line args was empty, not encrypting",
            ));
        }
        items.push((
            Zeroizing::new(s.as_bytes().to_vec()),
            FROM_ARGS,
            a.names.get(i).cloned(),
        ));
    }
    let several = items.len() > 1;
    let mut out = String::new();
    for (i, (plain, from, name)) in items.iter().enumerate() {
        let text = encrypt_with(
            a.secret,
            Some(a.secret.label()),
            plain,
            a.salt,
            "<encrypt_string>",
        )?;
        if several {
            match name {
                Some(n) => eprintln!(
                    "# The encrypted version of variable (\"{n}\", the string #{} from {from}).",
                    i + 1
                ),
                None => eprintln!(
                    "# The encrypted version of the string #{} from {from}.)",
                    i + 1
                ),
            }
        }
        if let Some(n) = name {
            out.push_str(n);
            out.push_str(": ");
        }
        out.push_str("!vault |");
        for line in text.lines() {
            out.push('\n');
            out.push_str("          ");
            out.push_str(line);
        }
        out.push('\n');
    }
    write_output(a.output.as_deref().unwrap_or("-"), out.as_bytes(), a.cwd)?;
    if std::io::stdout().is_terminal() {
        eprintln!("Encryption successful");
    }
    Ok(())
}

/// A line typed on the terminal (hidden unless `echo`).
fn prompt_line(prompt: &str, echo: bool) -> Result<Zeroizing<String>, Failure> {
    if echo {
        return terminal_line(prompt, false).map_err(|e| match e {
            PromptError::NoTerminal(_) => usage(format!("cannot prompt: {e}")),
            e => fail(format!("cannot read the prompt: {e}")),
        });
    }
    TerminalPrompt.password(prompt).map_err(usage)
}

/// Follows symlinks, as ansible-vault does before rewriting a file.
fn real_path(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The bytes of a file, or of stdin for `-`.
fn read_input(f: &str, cwd: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut buf = Zeroizing::new(Vec::new());
    if f == "-" {
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| fail(format!("Unable to read source file (-): {e}")))?;
        return Ok(buf);
    }
    let p = cwd.join(f);
    std::fs::File::open(&p)
        .and_then(|mut h| h.read_to_end(&mut buf))
        .map_err(|e| fail(format!("Unable to read source file ({}): {e}", p.display())))?;
    Ok(buf)
}

/// Writes to a file (atomically, mode 0600) or to stdout for `-`.
fn write_output(f: &str, data: &[u8], cwd: &Path) -> Result<(), Failure> {
    if f == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(data)
            .and_then(|_| out.flush())
            .map_err(|e| fail(format!("cannot write to stdout: {e}")));
    }
    let p = cwd.join(f);
    let dir = p.parent().unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(fail(format!(
            "Destination '{}' not writable",
            dir.display()
        )));
    }
    write_atomic(&p, data, 0o600)?;
    Ok(())
}

/// Shows plaintext: through `$PAGER` (or `less`) on a terminal, else on stdout.
fn page(data: &[u8]) -> Result<(), Failure> {
    if std::io::stdout().is_terminal() {
        let pager = std::env::var("PAGER").unwrap_or_else(|_| "less".into());
        let words = split_command(&pager);
        if let Some((prog, rest)) = words.split_first()
            && let Ok(mut child) = std::process::Command::new(prog)
                .args(rest)
                .env(
                    "LESS",
                    std::env::var("LESS").unwrap_or_else(|_| "FRSX".into()),
                )
                .stdin(std::process::Stdio::piped())
                .spawn()
        {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(data);
            }
            let _ = child.wait();
            return Ok(());
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(data)
        .and_then(|_| out.flush())
        .map_err(|e| fail(format!("cannot write to stdout: {e}")))
}

/// Splits `$EDITOR`/`$PAGER` into words: whitespace separates, single and
/// double quotes group (enough for `code --wait` or `"my editor" -f`).
fn split_command(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(cur);
    }
    words
}

/// Opens `$EDITOR` (default `vi`) on a private copy of `content` and
/// returns what was saved. The copy is wiped and removed whatever happens.
fn edit_in_editor(content: &[u8], target: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let ext = target
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = PrivateTemp::new(content, &ext)?;
    let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".into());
    let mut words = split_command(&editor);
    if words.is_empty() {
        words.push("vi".into());
    }
    let status = std::process::Command::new(&words[0])
        .args(&words[1..])
        .arg(tmp.path())
        .status()
        .map_err(|e| {
            fail(format!(
                "Unable to execute the command \"{} {}\": {e}",
                editor,
                tmp.path().display()
            ))
        })?;
    if !status.success() {
        return Err(fail(format!(
            "Unable to execute the command \"{} {}\": the editor exited with {}",
            editor,
            tmp.path().display(),
            status.code().unwrap_or(-1)
        )));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::fs::File::open(tmp.path())
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| fail(format!("cannot read the edited file: {e}")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_words() {
        assert_eq!(split_command("vim"), vec!["vim"]);
        assert_eq!(split_command("code --wait"), vec!["code", "--wait"]);
        assert_eq!(
            split_command("'my editor' -f \"a b\""),
            vec!["my editor", "-f", "a b"]
        );
        assert_eq!(split_command("  "), Vec::<String>::new());
    }
}
