//! The retry policy: which failures are retried, how long to wait, and when to give up.
//!
//! Retried, up to [`RetryPolicy::max_attempts`] attempts in all:
//! - connection failures (DNS, refused, TLS, reset before a reply): nothing reached the server,
//!   so every request is retried;
//! - `429 Too Many Requests` and `503 Service Unavailable`: the server refused to handle the
//!   request, so every request is retried;
//! - `500`, `502`, `504` and timeouts or connections broken after the request was sent: the
//!   request may have been carried out, so only *safe* requests are retried (GET, PUT, DELETE and
//!   the read-only POSTs: searches, exports, the token). A create (`POST /api/companies`,
//!   `/api/target-users`, `/api/companies/clients`) is not repeated behind the caller's back.
//!
//! The pause before retry `n` (n = 1, 2, ...) is the server's `Retry-After` (seconds or an HTTP
//! date) when it sent one, else "full jitter" exponential backoff: a random time between 0 and
//! `min(max_delay, base_delay * 2^(n-1))`. A `Retry-After` above
//! [`RetryPolicy::max_retry_after`] ends the call at once with
//! [`crate::ClientError::RetryAfterTooLong`] rather than hanging for minutes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// How hard the client tries before giving up. The defaults: 5 attempts, 200 ms base delay,
/// 10 s cap per pause, `Retry-After` honoured up to 60 s. With them a call that keeps failing
/// with 503 and no `Retry-After` gives up after at most 0.2 + 0.4 + 0.8 + 1.6 = 3 s of pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// Backoff of the first retry (the upper bound of its random pause).
    pub base_delay: Duration,
    /// Upper bound of any backoff pause.
    pub max_delay: Duration,
    /// Longest `Retry-After` the client waits for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The exponential bound of the pause before retry `retry` (1-based).
    pub fn backoff_bound(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(30));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// A random pause in `0..=backoff_bound(retry)` (full jitter).
    pub fn backoff(&self, retry: u32) -> Duration {
        let bound = self.backoff_bound(retry);
        let ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=ms))
    }
}

/// Whether a request may be repeated after a failure that might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// GET, PUT, DELETE, searches, exports, the token: repeating does no harm.
    Safe,
    /// A create: retried only when the server certainly did not act on it.
    Unsafe,
}

/// Whether an HTTP status is worth another attempt for a request of this safety.
pub fn retryable_status(status: StatusCode, safety: Safety) -> bool {
    match status.as_u16() {
        429 | 503 => true,
        500 | 502 | 504 => safety == Safety::Safe,
        _ => false,
    }
}

/// Whether a transport error is worth another attempt.
pub fn retryable_transport(e: &reqwest::Error, safety: Safety) -> bool {
    if e.is_connect() {
        return true;
    }
    safety == Safety::Safe && (e.is_timeout() || e.is_request() || e.is_body())
}

/// `Retry-After` as a pause: delta-seconds, or an HTTP date (a date in the past is no pause).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(v, Utc::now())
}

/// Parses a `Retry-After` value relative to `now`.
pub fn parse_retry_after(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is RFC 2822 with `GMT`.
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_bound(1), Duration::from_millis(200));
        assert_eq!(p.backoff_bound(2), Duration::from_millis(400));
        assert_eq!(p.backoff_bound(4), Duration::from_millis(1600));
        assert_eq!(p.backoff_bound(7), Duration::from_secs(10));
        assert_eq!(p.backoff_bound(u32::MAX), Duration::from_secs(10));
        for retry in 1..10 {
            for _ in 0..50 {
                assert!(p.backoff(retry) <= p.backoff_bound(retry));
            }
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 12:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn which_statuses_are_retried() {
        use Safety::*;
        for s in [429, 503] {
            let s = StatusCode::from_u16(s).unwrap_or_default();
            assert!(retryable_status(s, Safe) && retryable_status(s, Unsafe));
        }
        for s in [500, 502, 504] {
            let s = StatusCode::from_u16(s).unwrap_or_default();
            assert!(retryable_status(s, Safe) && !retryable_status(s, Unsafe));
        }
        for s in [400, 401, 403, 404, 409, 501] {
            let s = StatusCode::from_u16(s).unwrap_or_default();
            assert!(!retryable_status(s, Safe));
        }
    }
}
