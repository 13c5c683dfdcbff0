//! Byte encodings of the store's keys and values, and their decoding.
//!
//! Invariant: every key encoding sorts like the value it encodes (byte-wise,
//! which is how sled orders keys), and every decoder returns
//! [`StoreError::Corrupt`] instead of panicking on bytes it does not expect.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// Length of the timestamp prefix of a `by_time` key.
pub(crate) const TIME_PREFIX_LEN: usize = 8;

/// Milliseconds since the epoch as 8 bytes that sort like the signed number.
///
/// Big-endian two's complement sorts negatives *after* positives (their sign
/// bit is set); flipping the sign bit moves `i64::MIN` to `0x00..` and
/// `i64::MAX` to `0xff..`, so byte order equals numeric order, pre-1970
/// publication dates included.
pub(crate) fn encode_millis(millis: i64) -> [u8; TIME_PREFIX_LEN] {
    ((millis as u64) ^ (1 << 63)).to_be_bytes()
}

/// The inverse of [`encode_millis`].
pub(crate) fn decode_millis(bytes: [u8; TIME_PREFIX_LEN]) -> i64 {
    (u64::from_be_bytes(bytes) ^ (1 << 63)) as i64
}

/// Milliseconds since the epoch, rounded down (towards the past, also before 1970).
pub(crate) fn floor_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Milliseconds since the epoch, rounded up: the smallest millisecond not before `t`.
pub(crate) fn ceil_millis(t: DateTime<Utc>) -> i64 {
    let floor = t.timestamp_millis();
    if t.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        floor
    } else {
        // chrono's range (±262k years) is far inside i64 milliseconds.
        floor.saturating_add(1)
    }
}

/// A `by_time` key: published millis (order-preserving) ‖ hit id bytes.
///
/// The id suffix makes keys of hits published in the same millisecond
/// distinct; they then sort by id, which is arbitrary but stable.
pub(crate) fn by_time_key(published: DateTime<Utc>, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(TIME_PREFIX_LEN + id.len());
    key.extend_from_slice(&encode_millis(floor_millis(published)));
    key.extend_from_slice(id.as_bytes());
    key
}

/// Splits a `by_time` key into its millis and the hit id bytes.
pub(crate) fn split_by_time_key<'k>(
    path: &Path,
    key: &'k [u8],
) -> Result<(i64, &'k [u8]), StoreError> {
    let Some((prefix, id)) = key.split_first_chunk::<TIME_PREFIX_LEN>() else {
        return Err(corrupt(
            path,
            "by_time",
            key,
            format!(
                "key is {} bytes, shorter than its 8-byte time prefix",
                key.len()
            ),
        ));
    };
    Ok((decode_millis(*prefix), id))
}

/// A `seen` value: the first-seen time in millis, big-endian.
pub(crate) fn encode_seen(at: DateTime<Utc>) -> [u8; 8] {
    floor_millis(at).to_be_bytes()
}

pub(crate) fn decode_seen(path: &Path, key: &[u8], value: &[u8]) -> Result<i64, StoreError> {
    let bytes: [u8; 8] = value.try_into().map_err(|_| {
        corrupt(
            path,
            "seen",
            key,
            format!("value is {} bytes, expected 8 (millis)", value.len()),
        )
    })?;
    Ok(i64::from_be_bytes(bytes))
}

/// The `meta` value of `schema_version`: a big-endian u32.
pub(crate) fn decode_u32(
    path: &Path,
    tree: &'static str,
    key: &[u8],
    value: &[u8],
) -> Result<u32, StoreError> {
    let bytes: [u8; 4] = value.try_into().map_err(|_| {
        corrupt(
            path,
            tree,
            key,
            format!("value is {} bytes, expected a 4-byte u32", value.len()),
        )
    })?;
    Ok(u32::from_be_bytes(bytes))
}

/// Records are JSON: small enough, and readable when debugging a store by hand.
pub(crate) fn encode_json<T: Serialize>(
    path: &Path,
    tree: &'static str,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    // Serialising our own plain structs cannot fail in practice (no maps with
    // non-string keys, no failing Serialize impls); still, no panic.
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        path: path.to_path_buf(),
        tree,
        message: e.to_string(),
    })
}

pub(crate) fn decode_json<T: DeserializeOwned>(
    path: &Path,
    tree: &'static str,
    key: &[u8],
    value: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(value).map_err(|e| corrupt(path, tree, key, e.to_string()))
}

/// A key that must be UTF-8 (hit ids, feed URLs).
pub(crate) fn decode_str_key<'a>(
    path: &Path,
    tree: &'static str,
    key: &'a [u8],
) -> Result<&'a str, StoreError> {
    std::str::from_utf8(key).map_err(|e| corrupt(path, tree, key, format!("key is not UTF-8: {e}")))
}

/// Builds a [`StoreError::Corrupt`], showing the key readably.
pub(crate) fn corrupt(
    path: &Path,
    tree: &'static str,
    key: &[u8],
    message: impl Into<String>,
) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        tree,
        key: show_key(key),
        message: message.into(),
    }
}

/// A key for messages: as text when it is printable UTF-8, else as hex.
pub(crate) fn show_key(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) if !s.chars().any(char::is_control) => format!("{s:?}"),
        _ => key.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn millis_encoding_sorts_like_numbers() {
        let values = [
            i64::MIN,
            i64::MIN + 1,
            -86_400_000_000,
            -1_000,
            -1,
            0,
            1,
            1_000,
            1_700_000_000_000,
            i64::MAX - 1,
            i64::MAX,
        ];
        for pair in values.windows(2) {
            assert!(
                encode_millis(pair[0]) < encode_millis(pair[1]),
                "{} should sort before {}",
                pair[0],
                pair[1]
            );
        }
        for v in values {
            assert_eq!(decode_millis(encode_millis(v)), v);
        }
    }

    #[test]
    fn by_time_keys_sort_by_time_then_id() {
        let t = |ms| Utc.timestamp_millis_opt(ms).single().expect("valid millis");
        let keys = [
            by_time_key(t(-2_000_000_000_000), "zzz"), // 1906
            by_time_key(t(-1), "a"),                   // 1969-12-31T23:59:59.999
            by_time_key(t(0), "a"),
            by_time_key(t(0), "ab"),
            by_time_key(t(0), "b"),
            by_time_key(t(1), ""),
            by_time_key(t(1_700_000_000_000), "0"),
        ];
        for pair in keys.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{:?} should sort before {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn time_prefix_bounds_a_millisecond_exactly() {
        // A bare 8-byte prefix sorts before every full key of the same millisecond
        // and after every key of an earlier one: the property the range query's
        // [since, until) bounds rely on.
        let t = |ms| Utc.timestamp_millis_opt(ms).single().expect("valid millis");
        let bound = encode_millis(5).to_vec();
        assert!(by_time_key(t(4), "\u{10ffff}").as_slice() < bound.as_slice());
        assert!(by_time_key(t(5), "").as_slice() >= bound.as_slice());
        assert!(by_time_key(t(5), "a").as_slice() > bound.as_slice());
    }

    #[test]
    fn split_round_trips_and_rejects_short_keys() {
        let t = Utc
            .timestamp_millis_opt(-123_456)
            .single()
            .expect("valid millis");
        let key = by_time_key(t, "abc");
        let (ms, id) = split_by_time_key(Path::new("/s"), &key).expect("well-formed key");
        assert_eq!((ms, id), (-123_456, &b"abc"[..]));
        let err = split_by_time_key(Path::new("/s"), &key[..5]).expect_err("short key");
        assert!(
            matches!(
                err,
                StoreError::Corrupt {
                    tree: "by_time",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn rounding_to_millis() {
        let exact = Utc
            .timestamp_millis_opt(-1_500)
            .single()
            .expect("valid millis");
        assert_eq!((floor_millis(exact), ceil_millis(exact)), (-1_500, -1_500));
        let frac = exact + chrono::Duration::microseconds(300);
        assert_eq!((floor_millis(frac), ceil_millis(frac)), (-1_500, -1_499));
        let before = exact - chrono::Duration::microseconds(300);
        assert_eq!(
            (floor_millis(before), ceil_millis(before)),
            (-1_501, -1_500)
        );
    }

    #[test]
    fn corrupt_values_are_errors_not_panics() {
        let p = Path::new("/s");
        assert!(decode_seen(p, b"k", &[1, 2, 3]).is_err());
        assert!(decode_u32(p, "meta", b"k", &[1]).is_err());
        assert!(decode_json::<crate::model::Hit>(p, "hits", b"k", b"{not json").is_err());
        assert!(decode_str_key(p, "feeds", &[0xff, 0xfe]).is_err());
        assert_eq!(show_key(&[0xff, 0x01]), "ff01");
        assert_eq!(show_key(b"abc"), "\"abc\"");
    }
}
