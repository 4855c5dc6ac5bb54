// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Date filters: `to_datetime` (a Python-like datetime object) and
//! `strftime`.

use super::{Def, err, num, text};
use chrono::{DateTime, Datelike, Local, NaiveDateTime, TimeZone, Timelike, Utc};
use minijinja::value::{DynObject, Kwargs, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Environment, Error, State};
use std::cmp::Ordering;
use std::sync::Arc;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("now", now);
    env.add_filter(
        "to_datetime",
        |v: Def, format: Option<String>| -> Result<Value, Error> {
            let s = text(&v);
            let f = format.unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".into());
            let pf = py_parse_format(&f);
            let dt = NaiveDateTime::parse_from_str(&s, &pf)
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(&s, &pf)
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                })
                .map_err(|_| err(format!("time data '{s}' does not match format '{f}'")))?;
            Ok(Value::from_object(PyDateTime(dt)))
        },
    );
    env.add_filter(
        "strftime",
        |fmt: String,
         second: Option<Value>,
         utc: Option<bool>,
         kw: minijinja::value::Kwargs|
         -> Result<String, Error> {
            let utc: Option<bool> = utc.or(kw.get("utc")?);
            let second: Option<Value> = second.or(kw.get("second")?);
            kw.assert_all_used()?;
            let secs = match second {
                None => Utc::now().timestamp_micros() as f64 / 1e6,
                Some(v) => match v.kind() {
                    ValueKind::Number | ValueKind::Bool => num(&v),
                    _ => text(&v).trim().parse::<f64>().map_err(|_| {
                        err(format!("Invalid value for epoch value ({})", text(&v)))
                    })?,
                },
            };
            let whole = secs.floor() as i64;
            let nanos = ((secs - secs.floor()) * 1e9) as u32;
            let f = checked_format(&fmt)?;
            if utc.unwrap_or(false) {
                let dt: DateTime<Utc> = Utc
                    .timestamp_opt(whole, nanos)
                    .single()
                    .ok_or_else(|| err("timestamp out of range"))?;
                Ok(dt.format(&f).to_string())
            } else {
                let dt: DateTime<Local> = Local
                    .timestamp_opt(whole, nanos)
                    .single()
                    .ok_or_else(|| err("timestamp out of range"))?;
                Ok(dt.format(&f).to_string())
            }
        },
    );
}

/// Ansible's `now(utc=False, fmt=None)` global: the local (or UTC) time as
/// a naive datetime, or formatted with `fmt`.
fn now(utc: Option<bool>, fmt: Option<String>, kw: Kwargs) -> Result<Value, Error> {
    let utc: Option<bool> = utc.or(kw.get("utc")?);
    let fmt: Option<String> = fmt.or(kw.get("fmt")?);
    kw.assert_all_used()?;
    let t = if utc.unwrap_or(false) {
        Utc::now().naive_utc()
    } else {
        Local::now().naive_local()
    };
    match fmt {
        Some(f) => Ok(Value::from(t.format(&checked_format(&f)?).to_string())),
        None => Ok(Value::from_object(PyDateTime(t))),
    }
}

/// A Python strptime format for chrono's parser: Python's `%f` takes one
/// to six digits, which chrono reads as `%.f` after a dot.
fn py_parse_format(f: &str) -> String {
    py_to_chrono(&f.replace(".%f", "%.f"))
}

/// Python's strftime directives that chrono spells differently.
fn py_to_chrono(f: &str) -> String {
    f.replace("%f", "%6f")
}

/// A format chrono can print (an unknown directive makes chrono's
/// formatter fail when written, which must be an error, not a panic).
fn checked_format(f: &str) -> Result<String, Error> {
    let f = py_to_chrono(f);
    if chrono::format::StrftimeItems::new(&f).any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(err(format!("Invalid format string: {f}")));
    }
    Ok(f)
}

/// A naive `datetime.datetime`.
#[derive(Debug)]
pub(crate) struct PyDateTime(pub NaiveDateTime);

impl PyDateTime {
    /// Python's `repr()`: `datetime.datetime(2024, 3, 5, 14, 7, 9)`, the
    /// seconds and microseconds only when not zero.
    pub(crate) fn py_repr(&self) -> String {
        let d = &self.0;
        let mut fields = vec![
            i64::from(d.year()),
            i64::from(d.month()),
            i64::from(d.day()),
            i64::from(d.hour()),
            i64::from(d.minute()),
        ];
        let micro = i64::from(d.nanosecond() / 1000);
        if d.second() != 0 || micro != 0 {
            fields.push(i64::from(d.second()));
        }
        if micro != 0 {
            fields.push(micro);
        }
        let fields: Vec<String> = fields.iter().map(i64::to_string).collect();
        format!("datetime.datetime({})", fields.join(", "))
    }

    /// Python's `isoformat()`, which is also how Ansible stores a datetime
    /// as JSON (a module argument, a registered or printed value).
    /// The datetime [`PyDateTime::isoformat`] wrote.
    pub(crate) fn from_isoformat(s: &str) -> Option<PyDateTime> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(PyDateTime)
    }

    pub(crate) fn isoformat(&self) -> String {
        if self.0.nanosecond() == 0 {
            self.0.format("%Y-%m-%dT%H:%M:%S").to_string()
        } else {
            self.0.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
        }
    }
}

impl Object for PyDateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let d = &self.0;
        Some(Value::from(match key.as_str()? {
            "year" => i64::from(d.year()),
            "month" => i64::from(d.month()),
            "day" => i64::from(d.day()),
            "hour" => i64::from(d.hour()),
            "minute" => i64::from(d.minute()),
            "second" => i64::from(d.second()),
            "microsecond" => i64::from(d.nanosecond() / 1000),
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let f = args.first().map(text).unwrap_or_default();
                Ok(Value::from(self.0.format(&checked_format(&f)?).to_string()))
            }
            "isoformat" => Ok(Value::from(self.isoformat())),
            "timestamp" => Ok(Value::from(
                Local
                    .from_local_datetime(&self.0)
                    .single()
                    .map(|d| d.timestamp() as f64)
                    .unwrap_or(0.0),
            )),
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        other.downcast_ref::<PyDateTime>().map(|o| self.0.cmp(&o.0))
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.nanosecond() == 0 {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S"))
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S%.6f"))
        }
    }
}
