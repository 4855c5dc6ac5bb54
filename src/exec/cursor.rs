// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Where one host is in a section of a play: a stack of frames over the task
//! tree (blocks, their rescue and always parts, included files). Every task
//! position has a key; under the linear strategy the hosts whose next task
//! has the smallest key run it together, which keeps hosts in lockstep and
//! lets a host in `rescue` wait while the others finish the block.

use crate::playbook::{Block, Item, Task};
use crate::vars::Layer;
use std::sync::Arc;

/// A position in the task tree, ordered like the tree is walked.
pub type Key = Vec<u32>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Block = 0,
    Rescue = 1,
    Always = 2,
}

#[derive(Clone)]
struct Frame {
    items: Arc<Vec<Item>>,
    idx: usize,
    key: Key,
    /// Variables every task of this frame sees (an include's item and vars).
    vars: Vec<Arc<Layer>>,
    block: Option<(Arc<Block>, Section)>,
}

/// How a failure on a host ends.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// A `rescue` section takes over; the host is not failed.
    Rescued,
    /// The host is failed; `always` sections may still run first.
    Failed,
}

#[derive(Clone)]
pub struct Cursor {
    frames: Vec<Frame>,
    /// A failure is on its way up, waiting for `always` sections to finish.
    pending_failure: bool,
    /// The host failed and has nothing more to run in this section.
    pub failed: bool,
}

/// The next task of a host.
pub struct Next {
    pub key: Key,
    pub task: Arc<Task>,
    pub vars: Vec<Arc<Layer>>,
    /// Whether the task is in a rescue section.
    #[allow(dead_code)]
    pub in_rescue: bool,
}

impl Cursor {
    pub fn new(items: Arc<Vec<Item>>) -> Cursor {
        Cursor {
            frames: vec![Frame {
                items,
                idx: 0,
                key: Vec::new(),
                vars: Vec::new(),
                block: None,
            }],
            pending_failure: false,
            failed: false,
        }
    }

    /// The next task, moving through finished frames on the way.
    pub fn next(&mut self) -> Option<Next> {
        loop {
            let top = self.frames.last_mut()?;
            if top.idx < top.items.len() {
                let idx = top.idx;
                match &top.items[idx] {
                    Item::Task(t) => {
                        let mut key = top.key.clone();
                        key.push(idx as u32);
                        let task = t.clone();
                        let vars = top.vars.clone();
                        let in_rescue = self.in_rescue();
                        return Some(Next {
                            key,
                            task,
                            vars,
                            in_rescue,
                        });
                    }
                    Item::Block(b) => {
                        let b = b.clone();
                        let mut key = top.key.clone();
                        key.push(idx as u32);
                        let vars = top.vars.clone();
                        self.enter(b, Section::Block, key, vars);
                    }
                }
                continue;
            }
            self.finish_frame();
        }
    }

    /// Whether the current task is in a rescue section.
    pub fn in_rescue(&self) -> bool {
        self.frames
            .iter()
            .any(|f| matches!(f.block, Some((_, Section::Rescue))))
    }

    /// Pushes the frame of a block's section (an empty section is skipped).
    fn enter(&mut self, b: Arc<Block>, s: Section, parent_key: Key, vars: Vec<Arc<Layer>>) {
        let items = match s {
            Section::Block => b.block.clone(),
            Section::Rescue => b.rescue.clone(),
            Section::Always => b.always.clone(),
        };
        let mut key = parent_key;
        key.push(s as u32);
        self.frames.push(Frame {
            items: Arc::new(items),
            idx: 0,
            key,
            vars,
            block: Some((b, s)),
        });
    }

    /// The top frame ran out of tasks.
    fn finish_frame(&mut self) {
        let Some(done) = self.frames.pop() else {
            return;
        };
        // An included file (its include task was already passed) or the
        // section itself (then no frame is left): nothing more to do.
        let Some((b, s)) = done.block else { return };
        let parent_key = done.key[..done.key.len().saturating_sub(1)].to_vec();
        match s {
            Section::Block | Section::Rescue => {
                // A rescue that ran to its end has handled the failure.
                if s == Section::Rescue {
                    self.pending_failure = false;
                }
                self.enter(b, Section::Always, parent_key, done.vars);
            }
            Section::Always => {
                if self.pending_failure {
                    self.propagate();
                } else if let Some(parent) = self.frames.last_mut() {
                    parent.idx += 1;
                }
            }
        }
    }

    /// meta: end_role: moves past the rest of `role`'s tasks (the tasks of
    /// the same role instance that come next).
    pub fn skip_role(&mut self, role: &Arc<crate::playbook::Role>) {
        while let Some(next) = self.next() {
            let same = next
                .task
                .role
                .as_ref()
                .is_some_and(|r| Arc::ptr_eq(r, role));
            if !same {
                break;
            }
            self.advance();
        }
    }

    /// Moves past the task just run.
    pub fn advance(&mut self) {
        if let Some(top) = self.frames.last_mut() {
            top.idx += 1;
        }
    }

    /// Runs an included file next: one frame per loop item, in order.
    pub fn include(&mut self, runs: Vec<(Vec<Item>, Vec<Arc<Layer>>)>) {
        let Some(top) = self.frames.last() else {
            return;
        };
        // The include task itself is at idx - 1 once advanced.
        let mut base = top.key.clone();
        base.push(top.idx.saturating_sub(1) as u32);
        let parent_vars = top.vars.clone();
        for (n, (items, vars)) in runs.into_iter().enumerate().rev() {
            let mut key = base.clone();
            key.push(3 + n as u32);
            let mut all_vars = parent_vars.clone();
            all_vars.extend(vars);
            self.frames.push(Frame {
                items: Arc::new(items),
                idx: 0,
                key,
                vars: all_vars,
                block: None,
            });
        }
    }

    /// The current task failed on this host.
    pub fn fail(&mut self) -> Failure {
        self.pending_failure = true;
        let rescued = self
            .frames
            .iter()
            .any(|f| matches!(&f.block, Some((b, Section::Block)) if !b.rescue.is_empty()));
        self.propagate();
        if rescued {
            Failure::Rescued
        } else {
            Failure::Failed
        }
    }

    /// Walks up from the failing frame to the first block that rescues it
    /// or has `always` tasks to run first.
    fn propagate(&mut self) {
        while let Some(f) = self.frames.pop() {
            match f.block {
                Some((b, Section::Block)) if !b.rescue.is_empty() => {
                    self.pending_failure = false;
                    let parent_key = f.key[..f.key.len() - 1].to_vec();
                    self.enter(b, Section::Rescue, parent_key, f.vars);
                    return;
                }
                Some((b, Section::Block)) | Some((b, Section::Rescue)) if !b.always.is_empty() => {
                    let parent_key = f.key[..f.key.len() - 1].to_vec();
                    self.enter(b, Section::Always, parent_key, f.vars);
                    return;
                }
                _ => {}
            }
        }
        self.failed = true;
    }

    /// Ends this host's section (meta: end_host / end_play).
    pub fn end(&mut self) {
        self.frames.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::load_playbook_str;

    fn items(src: &str) -> Arc<Vec<Item>> {
        let pb = load_playbook_str(src, "t.yml").expect("valid");
        Arc::new(pb.plays[0].tasks.clone())
    }

    fn names(c: &mut Cursor, fail_on: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(n) = c.next() {
            let name = n.task.display_name();
            out.push(name.clone());
            if fail_on.contains(&name.as_str()) {
                c.fail();
            } else {
                c.advance();
            }
        }
        out
    }

    const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: a
      debug:
    - block:
        - name: b1
          debug:
        - name: b2
          debug:
      rescue:
        - name: r1
          debug:
      always:
        - name: w1
          debug:
    - name: z
      debug:
"#;

    #[test]
    fn blocks_walk_in_order() {
        let mut c = Cursor::new(items(PLAY));
        assert_eq!(names(&mut c, &[]), ["a", "b1", "b2", "w1", "z"]);
        assert!(!c.failed);
    }

    #[test]
    fn a_failure_runs_rescue_then_always_and_goes_on() {
        let mut c = Cursor::new(items(PLAY));
        assert_eq!(names(&mut c, &["b1"]), ["a", "b1", "r1", "w1", "z"]);
        assert!(!c.failed);
    }

    #[test]
    fn a_failing_rescue_runs_always_then_fails_the_host() {
        let mut c = Cursor::new(items(PLAY));
        assert_eq!(names(&mut c, &["b1", "r1"]), ["a", "b1", "r1", "w1"]);
        assert!(c.failed);
    }

    #[test]
    fn keys_order_rescue_after_the_block() {
        let mut ok = Cursor::new(items(PLAY));
        let mut bad = Cursor::new(items(PLAY));
        for c in [&mut ok, &mut bad] {
            let _ = c.next();
            c.advance();
        }
        let k_b1 = bad.next().expect("b1").key;
        bad.fail();
        let k_r1 = bad.next().expect("r1").key;
        let _ = ok.next();
        ok.advance();
        let k_b2 = ok.next().expect("b2").key;
        assert!(k_b1 < k_b2 && k_b2 < k_r1, "{k_b1:?} {k_b2:?} {k_r1:?}");
    }
}
