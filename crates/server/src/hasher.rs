//! Client-secret hashing and checking on a small pool of threads with bounded memory.
//!
//! An argon2id check with the default parameters fills 19 MiB. Run on tokio's blocking pool, a
//! flood of token requests ran hundreds at once, and the allocator kept the memory afterwards
//! (issue #11, part 1; figures in `docs/performance.md`). Here a fixed set of worker threads
//! (one per core) each owns one argon2 work area, reused for every job, so the memory used for
//! hashing is `workers × 19 MiB` whatever the load.
//!
//! Jobs wait in a queue that is fair between callers: each source address has its own line and
//! the workers take one job from each line in turn, so a flood from one address delays a
//! genuine request from another by at most one job per busy worker. A job that has not started
//! within its wait bound is answered [`Busy`] without being run (the token endpoint then answers
//! 503 with `Retry-After`), and a job whose caller went away is dropped unstarted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

/// The most argon2 blocks (1 KiB each) a stored hash may ask for: 256 MiB. Hashes rollcall
/// writes use 19 MiB; a larger one can only come from a hand-edited database.
const MAX_BLOCKS: usize = 256 * 1024;

/// How many jobs may wait at once; beyond, callers are refused at once instead of queueing.
const MAX_QUEUED: usize = 4096;

/// Urgent jobs that may wait per worker; more go to their caller's line like everyone else's.
const URGENT_PER_WORKER: usize = 4;

/// The pool was too busy to start the job within its wait bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// Whole seconds after which a retry has a fair chance (at least 1).
    pub retry_after_secs: u64,
}

/// What a job computes.
enum Work {
    /// Checks `secret` against the PHC string `hash`.
    Verify { secret: String, hash: String },
    /// Hashes `secret` with a fresh salt.
    Hash { secret: String },
    /// Keeps the worker busy (tests of the queue).
    #[cfg(test)]
    Sleep(Duration),
}

/// What a job answers.
enum Done {
    Verified(bool),
    Hashed(Result<String, String>),
    Busy,
}

struct Job {
    work: Work,
    /// Not started by then: answered [`Done::Busy`].
    start_by: Instant,
    reply: oneshot::Sender<Done>,
}

/// The queue: callers known to be genuine first, then one line per caller key, served in turn.
#[derive(Default)]
struct Lines {
    /// Jobs of callers that authenticated from their address before (see
    /// [`crate::token_guard::TokenGuard::known_good`]): a flood, even from many addresses,
    /// delays them by at most the jobs already running.
    urgent: VecDeque<Job>,
    lines: HashMap<Option<IpAddr>, VecDeque<Job>>,
    /// Keys with waiting jobs, in the order they will be served.
    turn: VecDeque<Option<IpAddr>>,
    queued: usize,
    closed: bool,
}

impl Lines {
    /// Queues `job`; an urgent one goes before the lines unless `urgent_cap` urgent jobs wait
    /// already (authenticated callers must not be able to starve everyone else).
    fn push(&mut self, key: Option<IpAddr>, urgent: bool, urgent_cap: usize, job: Job) {
        self.queued += 1;
        if urgent && self.urgent.len() < urgent_cap {
            self.urgent.push_back(job);
            return;
        }
        let line = self.lines.entry(key).or_default();
        if line.is_empty() {
            self.turn.push_back(key);
        }
        line.push_back(job);
    }

    /// The next job in turn: the first job of the line at the front, which then goes to the
    /// back if it has more.
    fn pop(&mut self) -> Option<Job> {
        if let Some(job) = self.urgent.pop_front() {
            self.queued -= 1;
            return Some(job);
        }
        let key = self.turn.pop_front()?;
        let line = self.lines.get_mut(&key)?;
        let job = line.pop_front();
        if line.is_empty() {
            self.lines.remove(&key);
        } else {
            self.turn.push_back(key);
        }
        if job.is_some() {
            self.queued -= 1;
        }
        job
    }
}

struct Shared {
    lines: Mutex<Lines>,
    wake: Condvar,
    /// Exponentially weighted mean job time in microseconds, for `Retry-After` estimates.
    mean_job_micros: AtomicU64,
    workers: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lines> {
        // A worker never panics while holding the lock; if one did, the queue is still sound.
        self.lines.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn retry_after(&self, queued: usize) -> u64 {
        let per_job = self.mean_job_micros.load(Ordering::Relaxed).max(1);
        let micros = per_job.saturating_mul(queued as u64 + 1) / self.workers.max(1) as u64;
        micros.div_ceil(1_000_000).max(1)
    }
}

/// The hashing pool. Dropping the last handle stops its threads.
pub struct SecretHasher {
    shared: Arc<Shared>,
    wait: Duration,
}

impl SecretHasher {
    /// A pool of `workers` threads (at least 1); jobs wait at most `wait` to start.
    pub fn new(workers: usize, wait: Duration) -> std::io::Result<Self> {
        let workers = workers.max(1);
        let shared = Arc::new(Shared {
            lines: Mutex::new(Lines::default()),
            wake: Condvar::new(),
            mean_job_micros: AtomicU64::new(50_000),
            workers,
        });
        for i in 0..workers {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("rollcall-hash-{i}"))
                .spawn(move || work(&shared))?;
        }
        Ok(Self { shared, wait })
    }

    /// One worker per core, as `std::thread::available_parallelism` reports them.
    pub fn per_core(wait: Duration) -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cores, wait)
    }

    /// Worker threads.
    pub fn workers(&self) -> usize {
        self.shared.workers
    }

    /// Jobs waiting now.
    pub fn queued(&self) -> usize {
        self.shared.lock().queued
    }

    async fn run(&self, key: Option<IpAddr>, urgent: bool, work: Work) -> Result<Done, Busy> {
        let (reply, answer) = oneshot::channel();
        {
            let mut lines = self.shared.lock();
            if lines.queued >= MAX_QUEUED {
                let retry_after_secs = self.shared.retry_after(lines.queued);
                return Err(Busy { retry_after_secs });
            }
            lines.push(
                key,
                urgent,
                self.shared.workers * URGENT_PER_WORKER,
                Job {
                    work,
                    start_by: Instant::now() + self.wait,
                    reply,
                },
            );
        }
        self.shared.wake.notify_one();
        match answer.await {
            Ok(Done::Busy) | Err(_) => Err(Busy {
                retry_after_secs: self.shared.retry_after(self.queued()),
            }),
            Ok(done) => Ok(done),
        }
    }

    /// Whether `secret` matches the stored PHC string `hash` (false for a malformed hash).
    /// `key` is the caller's address, for fairness between callers; `urgent` puts the check
    /// before every line (callers known to be genuine).
    pub async fn verify(
        &self,
        key: Option<IpAddr>,
        urgent: bool,
        secret: String,
        hash: String,
    ) -> Result<bool, Busy> {
        match self.run(key, urgent, Work::Verify { secret, hash }).await? {
            Done::Verified(ok) => Ok(ok),
            _ => Ok(false),
        }
    }

    /// An argon2id PHC string of `secret` with a fresh random salt, ahead of the queue's lines
    /// (its callers are authenticated already). `Ok(Err(_))` is a hashing failure (which the
    /// default parameters cannot produce).
    pub async fn hash(&self, secret: String) -> Result<Result<String, String>, Busy> {
        match self.run(None, true, Work::Hash { secret }).await? {
            Done::Hashed(h) => Ok(h),
            _ => Ok(Err("the hashing pool answered out of turn".to_owned())),
        }
    }
}

impl Drop for SecretHasher {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
    }
}

/// A worker: takes jobs in turn until the pool is dropped, reusing one work area.
fn work(shared: &Shared) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = {
            let mut lines = shared.lock();
            loop {
                if let Some(job) = lines.pop() {
                    break job;
                }
                if lines.closed {
                    return;
                }
                lines = shared.wake.wait(lines).unwrap_or_else(|p| p.into_inner());
            }
        };
        if job.reply.is_closed() {
            continue;
        }
        if Instant::now() > job.start_by {
            let _ = job.reply.send(Done::Busy);
            continue;
        }
        let started = Instant::now();
        let done = match job.work {
            Work::Verify { secret, hash } => {
                Done::Verified(verify_with(&mut memory, secret.as_bytes(), &hash))
            }
            Work::Hash { secret } => Done::Hashed(hash_with(&mut memory, secret.as_bytes())),
            #[cfg(test)]
            Work::Sleep(d) => {
                std::thread::sleep(d);
                Done::Verified(true)
            }
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mean = shared.mean_job_micros.load(Ordering::Relaxed);
        shared
            .mean_job_micros
            .store((mean * 7 + micros) / 8, Ordering::Relaxed);
        let _ = job.reply.send(done);
    }
}

/// The work area for `params`, grown (never shrunk) as needed; `None` past [`MAX_BLOCKS`].
fn area<'m>(memory: &'m mut Vec<Block>, params: &Params) -> Option<&'m mut [Block]> {
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return None;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Some(&mut memory[..blocks])
}

/// argon2's own `verify_password`, computed in `memory` instead of a fresh allocation.
fn verify_with(memory: &mut Vec<Block>, secret: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let Some(blocks) = area(memory, &params) else {
        return false;
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(secret, salt, out, blocks)
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(out).is_ok_and(|computed| computed == expected)
}

/// argon2's own `hash_password` with the default parameters, computed in `memory`.
fn hash_with(memory: &mut Vec<Block>, secret: &[u8]) -> Result<String, String> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_buf)
        .map_err(|e| e.to_string())?;
    let blocks = area(memory, &params).ok_or("argon2 parameters out of range")?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(secret, salt_bytes, &mut out, blocks)
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn hashes_and_checks_like_argon2_itself() {
        let pool = SecretHasher::new(2, Duration::from_secs(10)).expect("pool");
        let ours = pool
            .hash("correct horse".into())
            .await
            .expect("not busy")
            .expect("hashed");
        // argon2's own verifier accepts our hash, and we accept argon2's own hash.
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &salt)
            .expect("hash")
            .to_string();
        for (secret, hash, want) in [
            ("correct horse", &ours, true),
            ("correct horsE", &ours, false),
            ("battery staple", &theirs, true),
            ("battery", &theirs, false),
            ("x", &"not a hash".to_owned(), false),
        ] {
            let got = pool
                .verify(None, false, secret.into(), hash.clone())
                .await
                .expect("not busy");
            assert_eq!(got, want, "{secret} against {hash}");
        }
    }

    #[test]
    fn the_queue_serves_callers_in_turn() {
        let mut lines = Lines::default();
        let a: Option<IpAddr> = "192.0.2.1".parse().ok();
        let b: Option<IpAddr> = "192.0.2.2".parse().ok();
        let mut answers = Vec::new();
        let mut job = |n: usize| {
            let (reply, rx) = oneshot::channel();
            answers.push(rx);
            Job {
                work: Work::Hash {
                    secret: n.to_string(),
                },
                start_by: Instant::now(),
                reply,
            }
        };
        // Five jobs from a, then one from b: b's job is served second, not sixth; an urgent
        // job, queued last, first.
        for n in 0..5 {
            lines.push(a, false, 8, job(n));
        }
        lines.push(b, false, 8, job(5));
        lines.push(b, true, 8, job(6));
        // Past the cap an urgent job waits in its line.
        lines.push(a, true, 1, job(7));
        let order: Vec<String> = std::iter::from_fn(|| lines.pop())
            .map(|j| match j.work {
                Work::Hash { secret } | Work::Verify { secret, .. } => secret,
                Work::Sleep(_) => String::new(),
            })
            .collect();
        assert_eq!(order, ["6", "0", "5", "1", "2", "3", "4", "7"]);
        assert_eq!(lines.queued, 0);
        assert!(lines.lines.is_empty() && lines.turn.is_empty());
    }

    #[tokio::test]
    async fn a_job_that_cannot_start_in_time_is_busy_and_the_pool_recovers() {
        let pool = Arc::new(SecretHasher::new(1, Duration::from_millis(50)).expect("pool"));
        let first = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(None, false, Work::Sleep(Duration::from_millis(600)))
                    .await
            })
        };
        // The only worker is asleep for 600 ms; a job that may wait 50 ms is refused.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let busy = pool
            .verify(None, false, "second".into(), "x".into())
            .await
            .expect_err("no worker was free in time");
        assert!(busy.retry_after_secs >= 1, "{busy:?}");
        assert!(matches!(
            first.await.expect("task"),
            Ok(Done::Verified(true))
        ));
        // Free again: the next job runs.
        assert_eq!(
            pool.verify(None, false, "x".into(), "not a hash".into())
                .await,
            Ok(false)
        );
    }

    #[test]
    fn dropping_the_pool_stops_its_threads() {
        let pool = SecretHasher::new(3, Duration::from_secs(1)).expect("pool");
        let shared = Arc::downgrade(&pool.shared);
        drop(pool);
        let deadline = Instant::now() + Duration::from_secs(5);
        // Each worker holds a reference until it returns.
        while shared.strong_count() > 0 {
            assert!(Instant::now() < deadline, "workers still running");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
