// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Python's `datetime.timedelta` and the subtraction of dates: templates
//! compute ages and durations as `(to_datetime(a) - to_datetime(b))` and
//! read `.days`, `.seconds` or `.total_seconds()` of the result.

use super::time::PyDateTime;
use crate::template::pyrepr::py_type_name;
use chrono::TimeDelta;
use minijinja::value::{DynObject, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};
use std::cmp::Ordering;
use std::sync::Arc;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A `datetime.timedelta`, held in microseconds as Python's is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PyTimeDelta {
    pub(super) micros: i64,
}

impl PyTimeDelta {
    fn from_chrono(d: TimeDelta) -> Result<PyTimeDelta, Error> {
        d.num_microseconds()
            .map(|micros| PyTimeDelta { micros })
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "timedelta out of range"))
    }

    fn to_chrono(self) -> TimeDelta {
        TimeDelta::microseconds(self.micros)
    }

    /// Python's normalised fields: days (any sign), then seconds in
    /// `0..86400` and microseconds in `0..1_000_000`.
    fn fields(self) -> (i64, i64, i64) {
        let days = self.micros.div_euclid(MICROS_PER_DAY);
        let rest = self.micros.rem_euclid(MICROS_PER_DAY);
        (days, rest / 1_000_000, rest % 1_000_000)
    }

    /// Python's `repr()`: `datetime.timedelta(days=-5, seconds=82676)`,
    /// the zero fields left out, `datetime.timedelta(0)` when all are.
    pub(crate) fn py_repr(&self) -> String {
        let (days, seconds, micros) = self.fields();
        let parts: Vec<String> = [
            ("days", days),
            ("seconds", seconds),
            ("microseconds", micros),
        ]
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
        if parts.is_empty() {
            return "datetime.timedelta(0)".into();
        }
        format!("datetime.timedelta({})", parts.join(", "))
    }
}

impl Object for PyTimeDelta {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (days, seconds, micros) = self.fields();
        Some(Value::from(match key.as_str()? {
            "days" => days,
            "seconds" => seconds,
            "microseconds" => micros,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            // Exact: an i64 of microseconds below 2**53 converts without loss
            // and IEEE division rounds once, as Python's true division does.
            "total_seconds" => Ok(Value::from(self.micros as f64 / 1e6)),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.micros != 0
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        other
            .downcast_ref::<PyTimeDelta>()
            .map(|o| self.micros.cmp(&o.micros))
    }

    /// Python's `str()`: `5 days, 0:00:00`, `-1 day, 23:59:59.500000`.
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (days, seconds, micros) = self.fields();
        if days != 0 {
            let plural = if days.abs() == 1 { "" } else { "s" };
            write!(f, "{days} day{plural}, ")?;
        }
        write!(
            f,
            "{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        Ok(())
    }
}

/// `a - b` where either side is a datetime or a timedelta, as Python
/// computes it; `None` when neither is (the caller subtracts numbers).
pub(crate) fn subtract(a: &Value, b: &Value) -> Option<Result<Value, Error>> {
    let date = |v: &Value| v.downcast_object_ref::<PyDateTime>().map(|d| d.0);
    let delta = |v: &Value| v.downcast_object_ref::<PyTimeDelta>().copied();
    let (da, db, ta, tb) = (date(a), date(b), delta(a), delta(b));
    if da.is_none() && db.is_none() && ta.is_none() && tb.is_none() {
        return None;
    }
    Some(match (da, db, ta, tb) {
        (Some(x), Some(y), _, _) => {
            PyTimeDelta::from_chrono(x.signed_duration_since(y)).map(Value::from_object)
        }
        (Some(x), _, _, Some(d)) => x
            .checked_sub_signed(d.to_chrono())
            .map(|t| Value::from_object(PyDateTime(t)))
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "date value out of range")),
        (_, _, Some(x), Some(y)) => x
            .micros
            .checked_sub(y.micros)
            .map(|micros| Value::from_object(PyTimeDelta { micros }))
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "timedelta out of range")),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "unsupported operand type(s) for -: '{}' and '{}'",
                qualified_type(a),
                qualified_type(b)
            ),
        )),
    })
}

/// The type name Python's operator errors print (`datetime.datetime`).
fn qualified_type(v: &Value) -> String {
    match py_type_name(v) {
        "datetime" => "datetime.datetime".into(),
        "timedelta" => "datetime.timedelta".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(micros: i64) -> Arc<PyTimeDelta> {
        Arc::new(PyTimeDelta { micros })
    }

    struct Shown(Arc<PyTimeDelta>);

    impl std::fmt::Display for Shown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.render(f)
        }
    }

    #[test]
    fn str_and_repr_are_pythons() {
        let cases = [
            (0, "0:00:00", "datetime.timedelta(0)"),
            (
                5 * MICROS_PER_DAY,
                "5 days, 0:00:00",
                "datetime.timedelta(days=5)",
            ),
            (
                MICROS_PER_DAY + 3_723_500_000,
                "1 day, 1:02:03.500000",
                "datetime.timedelta(days=1, seconds=3723, microseconds=500000)",
            ),
            (
                -1_000_000,
                "-1 day, 23:59:59",
                "datetime.timedelta(days=-1, seconds=86399)",
            ),
            (3_600_000_000, "1:00:00", "datetime.timedelta(seconds=3600)"),
        ];
        for (micros, text, repr) in cases {
            assert_eq!(Shown(td(micros)).to_string(), text);
            assert_eq!(td(micros).py_repr(), repr);
        }
    }
}
