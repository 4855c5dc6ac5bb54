// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Jinja2's global functions where minijinja's differ: `range` gives a
//! Python range object (not a list), and `lipsum` exists.

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value};
use minijinja::{Environment, Error, ErrorKind};
use rand::Rng;
use std::sync::Arc;

/// The most items a range may hold, as minijinja's own `range` allows:
/// a template must not be able to allocate without bound by iterating one.
const RANGE_LIMIT: i64 = 100_000;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_function("range", range);
    env.add_function("lipsum", lipsum);
}

/// Python's `range`: lazy, indexable, printed as `range(0, 3)`. Ansible keeps
/// it a range inside templates (so `range(10**9) | random` works) and refuses
/// to store one as a template's result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyRange {
    start: i64,
    stop: i64,
    step: i64,
}

impl PyRange {
    fn len(&self) -> usize {
        let span = if self.step > 0 {
            self.stop.saturating_sub(self.start)
        } else {
            self.start.saturating_sub(self.stop)
        };
        if span <= 0 {
            return 0;
        }
        let step = self.step.unsigned_abs();
        usize::try_from(span.unsigned_abs().div_ceil(step)).unwrap_or(usize::MAX)
    }

    /// Python's `str()` and `repr()` of it (they are the same).
    pub(crate) fn text(&self) -> String {
        if self.step == 1 {
            format!("range({}, {})", self.start, self.stop)
        } else {
            format!("range({}, {}, {})", self.start, self.stop, self.step)
        }
    }
}

impl Object for PyRange {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let len = i64::try_from(self.len()).ok()?;
        let mut i = key.as_i64()?;
        if i < 0 {
            i += len;
        }
        (0..len)
            .contains(&i)
            .then(|| Value::from(self.start + i * self.step))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.len())
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

fn range(lower: i64, upper: Option<i64>, step: Option<i64>) -> Result<Value, Error> {
    let (start, stop) = match upper {
        Some(u) => (lower, u),
        None => (0, lower),
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "range() arg 3 must not be zero",
        ));
    }
    let r = PyRange { start, stop, step };
    if r.len() > RANGE_LIMIT as usize {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("range has too many elements (limit is {RANGE_LIMIT})"),
        ));
    }
    Ok(Value::from_object(r))
}

/// Words of the classic placeholder text, for `lipsum`.
const WORDS: &str = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod \
    tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud \
    exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in \
    reprehenderit voluptate velit esse cillum eu fugiat nulla pariatur excepteur sint occaecat \
    cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum";

/// Jinja2's `lipsum(n=5, html=True, min=20, max=100)`: `n` paragraphs of
/// random placeholder words, each of `min` to `max` words, sentences
/// capitalised and ended with a period; wrapped in `<p>` when `html`.
fn lipsum(n: Option<i64>, kw: Kwargs) -> Result<Value, Error> {
    let n: i64 = match n {
        Some(n) => n,
        None => kw.get::<Option<i64>>("n")?.unwrap_or(5),
    };
    let html: bool = kw.get::<Option<bool>>("html")?.unwrap_or(true);
    let min: i64 = kw.get::<Option<i64>>("min")?.unwrap_or(20);
    let max: i64 = kw.get::<Option<i64>>("max")?.unwrap_or(100);
    kw.assert_all_used()?;
    if min > max || min < 1 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "empty range for randrange() ({min}, {}, {})",
                max + 1,
                max + 1 - min
            ),
        ));
    }
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut rng = rand::thread_rng();
    let mut paragraphs = Vec::new();
    for _ in 0..n.clamp(0, 1000) {
        let count = rng.gen_range(min..=max.clamp(min, 10_000));
        let mut text = String::new();
        let mut sentence_start = true;
        for i in 0..count {
            let w = words[rng.gen_range(0..words.len())];
            if i > 0 {
                text.push(' ');
            }
            if sentence_start {
                let mut c = w.chars();
                if let Some(first) = c.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(c.as_str());
                }
                sentence_start = false;
            } else {
                text.push_str(w);
            }
            // A sentence ends about every twelve words.
            if i + 1 < count && rng.gen_range(0..12) == 0 {
                text.push('.');
                sentence_start = true;
            }
        }
        text.push('.');
        paragraphs.push(text);
    }
    Ok(Value::from(if html {
        paragraphs
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        paragraphs.join("\n\n")
    }))
}
