// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The templar benchmark (issue 4, item 9): renders 100,000 templates
//! (filters, loops, lookups of hostvars) with kiln's templar and, on the same
//! workload, with ansible-core 2.21's Templar (benches/templar/ansible_templar.py
//! in /work/ansible-venv), and prints both times and the ratio. It also checks
//! that each distinct template was compiled once and that both templars give
//! the same results.
//!
//! ```sh
//! cargo bench --bench templar                       # 100 templates x 1,000 renders
//! cargo bench --bench templar -- --reps 100 --python /path/to/python
//! ```

use kiln::template::{Resolver, Templar, TemplateError, json_to_value, value_to_json};
use minijinja::Value;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::process::Command;
use std::time::Instant;

/// Variables by name, converted once (as a run's variable scope holds them).
struct Vars(HashMap<String, Value>);

impl Resolver for Vars {
    fn resolve(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        Ok(self.0.get(name).cloned())
    }
}

/// The variables: 500 hosts' hostvars in three groups, 50 users, a config.
fn variables() -> Json {
    let mut hostvars = serde_json::Map::new();
    let mut groups: HashMap<&str, Vec<String>> = HashMap::new();
    for i in 0..500 {
        let name = format!("host{i}");
        let group = ["web", "db", "cache"][i % 3];
        groups.entry(group).or_default().push(name.clone());
        hostvars.insert(
            name,
            json!({
                "ansible_host": format!("10.0.{}.{}", i / 250, i % 250 + 1),
                "port": 8000 + i % 7,
                "roles": [group, "base"],
                "env": {"TIER": group, "ID": i},
            }),
        );
    }
    let users: Vec<Json> = (0..50)
        .map(|i| {
            json!({"name": format!("user{i}"), "age": 20 + i % 40, "active": i % 3 != 0,
                   "groups": if i % 2 == 0 { json!(["wheel", "dev"]) } else { json!(["dev"]) }})
        })
        .collect();
    json!({
        "hostvars": hostvars,
        "groups": groups,
        "users": users,
        "name": "Application Server",
        "n": 42,
        "ports": [443, 80, 8080, 80, 22, 443],
        "path": "/etc/app/conf.d/10-main.conf",
        "cfg": {"port": 80, "hosts": ["a", "b"], "opts": {"x": 1}},
        "text": "the quick brown fox jumps over the lazy dog",
    })
}

/// 100 distinct templates, in ten shapes, each naming its own host or number.
fn templates() -> Vec<String> {
    let mut out = Vec::new();
    for k in 0..10 {
        out.push(format!(
            "{{{{ hostvars['host{k}'].ansible_host }}}}:{{{{ hostvars['host{k}'].port }}}}"
        ));
        out.push(format!(
            "{{{{ users | selectattr('active') | map(attribute='name') | select('match', 'user{k}') | join(',') }}}}"
        ));
        out.push(format!(
            "{{% for h in groups['web'][:{}] %}}{{{{ hostvars[h].ansible_host }}}} {{% endfor %}}",
            k + 5
        ));
        out.push(format!(
            "{{% for u in users if u.age > {} %}}{{{{ u.name }}}}={{{{ u.groups | join('+') }}}};{{% endfor %}}",
            30 + k
        ));
        out.push(format!("{{{{ name | upper | replace('A', '{k}') }}}}"));
        out.push(format!(
            "{{{{ ports | unique | sort | map('int') | list + [{k}] }}}}"
        ));
        out.push(format!(
            "{{{{ cfg | combine({{'k{k}': n * {k}}}) | to_json }}}}"
        ));
        out.push(format!(
            "{{{{ path | basename }}}}-{{{{ text | regex_replace('o', '{k}') }}}}"
        ));
        out.push(format!(
            "{{{{ (n * {k} + 1) // 3 > 10 and users | length > {k} }}}}"
        ));
        out.push(format!(
            "{{{{ hostvars | dict2items | selectattr('value.port', 'equalto', {}) | map(attribute='key') | list | length }}}}",
            8000 + k % 7
        ));
    }
    out
}

/// This process's CPU time in seconds (user + system, from /proc), so that
/// the ratio holds on a machine other jobs share.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, in clock ticks
    // (100 per second on Linux).
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let reps: usize = opt("--reps").and_then(|r| r.parse().ok()).unwrap_or(1000);
    let python = opt("--python").unwrap_or_else(|| "/work/ansible-venv/bin/python".into());
    let vars_json = variables();
    let templates = templates();

    let vars = Vars(
        vars_json
            .as_object()
            .ok_or("variables are a mapping")?
            .iter()
            .map(|(k, v)| (k.clone(), json_to_value(v)))
            .collect(),
    );
    let templar = Templar::new();
    let mut results = Vec::new();
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    for t in &templates {
        let mut last = Value::UNDEFINED;
        for _ in 0..reps {
            last = templar.render(t, &vars)?;
        }
        results.push(value_to_json(&last));
    }
    let kiln_secs = start.elapsed().as_secs_f64();
    let kiln_cpu = cpu_seconds() - cpu_start;
    let renders = templates.len() * reps;
    println!(
        "kiln:    {renders} renders of {} templates ({} distinct) in {kiln_secs:.3} s wall, {kiln_cpu:.2} s CPU ({:.2} us each); compiled {} times",
        templates.len(),
        templates
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        kiln_secs * 1e6 / renders as f64,
        templar.compile_count()
    );
    let distinct: std::collections::HashSet<&String> = templates.iter().collect();
    if templar.compile_count() != distinct.len() {
        return Err(format!(
            "each distinct template must be compiled once: {} compiles for {} distinct templates",
            templar.compile_count(),
            distinct.len()
        )
        .into());
    }

    let work = std::env::temp_dir().join(format!("kiln-templar-bench-{}.json", std::process::id()));
    std::fs::write(
        &work,
        serde_json::to_vec(&json!({"vars": vars_json, "templates": templates, "reps": reps}))?,
    )?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/templar/ansible_templar.py"
    );
    let out = Command::new(&python).arg(script).arg(&work).output();
    let _ = std::fs::remove_file(&work);
    let out = out?;
    if !out.status.success() {
        return Err(format!(
            "{python} {script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let answer: Json = serde_json::from_slice(&out.stdout)?;
    let ansible_secs = answer["seconds"]
        .as_f64()
        .ok_or("no seconds from the driver")?;
    let ansible_cpu = answer["cpu_seconds"].as_f64().unwrap_or(0.0);
    println!(
        "ansible: {renders} renders in {ansible_secs:.3} s wall, {ansible_cpu:.2} s CPU ({:.2} us each)",
        ansible_secs * 1e6 / renders as f64
    );
    println!(
        "ratio:   kiln is {:.1}x faster (wall), {:.1}x (CPU)",
        ansible_secs / kiln_secs,
        ansible_cpu / kiln_cpu.max(0.01)
    );
    let theirs = answer["results"]
        .as_array()
        .ok_or("no results from the driver")?;
    let differ: Vec<usize> = (0..templates.len())
        .filter(|&i| theirs.get(i) != results.get(i))
        .collect();
    for &i in &differ {
        println!(
            "differs: {}\n  ansible: {}\n  kiln:    {}",
            templates[i],
            theirs.get(i).unwrap_or(&Json::Null),
            results[i]
        );
    }
    if !differ.is_empty() {
        return Err(format!("{} of {} templates differ", differ.len(), templates.len()).into());
    }
    println!(
        "results: all {} templates agree with Ansible's",
        templates.len()
    );
    Ok(())
}
