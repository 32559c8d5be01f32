//! Accepted connections: the slow-client timeouts and the shutdown cut.
//!
//! Every accepted TCP connection is a [`ConnIo`], which shares a [`ConnState`] with the
//! connection's service ([`ConnService`], made by [`PerConnection`]). The service counts the
//! requests in progress, from the moment hyper hands it a request until the response body has
//! been handed over or dropped, and tells the IO wrapper when a response starts and whether it
//! is a file ([`Streaming`]). From that the IO wrapper picks the one timer that applies when
//! hyper waits for bytes:
//!
//! - before the first request: `header_timeout`, counted from the accept;
//! - idle (no request in progress, nothing left to write, no byte of a new request):
//!   `keep_alive_timeout`, counted from the end of the last request or the last byte written,
//!   whichever is later;
//! - bytes of a new request have arrived: `header_timeout`, counted from the first of them;
//! - a request in progress, or a reply the client has not taken yet: no read timer (a request
//!   body has its own minimum rate, [`crate::middleware::body_min_rate`]; a reply has the one
//!   below).
//!
//! Writes have `response_min_rate`. hyper often holds the whole reply (a JSON page, the
//! Swagger UI bundle) after the body has ended, so the count of requests in progress cannot
//! say whether bytes remain to be sent; the writes can. The clock runs only while a write is
//! refused because the client has not read what was sent (the socket would block): a handler
//! that is slow to produce bytes is never counted against the client. Over one response the
//! client may keep the server waiting for the grace, or for as long as the bytes it has taken
//! earn at the minimum rate if that is longer; past that the write fails and the connection is
//! closed, with no status to send since the reply is under way. Files ([`Streaming`]: exports
//! and the import template) are exempt: issue #11 keeps exports that are already streaming
//! from being cut, however slowly their client reads.
//!
//! When a timer fires the read or write fails and hyper drops the connection. hyper's own
//! `header_read_timeout` is not used: it runs whenever hyper waits for a request head, idle
//! time included, so it cannot tell a slow head from an idle keep-alive connection.
//!
//! The defaults are Kestrel's, the server Keepnet's API runs on (`KestrelServerLimits`:
//! `RequestHeadersTimeout`, `KeepAliveTimeout`, `MinResponseDataRate`), so clients written
//! against Keepnet meet the same limits here.
//!
//! The same wrapper cuts connections at the shutdown deadline. A graceful shutdown waits for
//! in-flight requests for up to `shutdown_timeout_secs`, then the server closes anyway. axum
//! runs each connection on a task of its own, which outlives the serve future: a client that
//! stopped reading an export would keep its connection, the export and the export's database
//! cursor alive after the server had "stopped". Reads and writes therefore fail once the `cut`
//! token is cancelled; hyper then drops the connection with its response body, which ends the
//! export and closes the cursor's database connection.
//!
//! The server speaks HTTP/1.1 only (axum's `http2` feature is off), so a connection sends one
//! response at a time and the write clock belongs to the latest one. HTTP/2 streams share one
//! socket; turning it on would need the exemption to hold while any file is being sent.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::http::Version;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use futures::future::BoxFuture;
use futures::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tower::Service;

/// The connection timeouts; `None` turns one off.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnLimits {
    /// How long a request's headers may take to arrive in full.
    pub header_timeout: Option<Duration>,
    /// How long a connection may sit idle between requests.
    pub keep_alive_timeout: Option<Duration>,
    /// The slowest a client may take a response that is not a file ([`Streaming`]).
    pub response_min_rate: Option<MinRate>,
}

/// A minimum data rate: `bytes_per_sec` on average, once `grace` has passed.
#[derive(Debug, Clone, Copy)]
pub struct MinRate {
    /// Bytes per second; 0 is treated as 1 (the settings turn the limit off at 0 instead).
    pub bytes_per_sec: u64,
    /// How long any amount of data may take.
    pub grace: Duration,
}

impl MinRate {
    /// How long `bytes` may take in all: what they earn at the rate, and never less than the
    /// grace.
    pub fn allowance(&self, bytes: u64) -> Duration {
        let earned = Duration::try_from_secs_f64(bytes as f64 / self.bytes_per_sec.max(1) as f64)
            .unwrap_or(Duration::MAX);
        self.grace.max(earned)
    }
}

/// Marks a response as a file (an export, the import template) in its extensions: the
/// connection then does not hold its client to [`ConnLimits::response_min_rate`].
///
/// The handlers that stream files insert it rather than the connection guessing from
/// Content-Type or Content-Disposition: the exemption is a decision about what may hold a
/// connection open, so it is made by the code that knows it streams, cannot be set by
/// anything outside the process, and does not follow headers that other layers or a future
/// handler may set for other reasons. A file route that forgets it is held to the rate (and
/// fails the slow export reader's test) rather than some other reply slipping out of it.
#[derive(Debug, Clone, Copy)]
pub struct Streaming;

impl Streaming {
    /// `resp` with the mark.
    pub fn mark(mut resp: Response) -> Response {
        resp.extensions_mut().insert(Streaming);
        resp
    }
}

/// A TCP listener whose connections get [`ConnLimits`] and are cut when `cut` is cancelled.
pub struct ConnListener {
    inner: TcpListener,
    cut: CancellationToken,
    limits: ConnLimits,
}

impl ConnListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, cut: CancellationToken, limits: ConnLimits) -> Self {
        Self { inner, cut, limits }
    }
}

impl Listener for ConnListener {
    type Io = ConnIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ConnIo, SocketAddr) {
        let (io, addr) = Listener::accept(&mut self.inner).await;
        let cut = Box::pin(self.cut.clone().cancelled_owned());
        let limits = self.limits;
        let io = ConnIo {
            io,
            cut: Some(cut),
            state: Arc::default(),
            limits,
            phase: Phase::Head(after(Instant::now(), limits.header_timeout)),
            ended_seen: 0,
            timer: None,
            write: WriteClock::default(),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// `from + timeout`; `None` when there is no timeout or it is past what the clock can hold.
fn after(from: Instant, timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| from.checked_add(t))
}

/// What a connection's service and its IO wrapper share.
#[derive(Debug, Default)]
pub struct ConnState {
    /// Requests received whose response has not been sent or dropped yet.
    in_flight: AtomicUsize,
    /// Requests ended so far: a change tells the reader that a request came and went, even
    /// if it never read while the request was in progress.
    ended: AtomicU64,
    /// Set by the first HTTP/2 request: bytes between HTTP/2 requests are frames of the
    /// connection (pings, window updates), not the start of a request head.
    http2: AtomicBool,
    /// The task reading the connection, woken when the last request in progress ends so
    /// that it arms the keep-alive timer even if no byte arrives.
    reader: AtomicWaker,
    /// The latest response handed to hyper: its number on the connection times two, plus one
    /// if it is a file ([`Streaming`]). One word, so the writer never sees a number with the
    /// wrong mark.
    response: AtomicU64,
}

impl ConnState {
    /// Records that a response is about to be written.
    fn start_response(&self, streaming: bool) {
        let next = (self.response.load(Ordering::Acquire) | 1) + 1;
        self.response
            .store(next | u64::from(streaming), Ordering::Release);
    }
}

/// Marks one request in progress on a connection, until dropped.
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn start(state: Arc<ConnState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.ended.fetch_add(1, Ordering::AcqRel);
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.reader.wake();
        }
    }
}

/// Which timer applies when hyper waits for bytes and no request is in progress.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for (the rest of) a request head; the header deadline.
    Head(Option<Instant>),
    /// Between requests, no byte of the next one yet; since when (the keep-alive clock also
    /// restarts at every byte written, see [`WriteClock::last_written`]).
    Idle(Instant),
}

/// The response side of a connection: how long the current response has kept the server
/// waiting on its client.
#[derive(Default)]
struct WriteClock {
    /// [`ConnState::response`] the counts below belong to.
    response: u64,
    /// Bytes of the current response the socket has taken (its head included).
    written: u64,
    /// Time the current response has spent waiting for the socket, besides the current wait.
    stalled: Duration,
    /// When the current wait began: a write was refused and none has succeeded since.
    blocked_since: Option<Instant>,
    /// When the socket last took bytes.
    last_written: Option<Instant>,
    /// Armed for the write deadline while a write waits; made on first use.
    timer: Option<Pin<Box<Sleep>>>,
}

impl WriteClock {
    /// Starts the counts afresh when a new response has begun.
    fn follow(&mut self, response: u64, now: Instant) {
        if response != self.response {
            self.response = response;
            self.written = 0;
            self.stalled = Duration::ZERO;
            // A wait that began on the previous response counts for the new one from now.
            self.blocked_since = self.blocked_since.map(|_| now);
        }
    }

    /// Whether the current response is a file, exempt from the rate.
    fn exempt(&self) -> bool {
        self.response & 1 == 1
    }
}

/// An accepted connection: reads fail when the [`ConnLimits`] deadline of the moment passes,
/// writes when the client takes a response too slowly, and both once the shutdown token is
/// cancelled.
pub struct ConnIo {
    io: TcpStream,
    /// `None` once the token has been cancelled.
    cut: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    state: Arc<ConnState>,
    limits: ConnLimits,
    phase: Phase,
    /// [`ConnState::ended`] when `phase` was last set.
    ended_seen: u64,
    /// Armed for the deadline of `phase` while a read waits; made on first use.
    timer: Option<Pin<Box<Sleep>>>,
    write: WriteClock,
}

impl ConnIo {
    /// `Err` once the token is cancelled; otherwise registers the task to be woken when it is,
    /// so that a connection waiting on a client that does not read is cut too.
    fn check_cut(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Some(fut) = self.cut.as_mut() {
            if fut.as_mut().poll(cx).is_pending() {
                return Ok(());
            }
            self.cut = None;
        }
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the server's shutdown deadline passed",
        ))
    }

    fn read_timed_out(&self) -> io::Error {
        let what = match self.phase {
            Phase::Idle(_) => "the connection was idle for longer than the keep-alive timeout",
            Phase::Head(_) => "the request headers did not arrive within the header timeout",
        };
        tracing::debug!(target: "rollcall::conn", "closing a connection: {what}");
        io::Error::new(io::ErrorKind::TimedOut, what)
    }

    /// A write through `write`, with the shutdown cut and the response minimum rate.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        self.check_cut(cx)?;
        let polled = write(Pin::new(&mut self.io), cx);
        let now = Instant::now();
        let clock = &mut self.write;
        clock.follow(self.state.response.load(Ordering::Acquire), now);
        match polled {
            Poll::Ready(Ok(n)) if n > 0 => {
                if let Some(since) = clock.blocked_since.take() {
                    let waited = now.saturating_duration_since(since);
                    clock.stalled = clock.stalled.saturating_add(waited);
                }
                clock.written = clock.written.saturating_add(n as u64);
                clock.last_written = Some(now);
            }
            Poll::Pending => {
                let since = *clock.blocked_since.get_or_insert(now);
                if let (Some(rate), false) = (self.limits.response_min_rate, clock.exempt()) {
                    // The client may keep us waiting for what its bytes earn, in all.
                    let left = rate.allowance(clock.written).saturating_sub(clock.stalled);
                    let deadline = since.checked_add(left);
                    if deadline.is_some_and(|d| expired(&mut clock.timer, d, cx)) {
                        let waited = clock
                            .stalled
                            .saturating_add(now.saturating_duration_since(since));
                        let written = clock.written;
                        tracing::debug!(
                            target: "rollcall::conn",
                            written,
                            waited_ms = waited.as_millis() as u64,
                            "closing a connection: the client took the response more slowly than the minimum rate"
                        );
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client took the response more slowly than the minimum rate",
                        )));
                    }
                }
            }
            _ => {}
        }
        polled
    }

    /// Whether the server is waiting for the client to take bytes it has sent.
    fn write_blocked(&self) -> bool {
        self.write.blocked_since.is_some()
    }
}

/// `true` once `deadline` has passed; otherwise arms `timer` (made on first use) to wake the
/// task then.
fn expired(timer: &mut Option<Pin<Box<Sleep>>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
    if timer.deadline() != deadline {
        timer.as_mut().reset(deadline);
    }
    timer.as_mut().poll(cx).is_ready()
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check_cut(cx)?;
        // Registered before the count is read: a request ending in between still wakes us.
        this.state.reader.register(cx.waker());
        // While the client has not taken what we sent, the write side's limit applies.
        if this.state.in_flight.load(Ordering::Acquire) > 0 || this.write_blocked() {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let now = Instant::now();
        let ended = this.state.ended.load(Ordering::Acquire);
        if ended != this.ended_seen {
            // A request ended since the last look: the connection is idle from now on.
            this.ended_seen = ended;
            this.phase = Phase::Idle(now);
        }
        let deadline = match this.phase {
            Phase::Head(d) => d,
            // Idle from the end of the request or the last byte written, whichever is later:
            // hyper may still have been sending the reply after its body ended.
            Phase::Idle(since) => after(
                this.write.last_written.map_or(since, |w| w.max(since)),
                this.limits.keep_alive_timeout,
            ),
        };
        if deadline.is_some_and(|d| now >= d) {
            return Poll::Ready(Err(this.read_timed_out()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let got_bytes = buf.filled().len() > before;
                if got_bytes
                    && matches!(this.phase, Phase::Idle(_))
                    && !this.state.http2.load(Ordering::Relaxed)
                {
                    // The first byte of the next request starts its header clock.
                    this.phase = Phase::Head(after(now, this.limits.header_timeout));
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match deadline {
                Some(d) if expired(&mut this.timer, d, cx) => {
                    Poll::Ready(Err(this.read_timed_out()))
                }
                _ => Poll::Pending,
            },
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check_cut(cx)?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The make-service for [`axum::serve`] over a [`ConnListener`]: one [`ConnService`] per
/// connection, sharing that connection's [`ConnState`].
#[derive(Clone)]
pub struct PerConnection(Router);

impl PerConnection {
    /// Serves `router` on every connection.
    pub fn new(router: Router) -> Self {
        Self(router)
    }
}

impl<'a> Service<IncomingStream<'a, ConnListener>> for PerConnection {
    type Response = ConnService;
    type Error = Infallible;
    type Future = std::future::Ready<Result<ConnService, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, ConnListener>) -> Self::Future {
        std::future::ready(Ok(ConnService {
            router: self.0.clone(),
            state: stream.io().state.clone(),
            peer: *stream.remote_addr(),
        }))
    }
}

/// The router as one connection sees it: puts `ConnectInfo<SocketAddr>` (the peer, which
/// the IP allow-lists read) in every request and counts the requests in progress.
#[derive(Clone)]
pub struct ConnService {
    router: Router,
    state: Arc<ConnState>,
    peer: SocketAddr,
}

impl Service<Request> for ConnService {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let in_flight = InFlight::start(self.state.clone());
        if req.version() == Version::HTTP_2 {
            self.state.http2.store(true, Ordering::Relaxed);
        }
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let reply = self.router.call(req);
        let state = self.state.clone();
        Box::pin(async move {
            let resp = reply.await?;
            state.start_response(resp.extensions().get::<Streaming>().is_some());
            // The request stays in progress until its response body is done.
            Ok(resp.map(|body| {
                Body::new(CountedBody {
                    body,
                    in_flight: Some(in_flight),
                })
            }))
        })
    }
}

/// A response body that holds its request's [`InFlight`] mark until it ends or is dropped.
struct CountedBody {
    body: Body,
    in_flight: Option<InFlight>,
}

impl HttpBody for CountedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.in_flight = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowance_is_the_grace_or_what_the_bytes_earn() {
        let rate = MinRate {
            bytes_per_sec: 240,
            grace: Duration::from_secs(5),
        };
        assert_eq!(rate.allowance(0), Duration::from_secs(5));
        assert_eq!(rate.allowance(240 * 5), Duration::from_secs(5));
        assert_eq!(rate.allowance(240 * 12), Duration::from_secs(12));
        // Huge counts give a huge allowance, not a panic.
        assert!(rate.allowance(u64::MAX) > Duration::from_secs(1 << 40));
    }

    #[test]
    fn each_response_gets_a_new_number_and_its_own_mark() {
        let state = ConnState::default();
        let mut seen = vec![state.response.load(Ordering::Acquire)];
        for streaming in [false, true, true, false, false] {
            state.start_response(streaming);
            let now = state.response.load(Ordering::Acquire);
            assert!(!seen.contains(&now), "{now} was used before: {seen:?}");
            let clock = WriteClock {
                response: now,
                ..WriteClock::default()
            };
            assert_eq!(clock.exempt(), streaming, "{now}");
            seen.push(now);
        }
    }
}
