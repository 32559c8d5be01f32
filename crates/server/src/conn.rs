//! Accepted connections: the slow-client timeouts and the shutdown cut.
//!
//! Every accepted TCP connection is a [`ConnIo`], which shares a [`ConnState`] with the
//! connection's service ([`ConnService`], made by [`PerConnection`]). The service counts the
//! requests in progress: from the moment hyper hands it a request until the response body has
//! been sent or dropped, so an export that is still streaming is a request in progress however
//! slowly its client reads. From that count the IO wrapper picks the one timer that applies when
//! hyper waits for bytes:
//!
//! - before the first request: `header_timeout`, counted from the accept;
//! - idle (no request in progress, no byte of a new one): `keep_alive_timeout`, counted from
//!   the end of the last request;
//! - bytes of a new request have arrived: `header_timeout`, counted from the first of them;
//! - a request in progress: no timer (its body has its own minimum rate,
//!   [`crate::middleware::body_min_rate`]).
//!
//! When the timer fires the read fails and hyper drops the connection. hyper's own
//! `header_read_timeout` is not used: it runs whenever hyper waits for a request head, idle
//! time included, so it cannot tell a slow head from an idle keep-alive connection.
//!
//! The defaults follow Kestrel, the server Keepnet's API runs on (`KestrelServerLimits`:
//! 30 s for request headers, 130 s keep-alive; ours is 120 s).
//!
//! The same wrapper cuts connections at the shutdown deadline. A graceful shutdown waits for
//! in-flight requests for up to `shutdown_timeout_secs`, then the server closes anyway. axum
//! runs each connection on a task of its own, which outlives the serve future: a client that
//! stopped reading an export would keep its connection, the export and the export's database
//! cursor alive after the server had "stopped". Reads and writes therefore fail once the `cut`
//! token is cancelled; hyper then drops the connection with its response body, which ends the
//! export and closes the cursor's database connection.
//!
//! The server speaks HTTP/1.1 only (axum's `http2` feature is off). Requests are counted per
//! request rather than per connection, so HTTP/2 streams would count the same way if it were
//! turned on.

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
    /// Between requests, no byte of the next one yet; the keep-alive deadline.
    Idle(Option<Instant>),
}

/// An accepted connection: reads fail when the [`ConnLimits`] deadline of the moment passes,
/// and reads and writes fail once the shutdown token is cancelled.
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

    fn timed_out(&self) -> io::Error {
        let what = match self.phase {
            Phase::Idle(_) => "the connection was idle for longer than the keep-alive timeout",
            Phase::Head(_) => "the request headers did not arrive within the header timeout",
        };
        tracing::debug!(target: "rollcall::conn", "closing a connection: {what}");
        io::Error::new(io::ErrorKind::TimedOut, what)
    }

    /// `true` once `deadline` has passed; otherwise arms the timer to wake the task then.
    fn expired(&mut self, deadline: Instant, cx: &mut Context<'_>) -> bool {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer.as_mut().poll(cx).is_ready()
    }
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
        if this.state.in_flight.load(Ordering::Acquire) > 0 {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let now = Instant::now();
        let ended = this.state.ended.load(Ordering::Acquire);
        if ended != this.ended_seen {
            // A request ended since the last look: the connection is idle from now on.
            this.ended_seen = ended;
            this.phase = Phase::Idle(after(now, this.limits.keep_alive_timeout));
        }
        let deadline = match this.phase {
            Phase::Head(d) | Phase::Idle(d) => d,
        };
        if deadline.is_some_and(|d| now >= d) {
            return Poll::Ready(Err(this.timed_out()));
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
                Some(d) if this.expired(d, cx) => Poll::Ready(Err(this.timed_out())),
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
        let this = self.get_mut();
        this.check_cut(cx)?;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check_cut(cx)?;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
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
        Box::pin(async move {
            let resp = reply.await?;
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
