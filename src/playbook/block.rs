// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Task lists and `block`/`rescue`/`always`.

use super::common::{Ctx, check_keyword, inherit_key, load_doc, mapping, task_list};
use super::{Block, Inherited, Item, PlaybookError};
use crate::span::Span;
use crate::vault::Secrets;
use crate::yaml::Node;
use std::path::Path;
use std::sync::Arc;

/// Block keywords of ansible-core 2.21.
const BLOCK_KEYWORDS: &[&str] = &[
    "always",
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "name",
    "no_log",
    "notify",
    "port",
    "remote_user",
    "rescue",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "vars",
    "when",
];

const BLOCK_IMPLEMENTED: &[&str] = &[
    "always",
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "name",
    "no_log",
    "port",
    "remote_user",
    "rescue",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "vars",
    "when",
];

/// Parses a list of task entries (tasks, blocks, static imports).
pub(super) fn parse_items(
    list: &Node,
    what: &str,
    ctx: &Ctx,
) -> Result<Vec<Item>, Vec<PlaybookError>> {
    let entries = task_list(list, what).map_err(|e| vec![e])?;
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for e in entries {
        let parsed = if e.get("block").is_some() {
            block(e, ctx).map(|b| vec![Item::Block(Arc::new(b))])
        } else if e.get("rescue").is_some() || e.get("always").is_some() {
            Err(vec![PlaybookError::new(
                &e.span,
                "'rescue' and 'always' need a 'block' in the same entry",
            )])
        } else {
            super::task::parse_task(e, ctx)
        };
        match parsed {
            Ok(mut i) => items.append(&mut i),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

fn block(n: &Node, ctx: &Ctx) -> Result<Block, Vec<PlaybookError>> {
    let pairs = mapping(n, "block").map_err(|e| vec![e])?;
    // `block:` with nothing under it is no list of tasks.
    if n.get("block").is_some_and(Node::is_null) {
        return Err(vec![PlaybookError::new(
            &n.span,
            "A malformed block was encountered while loading block: the block is empty (null), not a list of tasks",
        )]);
    }
    let mut own = Inherited::default();
    let mut name = None;
    let mut errors = Vec::new();
    for (k, v) in pairs {
        if let Err(e) = check_keyword(k, BLOCK_KEYWORDS, BLOCK_IMPLEMENTED, "block", &[]) {
            errors.push(e);
            continue;
        }
        match k.as_str().unwrap_or_default() {
            "block" | "rescue" | "always" => {}
            "name" => name = Some(v.clone()),
            other => {
                if let Err(e) = inherit_key(&mut own, other, v) {
                    errors.push(e);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let child = ctx.child(&own);
    let section = |key: &str| -> Result<Vec<Item>, Vec<PlaybookError>> {
        match n.get(key) {
            Some(list) => parse_items(list, "tasks", &child),
            None => Ok(Vec::new()),
        }
    };
    let (b, r, a) = (section("block"), section("rescue"), section("always"));
    let mut errors = Vec::new();
    let mut take = |x: Result<Vec<Item>, Vec<PlaybookError>>| match x {
        Ok(v) => v,
        Err(mut e) => {
            errors.append(&mut e);
            Vec::new()
        }
    };
    let block = Block {
        span: n.span.clone(),
        name,
        block: take(b),
        rescue: take(r),
        always: take(a),
    };
    if errors.is_empty() {
        Ok(block)
    } else {
        Err(errors)
    }
}

/// Reads a file holding a list of task entries.
pub(super) fn items_from_file(
    path: &Path,
    ctx: &Ctx,
    used_at: &Span,
) -> Result<Vec<Item>, Vec<PlaybookError>> {
    if !path.is_file() {
        return Err(vec![
            PlaybookError::new(
                used_at,
                format!("Could not find or access '{}'", path.display()),
            )
            .not_found(),
        ]);
    }
    let doc = load_doc(path, ctx, Secrets::VarsSections).map_err(|e| vec![e])?;
    match doc {
        None => Ok(Vec::new()),
        Some(d) => parse_items(&d, "tasks", ctx),
    }
}
