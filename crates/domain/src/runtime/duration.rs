//! SCORM durations: 1.2 `CMITimespan` and 2004 ISO 8601 `timeinterval`, read into seconds and
//! written back.

use super::version::ScormVersion;
use std::fmt::Write as _;

/// Longest duration accepted, in seconds: 100 years of 365 days. Anything longer is refused
/// rather than summed, so a total never overflows or loses its precision to centiseconds.
pub const MAX_DURATION_SECONDS: f64 = 100.0 * 365.0 * 86_400.0;

/// Most digits accepted in one number of a duration; more is refused before any arithmetic.
const MAX_DIGITS: usize = 12;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not in the version's format.
    #[error("is not a SCORM {version} timespan ({expected}): {value:?}")]
    Malformed {
        /// `1.2` or `2004`.
        version: &'static str,
        /// The expected shape, in words.
        expected: &'static str,
        /// The value, cut to 40 characters for the message.
        value: String,
    },
    /// Longer than [`MAX_DURATION_SECONDS`].
    #[error("is longer than 100 years")]
    TooLong,
}

fn malformed(version: ScormVersion, raw: &str) -> DurationError {
    DurationError::Malformed {
        version: version.as_str(),
        expected: match version {
            ScormVersion::V12 => "HHHH:MM:SS.SS",
            ScormVersion::V2004 => "P[nY][nM][nD][T[nH][nM][n[.n]S]]",
        },
        value: raw.chars().take(40).collect(),
    }
}

/// Reads a duration of `version`'s format into seconds (non-negative, at most
/// [`MAX_DURATION_SECONDS`]).
///
/// # Errors
/// When the text is not in the format or the duration is too long.
pub fn parse_duration(version: ScormVersion, raw: &str) -> Result<f64, DurationError> {
    let seconds = match version {
        ScormVersion::V12 => parse_timespan_12(raw),
        ScormVersion::V2004 => parse_interval_2004(raw),
    }
    .ok_or_else(|| malformed(version, raw))?;
    if seconds > MAX_DURATION_SECONDS {
        return Err(DurationError::TooLong);
    }
    Ok(seconds)
}

/// A run of ASCII digits, 1 to [`MAX_DIGITS`] long, as a number.
fn digits(text: &str) -> Option<f64> {
    if text.is_empty() || text.len() > MAX_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().map(|n| n as f64)
}

/// 1.2 `CMITimespan`, as scorm-again 3.4.3 accepts it: `H+:MM:SS[.S[S]]`. The standard writes
/// hours with 2–4 digits; scorm-again accepts one or more (it writes more than 4 itself past
/// 9,999 hours), and, like it, minutes and seconds are any two digits.
fn parse_timespan_12(raw: &str) -> Option<f64> {
    let mut parts = raw.split(':');
    let (hours, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || minutes.len() != 2 {
        return None;
    }
    let (whole, fraction) = match seconds.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (seconds, None),
    };
    if whole.len() != 2 {
        return None;
    }
    let mut total = digits(hours)? * 3600.0 + digits(minutes)? * 60.0 + digits(whole)?;
    if let Some(fraction) = fraction {
        if !(1..=2).contains(&fraction.len()) {
            return None;
        }
        total += digits(fraction)? / 10f64.powi(fraction.len() as i32);
    }
    Some(total)
}

/// A decimal number of an ISO 8601 duration: digits with an optional `.` or `,` fraction.
fn decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let whole = if whole.is_empty() && !fraction.is_empty() {
        0.0
    } else {
        digits(whole)?
    };
    if fraction.is_empty() {
        return (!text.ends_with(['.', ','])).then_some(whole);
    }
    Some(whole + digits(fraction)? / 10f64.powi(fraction.len() as i32))
}

/// 2004 `timeinterval (second,10,2)`: `P[nY][nM][nW][nD][T[nH][nM][n[.n]S]]`, every number may
/// have a fraction. A year counts 365 days, a month 30 days and a week 7 days (what scorm-again
/// uses; the standard gives no calendar to an elapsed time). Like scorm-again, `P` and `PT`
/// alone are zero and the `T` may be left out when no month precedes a minute.
fn parse_interval_2004(raw: &str) -> Option<f64> {
    const DATE: [(u8, f64); 4] = [
        (b'Y', 365.0 * 86_400.0),
        (b'M', 30.0 * 86_400.0),
        (b'W', 7.0 * 86_400.0),
        (b'D', 86_400.0),
    ];
    const TIME: [(u8, f64); 3] = [(b'H', 3600.0), (b'M', 60.0), (b'S', 1.0)];
    let rest = raw.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut designators = |text: &str, table: &[(u8, f64)]| -> Option<()> {
        let mut next = 0;
        let mut start = 0;
        for (at, byte) in text.bytes().enumerate() {
            if byte.is_ascii_digit() || byte == b'.' || byte == b',' {
                continue;
            }
            let position = table[next..].iter().position(|(d, _)| *d == byte)? + next;
            total += decimal(&text[start..at])? * table[position].1;
            next = position + 1;
            start = at + 1;
        }
        (start == text.len()).then_some(())
    };
    match time {
        Some(time) => {
            designators(date, &DATE)?;
            designators(time, &TIME)?;
        }
        // No `T`: scorm-again reads hours, minutes and seconds after the date part anyway.
        None => designators(date, &[DATE[0], DATE[1], DATE[2], DATE[3], TIME[0], TIME[1], TIME[2]])?,
    }
    Some(total)
}

/// Whole centiseconds of `seconds`, clamped to `0..=MAX_DURATION_SECONDS` (NaN is 0).
fn centiseconds(seconds: f64) -> u64 {
    let clamped = if seconds.is_nan() {
        0.0
    } else {
        seconds.clamp(0.0, MAX_DURATION_SECONDS)
    };
    (clamped * 100.0).round() as u64
}

/// Writes `seconds` in `version`'s format, to centiseconds: 1.2 `HHHH:MM:SS.SS` (at least four
/// hour digits, more past 9,999 hours), 2004 `PT[nH][nM][n[.nn]S]` (`PT0S` for zero; hours, never
/// days, so no calendar is implied). Negative or non-finite input is clamped into range.
pub fn format_duration(version: ScormVersion, seconds: f64) -> String {
    let centis = centiseconds(seconds);
    let (hours, minutes, secs, cs) = (centis / 360_000, centis / 6_000 % 60, centis / 100 % 60, centis % 100);
    let mut out = String::new();
    match version {
        ScormVersion::V12 => {
            let _ = write!(out, "{hours:04}:{minutes:02}:{secs:02}.{cs:02}");
        }
        ScormVersion::V2004 => {
            out.push_str("PT");
            if hours > 0 {
                let _ = write!(out, "{hours}H");
            }
            if minutes > 0 {
                let _ = write!(out, "{minutes}M");
            }
            if secs > 0 || cs > 0 || (hours == 0 && minutes == 0) {
                let _ = write!(out, "{secs}");
                if cs > 0 {
                    let fraction = format!("{cs:02}");
                    let _ = write!(out, ".{}", fraction.trim_end_matches('0'));
                }
                out.push('S');
            }
        }
    }
    out
}
