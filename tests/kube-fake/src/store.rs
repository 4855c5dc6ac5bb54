// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The object store: every object of every served type, one global
//! `resourceVersion` counter like etcd's revision, and the event history that
//! watches resume from (older revisions are compacted: 410 Expired).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::resources::{self, ResourceType};
use crate::status::ApiError;

/// `ADDED`, `MODIFIED` or `DELETED`, as watch events name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, kept for watches.
#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub ty: usize,
    pub kind: EventType,
    pub object: Value,
    /// The object before the change, so a watch with a selector can turn a
    /// change that leaves (or enters) the selection into DELETED (or ADDED).
    pub old: Option<Value>,
}

/// (type index, namespace or "", name): ordered as the API server lists (by namespace, then name).
pub type Key = (usize, String, String);

pub struct State {
    pub rv: u64,
    pub objects: BTreeMap<Key, Value>,
    history: VecDeque<Arc<Event>>,
    /// Revisions up to this one are no longer in `history`.
    pub compacted: u64,
    history_limit: usize,
    /// When each graceful deletion was asked for, so the simulated kubelet can finish it.
    pub deleting_since: HashMap<Key, Instant>,
}

pub struct Store {
    state: Mutex<State>,
    tx: broadcast::Sender<Arc<Event>>,
}

pub fn meta(obj: &Value, field: &str) -> Option<String> {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let md = &mut obj["metadata"];
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    match md {
        Value::Object(m) => m,
        _ => unreachable!("metadata was just made an object"),
    }
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (tx, _) = broadcast::channel(4096);
        Store {
            state: Mutex::new(State {
                rv: 1,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                compacted: 1,
                history_limit,
                deleting_since: HashMap::new(),
            }),
            tx,
        }
    }

    /// The store's lock; a poisoned lock (a panicking test thread) still yields the data.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Writes `obj` under `key` (or removes it when `obj` is None) as one new revision.
    /// Returns the object as stored, with its new `resourceVersion`.
    pub fn commit(&self, st: &mut State, key: &Key, obj: Option<Value>) -> Option<Value> {
        st.rv += 1;
        let rv = st.rv;
        let old = st.objects.get(key).cloned();
        let (kind, stored) = match obj {
            Some(mut o) => {
                meta_mut(&mut o).insert("resourceVersion".into(), json!(rv.to_string()));
                let kind = if old.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                st.objects.insert(key.clone(), o.clone());
                (kind, o)
            }
            None => {
                st.objects.remove(key);
                st.deleting_since.remove(key);
                let mut o = old.clone().unwrap_or(Value::Null);
                if o.is_object() {
                    meta_mut(&mut o).insert("resourceVersion".into(), json!(rv.to_string()));
                }
                (EventType::Deleted, o)
            }
        };
        let ev = Arc::new(Event {
            rv,
            ty: key.0,
            kind,
            object: stored.clone(),
            old,
        });
        st.history.push_back(ev.clone());
        while st.history.len() > st.history_limit {
            if let Some(e) = st.history.pop_front() {
                st.compacted = e.rv;
            }
        }
        // No receiver is not an error: nobody watches.
        let _ = self.tx.send(ev);
        Some(stored)
    }

    /// Drops the whole event history, as an etcd compaction does.
    pub fn compact(&self) {
        let mut st = self.lock();
        st.compacted = st.rv;
        st.history.clear();
    }
}

impl State {
    /// Events after `rv`, or 410 when `rv` is older than the kept history.
    pub fn events_since(&self, rv: u64) -> Result<Vec<Arc<Event>>, ApiError> {
        if rv < self.compacted {
            return Err(ApiError::expired(format!(
                "too old resource version: {rv} ({})",
                self.compacted
            )));
        }
        Ok(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    /// The objects of one type as they were at revision `rv` (which must not be
    /// compacted): the current ones with every later change undone.
    pub fn snapshot_of_type(&self, ty: usize, rv: u64) -> BTreeMap<Key, Value> {
        let mut objs: BTreeMap<Key, Value> = self
            .of_type(ty, None)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for ev in self
            .history
            .iter()
            .rev()
            .take_while(|e| e.rv > rv)
            .filter(|e| e.ty == ty)
        {
            let Some(key) = ev.object.get("metadata").map(|_| {
                let ns = meta(&ev.object, "namespace").unwrap_or_default();
                (
                    ty,
                    if resources::get(ty).namespaced {
                        ns
                    } else {
                        String::new()
                    },
                    meta(&ev.object, "name").unwrap_or_default(),
                )
            }) else {
                continue;
            };
            match &ev.old {
                Some(old) => objs.insert(key, old.clone()),
                None => objs.remove(&key),
            };
        }
        objs
    }

    pub fn get(&self, ty: usize, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(ty, ns.to_string(), name.to_string()))
    }

    /// Objects of one type, in one namespace or all.
    pub fn of_type<'a>(
        &'a self,
        ty: usize,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Key, &'a Value)> + 'a {
        self.objects
            .range((ty, String::new(), String::new())..)
            .take_while(move |(k, _)| k.0 == ty)
            .filter(move |(k, _)| ns.is_none_or(|n| k.1 == n))
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        resources::by_path("", "v1", "namespaces").is_some_and(|t| self.get(t, "", ns).is_some())
    }
}

/// The key of an object of type `rt` named by its metadata.
pub fn key_of(ty: usize, rt: &ResourceType, obj: &Value) -> Key {
    let ns = if rt.namespaced {
        meta(obj, "namespace").unwrap_or_default()
    } else {
        String::new()
    };
    (ty, ns, meta(obj, "name").unwrap_or_default())
}
