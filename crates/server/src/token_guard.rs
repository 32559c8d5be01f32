//! Limits on **failed** token requests (`--token-failure-limit`, default `10/min`).
//!
//! vaultwarden slows password guessing by limiting login attempts per address; rollcall does the
//! same for client secrets, but counts only failures, so a client that authenticates correctly is
//! never refused. Three budgets of the configured size are kept, each a generic cell rate
//! (`10/min`: ten failures at once, then one more every 6 s):
//!
//! - per source address: one address cannot keep the server hashing wrong secrets;
//! - per `client_id`: guessing one client's secret from many addresses is slowed down too;
//! - per (address, `client_id`): never waived, see below.
//!
//! A request is refused (429 with `Retry-After`) **before** its secret is checked when a budget
//! it draws on has no room for one more failure. Otherwise it *holds* one failure's room in each
//! budget while its secret is checked, so that requests sent together cannot all pass a budget
//! with room for one: a wrong secret turns the hold into a recorded failure, a right one gives
//! it back. A request that finds the room held by requests still being checked (not by recorded
//! failures) waits for them, up to `--secret-check-wait`, and gets 503 if they take longer: so
//! correct secrets sent together are delayed at worst, never told they failed. Once the check
//! has started, a caller that goes away is counted as a guess (the check ran).
//!
//! IPv6 addresses count by their /64, which one host usually holds whole. To keep a flood naming
//! someone else's `client_id` from locking that client out, an (address, `client_id`) pair that
//! authenticated successfully within the last [`KNOWN_GOOD_FOR`] is held only to its own pair
//! budget: the real client keeps getting tokens from where it usually runs, while an attacker on
//! another address still meets the address and id budgets. Only an attacker that shares the
//! client's address (its /64, for IPv6) *and* names its id can delay it, after spending that
//! pair's budget.
//!
//! Budgets are in process memory, like `--rate-limit`'s ([`crate::ratelimit`]); their key count
//! is bounded the same way. `governor`, used there, cannot hold room without spending it, and
//! here only failures spend, so this module keeps its own small cell-rate state.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::ratelimit::Rate;

/// How long a successful (address, `client_id`) pair is trusted to skip the address and id
/// budgets: a day, so a client that renews its token hourly is always known.
pub const KNOWN_GOOD_FOR: Duration = Duration::from_secs(24 * 3600);

/// How often a request waiting for held room looks again even when no reservation ended.
const RECHECK: Duration = Duration::from_millis(50);

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

/// Why [`TokenGuard::reserve`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Recorded failures fill a budget: 429.
    Spent(Refused),
    /// Requests still being checked held the room for longer than the wait: 503.
    Busy,
}

/// Why one budget could not hold room now.
enum Full {
    /// Recorded failures fill it; one more fits after this wait.
    Spent(Duration),
    /// Failures fit, but requests being checked hold the room.
    Held,
}

/// One key's state: when its recorded failures are paid off (GCRA's theoretical arrival time),
/// and how many requests being checked hold room in it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tat: Instant,
    held: u32,
}

/// One keyed budget.
struct Budget {
    map: Mutex<HashMap<String, Entry>>,
}

impl Budget {
    fn new() -> Self {
        Budget {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds room for one failure of `key`; returns the key it was counted under (see
    /// [`shared_key`]).
    fn hold(&self, rate: Rate, key: &str, now: Instant) -> Result<String, Full> {
        let mut map = self.lock();
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, e| e.held > 0 || e.tat > now);
        }
        let key = shared_key(&map, key).to_owned();
        let entry = map
            .get(&key)
            .copied()
            .unwrap_or(Entry { tat: now, held: 0 });
        let recorded = entry.tat.saturating_duration_since(now);
        if recorded + cell(rate) > rate.per {
            return Err(Full::Spent(recorded + cell(rate) - rate.per));
        }
        if recorded + cell(rate) * (entry.held + 1) > rate.per {
            return Err(Full::Held);
        }
        map.insert(
            key.clone(),
            Entry {
                held: entry.held + 1,
                ..entry
            },
        );
        Ok(key)
    }

    /// Ends a hold: recorded as one failure when `failed`, given back otherwise.
    fn settle(&self, rate: Rate, key: &str, now: Instant, failed: bool) {
        let mut map = self.lock();
        let Some(entry) = map.get_mut(key) else {
            return;
        };
        entry.held = entry.held.saturating_sub(1);
        if failed {
            entry.tat = entry.tat.max(now) + cell(rate);
        }
        if entry.held == 0 && entry.tat <= now {
            map.remove(key);
        }
    }

    /// Forgets keys with no recorded failure left and no hold.
    fn sweep(&self, now: Instant) {
        let mut map = self.lock();
        map.retain(|_, e| e.held > 0 || e.tat > now);
        map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The key a request counts under: its own, or the shared overflow key `""` when it is over
/// long or the budget is full of other keys.
fn shared_key<'k>(map: &HashMap<String, Entry>, key: &'k str) -> &'k str {
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

/// The address a caller counts as: an IPv4 address (IPv4-mapped IPv6 included) whole, an IPv6
/// address as its /64. Also the key of the secret checks' queue lines ([`crate::hasher`]).
pub fn caller_address(peer: Option<IpAddr>) -> Option<IpAddr> {
    peer.map(crate::auth::address::plain_ip).map(|ip| match ip {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    })
}

fn address_key(peer: Option<IpAddr>) -> String {
    match caller_address(peer) {
        None => "unknown".to_owned(),
        Some(IpAddr::V6(v6)) => format!("{v6}/64"),
        Some(v4) => v4.to_string(),
    }
}

fn pair_key(client_id: &str, peer: Option<IpAddr>) -> String {
    format!("{} {client_id}", address_key(peer))
}

/// Room a token request holds in the budgets while its secret is checked (see
/// [`TokenGuard::reserve`]). [`Reservation::keep`] records the failures, [`Reservation::release`]
/// gives the room back; dropped, it gives it back before [`Reservation::checking`] and records
/// the failures after.
pub struct Reservation<'g> {
    guard: &'g TokenGuard,
    held: Vec<(Spent, String)>,
    checking: bool,
}

impl Reservation<'_> {
    /// The secret check is starting: from now on a dropped reservation (the caller went away
    /// while its secret was checked) counts as a guess.
    pub fn checking(&mut self) {
        self.checking = true;
    }

    /// The request was a guess (an unknown id or a wrong secret): the failures are recorded.
    pub fn keep(mut self) {
        self.settle(true);
    }

    /// The request was not a guess (a right secret, or no check ran): the room is given back.
    pub fn release(mut self) {
        self.settle(false);
    }

    /// Gives back the holds of an attempt that could not hold them all, without waking waiters:
    /// waking them here would let two waiting requests wake each other in a loop. A waiter that
    /// saw such a passing hold finds out at its next poll ([`RECHECK`]).
    fn undo(mut self, rate: Rate, now: Instant) {
        for (which, key) in self.held.drain(..) {
            self.guard.budget(which).settle(rate, &key, now, false);
        }
    }

    fn settle(&mut self, failed: bool) {
        let Some(rate) = self.guard.rate else { return };
        if self.held.is_empty() {
            return;
        }
        let now = Instant::now();
        for (which, key) in self.held.drain(..) {
            self.guard.budget(which).settle(rate, &key, now, failed);
        }
        self.guard.settled.notify_waiters();
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let failed = self.checking;
        self.settle(failed);
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
    /// Woken whenever a reservation ends, for requests waiting on held room.
    settled: Notify,
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
            settled: Notify::new(),
        }
    }

    /// The configured rate (`None`: off).
    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }

    fn known_good_pairs(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.known_good.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn budget(&self, which: Spent) -> &Budget {
        match which {
            Spent::Address => &self.address,
            Spent::Client => &self.client,
            Spent::Pair => &self.pair,
        }
    }

    /// Holds room for one failure of a token request naming `client_id` from `peer`: in the
    /// pair's budget and, unless the pair is known good, in the address's and the id's.
    /// Recorded failures that fill a budget refuse it at once ([`Refusal::Spent`]); room held by
    /// requests still being checked makes it wait for them, up to `wait` ([`Refusal::Busy`]).
    pub async fn reserve(
        &self,
        client_id: &str,
        peer: Option<IpAddr>,
        wait: Duration,
    ) -> Result<Reservation<'_>, Refusal> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the attempt, so that a release in between is not missed.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.try_reserve(client_id, peer) {
                Ok(r) => return Ok(r),
                Err(Full::Spent(wait)) => {
                    return Err(Refusal::Spent(self.refused(client_id, peer, wait)))
                }
                Err(Full::Held) => {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Err(Refusal::Busy);
                    }
                    let poll = deadline.min(now + RECHECK);
                    // Woken by a settled reservation, or polls (see `Reservation::undo`).
                    let _ = tokio::time::timeout_at(poll, settled).await;
                }
            }
        }
    }

    /// Which budget a [`Full::Spent`] came from, for the message.
    fn refused(&self, client_id: &str, peer: Option<IpAddr>, wait: Duration) -> Refused {
        let spent = self.last_spent(client_id, peer);
        Refused {
            spent,
            retry_after_secs: whole_secs(wait),
        }
    }

    /// The first budget without room for a failure (for messages; `Pair` when none is).
    fn last_spent(&self, client_id: &str, peer: Option<IpAddr>) -> Spent {
        let Some(rate) = self.rate else {
            return Spent::Pair;
        };
        let now = Instant::now();
        let full = |budget: &Budget, key: &str| {
            let map = budget.lock();
            map.get(shared_key(&map, key))
                .is_some_and(|e| e.tat.saturating_duration_since(now) + cell(rate) > rate.per)
        };
        if full(&self.pair, &pair_key(client_id, peer)) {
            Spent::Pair
        } else if full(&self.address, &address_key(peer)) {
            Spent::Address
        } else if full(&self.client, client_id) {
            Spent::Client
        } else {
            Spent::Pair
        }
    }

    /// One attempt of [`TokenGuard::reserve`]; on a refusal nothing stays held.
    fn try_reserve(&self, client_id: &str, peer: Option<IpAddr>) -> Result<Reservation<'_>, Full> {
        let mut reservation = Reservation {
            guard: self,
            held: Vec::new(),
            checking: false,
        };
        let Some(rate) = self.rate else {
            return Ok(reservation);
        };
        let now = Instant::now();
        let mut wanted = vec![(Spent::Pair, pair_key(client_id, peer))];
        if !self.known_good(client_id, peer) {
            wanted.push((Spent::Address, address_key(peer)));
            wanted.push((Spent::Client, client_id.to_owned()));
        }
        for (which, key) in wanted {
            match self.budget(which).hold(rate, &key, now) {
                Ok(key) => reservation.held.push((which, key)),
                Err(full) => {
                    reservation.undo(rate, now);
                    return Err(full);
                }
            }
        }
        Ok(reservation)
    }

    /// Whether `client_id` authenticated from `peer` (its /64, for IPv6) within
    /// [`KNOWN_GOOD_FOR`]: it skips the address and id budgets, and its secret checks go before
    /// the queue's lines ([`crate::hasher`]). Kept with the limit off too.
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

    /// A guess: reserve and keep; `Err(Some(refused))` when spent, `Err(None)` when held.
    fn guess(g: &TokenGuard, id: &str, peer: Option<IpAddr>) -> Result<(), Option<Refused>> {
        match g.try_reserve(id, peer) {
            Ok(r) => {
                r.keep();
                Ok(())
            }
            Err(Full::Spent(w)) => Err(Some(g.refused(id, peer, w))),
            Err(Full::Held) => Err(None),
        }
    }

    fn spent(g: &TokenGuard, id: &str, peer: Option<IpAddr>) -> Refused {
        match guess(g, id, peer) {
            Err(Some(r)) => r,
            other => panic!("{id} from {peer:?}: expected spent, got {other:?}"),
        }
    }

    #[test]
    fn only_guesses_count_and_the_address_budget_stops_a_guesser() {
        let g = TokenGuard::new(Some("3/h".parse().expect("rate")));
        let a = ip("192.0.2.1");
        for _ in 0..10 {
            // A reservation given back (a right secret) costs nothing.
            g.try_reserve("good", a).ok().expect("room").release();
            g.succeeded("good", a);
        }
        for i in 0..3 {
            assert!(guess(&g, &format!("guess{i}"), a).is_ok(), "failure {i}");
        }
        let r = spent(&g, "another", a);
        assert_eq!(r.spent, Spent::Address);
        assert!((1..=1200).contains(&r.retry_after_secs), "{r:?}");
        assert!(
            guess(&g, "another", ip("192.0.2.9")).is_ok(),
            "other addresses are not affected"
        );
    }

    #[test]
    fn checks_in_flight_hold_room_and_delay_but_never_count() {
        let g = TokenGuard::new(Some("2/h".parse().expect("rate")));
        let a = ip("192.0.2.1");
        let first = g.try_reserve("x", a).ok().expect("room");
        let second = g.try_reserve("y", a).ok().expect("room");
        // Both rooms are held: a third request waits instead of being told it failed.
        assert!(matches!(g.try_reserve("z", a), Err(Full::Held)));
        first.release();
        second.release();
        // Right secrets recorded nothing: two guesses still fit.
        assert!(guess(&g, "z", a).is_ok());
        assert!(guess(&g, "z2", a).is_ok());
        assert_eq!(spent(&g, "z3", a).spent, Spent::Address);
    }

    #[test]
    fn a_given_back_hold_never_erases_recorded_failures() {
        // The review's trace: A holds, B guesses meanwhile, then A is given back.
        let g = TokenGuard::new(Some("2/h".parse().expect("rate")));
        let a = ip("192.0.2.1");
        let held = g.try_reserve("a", a).ok().expect("room");
        assert!(guess(&g, "b", a).is_ok());
        held.release();
        assert!(guess(&g, "c", a).is_ok(), "B's failure and C's make two");
        assert_eq!(
            spent(&g, "d", a).spent,
            Spent::Address,
            "B's failure was not erased"
        );
    }

    #[test]
    fn a_caller_gone_during_its_check_counts_as_a_guess() {
        let g = TokenGuard::new(Some("1/h".parse().expect("rate")));
        let a = ip("192.0.2.1");
        let mut r = g.try_reserve("x", a).ok().expect("room");
        r.checking();
        drop(r);
        assert_eq!(spent(&g, "y", a).spent, Spent::Address);
        // Before its check started, a caller that goes away costs nothing.
        let g = TokenGuard::new(Some("1/h".parse().expect("rate")));
        drop(g.try_reserve("x", a).ok().expect("room"));
        assert!(guess(&g, "y", a).is_ok());
    }

    #[tokio::test]
    async fn a_request_waits_for_held_room_and_gives_up_at_its_deadline() {
        let g = std::sync::Arc::new(TokenGuard::new(Some("1/h".parse().expect("rate"))));
        let a = ip("192.0.2.1");
        let held = g.try_reserve("x", a).ok().expect("room");
        let busy = g.reserve("y", a, Duration::from_millis(50)).await.err();
        assert_eq!(busy, Some(Refusal::Busy));
        let waiter = {
            let g = g.clone();
            tokio::spawn(async move {
                g.reserve("y", a, Duration::from_secs(5))
                    .await
                    .map(Reservation::release)
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        held.release();
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("woken")
                .expect("task"),
            Ok(()),
            "woken by the release"
        );
    }

    #[tokio::test]
    async fn requests_waiting_on_the_same_room_do_not_wake_each_other_in_a_loop() {
        // Room for one failure, held: two waiters each fail their attempts. Were a failed
        // attempt to wake the others, they would spin until their deadline instead of sleeping.
        let g = std::sync::Arc::new(TokenGuard::new(Some("1/h".parse().expect("rate"))));
        let a = ip("192.0.2.9");
        let held = g.try_reserve("x", a).ok().expect("room");
        let started = tokio::time::Instant::now();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let g = g.clone();
                tokio::spawn(async move {
                    g.reserve("y", a, Duration::from_millis(300))
                        .await
                        .map(Reservation::release)
                })
            })
            .collect();
        for w in waiters {
            assert_eq!(w.await.expect("task"), Err(Refusal::Busy));
        }
        assert!(started.elapsed() >= Duration::from_millis(300));
        held.release();
        assert!(g.try_reserve("y", a).is_ok(), "the room is free again");
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
        assert_eq!(spent(&g, "victim", ip("203.0.113.3")).spent, Spent::Client);
        assert!(
            g.try_reserve("victim", home).is_ok(),
            "the client keeps working from where it authenticated before"
        );
        assert!(
            g.try_reserve("victim", None).is_err(),
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
        assert_eq!(spent(&g, "c", shared).spent, Spent::Pair);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let g = TokenGuard::new(Some("2/h".parse().expect("rate")));
        assert!(guess(&g, "a", ip("2001:db8:1:2::1")).is_ok());
        assert!(guess(&g, "b", ip("2001:db8:1:2:ffff::9")).is_ok());
        assert_eq!(
            spent(&g, "c", ip("2001:db8:1:2:abcd::7")).spent,
            Spent::Address
        );
        assert!(guess(&g, "c", ip("2001:db8:1:3::1")).is_ok(), "another /64");
        // An IPv4 caller seen through a dual-stack socket is its IPv4 address.
        assert!(guess(&g, "d", ip("::ffff:192.0.2.5")).is_ok());
        assert!(guess(&g, "e", ip("192.0.2.5")).is_ok());
        assert!(guess(&g, "f", ip("192.0.2.5")).is_err());
        assert_eq!(
            caller_address(ip("2001:db8:1:2:abcd::7")),
            ip("2001:db8:1:2::"),
            "the queue's line key too"
        );
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
        assert!(guess(&g, "x", a).is_ok(), "a cell comes back every 50 ms");
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
        // Their pair keys are over long as well, so the shared pair budget is the first spent.
        assert_eq!(spent(&g, &long_b, ip("192.0.2.2")).spent, Spent::Pair);
    }
}
