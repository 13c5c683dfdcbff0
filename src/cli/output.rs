//! Shared pieces of command output: fixed-width columns that respect wide
//! characters, time arguments, and JSON printing.

use chrono::{DateTime, NaiveDate, Utc};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` cut or padded to exactly `width` terminal columns; a cut ends in `…`.
pub fn fit(text: &str, width: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = String::new();
    let mut used = 0;
    if clean.width() <= width {
        out.push_str(&clean);
        used = clean.width();
    } else {
        for c in clean.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// A `--since`/`--until` value: a duration back from now (`24h`, `7d`), an
/// RFC 3339 time, or a date (midnight UTC).
pub fn parse_time_arg(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = humantime::parse_duration(t) {
        return Ok(crate::fetch::schedule::earlier(now, d));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Some(dt) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(dt.and_utc());
    }
    Err(format!(
        "{text:?} is neither a duration (24h, 7d), an RFC 3339 time (2026-11-01T08:00:00Z) nor a date (2026-11-01)"
    ))
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), super::Failure> {
    let text = serde_json::to_string_pretty(value).map_err(super::Failure::runtime)?;
    out(&format!("{text}\n"))
}

/// Writes to standard output. Unlike `print!`, a closed pipe (`| head`) is
/// an error the caller returns, not a panic; `main` then exits quietly.
pub fn out(text: &str) -> Result<(), super::Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(super::Failure::runtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_pads_and_cuts_by_display_width() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        // Two columns per Han character.
        assert_eq!(fit("中国间谍活动", 7).width(), 7);
        assert_eq!(fit("a\tb", 3), "a b");
    }

    #[test]
    fn time_arguments() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_time_arg("24h", now).unwrap().to_rfc3339(),
            "2026-11-22T12:00:00+00:00"
        );
        assert_eq!(
            parse_time_arg("7d", now).unwrap().to_rfc3339(),
            "2026-11-16T12:00:00+00:00"
        );
        assert_eq!(
            parse_time_arg("2026-11-01T08:00:00+01:00", now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T07:00:00+00:00"
        );
        assert_eq!(
            parse_time_arg("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(parse_time_arg("yesterday", now).is_err());
    }
}
