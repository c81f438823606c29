//! The retry policy object: which failures are worth another attempt, and how long to wait.
//!
//! Retryable: connection errors, timeouts, HTTP 408, 429 (honouring `Retry-After`) and 5xx.
//! Never retried: any other 4xx, a response of the wrong shape, a missing secret, an open
//! circuit breaker. Backoff is exponential with "equal jitter": attempt *n* waits between
//! half and all of `backoffSeconds * 2^(n-1)`, so racing clients spread out but the wait
//! still grows; a server's `Retry-After` wins when it asks for longer.

use std::time::Duration;

use pao_schema::Retry;

/// The longest single pause.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Base pause of actions whose `retry` sets no `backoffSeconds`.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

/// What to do after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It worked.
    Success,
    /// Try again, no sooner than `after` when the server said so.
    Retry {
        /// The server's `Retry-After`.
        after: Option<Duration>,
    },
    /// Give up.
    Fail,
}

/// How an HTTP status is judged when the action accepts `expected` (empty: any 2xx).
pub fn classify_status(status: u16, expected: &[u16], retry_after: Option<Duration>) -> Verdict {
    let ok = if expected.is_empty() { (200..300).contains(&status) } else { expected.contains(&status) };
    if ok {
        Verdict::Success
    } else if status == 408 || status == 429 || (500..600).contains(&status) {
        Verdict::Retry { after: retry_after }
    } else {
        Verdict::Fail
    }
}

/// Parses a `Retry-After` header: delay seconds (HTTP dates are not honoured; the computed
/// backoff applies instead).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(|s| Duration::from_secs(s).min(MAX_BACKOFF))
}

/// One action's attempts and pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (1: no retry).
    pub max_attempts: u32,
    /// The first pause before jitter.
    pub base: Duration,
}

impl RetryPolicy {
    /// The policy of an action's `retry` (none: a single attempt).
    pub fn from_action(retry: Option<&Retry>) -> Self {
        match retry {
            None => Self { max_attempts: 1, base: DEFAULT_BACKOFF },
            Some(retry) => Self {
                max_attempts: u32::from(retry.max_attempts.max(1)),
                base: retry.backoff_seconds.map_or(DEFAULT_BACKOFF, |s| Duration::from_secs(u64::from(s))),
            },
        }
    }

    /// The pause after failed attempt `attempt` (1-based); `unit` in `[0, 1)` is the jitter.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1 << exponent).min(MAX_BACKOFF);
        let half = full / 2;
        let jittered = half + half.mul_f64(unit.clamp(0.0, 1.0));
        retry_after.map_or(jittered, |after| after.max(jittered)).min(MAX_BACKOFF)
    }
}

/// A jitter value in `[0, 1)` from a fresh random UUID.
pub fn jitter_unit() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 75; // 53 random bits
    #[allow(clippy::cast_precision_loss)]
    let unit = bits as f64 / (1u64 << 53) as f64;
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_statuses_are_retried() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify_status(status, &[], None), Verdict::Retry { .. }), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert_eq!(classify_status(status, &[], None), Verdict::Fail, "{status}");
        }
        assert_eq!(classify_status(201, &[], None), Verdict::Success);
        assert_eq!(classify_status(200, &[201], None), Verdict::Fail);
        assert_eq!(classify_status(404, &[404], None), Verdict::Success);
        let after = Some(Duration::from_secs(7));
        assert_eq!(classify_status(429, &[], after), Verdict::Retry { after });
    }

    #[test]
    fn backoff_grows_exponentially_within_the_jitter_band() {
        let policy = RetryPolicy { max_attempts: 5, base: Duration::from_secs(2) };
        assert_eq!(policy.backoff(1, None, 0.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(1, None, 0.999_999).as_secs(), 1);
        assert_eq!(policy.backoff(2, None, 0.0), Duration::from_secs(2));
        assert_eq!(policy.backoff(3, None, 0.5), Duration::from_secs(6));
        assert_eq!(policy.backoff(4, None, 1.0), Duration::from_secs(16));
        // Retry-After wins when longer, not when shorter.
        assert_eq!(policy.backoff(1, Some(Duration::from_secs(30)), 0.0), Duration::from_secs(30));
        assert_eq!(policy.backoff(4, Some(Duration::from_secs(1)), 0.0), Duration::from_secs(8));
        assert_eq!(policy.backoff(40, None, 1.0), MAX_BACKOFF);
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let values: Vec<f64> = (0..50).map(|_| jitter_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(values.windows(2).any(|w| (w[0] - w[1]).abs() > f64::EPSILON));
    }

    #[test]
    fn policy_from_the_action() {
        assert_eq!(RetryPolicy::from_action(None).max_attempts, 1);
        let retry = Retry { max_attempts: 3, backoff_seconds: Some(5) };
        assert_eq!(
            RetryPolicy::from_action(Some(&retry)),
            RetryPolicy { max_attempts: 3, base: Duration::from_secs(5) }
        );
        assert_eq!(parse_retry_after(" 12 "), Some(Duration::from_secs(12)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
