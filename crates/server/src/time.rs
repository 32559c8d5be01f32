//! Times as the store keeps them: UTC milliseconds.

use chrono::{DateTime, TimeZone, Utc};

/// Current time in UTC milliseconds.
pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// Milliseconds to a UTC time.
pub fn millis_to_time(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}
