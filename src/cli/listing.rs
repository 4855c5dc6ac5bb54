// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `--list-hosts`, `--list-tasks` and `--plan`, printed as ansible-playbook
//! prints the first two.

use super::PlaybookArgs;
use crate::engine::Prepared;
use crate::plan::{PlayInput, Step, Strategy};
use crate::playbook::{Item, Play, Task};
use crate::vars::{MagicVars, Scope, layer_from_nodes};
use std::sync::Arc;

pub fn print(prepared: &Prepared, args: &PlaybookArgs) -> i32 {
    for (n, pb) in prepared.playbooks.iter().enumerate() {
        // Ansible shows the playbook as it was named on the command line.
        let shown = args.playbooks.get(n).unwrap_or(&pb.path);
        println!("\nplaybook: {}", shown.display());
        let mut plays = Vec::new();
        for (i, play) in pb.plays.iter().enumerate() {
            let vars = Arc::new(layer_from_nodes(play.vars.iter()));
            let scope = Scope::new(
                prepared.templar.clone(),
                vec![vars, Arc::new(prepared.extra.clone())],
                Arc::new(MagicVars::new(None)),
            );
            let pattern = match scope.render_json(&play.hosts) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(serde_json::Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                Ok(other) => other.to_string(),
                Err(e) => {
                    eprintln!("[ERROR]: {e}");
                    return 1;
                }
            };
            let name = play
                .name
                .as_ref()
                .and_then(|n| n.as_str())
                .unwrap_or(&pattern)
                .to_string();
            println!(
                "\n  play #{} ({}): {}\tTAGS: [{}]",
                i + 1,
                pattern,
                name,
                // A Python set joined with "," (no space), as Ansible does.
                play.inherit.tags.join(",")
            );
            let mut hosts = prepared.inventory.select(&pattern).unwrap_or_default();
            if prepared.inventory.apply_limit(&mut hosts).is_err() {
                hosts.clear();
            }
            if args.list_hosts {
                println!("    pattern: ['{}']", pattern);
                println!("    hosts ({}):", hosts.len());
                for h in &hosts {
                    println!("      {h}");
                }
            }
            // Ansible lists what each block's `block` section holds (not
            // rescue or always), with the play's tags added to each task's.
            let mut listed = Vec::new();
            for items in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                block_tasks(items, &mut listed);
            }
            let tags_of = |t: &Task| {
                let mut tags: Vec<String> = play
                    .inherit
                    .tags
                    .iter()
                    .chain(&t.inherit.tags)
                    .cloned()
                    .collect();
                tags.sort();
                tags.dedup();
                tags
            };
            let tasks: Vec<_> = listed
                .into_iter()
                .filter(|t| {
                    let tags = tags_of(t);
                    let skip = &prepared.opts.skip_tags;
                    if prepared.opts.tags.is_empty() && skip.is_empty() {
                        // With neither --tags nor --skip-tags, Ansible's
                        // listing shows every task, `never` ones too.
                        true
                    } else {
                        crate::exec::tags_selected(&tags, &prepared.opts.tags, skip)
                    }
                })
                .collect();
            if args.list_tasks {
                println!("    tasks:");
                for t in &tasks {
                    println!(
                        "      {}\tTAGS: [{}]",
                        t.listing_name(),
                        tags_of(t).join(", ")
                    );
                }
            }
            if args.list_tags {
                let mut all: Vec<String> = play
                    .inherit
                    .tags
                    .iter()
                    .cloned()
                    .chain(tasks.iter().flat_map(|t| tags_of(t)))
                    .collect();
                all.sort();
                all.dedup();
                println!("      TASK TAGS: [{}]", all.join(", "));
            }
            if args.plan.is_some() {
                plays.push(plan_input(prepared, play, &scope, name, hosts));
            }
        }
        if let Some(fmt) = &args.plan {
            let plan = crate::plan::lower(&plays);
            if fmt == "dot" {
                print!("{}", plan.to_dot());
            } else {
                print!("{}", plan.to_text());
            }
        }
    }
    0
}

/// A play as the plan graph sees it: strategy, serial batches, the tasks
/// `--tags` selects in each section, and the handlers.
fn plan_input(
    prepared: &Prepared,
    play: &Play,
    scope: &Scope,
    name: String,
    hosts: Vec<String>,
) -> PlayInput {
    let strategy = match play.strategy.as_ref().map(|n| scope.render_json(n)) {
        Some(Ok(serde_json::Value::String(s))) => Strategy::named(&s),
        _ => Strategy::Linear,
    };
    let batches = crate::exec::serial_batches(scope, play.serial.as_ref(), &hosts)
        .unwrap_or_else(|_| vec![hosts.clone()]);
    let section = |items: &[Item]| -> Vec<Step> {
        items
            .iter()
            .flat_map(Item::tasks)
            .filter(|t| {
                crate::exec::tags_selected(
                    &t.inherit.tags,
                    &prepared.opts.tags,
                    &prepared.opts.skip_tags,
                )
            })
            .map(|t| {
                let mut step = Step::of_task(&t);
                step.expansion = include_expansion(prepared, play, &t);
                step
            })
            .collect()
    };
    PlayInput {
        name,
        strategy,
        batches,
        sections: vec![
            section(&play.pre_tasks),
            section(&play.tasks),
            section(&play.post_tasks),
        ],
        handlers: play.handlers.iter().map(|h| h.display_name()).collect(),
        max_fail_percentage: play.max_fail_percentage.is_some(),
    }
}

/// The tasks an `include_tasks` brings in, one list per loop item, when
/// they are known without running anything: a literal file name found next
/// to the task (or in its role), and no loop or a literal one. Otherwise
/// nothing: the listing says the include's tasks join when it runs. Nested
/// includes are not followed (their own file may depend on the first).
fn include_expansion(prepared: &Prepared, play: &Play, task: &Task) -> Vec<Vec<Step>> {
    if crate::modules::canonical(&task.action) != "include_tasks" {
        return Vec::new();
    }
    let arg = |k: &str| task.args.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    let Some(file) = arg("file")
        .or_else(|| arg("_raw_params"))
        .and_then(|n| n.as_str())
        .filter(|f| !f.contains("{{"))
    else {
        return Vec::new();
    };
    let items = match &task.loop_ {
        None => 1,
        Some(crate::playbook::Loop::Loop(n)) => match &n.kind {
            crate::yaml::NodeKind::Seq(v) => v.len(),
            _ => return Vec::new(),
        },
        Some(_) => return Vec::new(),
    };
    let mut candidates = Vec::new();
    if let Some(r) = &task.role {
        candidates.push(r.path.join("tasks").join(file));
    }
    candidates.push(task.dir.join(file));
    candidates.push(play.dir.join(file));
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        return Vec::new();
    };
    let Ok(parsed) = crate::playbook::parse_task_file(
        path,
        &crate::playbook::Inherited::default(),
        task.role.clone(),
        &play.dir,
        &crate::playbook::LoadOptions {
            vault: prepared.vault.clone(),
            ..Default::default()
        },
        &[],
    ) else {
        return Vec::new();
    };
    let steps: Vec<Step> = parsed
        .iter()
        .flat_map(Item::tasks)
        .map(|t| Step::of_task(&t))
        .collect();
    vec![steps; items]
}

/// The tasks of `items`, descending into each block's `block` section only.
fn block_tasks(items: &[Item], out: &mut Vec<Arc<Task>>) {
    for i in items {
        match i {
            Item::Task(t) => out.push(t.clone()),
            Item::Block(b) => block_tasks(&b.block, out),
        }
    }
}
