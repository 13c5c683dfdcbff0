//! Human units in configuration values: durations (`15m`, `6h`, `90d`) and
//! byte sizes (`10MiB`, `64 MB`).

use std::time::Duration;

/// Parses `90s`, `15m`, `6h`, `7d`, `1h 30m` (humantime's syntax).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|_| {
        format!("{text:?} is not a duration; write one such as \"90s\", \"15m\", \"6h\" or \"7d\"")
    })
}

/// Parses a duration that must be longer than zero and at least `min`
/// (pass `Duration::ZERO` for "longer than zero" alone). Every duration
/// setting is checked here, so the limits and their messages read alike.
pub fn parse_duration_at_least(text: &str, min: Duration) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() && min.is_zero() {
        Err("must be longer than zero".into())
    } else if d < min || d.is_zero() {
        Err(format!(
            "must be at least {}",
            humantime::format_duration(min)
        ))
    } else {
        Ok(d)
    }
}

/// Parses a byte size: a whole number with an optional unit B, KB, KiB, MB,
/// MiB, GB, GiB (case-insensitive; KB = 1000, KiB = 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let hint = "write a size such as \"10MiB\", \"512KiB\" or \"1GB\"";
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size; {hint}"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?}; {hint}")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_below_their_minimum_are_refused_with_it() {
        let second = Duration::from_secs(1);
        assert_eq!(
            parse_duration_at_least("2s", second),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            parse_duration_at_least("500ms", second),
            Err("must be at least 1s".to_string())
        );
        assert_eq!(
            parse_duration_at_least("500ms", Duration::ZERO),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            parse_duration_at_least("0s", Duration::ZERO),
            Err("must be longer than zero".to_string())
        );
        assert!(
            parse_duration_at_least("soon", second)
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(
            parse_duration(" 1h 30m ").unwrap(),
            Duration::from_secs(5400)
        );
        assert!(parse_duration("soon").unwrap_err().contains("15m"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB").unwrap(), 10 << 20);
        assert_eq!(parse_size("64 MB").unwrap(), 64_000_000);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").unwrap_err().contains("unit"));
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
