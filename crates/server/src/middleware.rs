//! The middleware stack, outermost first:
//!
//! 1. [`observe`]: request id (taken from `X-Request-Id` when it is sane, else generated, and
//!    returned on the response), a tracing span per request carrying it, one log line per
//!    request (request id, method, route template, status, latency, client id and company, the
//!    cause of a 500, never headers or bodies, so no secret or token is logged) and the request
//!    metrics, labelled by route template rather than raw URI.
//! 2. [`body_min_rate`] (API routes, when `body_min_rate` is set): a request body that arrives
//!    more slowly than the minimum rate fails, and the reply becomes 408.
//!
//! The response side's minimum rate is not a middleware: only the connection sees whether the
//! client is taking the bytes (`crate::conn`).
//!
//! `crate::router::app` stacks these with the response headers of [`crate::headers`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use tokio::time::Sleep;
use tracing::{Instrument, Level};

use crate::auth::token::OAuthError;
use crate::error::{ApiError, ErrorCause};
use crate::request::{self, RequestContext, RequestId};
use crate::state::AppState;

fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?.trim();
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| s.to_owned())
}

/// Forgets the companies' contexts searches keep when dropped after its request wrote.
struct ForgetOnWrite<'a> {
    wrote: Arc<AtomicBool>,
    lookups: &'a crate::auth::lookups::Lookups,
}

impl Drop for ForgetOnWrite<'_> {
    fn drop(&mut self) {
        if self.wrote.load(Ordering::Acquire) {
            self.lookups.forget_contexts();
        }
    }
}

/// Request id, access log line and request metrics.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(sane_request_id)
        .unwrap_or_else(rollcall_store::new_resource_id);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    let ctx = RequestContext::default();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(ctx.clone());

    // Whatever the handler logs is tied to the request by the span; an error it builds can name
    // the id through `request::current_id`.
    let span = tracing::info_span!("request", request_id = %id);
    let wrote = Arc::new(AtomicBool::new(false));
    // What searches keep of a company may have changed with a write: this replica reads it
    // again. On drop, so that a request cut after its write (its client went away) forgets too.
    let forget = ForgetOnWrite {
        wrote: wrote.clone(),
        lookups: &state.lookups,
    };
    let mut resp =
        rollcall_store::track_writes(wrote.clone(), request::with_id(id.clone(), next.run(req)))
            .instrument(span)
            .await;
    drop(forget);
    let wrote = wrote.load(Ordering::Acquire);
    let (client_id, company) = ctx.take();
    if wrote && !client_id.is_empty() && state.store.has_read_replica() {
        // Before the reply leaves: the client's next read, on any server, must see this write
        // (`crate::replica`). A failure only costs that rule for this write, so it is logged.
        if let Err(e) = state.store.note_write(&client_id).await {
            tracing::warn!(request_id = %id, error = %e, "could not record the write's position for the read replica; this client's next reads may miss it until the replica catches up");
        }
    }

    let status = resp.status().as_u16();
    let latency = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let cause = resp.extensions_mut().remove::<ErrorCause>();
    // One line per request; a 500's at error level with its cause (`tracing` wants the level
    // known where the event is written, hence the two arms).
    macro_rules! request_line {
        ($level:expr) => {
            tracing::event!(
                target: "rollcall::request",
                $level,
                request_id = %id,
                method = %method,
                route = %route,
                status,
                // Hundredths of a millisecond: a raw float prints 3.2563470000000003.
                latency_ms = (latency.as_secs_f64() * 100_000.0).round() / 100.0,
                client_id = %client_id,
                company = %company,
                error = cause.as_ref().map(|c| c.0.as_str()),
                "request"
            )
        };
    }
    if cause.is_some() {
        request_line!(Level::ERROR);
    } else {
        request_line!(Level::INFO);
    }
    let m = &state.metrics;
    m.requests
        .with_label_values(&[method.as_str(), &route, &status.to_string()])
        .inc();
    m.latency
        .with_label_values(&[method.as_str(), &route])
        .observe(latency.as_secs_f64());
    resp
}

/// The slowest request body accepted: `bytes_per_sec` averaged since the body started, once
/// `grace` has passed.
pub type BodyMinRate = crate::conn::MinRate;

/// The token endpoint, whose errors are RFC 6749 bodies rather than the envelope.
const TOKEN_ROUTE: &str = "/connect/token";

/// Fails a request body that arrives more slowly than the [`BodyMinRate`] and turns the
/// handler's reply (whatever it made of the failed read) into 408 Request Timeout, closing the
/// connection: with the error envelope, or at `/connect/token` with an RFC 6749 §5.2 error
/// body like the endpoint's other errors.
///
/// tower-http has no minimum-rate layer: its `RequestBodyTimeoutLayer` times each frame, so a
/// body sent one byte every few seconds never trips it. Kestrel, which Keepnet runs on, has
/// `MinRequestBodyDataRate`, which this follows.
pub async fn body_min_rate(State(rate): State<BodyMinRate>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let version = req.version();
    let token_route = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| p.as_str() == TOKEN_ROUTE);
    let too_slow = Arc::new(AtomicBool::new(false));
    let req = req.map(|body| {
        Body::new(MinRateBody {
            body,
            rate,
            started: None,
            received: 0,
            timer: None,
            too_slow: too_slow.clone(),
        })
    });
    let resp = next.run(req).await;
    if !too_slow.load(Ordering::Acquire) {
        return resp;
    }
    let measured = format!(
        "{} bytes/s (measured after a {} s grace)",
        rate.bytes_per_sec,
        rate.grace.as_secs_f64()
    );
    let mut resp = if token_route {
        // CONTRACT.md: token errors are RFC 6749 §5.2 bodies. §5.2 has no code for a timeout;
        // a request that cannot be read whole is `invalid_request`.
        OAuthError::invalid_request(format!(
            "the token request form arrived more slowly than {measured}; send the whole form at \
             once, without pauses, and request the token again"
        ))
        .with_status(StatusCode::REQUEST_TIMEOUT)
        .into_response()
    } else {
        // `ResultStatus` has no 408 member: the envelope says INPUT_ERROR, the status line 408.
        ApiError::bad_request(format!(
            "The request body arrived more slowly than {measured}; send the whole body at \
             once, without pauses, and retry."
        ))
        .into_response()
    };
    *resp.status_mut() = StatusCode::REQUEST_TIMEOUT;
    if version < Version::HTTP_2 {
        // The rest of the body may still be on its way; the connection cannot be reused.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// A request body that fails once it falls below its minimum rate.
///
/// While it waits for data it arms a timer for the instant it would fail if nothing more came:
/// `start + max(grace, received / rate)`. Only waiting counts: data that is already buffered
/// when the handler asks for it passes whatever the clock says.
struct MinRateBody {
    body: Body,
    rate: BodyMinRate,
    /// When the handler first asked for data.
    started: Option<tokio::time::Instant>,
    received: u64,
    timer: Option<Pin<Box<Sleep>>>,
    too_slow: Arc<AtomicBool>,
}

/// The error a too-slow body fails with (the handler sees it; the client gets the 408).
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived more slowly than the minimum rate")]
struct BodyTooSlow;

impl HttpBody for MinRateBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.too_slow.load(Ordering::Acquire) {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))));
        }
        let started = *this.started.get_or_insert_with(tokio::time::Instant::now);
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                }
            }
            Poll::Pending => {
                // Past what the clock can hold there is no deadline to arm.
                let Some(deadline) = started.checked_add(this.rate.allowance(this.received)) else {
                    return polled;
                };
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if timer.deadline() != deadline {
                    timer.as_mut().reset(deadline);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    this.too_slow.store(true, Ordering::Release);
                    return Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))));
                }
            }
            _ => {}
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
