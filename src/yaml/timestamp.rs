// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! `!!timestamp` values. PyYAML turns `2001-12-14` into a `date` and
//! `2001-12-14 21:59:43.10 -5` into a `datetime`; Ansible keeps those Python
//! objects, and a template renders them with Python's `str()`. kiln has no
//! date type, so the value becomes that rendering (`2001-12-14`,
//! `2001-12-14 21:59:43.100000-05:00`), and an impossible date is an error
//! as it is in Ansible.

use regex::Regex;
use std::sync::LazyLock;

/// PyYAML's constructor pattern (looser than the resolver's: an explicit
/// `!!timestamp 2001-1-2` is accepted).
static PARTS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<year>[0-9]{4})-(?P<month>[0-9][0-9]?)-(?P<day>[0-9][0-9]?)(?:(?:[Tt]|[ \t]+)(?P<hour>[0-9][0-9]?):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]*))?(?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)(?::(?P<tz_minute>[0-9]{2}))?))?)?$",
    )
    .ok()
});

/// Builds the string Python's `str()` gives the date or datetime, or the
/// error Python raises for an impossible one.
pub(crate) fn construct(text: &str) -> Result<String, String> {
    // As in Python's `$`, a final line break does not stop the match.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let caps = PARTS
        .as_ref()
        .and_then(|re| re.captures(text))
        .ok_or_else(|| format!("'{text}' is not a timestamp"))?;
    let num = |name: &str| -> u32 {
        caps.name(name)
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(0)
    };
    let (year, month, day) = (num("year"), num("month"), num("day"));
    if year == 0 {
        return Err("year 0 is out of range".into());
    }
    if !(1..=12).contains(&month) {
        return Err("month must be in 1..12".into());
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err("day is out of range for month".into());
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if caps.name("hour").is_none() {
        return Ok(date);
    }
    let (hour, minute, second) = (num("hour"), num("minute"), num("second"));
    if hour > 23 {
        return Err("hour must be in 0..23".into());
    }
    if minute > 59 {
        return Err("minute must be in 0..59".into());
    }
    if second > 59 {
        return Err("second must be in 0..59".into());
    }
    let mut out = format!("{date} {hour:02}:{minute:02}:{second:02}");
    // Python keeps microseconds: the first six digits, padded with zeros.
    let fraction = caps.name("fraction").map_or("", |m| m.as_str());
    if !fraction.is_empty() {
        let mut digits: String = fraction.chars().take(6).collect();
        while digits.len() < 6 {
            digits.push('0');
        }
        if digits != "000000" {
            out.push('.');
            out.push_str(&digits);
        }
    }
    if let Some(sign) = caps.name("tz_sign") {
        let minutes = num("tz_hour") * 60 + num("tz_minute");
        if minutes >= 24 * 60 {
            return Err(
                "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)"
                    .into(),
            );
        }
        let sign = if sign.as_str() == "-" && minutes != 0 {
            '-'
        } else {
            '+'
        };
        out.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
    } else if caps.name("tz").is_some() {
        out.push_str("+00:00");
    }
    Ok(out)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::construct;

    // Expected strings recorded from PyYAML 6.0 / ansible-core 2.21 (str() of
    // the date/datetime AnsibleLoader builds).
    #[test]
    fn python_str_of_timestamps() {
        let table = [
            ("2001-12-14", "2001-12-14"),
            (
                "2001-12-14t21:59:43.10-05:00",
                "2001-12-14 21:59:43.100000-05:00",
            ),
            ("2001-12-14 21:59:43.10", "2001-12-14 21:59:43.100000"),
            ("2001-12-14T21:59:43Z", "2001-12-14 21:59:43+00:00"),
            ("2001-1-4 1:02:03", "2001-01-04 01:02:03"),
            (
                "2001-01-04 01:02:03.1234567 -5",
                "2001-01-04 01:02:03.123456-05:00",
            ),
            ("2000-02-29", "2000-02-29"),
        ];
        for (input, want) in table {
            assert_eq!(construct(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn impossible_dates_fail_like_python() {
        assert_eq!(
            construct("2001-13-45"),
            Err("month must be in 1..12".to_string())
        );
        assert!(construct("2001-02-29").is_err());
        assert!(construct("2001-01-01 25:00:00").is_err());
        assert!(construct("2001-01-01 01:00:00 +24").is_err());
        assert!(construct("foo").is_err());
    }
}
