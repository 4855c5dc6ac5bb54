// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--timing`: how long each task and each host took, printed after the
//! recap, slowest first (like Ansible's profile_tasks callback).

use super::Event;
use std::time::{Duration, Instant};

/// Collects task and host durations from the events.
#[derive(Default)]
pub struct Timing {
    play: String,
    /// The running task: its label and when it started.
    current: Option<(String, Instant)>,
    tasks: Vec<(String, Duration)>,
    hosts: Vec<(String, Duration)>,
}

const WIDTH: usize = 79;

/// `LABEL ------ 1.23s`, padded to the screen width.
fn row(label: &str, d: Duration) -> String {
    let time = format!(" {:.2}s", d.as_secs_f64());
    let fill = WIDTH.saturating_sub(time.len());
    format!("{:-<fill$}{time}\n", format!("{label} "))
}

impl Timing {
    fn close_task(&mut self) {
        if let Some((label, t)) = self.current.take() {
            self.tasks.push((label, t.elapsed()));
        }
    }

    pub fn observe(&mut self, e: &Event) {
        match e {
            Event::PlayStart { name, .. } => {
                self.close_task();
                self.play = name.clone();
            }
            Event::TaskStart { name, .. } => {
                self.close_task();
                self.current = Some((format!("{} : {name}", self.play), Instant::now()));
            }
            Event::HostResult { host, started, .. } => {
                let took = started
                    .and_then(|s| (chrono::Utc::now() - s).to_std().ok())
                    .unwrap_or_default();
                match self.hosts.iter_mut().find(|(h, _)| h == host) {
                    Some((_, d)) => *d += took,
                    None => self.hosts.push((host.clone(), took)),
                }
            }
            Event::Stats(_) => self.close_task(),
            _ => {}
        }
    }

    /// The report: tasks then hosts, each slowest first.
    pub fn report(&self) -> String {
        let mut out = format!("\nTASK DURATIONS {}\n", "*".repeat(WIDTH - 15));
        let mut tasks = self.tasks.clone();
        tasks.sort_by_key(|t| std::cmp::Reverse(t.1));
        for (label, d) in &tasks {
            out.push_str(&row(label, *d));
        }
        out.push_str(&format!("\nHOST DURATIONS {}\n", "*".repeat(WIDTH - 15)));
        let mut hosts = self.hosts.clone();
        hosts.sort_by_key(|h| std::cmp::Reverse(h.1));
        for (h, d) in &hosts {
            out.push_str(&row(h, *d));
        }
        out
    }
}

/// The `profile_tasks` callback of ansible.posix, enabled by name
/// (`callbacks_enabled = ansible.posix.profile_tasks`): a time line after
/// each task's banner (when it started, how long the task before it took,
/// how long the run has taken) and, after the recap, `TASKS RECAP` with
/// the slowest tasks. Rendered into the screen's text, so the events and
/// the log file carry it too, as with Ansible.
pub struct Profile {
    start: chrono::DateTime<chrono::Local>,
    last: chrono::DateTime<chrono::Local>,
    /// Tasks in the order first seen: name, `file:line`, seconds so far.
    tasks: Vec<(String, String, f64)>,
    /// The running task (an index into `tasks`) and when it started.
    current: Option<(usize, chrono::DateTime<chrono::Local>)>,
    options: ProfileOptions,
}

/// `[callback_profile_tasks]` settings.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// How many tasks the recap lists (`None`: all).
    pub limit: Option<usize>,
    /// Slowest first (`Some(true)`), fastest first, or as run (`None`).
    pub descending: Option<bool>,
    /// Only the recap, no time line per task.
    pub summary_only: bool,
    /// Also show each task's `file:line` (Ansible does at -vv).
    pub paths: bool,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            limit: Some(20),
            descending: Some(true),
            summary_only: false,
            paths: false,
        }
    }
}

/// Ansible's screen width (`Display.columns`) when stdout is not a terminal.
#[cfg(test)]
const COLUMNS: usize = 79;

/// `H:MM:SS.mmm`.
fn clock(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0) as u64;
    format!(
        "{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `msg` then a run of `fill` to column 79, then a space.
fn filled(msg: &str, fill: char) -> String {
    let msg = if msg.is_empty() {
        String::new()
    } else {
        format!("{msg} ")
    };
    let width = 79usize.saturating_sub(msg.chars().count()).max(3);
    format!("{msg}{} ", fill.to_string().repeat(width))
}

fn secs(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or(0) as f64 / 1e6
}

impl Profile {
    pub fn new(options: ProfileOptions) -> Self {
        let now = chrono::Local::now();
        Profile {
            start: now,
            last: now,
            tasks: Vec::new(),
            current: None,
            options,
        }
    }

    /// The time line: now, since the last time line, since the start.
    fn tasktime(&mut self) -> String {
        let now = chrono::Local::now();
        let line = format!(
            "{} ({}){}{}",
            now.format("%A %d %B %Y  %H:%M:%S %z"),
            clock(secs(now - self.last)),
            " ".repeat(7),
            clock(secs(now - self.start))
        );
        self.last = now;
        filled(&line, '*')
    }

    /// Adds the running task's time so far.
    fn close(&mut self) {
        if let Some((i, t)) = self.current.take() {
            self.tasks[i].2 += secs(chrono::Local::now() - t);
        }
    }

    /// What follows a task's banner (empty with `summary_only`).
    pub fn task_start(&mut self, name: &str, path: &str) -> String {
        let line = (!self.options.summary_only).then(|| format!("{}\n", self.tasktime()));
        self.close();
        // A task run again (a handler notified twice, the next serial
        // batch) adds to its own time, as Ansible keys tasks by uuid.
        let i = match self
            .tasks
            .iter()
            .position(|(n, p, _)| n == name && p == path && !p.is_empty())
        {
            Some(i) => i,
            None => {
                self.tasks.push((name.to_string(), path.to_string(), 0.0));
                self.tasks.len() - 1
            }
        };
        self.current = Some((i, chrono::Local::now()));
        line.unwrap_or_default()
    }

    /// `TASKS RECAP`, after the play recap: one string per display call.
    /// The banner and the rows span the display's `columns` (79 off a
    /// terminal); the time lines keep profile_tasks' fixed 79.
    pub fn recap(&mut self, columns: usize) -> Vec<String> {
        let mut out = vec![
            // Display.banner: the title, a space, stars to the display's width.
            format!(
                "\nTASKS RECAP {}\n",
                "*".repeat(columns.saturating_sub("TASKS RECAP".len()).max(3))
            ),
            format!("{}\n", self.tasktime()),
            format!("{}\n", filled("", '=')),
        ];
        self.close();
        let mut rows = self.tasks.clone();
        if let Some(desc) = self.options.descending {
            rows.sort_by(|a, b| {
                let o = a.2.partial_cmp(&b.2).unwrap_or(std::cmp::Ordering::Equal);
                if desc { o.reverse() } else { o }
            });
        }
        if let Some(n) = self.options.limit {
            rows.truncate(n);
        }
        for (name, path, t) in rows {
            let time = format!(" {t:.2}s");
            let w = columns.saturating_sub(9);
            let mut row = format!("{:-<w$}{time:->9}\n", format!("{name} "));
            if self.options.paths && !path.is_empty() {
                row.push_str(&format!("{:-<columns$}\n", format!("{path} ")));
            }
            out.push(row);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_aligned() {
        let r = row("play : task", Duration::from_millis(1234));
        assert_eq!(r.trim_end().len(), WIDTH);
        assert!(r.starts_with("play : task ---"));
        assert!(r.ends_with(" 1.23s\n"));
    }

    #[test]
    fn profile_tasks_layout() {
        assert_eq!(clock(3723.0456), "1:02:03.045");
        let f = filled("Thursday", '*');
        assert_eq!(f.len(), 80);
        assert!(f.ends_with("** "));
        let mut p = Profile::new(ProfileOptions::default());
        let line = p.task_start("ping", "p.yml:3");
        assert_eq!(line.trim_end_matches('\n').len(), 80);
        assert!(
            line.contains(") ") || line.contains(")       0:00:00."),
            "{line}"
        );
        p.task_start("debug", "p.yml:5");
        let r = p.recap(COLUMNS).concat();
        let rows: Vec<&str> = r.lines().skip(4).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|l| l.len() == COLUMNS), "{r}");
        assert!(rows[0].starts_with("ping ---") || rows[0].starts_with("debug ---"));
        assert!(r.starts_with("\nTASKS RECAP ****"));
    }

    #[test]
    fn tasks_and_hosts_are_listed() {
        let mut t = Timing::default();
        t.observe(&Event::PlayStart {
            name: "P".into(),
            pattern: "all".into(),
            tasks: 1,
            origin: None,
        });
        t.observe(&Event::TaskStart {
            name: "T".into(),
            action: "ping".into(),
            handler: false,
            origin: None,
            lazy: false,
        });
        t.observe(&Event::Stats(Vec::new()));
        let r = t.report();
        assert!(r.contains("P : T ---"), "{r}");
        assert!(r.contains("HOST DURATIONS"), "{r}");
    }

    #[test]
    fn profile_rows_and_banner_span_a_wider_terminal() {
        let mut p = Profile::new(ProfileOptions::default());
        p.task_start("ping", "p.yml:3");
        let r = p.recap(120).concat();
        let banner = r
            .lines()
            .find(|l| l.starts_with("TASKS RECAP"))
            .expect("banner");
        assert_eq!(banner.len(), 120 + 1, "{r}");
        let row = r.lines().find(|l| l.starts_with("ping ")).expect("row");
        assert_eq!(row.len(), 120, "{r}");
        // profile_tasks' own time lines stay 80 wide.
        assert!(r.lines().any(|l| l.len() == 80 && l.ends_with("* ")), "{r}");
    }
}
