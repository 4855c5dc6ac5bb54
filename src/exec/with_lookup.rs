// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `with_<lookup>` for the lookups the templar implements (`with_fileglob`,
//! `with_first_found`, `with_file`, `with_lines`, ...): as in Ansible, the
//! loop's items are what the lookup returns for the terms written, as a
//! list (`query`).

use crate::vars::{Layer, Scope, VarValue};
use crate::yaml::{Node, NodeKind};
use serde_json::Value as Json;
use std::sync::Arc;

/// The variable the terms are handed to the lookup call in.
const TERMS: &str = "__kiln_with_terms";

/// The items of `with_<lookup>` over `terms` (already templated), or
/// `None` when the loop form is not a templar lookup.
pub(super) fn items(
    scope: &Scope,
    lookup: &str,
    terms: Json,
    at: &Node,
) -> Option<Result<Vec<Json>, String>> {
    if !crate::playbook::keywords::WITH_TEMPLAR_LOOKUPS.contains(&lookup) {
        return None;
    }
    let terms = match terms {
        Json::Array(a) => a,
        other => vec![other],
    };
    // Each term is its own argument, as Ansible passes the list to the
    // lookup's run().
    let args: String = (0..terms.len())
        .map(|i| format!(", {TERMS}[{i}]"))
        .collect();
    let mut layer = Layer::new();
    layer.insert(TERMS.to_string(), VarValue::Data(Json::Array(terms)));
    let scope = scope.with_layer(Arc::new(layer));
    let call = Node::new(
        NodeKind::Str(format!("{{{{ query('{lookup}'{args}) }}}}")),
        at.span.clone(),
    );
    Some(match scope.render_json(&call) {
        Ok(Json::Array(a)) => Ok(a),
        Ok(other) => Ok(vec![other]),
        Err(e) => Err(e.to_string()),
    })
}
