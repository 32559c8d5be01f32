//! Request limits per API client (`--rate-limit`).
//!
//! Keepnet answers a client that sends too much with `429 Too Many Requests` and tells it to
//! back off; it does not publish its numbers. rollcall lets the operator choose one rate, such
//! as `600/min`, and applies it to every API client separately:
//!
//! - `/api/*` requests are counted against the `client_id` of the bearer token, after the
//!   token's signature is checked (so a forged token cannot use up someone else's budget) and
//!   before the database is asked anything;
//! - `POST /connect/token` requests are counted twice, before the slow secret hash is checked:
//!   against the caller's address (so one source cannot keep the server busy hashing, whatever
//!   ids it names) and against the `client_id` from that address (so guessing a client's secret
//!   is slowed down, while a flood from elsewhere naming the same id cannot lock the real
//!   client out). Both budgets have the configured size.
//!
//! The rate is a generic cell rate (GCRA, from the `governor` crate): `600/min` allows a burst
//! of 600 requests and then one every 100 ms. A refused request gets a `Retry-After` header
//! with the whole seconds until it would be allowed (at least 1).
//!
//! Each process keeps its own counts in memory. Behind a load balancer with `n` replicas a
//! client can therefore reach up to `n` times the rate; divide the rate by the number of
//! replicas when that matters. Health, metrics and the OpenAPI document are never limited.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys longer than this (only possible for unknown token `client_id`s, which callers choose
/// freely) share one budget, so that the map cannot be filled with huge keys.
const MAX_KEY_LEN: usize = 128;

/// Above this many tracked keys, idle ones are dropped (at most once a second) instead of
/// waiting for the periodic sweep.
const SWEEP_AT_KEYS: usize = 100_000;

/// Above this many tracked keys even after a sweep (a flood from very many addresses), new
/// requests of a budget share one overflow key, so memory stays bounded.
const MAX_KEYS: usize = 400_000;

/// A rate: `count` requests per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed in one `per`, and the largest burst.
    pub count: NonZeroU32,
    /// The period the count applies to.
    pub per: Duration,
}

impl Rate {
    fn quota(self) -> Quota {
        // One cell every per/count; never a zero period (which governor refuses).
        let cell = (self.per / self.count.get()).max(Duration::from_nanos(1));
        Quota::with_period(cell)
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.count)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            3600 => "h",
            _ => return write!(f, "{}/{}s", self.count, self.per.as_secs()),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `N/s`, `N/min` or `N/h` (also `sec`, `second`, `m`, `minute`, `hour`), N ≥ 1.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = "write the rate as N/s, N/min or N/h, for example 600/min";
        let (n, unit) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not a rate; {usage}"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("'{n}' in '{s}' is not a whole number; {usage}"))?;
        let count = NonZeroU32::new(count)
            .ok_or_else(|| format!("a rate of 0 would refuse every request; {usage}, or leave the setting out to turn limits off"))?;
        let per = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => return Err(format!("unknown time unit '{other}' in '{s}'; {usage}")),
        };
        Ok(Rate { count, per })
    }
}

/// The budgets of one process.
pub struct Limiters {
    rate: Rate,
    api: DefaultKeyedRateLimiter<String>,
    token_peer: DefaultKeyedRateLimiter<String>,
    token_client: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    /// [`SWEEP_AT_KEYS`] and [`MAX_KEYS`] (smaller in tests).
    sweep_at_keys: usize,
    max_keys: usize,
    started: std::time::Instant,
    /// Milliseconds after `started` of the last on-demand sweep.
    last_sweep_ms: AtomicU64,
}

/// A refused request: how long until the next one would be allowed.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    /// Whole seconds to wait, at least 1 (the `Retry-After` value).
    pub retry_after_secs: u64,
}

impl Limiters {
    /// Limiters for `rate`.
    pub fn new(rate: Rate) -> Self {
        Self::with_bounds(rate, SWEEP_AT_KEYS, MAX_KEYS)
    }

    fn with_bounds(rate: Rate, sweep_at_keys: usize, max_keys: usize) -> Self {
        Limiters {
            sweep_at_keys,
            max_keys,
            rate,
            api: RateLimiter::keyed(rate.quota()),
            token_peer: RateLimiter::keyed(rate.quota()),
            token_client: RateLimiter::keyed(rate.quota()),
            clock: DefaultClock::default(),
            started: std::time::Instant::now(),
            last_sweep_ms: AtomicU64::new(0),
        }
    }

    /// The configured rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Counts one `/api` request of `client_id`.
    pub fn check_api(&self, client_id: &str) -> Result<(), Refused> {
        self.check(&self.api, client_id)
    }

    /// Counts one token request from `peer` naming `client_id`: first against the address,
    /// then against the id from that address.
    pub fn check_token(&self, client_id: &str, peer: Option<IpAddr>) -> Result<(), Refused> {
        let peer = peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        self.check(&self.token_peer, &peer)?;
        let id = if client_id.len() > MAX_KEY_LEN {
            ""
        } else {
            client_id
        };
        self.check(&self.token_client, &format!("{peer} {id}"))
    }

    fn check(&self, limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), Refused> {
        let key = if key.len() > MAX_KEY_LEN * 2 { "" } else { key };
        let key = if limiter.len() > self.sweep_at_keys && self.sweep_now(limiter) > self.max_keys {
            ""
        } else {
            key
        };
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Refused {
                // Whole seconds, rounded up, never 0.
                retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        })
    }

    /// Drops the idle keys of a large budget, at most once a second (a sweep walks the whole
    /// map); returns the keys left.
    fn sweep_now(&self, limiter: &DefaultKeyedRateLimiter<String>) -> usize {
        // Milliseconds since start, from 1 (0 means "never swept").
        let now = u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= 1000)
            && self
                .last_sweep_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            limiter.retain_recent();
        }
        limiter.len()
    }

    /// Forgets clients whose budget is full again (they would be allowed a whole burst
    /// anyway). Called periodically by the server.
    pub fn sweep(&self) {
        for limiter in [&self.api, &self.token_peer, &self.token_client] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys tracked now (all budgets).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.api.len() + self.token_peer.len() + self.token_client.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_and_explains_bad_ones() {
        let r: Rate = "600/min".parse().expect("rate");
        assert_eq!(r.count.get(), 600);
        assert_eq!(r.per, Duration::from_secs(60));
        assert_eq!(r.to_string(), "600/min");
        assert_eq!(
            " 20 / s ".parse::<Rate>().expect("rate").to_string(),
            "20/s"
        );
        assert_eq!("5/hour".parse::<Rate>().expect("rate").to_string(), "5/h");
        for (bad, says) in [
            ("600", "not a rate"),
            ("x/min", "not a whole number"),
            ("0/s", "rate of 0"),
            ("10/day", "unknown time unit 'day'"),
            ("-1/s", "not a whole number"),
        ] {
            let e = bad.parse::<Rate>().expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_and_others_are_not_affected() {
        let l = Limiters::new("3/h".parse().expect("rate"));
        for i in 0..3 {
            assert!(l.check_api("a").is_ok(), "request {i} within the burst");
        }
        let refused = l.check_api("a").expect_err("the fourth is refused");
        // One cell every 20 minutes: the wait is up to that, never 0.
        assert!(
            (1..=1200).contains(&refused.retry_after_secs),
            "{refused:?}"
        );
        assert!(
            l.check_api("b").is_ok(),
            "another client has its own budget"
        );
        let here: Option<IpAddr> = "10.0.0.1".parse().ok();
        assert!(
            l.check_token("a", here).is_ok(),
            "token requests have their own budget"
        );
    }

    #[test]
    fn token_requests_count_per_address_and_per_id_from_that_address() {
        let l = Limiters::new("2/h".parse().expect("rate"));
        let (a, b): (Option<IpAddr>, Option<IpAddr>) =
            ("192.0.2.1".parse().ok(), "192.0.2.2".parse().ok());
        assert!(l.check_token("victim", a).is_ok());
        assert!(l.check_token("victim", a).is_ok());
        assert!(
            l.check_token("victim", a).is_err(),
            "the address's budget is spent"
        );
        assert!(
            l.check_token("another", a).is_err(),
            "other ids from the same address do not get a fresh budget"
        );
        assert!(
            l.check_token("victim", b).is_ok(),
            "a flood from one address does not lock the client out elsewhere"
        );
        assert!(
            l.check_token("victim", None).is_ok(),
            "an unknown peer is one address"
        );
    }

    #[test]
    fn budget_refills_with_time() {
        let l = Limiters::new("10/s".parse().expect("rate"));
        let mut allowed = 0;
        let refused = loop {
            match l.check_api("a") {
                Ok(()) => allowed += 1,
                Err(r) => break r,
            }
            assert!(allowed < 1000, "a budget of 10/s never ran out");
        };
        assert!(allowed >= 10, "at least the burst: {allowed}");
        assert_eq!(
            refused.retry_after_secs, 1,
            "a 100 ms wait rounds up to 1 s"
        );
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check_api("a").is_ok(), "a cell comes back every 100 ms");
    }

    #[test]
    fn long_keys_share_one_budget_and_sweep_forgets_full_budgets() {
        let l = Limiters::new("1/h".parse().expect("rate"));
        assert!(l.check_api(&"a".repeat(MAX_KEY_LEN * 2 + 1)).is_ok());
        assert!(
            l.check_api(&"b".repeat(MAX_KEY_LEN * 2 + 1)).is_err(),
            "over-long ids count as one"
        );
        assert_eq!(l.tracked(), 1);
        let fast = Limiters::new("1000/s".parse().expect("rate"));
        assert!(fast.check_api("x").is_ok());
        std::thread::sleep(Duration::from_millis(20));
        fast.sweep();
        assert_eq!(fast.tracked(), 0, "a refilled budget is forgotten");
    }

    #[test]
    fn a_flood_of_distinct_keys_ends_in_one_shared_budget() {
        let l = Limiters::with_bounds("1/h".parse().expect("rate"), 10, 20);
        // Up to the cap (and one past it) every key has its own budget; nothing is idle, so the
        // sweep that starts at 10 keys frees nothing.
        for i in 0..=20 {
            assert!(l.check_api(&format!("k{i}")).is_ok(), "key {i}");
        }
        // Past the cap new keys share one budget.
        assert!(
            l.check_api("k21").is_ok(),
            "the overflow key's first request"
        );
        assert!(l.check_api("k22").is_err(), "the overflow key is spent");
        assert!(l.check_api("k0").is_err(), "existing keys keep their state");
        assert_eq!(l.tracked(), 22);
    }
}
