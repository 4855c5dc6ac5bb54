// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Typed Kubernetes clients (client-go's clientset, so `kubectl drain`)
//! send request bodies as protobuf (`application/vnd.kubernetes.protobuf`)
//! and do not fall back to JSON. The fake decodes the bodies such clients
//! send when draining (`Eviction`, `DeleteOptions`) and by `kubectl create
//! namespace|configmap|secret` into their JSON form; any other protobuf body
//! gets 415.
//!
//! Wire format: the magic `k8s\0`, then a `runtime.Unknown` message
//! (1: TypeMeta {1: apiVersion, 2: kind}, 2: raw object bytes).

use serde_json::{Map, Value, json};

use crate::status::ApiError;

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

/// The fields of one message, in order; None on a malformed buffer.
fn fields(buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let tag = varint(buf, &mut pos)?;
        let (num, wire) = (tag >> 3, tag & 7);
        let f = match wire {
            0 => Field::Varint(varint(buf, &mut pos)?),
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|e| *e <= buf.len())?;
                let b = &buf[pos..end];
                pos = end;
                Field::Bytes(b)
            }
            1 => {
                pos += 8;
                continue;
            }
            5 => {
                pos += 4;
                continue;
            }
            _ => return None,
        };
        out.push((num, f));
    }
    Some(out)
}

fn text(b: &[u8]) -> Value {
    json!(String::from_utf8_lossy(b))
}

fn delete_options(buf: &[u8]) -> Option<Value> {
    let mut o = Map::new();
    let mut dry = Vec::new();
    for (n, f) in fields(buf)? {
        match (n, f) {
            // int64 on the wire: two's complement in a varint.
            (1, Field::Varint(v)) => {
                o.insert("gracePeriodSeconds".into(), json!(v as i64));
            }
            (2, Field::Bytes(b)) => {
                let mut pre = Map::new();
                for (pn, pf) in fields(b)? {
                    match (pn, pf) {
                        (1, Field::Bytes(u)) => {
                            pre.insert("uid".into(), text(u));
                        }
                        (2, Field::Bytes(r)) => {
                            pre.insert("resourceVersion".into(), text(r));
                        }
                        _ => {}
                    }
                }
                o.insert("preconditions".into(), Value::Object(pre));
            }
            (3, Field::Varint(v)) => {
                o.insert("orphanDependents".into(), json!(v != 0));
            }
            (4, Field::Bytes(b)) => {
                o.insert("propagationPolicy".into(), text(b));
            }
            (5, Field::Bytes(b)) => dry.push(text(b)),
            _ => {}
        }
    }
    if !dry.is_empty() {
        o.insert("dryRun".into(), Value::Array(dry));
    }
    Some(Value::Object(o))
}

/// A `map<string, string>` entry: 1 key, 2 value.
fn map_entry(buf: &[u8]) -> Option<(String, Value)> {
    let mut key = String::new();
    let mut value = json!("");
    for (n, f) in fields(buf)? {
        match (n, f) {
            (1, Field::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
            (2, Field::Bytes(v)) => value = text(v),
            _ => {}
        }
    }
    Some((key, value))
}

/// ObjectMeta: 1 name, 2 generateName, 3 namespace, 11 labels, 12 annotations, 14 finalizers.
fn object_meta(buf: &[u8]) -> Option<Value> {
    let mut o = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut finalizers = Vec::new();
    for (n, f) in fields(buf)? {
        // proto2 writes unset strings as empty ones; JSON leaves them out.
        if let Field::Bytes(b) = f
            && !b.is_empty()
        {
            match n {
                1 => {
                    o.insert("name".into(), text(b));
                }
                2 => {
                    o.insert("generateName".into(), text(b));
                }
                3 => {
                    o.insert("namespace".into(), text(b));
                }
                11 => {
                    let (k, v) = map_entry(b)?;
                    labels.insert(k, v);
                }
                12 => {
                    let (k, v) = map_entry(b)?;
                    annotations.insert(k, v);
                }
                14 => finalizers.push(text(b)),
                _ => {}
            }
        }
    }
    for (k, v) in [("labels", labels), ("annotations", annotations)] {
        if !v.is_empty() {
            o.insert(k.into(), Value::Object(v));
        }
    }
    if !finalizers.is_empty() {
        o.insert("finalizers".into(), Value::Array(finalizers));
    }
    Some(Value::Object(o))
}

fn b64(b: &[u8]) -> Value {
    use base64::Engine;
    json!(base64::engine::general_purpose::STANDARD.encode(b))
}

/// A `map<string, bytes>` entry, its value base64 as JSON carries bytes.
fn bytes_entry(buf: &[u8]) -> Option<(String, Value)> {
    let mut key = String::new();
    let mut value = json!("");
    for (n, f) in fields(buf)? {
        match (n, f) {
            (1, Field::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
            (2, Field::Bytes(v)) => value = b64(v),
            _ => {}
        }
    }
    Some((key, value))
}

/// ConfigMap (2 data, 3 binaryData, 4 immutable) and Secret (2 data as
/// bytes, 3 type, 4 stringData, 5 immutable).
fn config_data(kind: &str, buf: &[u8]) -> Option<Value> {
    let secret = kind == "Secret";
    let mut o = Map::new();
    let mut maps: [(&str, Map<String, Value>); 3] = [
        ("data", Map::new()),
        ("binaryData", Map::new()),
        ("stringData", Map::new()),
    ];
    for (n, f) in fields(buf)? {
        match (n, f, secret) {
            (1, Field::Bytes(m), _) => {
                o.insert("metadata".into(), object_meta(m)?);
            }
            (2, Field::Bytes(e), false) => {
                let (k, v) = map_entry(e)?;
                maps[0].1.insert(k, v);
            }
            (2, Field::Bytes(e), true) => {
                let (k, v) = bytes_entry(e)?;
                maps[0].1.insert(k, v);
            }
            (3, Field::Bytes(e), false) => {
                let (k, v) = bytes_entry(e)?;
                maps[1].1.insert(k, v);
            }
            (3, Field::Bytes(t), true) if !t.is_empty() => {
                o.insert("type".into(), text(t));
            }
            (4, Field::Bytes(e), true) => {
                let (k, v) = map_entry(e)?;
                maps[2].1.insert(k, v);
            }
            (4, Field::Varint(v), false) | (5, Field::Varint(v), true) => {
                o.insert("immutable".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    for (name, m) in maps {
        if !m.is_empty() {
            o.insert(name.into(), Value::Object(m));
        }
    }
    Some(Value::Object(o))
}

/// The JSON form of a protobuf request body, or 415 for a kind the fake does not decode.
pub fn to_json(body: &[u8], content_type: &str) -> Result<Value, ApiError> {
    let refuse = || ApiError::unsupported_media_type(content_type);
    let inner = body.strip_prefix(b"k8s\0").ok_or_else(refuse)?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (n, f) in fields(inner).ok_or_else(refuse)? {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                for (tn, tf) in fields(tm).ok_or_else(refuse)? {
                    match (tn, tf) {
                        (1, Field::Bytes(v)) => {
                            api_version = String::from_utf8_lossy(v).into_owned()
                        }
                        (2, Field::Bytes(k)) => kind = String::from_utf8_lossy(k).into_owned(),
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let mut obj = match kind.as_str() {
        "DeleteOptions" => delete_options(raw).ok_or_else(refuse)?,
        "Eviction" => {
            let mut ev = Map::new();
            for (n, f) in fields(raw).ok_or_else(refuse)? {
                match (n, f) {
                    (1, Field::Bytes(m)) => {
                        ev.insert("metadata".into(), object_meta(m).ok_or_else(refuse)?);
                    }
                    (2, Field::Bytes(d)) => {
                        ev.insert(
                            "deleteOptions".into(),
                            delete_options(d).ok_or_else(refuse)?,
                        );
                    }
                    _ => {}
                }
            }
            Value::Object(ev)
        }
        // `kubectl create configmap`: 2 data, 3 binaryData (base64 in JSON), 4 immutable.
        "ConfigMap" | "Secret" => config_data(&kind, raw).ok_or_else(refuse)?,
        // `kubectl create namespace`: metadata only (the spec holds finalizers the server sets).
        "Namespace" => {
            let mut ns = Map::new();
            for (n, f) in fields(raw).ok_or_else(refuse)? {
                if let (1, Field::Bytes(m)) = (n, f) {
                    ns.insert("metadata".into(), object_meta(m).ok_or_else(refuse)?);
                }
            }
            Value::Object(ns)
        }
        _ => return Err(refuse()),
    };
    obj["apiVersion"] = json!(api_version);
    obj["kind"] = json!(kind);
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(num: u8, bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![(num << 3) | 2, bytes.len() as u8];
        v.extend_from_slice(bytes);
        v
    }

    #[test]
    fn decodes_an_eviction_envelope() {
        let mut meta = field(1, b"web-1");
        meta.extend(field(3, b"default"));
        let mut opts = vec![(1 << 3), 5];
        opts.extend(field(4, b"Background"));
        let mut ev = field(1, &meta);
        ev.extend(field(2, &opts));
        let mut tm = field(1, b"policy/v1");
        tm.extend(field(2, b"Eviction"));
        let mut body = b"k8s\0".to_vec();
        body.extend(field(1, &tm));
        body.extend(field(2, &ev));
        let got = to_json(&body, "application/vnd.kubernetes.protobuf").ok();
        assert_eq!(
            got,
            Some(
                json!({"metadata": {"name": "web-1", "namespace": "default"},
                        "deleteOptions": {"gracePeriodSeconds": 5, "propagationPolicy": "Background"},
                        "apiVersion": "policy/v1", "kind": "Eviction"})
            )
        );
    }
}
