// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! List and math filters of ansible.builtin: set operations (in Python's
//! set order where Ansible's result depends on it), `flatten`, `zip`,
//! `product`, `combinations`, `subelements`, `log`, `pow`, `root`.

use super::{Def, err, int, items, num};
use crate::template::pyrepr::{py_repr, py_str, py_type_name};
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("intersect", |a: Def, b: Value| -> Result<Value, Error> {
        let (a, b) = (items(&a)?, items(&b)?);
        Ok(py_set(a.into_iter().filter(|x| b.contains(x)).collect()))
    });
    env.add_filter("difference", |a: Def, b: Value| -> Result<Value, Error> {
        let (a, b) = (items(&a)?, items(&b)?);
        Ok(py_set(a.into_iter().filter(|x| !b.contains(x)).collect()))
    });
    env.add_filter(
        "symmetric_difference",
        |a: Def, b: Value| -> Result<Value, Error> {
            let (a, b) = (items(&a)?, items(&b)?);
            let mut out: Vec<Value> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
            out.extend(b.iter().filter(|x| !a.contains(x)).cloned());
            Ok(py_set(out))
        },
    );
    env.add_filter("union", |a: Def, b: Value| -> Result<Value, Error> {
        let mut a = items(&a)?;
        a.extend(items(&b)?);
        Ok(py_set(a))
    });
    env.add_filter("flatten", flatten);
    env.add_filter("zip", |a: Def, rest: Rest<Value>| -> Result<Value, Error> {
        let mut lists = vec![items(&a)?];
        for r in rest.iter() {
            lists.push(items(r)?);
        }
        let n = lists.iter().map(Vec::len).min().unwrap_or(0);
        Ok(Value::from(
            (0..n)
                .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
                .collect::<Vec<_>>(),
        ))
    });
    env.add_filter(
        "zip_longest",
        |a: Def, rest: Rest<Value>, kwargs: Kwargs| -> Result<Value, Error> {
            let fill: Value = kwargs
                .get::<Option<Value>>("fillvalue")?
                .unwrap_or(Value::from(()));
            kwargs.assert_all_used()?;
            let mut lists = vec![items(&a)?];
            for r in rest.iter() {
                lists.push(items(r)?);
            }
            let n = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok(Value::from(
                (0..n)
                    .map(|i| {
                        Value::from(
                            lists
                                .iter()
                                .map(|l| l.get(i).cloned().unwrap_or(fill.clone()))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect::<Vec<_>>(),
            ))
        },
    );
    env.add_filter(
        "product",
        |a: Def, rest: Rest<Value>, kwargs: Kwargs| -> Result<Value, Error> {
            let repeat: usize = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
            kwargs.assert_all_used()?;
            let mut pools = vec![items(&a)?];
            for r in rest.iter() {
                pools.push(items(r)?);
            }
            let pools: Vec<Vec<Value>> = (0..repeat).flat_map(|_| pools.clone()).collect();
            bounded(
                pools
                    .iter()
                    .fold(1u128, |n, p| n.saturating_mul(p.len() as u128)),
            )?;
            let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
            for pool in &pools {
                let mut next = Vec::new();
                for prefix in &acc {
                    for x in pool {
                        let mut p = prefix.clone();
                        p.push(x.clone());
                        next.push(p);
                    }
                }
                acc = next;
            }
            Ok(Value::from(
                acc.into_iter().map(Value::from).collect::<Vec<_>>(),
            ))
        },
    );
    env.add_filter("combinations", |a: Def, r: usize| -> Result<Value, Error> {
        let pool = items(&a)?;
        let n = pool.len() as u128;
        let r128 = r as u128;
        if r128 <= n {
            // C(n, r), computed incrementally (exact at each step).
            let mut c: u128 = 1;
            for i in 0..r128.min(n - r128) {
                c = c.saturating_mul(n - i) / (i + 1);
            }
            bounded(c)?;
        }
        let mut out = Vec::new();
        combos(&pool, r, 0, &mut Vec::new(), &mut out);
        Ok(Value::from(out))
    });
    env.add_filter(
        "permutations",
        |a: Def, r: Option<usize>| -> Result<Value, Error> {
            let pool = items(&a)?;
            let r = r.unwrap_or(pool.len());
            if r <= pool.len() {
                let n = pool.len() as u128;
                bounded((0..r as u128).fold(1u128, |acc, i| acc.saturating_mul(n - i)))?;
            }
            let mut out = Vec::new();
            perms(
                &pool,
                r,
                &mut Vec::new(),
                &mut vec![false; pool.len()],
                &mut out,
            );
            Ok(Value::from(out))
        },
    );
    env.add_filter(
        "log",
        |x: Def, base: Option<Value>| -> Result<Value, Error> {
            if !matches!(x.kind(), ValueKind::Number | ValueKind::Bool) {
                return Err(err("log() can only be used on numbers"));
            }
            let x = num(&x);
            if x <= 0.0 {
                return Err(err("math domain error"));
            }
            Ok(Value::from(match base.map(|b| num(&b)) {
                None => x.ln(),
                Some(10.0) => x.log10(),
                Some(b) => x.ln() / b.ln(),
            }))
        },
    );
    env.add_filter("pow", |x: Def, y: Value| -> Result<Value, Error> {
        if !matches!(x.kind(), ValueKind::Number | ValueKind::Bool)
            || !matches!(y.kind(), ValueKind::Number | ValueKind::Bool)
        {
            return Err(err("pow() can only be used on numbers"));
        }
        Ok(Value::from(num(&x).powf(num(&y))))
    });
    env.add_filter(
        "root",
        |x: Def, base: Option<Value>| -> Result<Value, Error> {
            if !matches!(x.kind(), ValueKind::Number | ValueKind::Bool) {
                return Err(err(format!(
                    "root() can only be used on numbers: must be real number, not {}",
                    py_type_name(&x)
                )));
            }
            let b = base.map(|b| num(&b)).unwrap_or(2.0);
            let x = num(&x);
            if b == 2.0 {
                if x < 0.0 {
                    return Err(err("root() can only be used on numbers: math domain error"));
                }
                return Ok(Value::from(x.sqrt()));
            }
            Ok(Value::from(x.powf(1.0 / b)))
        },
    );
    env.add_filter("subelements", subelements);
    env.add_filter("rekey_on_member", rekey_on_member);
    env.add_filter("shuffle", shuffle);
}

/// A Python set's iteration order, as far as it is not random: small
/// non-negative integers come out ascending (they hash to themselves);
/// strings hash randomly per process in Python, so their first-seen order
/// is as good as any.
fn py_set(list: Vec<Value>) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for x in list {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    let table = {
        // CPython grows a set table to keep it under 60% full.
        let mut size = 8usize;
        while out.len() * 5 >= size * 3 {
            size *= 4;
        }
        size as i128
    };
    if out
        .iter()
        .all(|v| int(v).is_some_and(|i| (0..table).contains(&i)))
    {
        out.sort_by_key(|v| int(v).unwrap_or(0));
    }
    Value::from(out)
}

fn flatten(v: Def, levels: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels: Option<Value> = levels.or(kwargs.get("levels")?);
    let skip_nulls: bool = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    if !matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
        return Err(err(format!(
            "'{}' object is not iterable",
            py_type_name(&v)
        )));
    }
    let levels = levels
        .filter(|l| !l.is_none())
        .map(|l| int(&l).unwrap_or(0));
    fn go(v: &Value, levels: Option<i128>, skip: bool, out: &mut Vec<Value>) -> Result<(), Error> {
        for item in items(v)? {
            if skip && (item.is_none() || matches!(item.as_str(), Some("None" | "null"))) {
                continue;
            }
            if matches!(item.kind(), ValueKind::Seq | ValueKind::Iterable) {
                match levels {
                    None => go(&item, None, skip, out)?,
                    Some(l) if l >= 1 => go(&item, Some(l - 1), skip, out)?,
                    Some(_) => out.push(item),
                }
            } else {
                out.push(item);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(&v, levels, skip_nulls, &mut out)?;
    Ok(Value::from(out))
}

/// Combinatorial filters refuse results beyond this many items: Ansible
/// would spend hours and all memory building them.
const MAX_ITEMS: u128 = 2_000_000;

fn bounded(n: u128) -> Result<(), Error> {
    if n > MAX_ITEMS {
        return Err(err(format!(
            "the result would have {n} items (more than {MAX_ITEMS})"
        )));
    }
    Ok(())
}

fn combos(pool: &[Value], r: usize, start: usize, cur: &mut Vec<Value>, out: &mut Vec<Value>) {
    if cur.len() == r {
        out.push(Value::from(cur.clone()));
        return;
    }
    for i in start..pool.len() {
        cur.push(pool[i].clone());
        combos(pool, r, i + 1, cur, out);
        cur.pop();
    }
}

fn perms(
    pool: &[Value],
    r: usize,
    cur: &mut Vec<Value>,
    used: &mut Vec<bool>,
    out: &mut Vec<Value>,
) {
    if cur.len() == r {
        out.push(Value::from(cur.clone()));
        return;
    }
    for i in 0..pool.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        cur.push(pool[i].clone());
        perms(pool, r, cur, used, out);
        cur.pop();
        used[i] = false;
    }
}

fn subelements(
    obj: Value,
    sub: Value,
    skip_missing: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let skip = skip_missing
        .or(kwargs.get("skip_missing")?)
        .unwrap_or(false);
    kwargs.assert_all_used()?;
    let elements: Vec<Value> = match obj.kind() {
        ValueKind::Map => obj
            .try_iter()?
            .map(|k| obj.get_item(&k).unwrap_or_default())
            .collect(),
        ValueKind::Seq => items(&obj)?,
        _ => return Err(err("obj must be a list of dicts or a nested dict")),
    };
    let path: Vec<String> = match sub.kind() {
        ValueKind::Seq => items(&sub)?.iter().map(py_str).collect(),
        ValueKind::String => py_str(&sub).split('.').map(str::to_string).collect(),
        _ => return Err(err("subelements must be a list or a string")),
    };
    let mut out = Vec::new();
    for el in elements {
        let mut values = el.clone();
        let mut missing = false;
        for key in &path {
            if values.kind() != ValueKind::Map {
                return Err(err(format!(
                    "the key {key} should point to a dictionary, got '{}'",
                    py_str(&values)
                )));
            }
            let next = values.get_item(&Value::from(key.as_str()))?;
            if next.is_undefined() {
                if skip {
                    missing = true;
                    break;
                }
                return Err(err(format!(
                    "could not find '{key}' key in iterated item {}",
                    py_repr(&values)
                )));
            }
            values = next;
        }
        if missing {
            continue;
        }
        if values.kind() != ValueKind::Seq {
            return Err(err(format!(
                "the key '{}' should point to a list, got {}",
                path.join("."),
                py_repr(&values)
            )));
        }
        for v in items(&values)? {
            out.push(Value::from(vec![el.clone(), v]));
        }
    }
    Ok(Value::from(out))
}

fn rekey_on_member(data: Value, key: String, duplicates: Option<String>) -> Result<Value, Error> {
    let duplicates = duplicates.unwrap_or_else(|| "error".into());
    if duplicates != "error" && duplicates != "overwrite" {
        return Err(err(format!(
            "duplicates parameter to rekey_on_member has unknown value '{duplicates}'"
        )));
    }
    let list: Vec<Value> = match data.kind() {
        ValueKind::Map => data
            .try_iter()?
            .map(|k| data.get_item(&k).unwrap_or_default())
            .collect(),
        ValueKind::Seq => items(&data)?,
        _ => {
            return Err(err(format!(
                "Type is not a valid list, set, or dict: {}",
                py_type_name(&data)
            )));
        }
    };
    let mut out: Vec<(Value, Value)> = Vec::new();
    for item in list {
        if item.kind() != ValueKind::Map {
            return Err(err(format!(
                "List item is not a valid dict: {}",
                py_repr(&item)
            )));
        }
        let k = item.get_attr(&key)?;
        if k.is_undefined() {
            return Err(err(format!("Key {key} was not found")));
        }
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) if duplicates == "overwrite" => slot.1 = item,
            Some(_) => {
                return Err(err(format!(
                    "Key {} is not unique, cannot correctly turn into dict",
                    py_str(&k)
                )));
            }
            None => out.push((k, item)),
        }
    }
    Ok(Value::from_pairs(out))
}

fn shuffle(v: Def, seed: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    use rand::seq::SliceRandom;
    let seed: Option<Value> = seed.or(kwargs.get("seed")?);
    kwargs.assert_all_used()?;
    let mut list = items(&v)?;
    // `if seed:` in Python: an empty or zero seed shuffles at random.
    match seed.filter(crate::template::pyrepr::py_truthy) {
        Some(s) => super::pyrandom::PyRandom::new(super::pyrandom_seed(&s)).shuffle(&mut list),
        None => list.shuffle(&mut rand::thread_rng()),
    }
    Ok(Value::from(list))
}
