//! Connections that are cut when the shutdown deadline passes.
//!
//! A graceful shutdown waits for in-flight requests for up to `shutdown_timeout_secs`, then the
//! server closes anyway. axum runs each connection on a task of its own, which outlives the
//! serve future: a client that stopped reading an export would keep its connection, the export
//! and the export's database cursor alive after the server had "stopped". Every accepted
//! connection is therefore wrapped in a [`CutIo`], which fails its reads and writes once the
//! token is cancelled; hyper then drops the connection with its response body, which ends the
//! export and closes the cursor's database connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// A TCP listener whose connections are cut when `cut` is cancelled.
pub struct CutListener {
    inner: TcpListener,
    cut: CancellationToken,
}

impl CutListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, cut: CancellationToken) -> Self {
        Self { inner, cut }
    }
}

impl Listener for CutListener {
    type Io = CutIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (CutIo, SocketAddr) {
        let (io, addr) = Listener::accept(&mut self.inner).await;
        let cut = Box::pin(self.cut.clone().cancelled_owned());
        (CutIo { io, cut: Some(cut) }, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accepted connection that fails every read and write once its token is cancelled.
pub struct CutIo {
    io: TcpStream,
    /// `None` once the token has been cancelled.
    cut: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl CutIo {
    /// `Err` once the token is cancelled; otherwise registers the task to be woken when it is,
    /// so that a connection waiting on a client that does not read is cut too.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
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
}

impl AsyncRead for CutIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for CutIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
