// SPDX-License-Identifier: MIT
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
    fn tasks_and_hosts_are_listed() {
        let mut t = Timing::default();
        t.observe(&Event::PlayStart {
            name: "P".into(),
            pattern: "all".into(),
            tasks: 1,
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
}
