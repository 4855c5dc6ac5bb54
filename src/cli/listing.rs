// SPDX-License-Identifier: MIT
//! `--list-hosts`, `--list-tasks` and `--plan`, printed as ansible-playbook
//! prints the first two.

use super::PlaybookArgs;
use crate::engine::Prepared;
use crate::plan::{PlayInput, Step, Strategy};
use crate::playbook::{Item, Play};
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
                    eprintln!("ERROR! {e}");
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
                play.inherit.tags.join(", ")
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
            let tasks: Vec<_> = play
                .all_tasks()
                .into_iter()
                .filter(|t| {
                    crate::exec::tags_selected(
                        &t.inherit.tags,
                        &prepared.opts.tags,
                        &prepared.opts.skip_tags,
                    )
                })
                .collect();
            if args.list_tasks {
                println!("    tasks:");
                for t in &tasks {
                    let mut tags = t.inherit.tags.clone();
                    tags.sort();
                    tags.dedup();
                    println!("      {}\tTAGS: [{}]", t.display_name(), tags.join(", "));
                }
            }
            if args.list_tags {
                let mut all: Vec<String> =
                    tasks.iter().flat_map(|t| t.inherit.tags.clone()).collect();
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
            .map(|t| Step::of_task(&t))
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
