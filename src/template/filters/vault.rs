// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! ansible.builtin's `vault` and `unvault` filters and the `vault_encrypted`
//! test.
//!
//! Both filters take the password as an argument (not the run's vault
//! passwords). `vault_encrypted` is true for a value that came out of an
//! inline `!vault` (Ansible's values carry their ciphertext; kiln asks the
//! run's vault which plaintexts it opened), never for a plain string that
//! merely looks like vault text, as in ansible-core 2.21.

use super::super::pyrepr::{py_str, py_type_name};
use super::{Def, err};
use crate::vault::{VaultSecret, VaultSecrets, encrypt_with, is_vault};
use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

/// The vault id both filters use unless told otherwise.
const FILTER_ID: &str = "filter_default";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "vault",
        |data: Def, secret: Value, rest: Rest<ValueOrKwargs>| -> Result<Value, Error> {
            let [salt, vault_id, wrap] = options(rest, ["salt", "vault_id", "wrap_object"])?;
            let wrap = wrap.is_some_and(|w| w.is_true());
            vault(&data, &secret, salt.as_ref(), vault_id.as_ref(), wrap)
        },
    );
    env.add_filter(
        "unvault",
        |text: Def, secret: Value, rest: Rest<ValueOrKwargs>| -> Result<Value, Error> {
            let [vault_id] = options(rest, ["vault_id"])?;
            unvault(&text, &secret, vault_id.as_ref())
        },
    );
}

/// Optional arguments given by position or by name. An explicit `None`
/// is kept (`Some(none)`): Python's `vault_id=None` differs from leaving
/// it out.
fn options<const N: usize>(
    rest: Rest<ValueOrKwargs>,
    names: [&str; N],
) -> Result<[Option<Value>; N], Error> {
    let mut values = rest.into_values();
    let kw = match values.last().map(|v| Kwargs::try_from(v.clone())) {
        Some(Ok(kw)) => {
            values.pop();
            Some(kw)
        }
        _ => None,
    };
    if values.len() > N {
        return Err(Error::from(minijinja::ErrorKind::TooManyArguments));
    }
    let mut out: [Option<Value>; N] = std::array::from_fn(|i| values.get(i).cloned());
    if let Some(kw) = kw {
        for (i, name) in names.iter().enumerate() {
            if kw.has(name) {
                out[i] = Some(kw.get::<Value>(name)?);
            }
        }
        kw.assert_all_used()?;
    }
    Ok(out)
}

/// The `vault_encrypted` test.
pub(crate) fn is_vault_encrypted(v: &Value) -> bool {
    v.kind() == ValueKind::String
        && v.as_str().is_some_and(|s| {
            crate::template::current_vault()
                .inline_vault_text(s)
                .is_some()
        })
}

/// A text argument (Python's `str`); anything else is Ansible's TypeError.
fn text<'a>(v: &'a Value, what: &str) -> Result<&'a str, Error> {
    match v.as_str() {
        Some(s) if v.kind() == ValueKind::String => Ok(s),
        _ => Err(err(format!(
            "{what}, instead we got <class '{}'>.",
            py_type_name(v)
        ))),
    }
}

/// The vault id argument: `None` (or empty) writes a 1.1 envelope.
fn vault_id_of(v: Option<&Value>) -> Option<String> {
    match v {
        None => Some(FILTER_ID.to_string()),
        Some(v) if v.is_none() => None,
        Some(v) => Some(py_str(v)).filter(|s| !s.is_empty()),
    }
}

fn vault(
    data: &Value,
    secret: &Value,
    salt: Option<&Value>,
    vault_id: Option<&Value>,
    wrap: bool,
) -> Result<Value, Error> {
    let secret = text(secret, "Secret passed is required to be a string")?;
    let data = text(data, "Can only vault strings")?;
    let salt = match salt {
        None => None,
        Some(s) if s.is_none() => None,
        // Ansible refuses an empty salt rather than drawing a random one.
        Some(s) if !s.is_true() => return Err(err("Unable to encrypt.")),
        Some(s) => Some(py_str(s)),
    };
    let id = vault_id_of(vault_id);
    let label = id.clone().unwrap_or_else(|| "default".into());
    let key = VaultSecret::new(label, secret.as_bytes().to_vec(), "vault filter");
    let out = encrypt_with(
        &key,
        id.as_deref(),
        data.as_bytes(),
        salt.as_deref().map(str::as_bytes),
        "vault filter",
    )
    .map_err(|_| err("Unable to encrypt."))?;
    if wrap {
        // A vaulted value: it answers `vault_encrypted` and `unvault`
        // like an inline `!vault` one, and its plaintext is a secret.
        // (ansible-core 2.21 returns the *password* argument here, tagged
        // with the vault text: a bug kiln does not copy; the vault text is
        // what the option is documented to give.)
        let run = crate::template::current_vault();
        run.remember_inline(data, &out);
        run.revealed().mark(data);
    }
    Ok(Value::from(out))
}

fn unvault(input: &Value, secret: &Value, vault_id: Option<&Value>) -> Result<Value, Error> {
    let run = crate::template::current_vault();
    let secret = text(secret, "Secret passed is required to be as string")?;
    let given = text(input, "Vault should be in the form of a string")?;
    // A value that came out of an inline vault is opened again from its
    // vault text with the password given, as Ansible does.
    let vault_text = run
        .inline_vault_text(given)
        .unwrap_or_else(|| given.to_string());
    if !is_vault(vault_text.as_bytes()) {
        return Ok(Value::from(given));
    }
    let label = vault_id_of(vault_id).unwrap_or_else(|| "default".into());
    let one = VaultSecrets::new(vec![VaultSecret::new(
        label,
        secret.as_bytes().to_vec(),
        "unvault filter",
    )]);
    let span = crate::span::Span::synthetic("unvault filter");
    let opened = one.decrypt(vault_text.as_bytes(), &span).map_err(|e| {
        err(format!(
            "Unable to decrypt: {}",
            e.message().split(':').next().unwrap_or_default()
        ))
    })?;
    let plain = String::from_utf8_lossy(&opened.plaintext).into_owned();
    run.revealed().mark(&plain);
    Ok(Value::from(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Templar;
    use std::collections::HashMap;

    struct NoVars;
    impl crate::template::Resolver for NoVars {
        fn resolve(&self, _: &str) -> Result<Option<Value>, crate::template::TemplateError> {
            Ok(None)
        }
    }

    fn render(t: &Templar, s: &str) -> Result<String, String> {
        t.render(s, &NoVars)
            .map(|v| py_str(&v))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn vault_filter_writes_ansibles_envelope() {
        let t = Templar::new();
        // ansible-core 2.21: "{{ 'data' | vault('pw', salt='saltsalt') }}".
        let want = "$ANSIBLE_VAULT;1.2;AES256;filter_default\n373336313663373437333631366337340a6665633061666539316335383337646261343261656237\n31336462643736613635646534663566356530636661336532663736336265653935373066346235\n300a3030623834316666343965666564656532333533616337363930656239633137\n";
        assert_eq!(
            render(&t, "{{ 'data' | vault('pw', salt='saltsalt') }}").unwrap(),
            want
        );
        let own_id = render(&t, "{{ 'data' | vault('pw', 'saltsalt', 'myid') }}").unwrap();
        assert!(own_id.starts_with("$ANSIBLE_VAULT;1.2;AES256;myid\n"));
        assert_eq!(
            own_id.lines().skip(1).collect::<Vec<_>>(),
            want.lines().skip(1).collect::<Vec<_>>()
        );
        let no_id = render(&t, "{{ 'data' | vault('pw', vault_id=None) }}").unwrap();
        assert!(no_id.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), "{no_id}");
        let e = render(&t, "{{ 'data' | vault(1) }}").unwrap_err();
        assert!(
            e.contains("Secret passed is required to be a string, instead we got <class 'int'>."),
            "{e}"
        );
        let e = render(&t, "{{ 5 | vault('pw') }}").unwrap_err();
        assert!(e.contains("Can only vault strings"), "{e}");
    }

    #[test]
    fn unvault_opens_and_passes_plain_text_through() {
        let t = Templar::new();
        assert_eq!(
            render(&t, "{{ 'data' | vault('pw') | unvault('pw') }}").unwrap(),
            "data"
        );
        assert_eq!(
            render(
                &t,
                "{{ 'data' | vault('pw', vault_id='x') | unvault('pw') }}"
            )
            .unwrap(),
            "data"
        );
        assert_eq!(
            render(&t, "{{ 'plain' | unvault('pw') }}").unwrap(),
            "plain"
        );
        let e = render(&t, "{{ 'data' | vault('pw') | unvault('other') }}").unwrap_err();
        assert!(e.contains("Unable to decrypt"), "{e}");
    }

    #[test]
    fn vault_encrypted_knows_inline_values_only() {
        let vault = std::sync::Arc::new(VaultSecrets::new(vec![VaultSecret::new(
            "default",
            b"pw".to_vec(),
            "test",
        )]));
        let t = Templar::with_vault(vault.clone());
        let cipher = render(&t, "{{ 'inline-Secret' | vault('pw', vault_id=None) }}").unwrap();
        // A plain string that looks like a vault is not one (2.21).
        let mut vars = HashMap::new();
        vars.insert("c".to_string(), Value::from(cipher.clone()));
        struct Map(HashMap<String, Value>);
        impl crate::template::Resolver for Map {
            fn resolve(&self, n: &str) -> Result<Option<Value>, crate::template::TemplateError> {
                Ok(self.0.get(n).cloned())
            }
        }
        let r = |s: &str| py_str(&t.render(s, &Map(vars.clone())).unwrap());
        assert_eq!(r("{{ c is vault_encrypted }}"), "False");
        assert_eq!(r("{{ 'inline-Secret' is vault_encrypted }}"), "False");
        let opened =
            crate::vault::decrypt_inline(&cipher, &vault, &crate::span::Span::synthetic("t"))
                .unwrap();
        assert_eq!(opened.as_str(), "inline-Secret");
        assert_eq!(r("{{ 'inline-Secret' is vault_encrypted }}"), "True");
        assert_eq!(r("{{ 'inline-Secret' | unvault('pw') }}"), "inline-Secret");
        assert!(
            t.render("{{ 'inline-Secret' | unvault('bad') }}", &NoVars)
                .is_err()
        );
    }
}
