// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `set_stats`: custom statistics for the run, per host or run-wide. The
//! module only shapes its result (`ansible_stats`); the executor adds it to
//! the run's custom stats, which the recap, the json callback and the
//! `playbook_on_stats` event (`artifact_data`) report.

use super::spec::{ArgSpec, ArgType as T, FreeForm, ModuleSpec, RunsOn, to_bool};
use super::{Args, ModResult, Module, ModuleCtx, ModuleError, Step, failed};
use serde_json::{Map, Value as Json, json};

pub struct SetStats;

static SPEC: ModuleSpec = ModuleSpec {
    name: "set_stats",
    args: &[
        ArgSpec::new("data", T::Raw),
        ArgSpec::new("per_host", T::Raw),
        ArgSpec::new("aggregate", T::Raw),
    ],
    free_form: FreeForm::No,
    mutually_exclusive: &[],
    required_one_of: &[],
    runs_on: RunsOn::Controller,
    any_args: false,
    raw_args: &[],
};

/// The stats one task sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub data: Map<String, Json>,
    pub per_host: bool,
    pub aggregate: bool,
}

impl Stats {
    /// The `ansible_stats` result value.
    pub fn to_json(&self) -> Json {
        json!({
            "data": self.data,
            "per_host": self.per_host,
            "aggregate": self.aggregate,
        })
    }

    /// Reads an `ansible_stats` result value back.
    pub fn from_json(v: &Json) -> Option<Stats> {
        Some(Stats {
            data: v.get("data")?.as_object()?.clone(),
            per_host: v.get("per_host").and_then(Json::as_bool).unwrap_or(false),
            aggregate: v.get("aggregate").and_then(Json::as_bool).unwrap_or(true),
        })
    }
}

#[async_trait::async_trait]
impl Module for SetStats {
    type Args = Result<Stats, String>;
    type State = ();

    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn parse(&self, args: &Args) -> Result<Self::Args, String> {
        let data = match args.get("data") {
            None => Map::new(),
            Some(Json::Object(m)) => m.clone(),
            // Ansible's words; reported as the task's result.
            Some(_) => {
                return Ok(Err(
                    "The 'data' option needs to be a dictionary/hash".to_string()
                ));
            }
        };
        // Ansible converts these leniently: anything not true is false.
        let flag = |k: &str, default: bool| {
            args.get(k)
                .map(|v| to_bool(v).unwrap_or(false))
                .unwrap_or(default)
        };
        for k in data.keys() {
            if !super::is_identifier(k) {
                return Err(format!("Invalid variable name '{k}'."));
            }
        }
        Ok(Ok(Stats {
            data,
            per_host: flag("per_host", false),
            aggregate: flag("aggregate", true),
        }))
    }

    async fn plan(&self, _: &ModuleCtx<'_>, args: &Self::Args) -> Result<Step<()>, ModuleError> {
        let stats = match args {
            Ok(s) => s,
            Err(msg) => return Ok(Step::Done(failed(msg.clone()))),
        };
        let mut r = ModResult::new();
        r.insert("changed".into(), json!(false));
        r.insert("ansible_stats".into(), stats.to_json());
        Ok(Step::Done(r))
    }

    async fn apply(
        &self,
        _: &ModuleCtx<'_>,
        _: &Self::Args,
        _: (),
    ) -> Result<ModResult, ModuleError> {
        Ok(ModResult::new())
    }
}

/// The run's custom stats: per host (by name) and run-wide (`_run`), as
/// Ansible's AggregateStats keeps them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomStats(pub Map<String, Json>);

impl CustomStats {
    /// Adds one task's stats for `who` (a host name, or `_run`).
    pub fn add(&mut self, who: &str, stats: &Stats) {
        let slot = self
            .0
            .entry(who.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        let Json::Object(slot) = slot else {
            return;
        };
        for (k, v) in &stats.data {
            match slot.get_mut(k) {
                Some(old) if stats.aggregate => aggregate(old, v),
                _ => {
                    slot.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// `old += new` as Python does it for an aggregated stat: dicts merge
/// (recursively), numbers add, lists and strings concatenate; a value of
/// another type than the one kept is ignored.
fn aggregate(old: &mut Json, new: &Json) {
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => merge(a, b),
        (Json::Array(a), Json::Array(b)) => a.extend(b.iter().cloned()),
        (Json::String(a), Json::String(b)) => a.push_str(b),
        (old @ Json::Number(_), Json::Number(b)) => {
            let sum = match (old.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => x.checked_add(y).map(Json::from),
                _ => None,
            };
            let sum = sum.or_else(|| {
                let (x, y) = (old.as_f64()?, b.as_f64()?);
                serde_json::Number::from_f64(x + y).map(Json::Number)
            });
            if let Some(s) = sum {
                *old = s;
            }
        }
        // Python's bool is an int: True + True is 2.
        (old @ Json::Bool(_), Json::Bool(b)) => {
            let x = i64::from(old.as_bool().unwrap_or(false));
            *old = Json::from(x + i64::from(*b));
        }
        _ => {}
    }
}

/// Ansible's `merge_hash`: keys of `b` win, dicts on both sides merge.
fn merge(a: &mut Map<String, Json>, b: &Map<String, Json>) {
    for (k, v) in b {
        match (a.get_mut(k), v) {
            (Some(Json::Object(x)), Json::Object(y)) => merge(x, y),
            _ => {
                a.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(data: Json, aggregate: bool) -> Stats {
        Stats {
            data: data.as_object().cloned().unwrap_or_default(),
            per_host: false,
            aggregate,
        }
    }

    #[test]
    fn aggregates_like_python() {
        let mut c = CustomStats::default();
        c.add(
            "_run",
            &stats(
                json!({"n": 1, "l": ["a"], "s": "x", "d": {"a": {"b": 1}}}),
                true,
            ),
        );
        c.add(
            "_run",
            &stats(
                json!({"n": 2, "l": ["b"], "s": "y", "d": {"a": {"c": 2}}}),
                true,
            ),
        );
        // Another type than the one kept: ignored.
        c.add("_run", &stats(json!({"n": "three"}), true));
        assert_eq!(
            c.0["_run"],
            json!({"n": 3, "l": ["a", "b"], "s": "xy", "d": {"a": {"b": 1, "c": 2}}})
        );
        c.add("_run", &stats(json!({"n": 42}), false));
        assert_eq!(c.0["_run"]["n"], json!(42));
        c.add("h1", &stats(json!({"f": 0.5}), true));
        c.add("h1", &stats(json!({"f": 1}), true));
        assert_eq!(c.0["h1"]["f"], json!(1.5));
    }

    #[test]
    fn data_must_be_a_mapping_of_names() {
        let m = SetStats;
        let args = |v: Json| v.as_object().cloned().unwrap_or_default();
        assert_eq!(
            m.parse(&args(json!({"data": "x"}))),
            Ok(Err("The 'data' option needs to be a dictionary/hash".into()))
        );
        assert!(m.parse(&args(json!({"data": {"bad name": 1}}))).is_err());
        let ok = m
            .parse(&args(
                json!({"data": {"a": 1}, "per_host": "yes", "aggregate": "no"}),
            ))
            .expect("parses")
            .expect("valid");
        assert!(ok.per_host && !ok.aggregate);
        assert_eq!(Stats::from_json(&ok.to_json()), Some(ok));
    }
}
