// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The variables known while a playbook loads, for what Ansible templates
//! then: the names of static imports (`import_playbook`, `import_tasks`,
//! `import_role`, `roles:` and role dependencies) and an import's `public`.
//!
//! ansible-core 2.21 renders these with the variables it has without a host
//! (`VariableManager.get_vars(play=..., task=...)`): role defaults, the
//! play's vars and vars_files, role vars, block and task vars, extra vars,
//! and `playbook_dir`. Inventory variables and facts are not there yet, so a
//! name that uses them is undefined and refused.

use super::PlaybookError;
use super::common::Ctx;
use crate::span::Span;
use crate::template::Templar;
use crate::vars::{Layer, MagicVars, Scope, VarValue, layer_from_nodes};
use crate::vault::Secrets;
use crate::yaml::{Node, NodeKind};
use serde_json::Value as Json;
use std::path::Path;
use std::sync::Arc;

/// The play's own layers, lowest precedence first: its vars, then the
/// vars_files that can be read now (Ansible reads them again per host).
pub(super) fn play_layers(
    vars: &[(String, Node)],
    vars_files: &[Node],
    dir: &Path,
    ctx: &Ctx,
) -> Vec<Arc<Layer>> {
    let mut layers = vec![Arc::new(layer_from_nodes(vars.iter()))];
    let mut files = Layer::new();
    for entry in vars_files {
        let candidates: Vec<&Node> = match &entry.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![entry],
        };
        // The first candidate that renders and exists, as the play start
        // picks it; one that cannot be read now is left to that time.
        let lower: Vec<Arc<Layer>> = layers
            .iter()
            .cloned()
            .chain([Arc::new(files.clone())])
            .collect();
        let found = candidates.iter().find_map(|c| {
            let name = match render_with(c, &lower, ctx).ok()? {
                Json::String(s) => s,
                other => other.to_string(),
            };
            let path = dir.join(name);
            path.is_file().then_some(path)
        });
        let Some(path) = found else {
            continue;
        };
        let Ok(loaded) = crate::vault::load_yaml_file(&path, &ctx.opts.vault, Secrets::AllValues)
        else {
            continue;
        };
        if let Some(pairs) = loaded.docs.first().and_then(Node::as_map) {
            for (k, v) in pairs {
                files.insert(k.key_string(), VarValue::Node(v.clone()));
            }
        }
    }
    layers.push(Arc::new(files));
    layers
}

/// Renders `n` with what is known where the loader is (`ctx`), plus the
/// entry's own vars (`own`, an import's `vars:`).
pub(super) fn render(
    n: &Node,
    ctx: &Ctx,
    own: &[(String, Node)],
) -> Result<Json, crate::template::TemplateError> {
    let mut layers = Vec::new();
    if let Some(r) = &ctx.role {
        layers.push(Arc::new(layer_from_nodes(r.defaults.iter())));
    }
    layers.extend(ctx.known.iter().cloned());
    if let Some(r) = &ctx.role {
        layers.push(Arc::new(layer_from_nodes(r.vars.iter())));
    }
    layers.push(Arc::new(layer_from_nodes(ctx.inherit.vars.iter())));
    layers.push(Arc::new(layer_from_nodes(own.iter())));
    render_with(n, &layers, ctx)
}

fn render_with(
    n: &Node,
    layers: &[Arc<Layer>],
    ctx: &Ctx,
) -> Result<Json, crate::template::TemplateError> {
    let templar = ctx
        .opts
        .templar
        .clone()
        .unwrap_or_else(|| Templar::with_vault(ctx.opts.vault.clone()));
    let mut magic = MagicVars::new(None);
    magic.set(
        "playbook_dir",
        minijinja::Value::from(absolute(&ctx.playbook_dir).display().to_string()),
    );
    let mut all: Vec<Arc<Layer>> = layers.to_vec();
    all.push(ctx.opts.extra.clone());
    Scope::new(templar, all, Arc::new(magic)).render_json(n)
}

fn absolute(p: &Path) -> std::path::PathBuf {
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A static import's file name: rendered when it is a template, refused
/// with Ansible's words when it uses what is not known while loading.
pub(super) fn import_path(
    n: &Node,
    ctx: &Ctx,
    own: &[(String, Node)],
    anchor: &Span,
) -> Result<String, PlaybookError> {
    let Some(text) = n.as_str() else {
        return Ok(n.key_string());
    };
    if !crate::template::is_template(text) {
        return Ok(text.to_string());
    }
    match render(n, ctx, own) {
        Ok(Json::String(s)) => Ok(s),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(PlaybookError::new(
            anchor,
            format!(
                "Error when evaluating variable in import path '{text}': {}",
                e.message
            ),
        )
        .hint(
            "When using static imports, ensure that any variables used in their names are defined in vars/vars_files \
             or extra-vars passed in from the command line. Static imports cannot use variables from facts or inventory \
             sources like group or host vars.",
        )),
    }
}

/// A keyword Ansible templates while it loads (`import_playbook`'s file,
/// a role's name): rendered, or refused as `Error processing keyword`.
pub(super) fn keyword(
    n: &Node,
    keyword: &str,
    ctx: &Ctx,
    own: &[(String, Node)],
) -> Result<Json, PlaybookError> {
    match n.as_str() {
        Some(text) if crate::template::is_template(text) => render(n, ctx, own).map_err(|e| {
            PlaybookError::new(
                &n.span,
                match keyword {
                    "" => e.message.clone(),
                    k => format!("Error processing keyword '{k}': {}", e.message),
                },
            )
        }),
        _ => Ok(n.to_json()),
    }
}
