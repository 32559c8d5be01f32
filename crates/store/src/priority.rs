//! Keepnet's target-user priorities: read by the filter parser and by the model, so they sit
//! below both.

/// Keepnet's priority names, in order; stored as 1..=5.
pub const PRIORITIES: [&str; 5] = ["VeryLow", "Low", "Medium", "High", "VeryHigh"];

/// Priority given when none is sent (Keepnet's UI default).
pub const DEFAULT_PRIORITY: i64 = 3;

/// Parses a priority name (any case) or its number 1..=5.
pub fn parse_priority(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return (1..=5).contains(&n).then_some(n);
    }
    PRIORITIES
        .iter()
        .position(|p| p.eq_ignore_ascii_case(s))
        .map(|i| i as i64 + 1)
}

/// The name of a stored priority.
pub fn priority_name(p: i64) -> &'static str {
    usize::try_from(p - 1)
        .ok()
        .and_then(|i| PRIORITIES.get(i))
        .copied()
        .unwrap_or("Medium")
}
