//! Converting OCPP `dateTime` values to and from the unix milliseconds (UTC)
//! the rest of Gridlet uses.
//!
//! OCPP timestamps are RFC 3339 strings; a station may write them with any
//! UTC offset and any number of fractional digits. Gridlet keeps instants as
//! `i64` milliseconds since the unix epoch: sub-millisecond digits are
//! dropped (rounding towards the past), offsets are folded into UTC.

use ocpp_types::OcppTimestamp;

/// The instant `timestamp` names, in unix milliseconds (UTC). Saturates at
/// the ends of `i64`.
pub fn timestamp_to_unix_millis(timestamp: &OcppTimestamp) -> i64 {
    let millis = i128::from(timestamp.unix_seconds()) * 1000
        + i128::from(timestamp.subsec_nanos() / 1_000_000);
    i64::try_from(millis).unwrap_or(if millis < 0 { i64::MIN } else { i64::MAX })
}

/// The instant `unix_millis` as an OCPP timestamp, in UTC.
pub fn unix_millis_to_timestamp(unix_millis: i64) -> OcppTimestamp {
    let seconds = unix_millis.div_euclid(1000);
    // `rem_euclid(1000)` is in 0..1000, so the nanoseconds are below one
    // second and `from_unix` cannot refuse them.
    let nanos = u32::try_from(unix_millis.rem_euclid(1000) * 1_000_000).unwrap_or(0);
    OcppTimestamp::from_unix(seconds, nanos).unwrap_or(OcppTimestamp::UNIX_EPOCH)
}

/// Reads an RFC 3339 date-time (any offset, any fraction) as unix
/// milliseconds; `None` if it is not one.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    OcppTimestamp::parse_rfc3339(text)
        .ok()
        .map(|timestamp| timestamp_to_unix_millis(&timestamp))
}

/// Writes unix milliseconds as an RFC 3339 date-time in UTC with exactly
/// three fractional digits, e.g. `2026-11-21T10:00:00.123Z`, so that written
/// instants sort as text.
pub fn format_rfc3339_millis(unix_millis: i64) -> String {
    let mut text = unix_millis_to_timestamp(unix_millis).to_string();
    // `OcppTimestamp` omits a zero fraction; put it back for a fixed width.
    if !text.contains('.') && text.ends_with('Z') {
        text.insert_str(text.len() - 1, ".000");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        for (text, millis) in [
            ("1970-01-01T00:00:00.000Z", 0),
            ("2026-11-21T10:00:00.123Z", 1_795_255_200_123),
            ("1969-12-31T23:59:59.999Z", -1),
            ("2000-02-29T00:00:00.000Z", 951_782_400_000),
        ] {
            assert_eq!(parse_rfc3339_millis(text), Some(millis), "{text}");
            assert_eq!(format_rfc3339_millis(millis), text);
        }
    }

    #[test]
    fn offsets_and_fractions_fold_into_utc_millis() {
        let utc = parse_rfc3339_millis("2026-11-21T10:00:00.123Z");
        for text in [
            "2026-11-21T12:00:00.123+02:00",
            "2026-11-21T05:30:00.123-04:30",
            "2026-11-21T10:00:00.123999Z",
            "2026-11-21t10:00:00.1239z",
        ] {
            assert_eq!(parse_rfc3339_millis(text), utc, "{text}");
        }
        assert_eq!(
            parse_rfc3339_millis("2026-11-21T12:00:00+02:00")
                .map(format_rfc3339_millis)
                .as_deref(),
            Some("2026-11-21T10:00:00.000Z")
        );
    }

    #[test]
    fn non_timestamps_are_refused() {
        for text in [
            "",
            "2026-11-21",
            "2026-11-21T10:00:00",
            "2026-02-30T00:00:00Z",
            "yesterday",
        ] {
            assert_eq!(parse_rfc3339_millis(text), None, "{text:?}");
        }
    }

    #[test]
    fn millis_round_trip_through_timestamps_and_text() {
        for millis in [
            0,
            1,
            999,
            1000,
            -1,
            -999,
            -1000,
            -1001,
            1_795_255_200_123,
            253_402_300_799_999,
        ] {
            let timestamp = unix_millis_to_timestamp(millis);
            assert_eq!(timestamp.utc_offset_minutes(), 0);
            assert_eq!(timestamp_to_unix_millis(&timestamp), millis);
            assert_eq!(
                parse_rfc3339_millis(&format_rfc3339_millis(millis)),
                Some(millis),
                "{millis}"
            );
        }
    }

    #[test]
    fn timestamps_with_offsets_convert_to_the_same_instant() {
        let with_offset = OcppTimestamp::parse_rfc3339("2026-11-21T12:00:00.5+02:00").unwrap();
        assert_eq!(timestamp_to_unix_millis(&with_offset), 1_795_255_200_500);
        assert_eq!(unix_millis_to_timestamp(1_795_255_200_500), with_offset);
    }

    #[test]
    fn extreme_values_do_not_panic() {
        for millis in [i64::MIN, i64::MAX] {
            let timestamp = unix_millis_to_timestamp(millis);
            assert_eq!(timestamp_to_unix_millis(&timestamp), millis);
            assert!(!format_rfc3339_millis(millis).is_empty());
        }
        let far = OcppTimestamp::from_unix(i64::MAX, 999_999_999).unwrap();
        assert_eq!(timestamp_to_unix_millis(&far), i64::MAX);
    }
}
