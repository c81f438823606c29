//! Git timestamps as RFC 3339 text.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

/// Formats seconds since the Unix epoch, at a UTC offset in minutes, as RFC 3339
/// (`2026-05-01T12:00:00+02:00`; `Z` for UTC).
pub fn format_rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let instant = Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH);
    if offset_minutes == 0 {
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let offset = Offset::from_seconds(offset_minutes.saturating_mul(60)).unwrap_or(Offset::UTC);
    instant.to_zoned(TimeZone::fixed(offset)).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Seconds since the Unix epoch of an RFC 3339 instant (`2026-05-01T12:00:00Z`, any offset);
/// `None` when the text is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    text.parse::<Timestamp>().ok().map(Timestamp::as_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_formats() {
        for (seconds, offset) in [(0, 0), (1_777_636_800, 0), (1_777_636_800, 120), (951_782_400, -330)] {
            assert_eq!(parse_rfc3339(&format_rfc3339(seconds, offset)), Some(seconds));
        }
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339(""), None);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_777_636_800, 0), "2026-05-01T12:00:00Z");
        assert_eq!(format_rfc3339(1_777_636_800, 120), "2026-05-01T14:00:00+02:00");
        assert_eq!(format_rfc3339(951_782_400, -330), "2000-02-28T18:30:00-05:30");
    }
}
