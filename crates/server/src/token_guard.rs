//! Limits on **failed** token requests (`--token-failure-limit`, default `10/min`).
//!
//! vaultwarden slows password guessing by limiting login attempts per address; rollcall does the
//! same for client secrets, but counts only failures, so a client that authenticates correctly is
//! never slowed down. Three budgets of the configured size are kept, each a generic cell rate
//! (`10/min`: ten failures at once, then one more every 6 s):
//!
//! - per source address: one address cannot keep the server hashing wrong secrets;
//! - per `client_id`: guessing one client's secret from many addresses is slowed down too;
//! - per (address, `client_id`): never waived, see below.
//!
//! A request is refused (429 with `Retry-After`) **before** its secret is checked when a budget
//! it draws on is spent. Otherwise it reserves one failure in each budget before the check (so
//! that requests sent together cannot all pass a budget that has room for one), and gives it
//! back when the request turns out not to be a guess (the secret was right, or the server was
//! too busy to check it). IPv6 addresses count by their /64, which one host usually holds
//! whole. To keep a flood naming someone else's `client_id` from locking that
//! client out, an (address, `client_id`) pair that authenticated successfully within the last
//! [`KNOWN_GOOD_FOR`] is only held to its own pair budget: the real client keeps getting tokens
//! from where it usually runs, while an attacker on a new address still meets the address and
//! id budgets. Only an attacker that shares the client's address *and* names its id can delay
//! it, after spending that pair's budget.
//!
//! Budgets are in process memory, like `--rate-limit`'s ([`crate::ratelimit`]); their key count
//! is bounded the same way. `governor`, used there, cannot look at a budget without spending it,
//! and here only failures spend, so this module keeps its own small cell-rate state.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::ratelimit::Rate;

/// How long a successful (address, `client_id`) pair is trusted to skip the address and id
/// budgets: a day, so a client that renews its token hourly is always known.
pub const KNOWN_GOOD_FOR: Duration = Duration::from_secs(24 * 3600);

/// Keys longer than this share one budget (client ids are chosen freely by callers).
const MAX_KEY_LEN: usize = 160;

/// Past this many keys in one budget, idle ones are swept; if still past it, new keys share one
/// overflow budget, so memory stays bounded under a flood from very many addresses.
const MAX_KEYS: usize = 200_000;

/// Which budget refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// The source address's.
    Address,
    /// The `client_id`'s.
    Client,
    /// The (address, `client_id`) pair's.
    Pair,
}

/// A refused token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The budget that is spent.
    pub spent: Spent,
    /// Whole seconds until it allows one more failure (at least 1).
    pub retry_after_secs: u64,
}

/// One keyed cell-rate budget: per key, the theoretical arrival time of the next failure.
struct Budget {
    tat: Mutex<HashMap<String, Instant>>,
}

impl Budget {
    fn new() -> Self {
        Budget {
            tat: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.tat.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spends one failure of `key` now, or `Err(wait)` when that would exceed the burst.
    /// Returns the key it was counted under (see [`shared_key`]), for a refund.
    fn spend(&self, rate: Rate, key: &str, now: Instant) -> Result<String, Duration> {
        let mut map = self.lock();
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, tat| *tat > now);
        }
        let key = shared_key(&map, key).to_owned();
        let next = map.get(&key).map_or(now, |tat| (*tat).max(now)) + cell(rate);
        let ahead = next.saturating_duration_since(now);
        if ahead > rate.per {
            return Err(ahead - rate.per);
        }
        map.insert(key.clone(), next);
        Ok(key)
    }

    /// Gives back one failure of `key` (a reservation that was not a guess).
    fn refund(&self, rate: Rate, key: &str, now: Instant) {
        let mut map = self.lock();
        if let Some(tat) = map.get_mut(key) {
            match tat.checked_sub(cell(rate)) {
                Some(back) if back > now => *tat = back,
                _ => {
                    map.remove(key);
                }
            }
        }
    }

    /// Forgets keys whose budget is whole again.
    fn sweep(&self, now: Instant) {
        let mut map = self.lock();
        map.retain(|_, tat| *tat > now);
        map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The key a request counts under: its own, or the shared overflow key `""` when it is over
/// long or the budget is full of other keys.
fn shared_key<'k>(map: &HashMap<String, Instant>, key: &'k str) -> &'k str {
    if key.len() > MAX_KEY_LEN || (map.len() >= MAX_KEYS && !map.contains_key(key)) {
        ""
    } else {
        key
    }
}

/// The time one failure uses up: `per / count`.
fn cell(rate: Rate) -> Duration {
    (rate.per / rate.count.get()).max(Duration::from_nanos(1))
}

fn whole_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// Failures a token request reserved (see [`TokenGuard::reserve`]): given back when dropped,
/// kept by [`Reservation::keep`].
pub struct Reservation<'g> {
    guard: &'g TokenGuard,
    spent: Vec<(Spent, String)>,
}

impl Reservation<'_> {
    /// The request was a guess (an unknown id or a wrong secret): the failures stay counted.
    pub fn keep(mut self) {
        self.spent.clear();
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let Some(rate) = self.guard.rate else { return };
        let now = Instant::now();
        for (which, key) in self.spent.drain(..) {
            self.guard.budget(which).refund(rate, &key, now);
        }
    }
}

/// The failure budgets of one process.
pub struct TokenGuard {
    rate: Option<Rate>,
    address: Budget,
    client: Budget,
    pair: Budget,
    /// (address, client id) pairs and when they last authenticated.
    known_good: Mutex<HashMap<String, Instant>>,
}

/// The address a budget counts: an IPv4 address (IPv4-mapped IPv6 included) whole, an IPv6
/// address by its /64.
fn address_key(peer: Option<IpAddr>) -> String {
    match peer.map(crate::auth::plain_ip) {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn pair_key(client_id: &str, peer: Option<IpAddr>) -> String {
    format!("{} {client_id}", address_key(peer))
}

impl TokenGuard {
    /// Budgets of `rate` failures; `None` turns them off.
    pub fn new(rate: Option<Rate>) -> Self {
        TokenGuard {
            rate,
            address: Budget::new(),
            client: Budget::new(),
            pair: Budget::new(),
            known_good: Mutex::new(HashMap::new()),
        }
    }

    /// The configured rate (`None`: off).
    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }

    fn known_good_pairs(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.known_good.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one failure for a token request naming `client_id` from `peer`, in the pair's
    /// budget and, unless the pair is known good, in the address's and the id's; refused when
    /// one of them is spent. The reservation is given back when dropped, unless
    /// [`Reservation::keep`] says the request was a guess.
    pub fn reserve(
        &self,
        client_id: &str,
        peer: Option<IpAddr>,
    ) -> Result<Reservation<'_>, Refused> {
        let mut reservation = Reservation {
            guard: self,
            spent: Vec::new(),
        };
        let Some(rate) = self.rate else {
            return Ok(reservation);
        };
        let now = Instant::now();
        let pair = pair_key(client_id, peer);
        let refuse = |spent, wait| Refused {
            spent,
            retry_after_secs: whole_secs(wait),
        };
        // On a refusal `reservation` is dropped, which gives back what it took so far.
        let key = self
            .pair
            .spend(rate, &pair, now)
            .map_err(|w| refuse(Spent::Pair, w))?;
        reservation.spent.push((Spent::Pair, key));
        let trusted = self
            .known_good_pairs()
            .get(&pair)
            .is_some_and(|at| now.duration_since(*at) < KNOWN_GOOD_FOR);
        if trusted {
            return Ok(reservation);
        }
        let key = self
            .address
            .spend(rate, &address_key(peer), now)
            .map_err(|w| refuse(Spent::Address, w))?;
        reservation.spent.push((Spent::Address, key));
        let key = self
            .client
            .spend(rate, client_id, now)
            .map_err(|w| refuse(Spent::Client, w))?;
        reservation.spent.push((Spent::Client, key));
        Ok(reservation)
    }

    fn budget(&self, which: Spent) -> &Budget {
        match which {
            Spent::Address => &self.address,
            Spent::Client => &self.client,
            Spent::Pair => &self.pair,
        }
    }

    /// Whether `client_id` authenticated from `peer` within [`KNOWN_GOOD_FOR`]: its secret
    /// checks go before the queue's lines ([`crate::hasher`]). Kept with the limit off too.
    pub fn known_good(&self, client_id: &str, peer: Option<IpAddr>) -> bool {
        self.known_good_pairs()
            .get(&pair_key(client_id, peer))
            .is_some_and(|at| at.elapsed() < KNOWN_GOOD_FOR)
    }

    /// Remembers that `client_id` authenticated from `peer`.
    pub fn succeeded(&self, client_id: &str, peer: Option<IpAddr>) {
        let now = Instant::now();
        let mut good = self.known_good_pairs();
        if good.len() >= MAX_KEYS {
            good.retain(|_, at| now.duration_since(*at) < KNOWN_GOOD_FOR);
            if good.len() >= MAX_KEYS {
                // Only correct secrets add pairs, so this takes a very large fleet; the newcomer
                // is simply not remembered.
                return;
            }
        }
        good.insert(pair_key(client_id, peer), now);
    }

    /// Forgets whole budgets and stale pairs. Called periodically by the server.
    pub fn sweep(&self) {
        let now = Instant::now();
        for budget in [&self.address, &self.client, &self.pair] {
            budget.sweep(now);
        }
        let mut good = self.known_good_pairs();
        good.retain(|_, at| now.duration_since(*at) < KNOWN_GOOD_FOR);
        good.shrink_to_fit();
    }

    /// Keys tracked in all budgets (for tests and the sweep's check).
    pub fn tracked(&self) -> usize {
        self.address.len() + self.client.len() + self.pair.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    /// A guess: reserve and keep.
    fn guess(g: &TokenGuard, id: &str, peer: Option<IpAddr>) -> Result<(), Refused> {
        g.reserve(id, peer).map(Reservation::keep)
    }

    #[test]
    fn only_guesses_count_and_the_address_budget_stops_a_guesser() {
        let g = TokenGuard::new(Some("3/h".parse().expect("rate")));
        let a = ip("192.0.2.1");
        for _ in 0..10 {
            // A reservation given back (a right secret) costs nothing.
            drop(g.reserve("good", a).expect("room"));
            g.succeeded("good", a);
        }
        for i in 0..3 {
            assert!(guess(&g, &format!("guess{i}"), a).is_ok(), "failure {i}");
        }
        let r = g
            .reserve("another", a)
            .err()
            .expect("the address spent its budget");
        assert_eq!(r.spent, Spent::Address);
        assert!((1..=1200).contains(&r.retry_after_secs), "{r:?}");
        assert!(
            g.reserve("another", ip("192.0.2.9")).is_ok(),
            "other addresses are not affected"
        );
    }

    #[test]
    fn requests_sent_together_cannot_all_pass_a_budget_with_room_for_one() {
        let g = TokenGuard::new(Some("1/h".parse().expect("rate")));
        let a = ip("192.0.2.1");
        let first = g.reserve("x", a).expect("room for one");
        let second = g
            .reserve("y", a)
            .err()
            .expect("the reservation holds the room");
        assert_eq!(second.spent, Spent::Address);
        drop(first);
        assert!(
            g.reserve("y", a).is_ok(),
            "given back, the room is free again"
        );
    }

    #[test]
    fn the_client_budget_spans_addresses_but_spares_known_good_pairs() {
        let g = TokenGuard::new(Some("2/h".parse().expect("rate")));
        let home = ip("198.51.100.7");
        g.succeeded("victim", home);
        // Two attackers on two addresses spend the victim's id budget.
        for attacker in ["203.0.113.1", "203.0.113.2"] {
            assert!(guess(&g, "victim", ip(attacker)).is_ok());
        }
        let r = g
            .reserve("victim", ip("203.0.113.3"))
            .err()
            .expect("a third address meets the spent id budget");
        assert_eq!(r.spent, Spent::Client);
        assert!(
            g.reserve("victim", home).is_ok(),
            "the client keeps working from where it authenticated before"
        );
        assert!(
            g.reserve("victim", None).is_err(),
            "an unknown peer is not known good"
        );
    }

    #[test]
    fn a_pair_budget_is_never_waived() {
        let g = TokenGuard::new(Some("2/h".parse().expect("rate")));
        let shared = ip("10.1.1.1");
        g.succeeded("c", shared);
        assert!(guess(&g, "c", shared).is_ok());
        assert!(guess(&g, "c", shared).is_ok());
        let r = g
            .reserve("c", shared)
            .err()
            .expect("the pair spent its own budget");
        assert_eq!(r.spent, Spent::Pair);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let g = TokenGuard::new(Some("2/h".parse().expect("rate")));
        assert!(guess(&g, "a", ip("2001:db8:1:2::1")).is_ok());
        assert!(guess(&g, "b", ip("2001:db8:1:2:ffff::9")).is_ok());
        let r = g
            .reserve("c", ip("2001:db8:1:2:abcd::7"))
            .err()
            .expect("the same /64");
        assert_eq!(r.spent, Spent::Address);
        assert!(g.reserve("c", ip("2001:db8:1:3::1")).is_ok(), "another /64");
        // An IPv4 caller seen through a dual-stack socket is its IPv4 address.
        assert!(guess(&g, "d", ip("::ffff:192.0.2.5")).is_ok());
        assert!(guess(&g, "e", ip("192.0.2.5")).is_ok());
        assert!(g.reserve("f", ip("192.0.2.5")).is_err());
    }

    #[test]
    fn budgets_refill_and_sweep_forgets_them() {
        let g = TokenGuard::new(Some("20/s".parse().expect("rate")));
        let a = ip("192.0.2.1");
        let mut failures = 0;
        while guess(&g, "x", a).is_ok() {
            failures += 1;
            assert!(failures < 100, "the budget never ran out");
        }
        assert_eq!(failures, 20);
        std::thread::sleep(Duration::from_millis(120));
        assert!(g.reserve("x", a).is_ok(), "a cell comes back every 50 ms");
        assert_eq!(g.tracked(), 3);
        std::thread::sleep(Duration::from_millis(1100));
        g.sweep();
        assert_eq!(g.tracked(), 0, "whole budgets are forgotten");
    }

    #[test]
    fn off_refuses_nothing_and_counts_nothing_but_knows_genuine_callers() {
        let g = TokenGuard::new(None);
        for _ in 0..100 {
            assert!(guess(&g, "x", None).is_ok());
        }
        assert_eq!(g.tracked(), 0);
        assert!(!g.known_good("x", None));
        g.succeeded("x", None);
        assert!(g.known_good("x", None), "kept for the secret checks' queue");
        assert!(!g.known_good("x", ip("192.0.2.1")), "per address");
    }

    #[test]
    fn over_long_ids_share_one_budget() {
        let g = TokenGuard::new(Some("1/h".parse().expect("rate")));
        let long_a = "a".repeat(MAX_KEY_LEN + 1);
        let long_b = "b".repeat(MAX_KEY_LEN + 1);
        assert!(guess(&g, &long_a, ip("192.0.2.1")).is_ok());
        let r = g
            .reserve(&long_b, ip("192.0.2.2"))
            .err()
            .expect("both long ids count as one");
        // Their pair keys are over long as well, so the shared pair budget is the first spent.
        assert_eq!(r.spent, Spent::Pair);
    }
}
