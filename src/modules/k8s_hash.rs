// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `append_hash` of `kubernetes.core.k8s`: the suffix the collection appends
//! to a ConfigMap's or Secret's name (kubectl's ConfigMapHash/SecretHash
//! scheme), byte for byte: SHA-256 of a compact JSON of `data` (keys
//! sorted), `kind`, the name (or `generateName`) and, for a Secret, `type`;
//! the first ten hex digits with `0 1 3 a e` replaced by `g h k m t` so the
//! suffix never reads as a word or number.

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

/// The hash suffix of a ConfigMap or Secret definition; `None` for other
/// kinds (the collection ignores `append_hash` for them).
pub fn suffix(def: &Json) -> Option<String> {
    let kind = def.get("kind").and_then(Json::as_str)?;
    if kind != "ConfigMap" && kind != "Secret" {
        return None;
    }
    let mut fields = vec!["data", "kind"];
    let meta = def.get("metadata");
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string()
    };
    // The name, or generateName when there is no name.
    let (key, name) = match (text("name"), text("generateName")) {
        (n, g) if n.is_empty() && !g.is_empty() => ("generateName", g),
        (n, _) => ("name", n),
    };
    fields.push(key);
    if kind == "Secret" {
        fields.push("type");
    }
    // Key order as the collection writes them; only nested dicts sorted.
    let mut ordered = Map::new();
    for f in fields {
        let v = match f {
            "name" | "generateName" => Json::String(name.clone()),
            other => def
                .get(other)
                .map(sorted)
                .unwrap_or(Json::String(String::new())),
        };
        ordered.insert(f.to_string(), v);
    }
    let marshalled = super::copy::py_json_with(&Json::Object(ordered), true, false);
    let digest = Sha256::digest(marshalled.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(
        hex.chars()
            .take(10)
            .map(|c| match c {
                '0' => 'g',
                '1' => 'h',
                '3' => 'k',
                'a' => 'm',
                'e' => 't',
                c => c,
            })
            .collect(),
    )
}

/// Dicts with their keys sorted, recursively (lists are left as they are,
/// as the collection's `sorted_dict` does).
fn sorted(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected values computed with the collection's own
    // `hashes.generate_hash` (kubernetes.core 6.6.0, Python 3.12).
    #[test]
    fn matches_the_collection() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "default"},
            "data": {"mode": "fast", "b": "é"}});
        assert_eq!(suffix(&cm).as_deref(), Some(CM_HASH));
        let secret = json!({"kind": "Secret", "type": "Opaque",
            "metadata": {"generateName": "creds-"}, "data": {"pw": "c2VjcmV0"}});
        assert_eq!(suffix(&secret).as_deref(), Some(SECRET_HASH));
        let empty = json!({"kind": "ConfigMap", "metadata": {"name": "e"}});
        assert_eq!(suffix(&empty).as_deref(), Some(EMPTY_HASH));
        assert_eq!(suffix(&json!({"kind": "Service"})), None);
    }

    const CM_HASH: &str = "fgm2h965bh";
    const SECRET_HASH: &str = "9cgdf5mm6h";
    const EMPTY_HASH: &str = "dk5k25c9dm";
}
