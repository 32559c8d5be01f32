//! Slow clients cannot hold connections: the header timeout, the request-body minimum rate, the
//! keep-alive timeout and the response minimum rate, seen from raw TCP sockets.
//!
//! These run on SQLite only: the limits live in the connection layer, in front of the store,
//! and behave the same whichever engine answers (the one export test reads from the store
//! only to have a response that outlasts every timeout).
//!
//! The settings are short (about a second) so that each test takes a few seconds; every bound
//! has a margin of a second or more so that a busy 2-core machine does not make them flaky.
//! The response tests read the Swagger UI bundle (about 1.4 MB, far more than the socket
//! buffers hold) through a socket with a small receive buffer, so that the client's reading
//! paces the server.

use std::time::{Duration, Instant};

use crate::common::{Engine, TestServer, ROOT_ID, ROOT_SECRET, SCOPE};
use rollcall_server::Config;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Extra time a bound allows past the limit it checks (scheduling on a loaded machine).
const MARGIN: Duration = Duration::from_secs(2);

/// The response minimum rate of most tests: far above what the slow readers below take
/// (about 10 KB/s) and far below what the healthy ones do (megabytes a second).
const RESPONSE_RATE: u64 = 256 * 1024;

/// Its grace in these tests.
const RESPONSE_GRACE: Duration = Duration::from_secs(1);

fn short(
    header: Option<f64>,
    keep_alive: Option<f64>,
    rate: Option<u64>,
) -> impl FnOnce(&mut Config) {
    move |c| {
        c.header_timeout = header.map(Duration::from_secs_f64);
        c.keep_alive_timeout = keep_alive.map(Duration::from_secs_f64);
        c.body_min_rate = rate;
        c.body_min_rate_grace = Duration::from_millis(500);
        c.response_min_rate = Some(RESPONSE_RATE);
        c.response_min_rate_grace = RESPONSE_GRACE;
    }
}

/// [`short`], with another response minimum rate.
fn short_with_response(
    header: Option<f64>,
    keep_alive: Option<f64>,
    body_rate: Option<u64>,
    response: Option<u64>,
) -> impl FnOnce(&mut Config) {
    move |c| {
        short(header, keep_alive, body_rate)(c);
        c.response_min_rate = response;
    }
}

async fn start(tweak: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(Engine::Sqlite, tweak)
        .await
        .expect("SQLite always runs")
}

async fn connect(srv: &TestServer) -> TcpStream {
    let addr = srv.base.strip_prefix("http://").expect("http base");
    TcpStream::connect(addr).await.expect("connect")
}

/// A connection with a small receive buffer, so that the client's reading paces the server.
///
/// Its segments are small too (MSS 1,200 bytes, as on a real network path): Linux sizes a new
/// connection's send buffer from the MSS, and loopback's 64 KB segments would let the server's
/// kernel take megabytes of a reply at once, more than the reply the response tests read.
async fn connect_small_window(srv: &TestServer) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(16 * 1024).expect("rcvbuf");
    socket2::SockRef::from(&socket)
        .set_tcp_mss(1200)
        .expect("mss");
    let addr = srv
        .base
        .strip_prefix("http://")
        .expect("base")
        .parse()
        .expect("addr");
    socket.connect(addr).await.expect("connect")
}

/// A response read off a raw connection.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Reads one HTTP/1.1 response (Content-Length or chunked body).
async fn read_reply<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> std::io::Result<Reply> {
    let mut line = String::new();
    r.read_line(&mut line).await?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not a status line: {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').expect("a header line");
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    if let Some(len) = reply.header("content-length") {
        let mut body = vec![0; len.parse().expect("length")];
        r.read_exact(&mut body).await?;
        reply.body = body;
    } else if reply.header("transfer-encoding") == Some("chunked") {
        loop {
            line.clear();
            r.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim(), 16).expect("chunk size");
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            reply.body.extend_from_slice(&chunk[..size]);
        }
    }
    Ok(reply)
}

/// `GET /health/live` on an open connection, answered 200.
async fn live<R: AsyncRead + AsyncWrite + Unpin>(conn: &mut BufReader<R>) {
    conn.get_mut()
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("send");
    let reply = read_reply(conn).await.expect("reply");
    assert_eq!(reply.status, 200);
}

/// Waits until the server closes `conn` (a read returns EOF or an error), up to `within`;
/// returns when, or `None` if it was still open then. Fails on any response bytes.
async fn closed_within<R: AsyncRead + Unpin>(conn: &mut R, within: Duration) -> Option<Instant> {
    let mut buf = [0u8; 256];
    match timeout(within, conn.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => Some(Instant::now()),
        Ok(Ok(n)) => panic!(
            "expected the connection to be closed or silent, got {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(_) => None,
    }
}

fn token_form() -> String {
    format!(
        "grant_type=client_credentials&client_id={ROOT_ID}&client_secret={ROOT_SECRET}&scope=api1"
    )
}

/// A slowloris: a head that never ends, one byte at a time. The connection is closed soon
/// after the header timeout (counted from the accept), not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_dribble_is_closed_after_the_header_timeout() {
    let header = Duration::from_secs(1);
    let srv = start(short(Some(1.0), Some(5.0), Some(240))).await;
    let accepted = Instant::now();
    let mut conn = connect(&srv).await;
    conn.write_all(b"GET /health/live HTTP/1.1\r\nHost: t\r\n")
        .await
        .expect("send");
    let dribble = b"X-Slow: 1\r\n";
    let mut closed = None;
    for byte in dribble.iter().cycle() {
        // A write may fail once the server has gone: the read below tells.
        let _ = conn.write_all(&[*byte]).await;
        if let Some(at) = closed_within(&mut conn, Duration::from_millis(150)).await {
            closed = Some(at);
            break;
        }
        assert!(
            accepted.elapsed() < header + MARGIN + MARGIN,
            "a head still arriving after {:?} was not cut",
            accepted.elapsed()
        );
    }
    let after = closed.expect("closed").duration_since(accepted);
    assert!(
        after >= header - Duration::from_millis(100),
        "closed after {after:?}, before the header timeout"
    );
    assert!(
        after <= header + MARGIN,
        "closed after {after:?}, long after the header timeout"
    );
}

/// On a kept-alive connection the header clock of the next request starts at its first byte,
/// not when the connection went idle: idle longer than the header timeout, then a head sent
/// slowly (but within the header timeout) is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_header_clock_starts_at_its_first_byte() {
    let srv = start(short(Some(1.0), Some(5.0), Some(240))).await;
    let mut conn = BufReader::new(connect(&srv).await);
    live(&mut conn).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    for piece in [
        &b"GET /health/live HTTP/1.1\r\n"[..],
        b"Host: t\r\n",
        b"X-A: 1\r\n",
        b"\r\n",
    ] {
        conn.get_mut().write_all(piece).await.expect("send");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reply = read_reply(&mut conn).await.expect("reply");
    assert_eq!(reply.status, 200, "the slow but timely head was refused");
}

/// Sends `head` at once, then `body` at 10 bytes/s, and reads the reply, which must come
/// soon after the grace (0.5 s). Returns the reply and the read half, to see it close.
async fn dribble_body(
    srv: &TestServer,
    head: String,
    body: String,
) -> (Reply, BufReader<OwnedReadHalf>) {
    let (read, mut write) = connect(srv).await.into_split();
    write.write_all(head.as_bytes()).await.expect("send head");
    let sent = Instant::now();
    let dribble = tokio::spawn(async move {
        for b in body.bytes() {
            if write.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut read = BufReader::new(read);
    let reply = timeout(Duration::from_millis(500) + MARGIN, read_reply(&mut read))
        .await
        .expect("a reply soon after the grace")
        .expect("reply");
    dribble.abort();
    let after = sent.elapsed();
    assert!(
        after >= Duration::from_millis(400),
        "refused after {after:?}, before the grace"
    );
    assert_eq!(reply.status, 408, "{reply:?}");
    assert_eq!(reply.header("connection"), Some("close"), "{reply:?}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply:?}");
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{reply:?}"
    );
    (reply, read)
}

/// An API body sent at 10 bytes/s: 408 with the error envelope once the grace has passed, and
/// the connection is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_dribble_gets_408_and_the_connection_closes() {
    let srv = start(short(Some(1.0), Some(1.5), Some(240))).await;
    let token = srv.root_token().await;
    let body = json!({"Name": "Dribbled"}).to_string();
    let head = format!(
        "POST /api/companies HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (reply, mut read) = dribble_body(&srv, head, body).await;
    let json = reply.json();
    assert_eq!(json["status"], "INPUT_ERROR", "{json}");
    assert_eq!(json["isSuccess"], false, "{json}");
    let message = json["message"].as_str().expect("message");
    assert!(
        message.contains("240 bytes/s") && message.contains("send the whole body at once"),
        "{message}"
    );
    assert!(
        closed_within(read.get_mut(), MARGIN).await.is_some(),
        "the connection stayed open after the 408"
    );
    // The log and the metrics see the 408 too.
    assert_eq!(
        srv.metric(
            r#"rollcall_http_requests_total{method="POST",route="/api/companies",status="408"}"#
        )
        .await,
        Some(1.0)
    );
}

/// The token endpoint answers RFC 6749 error bodies, so its 408 for a dribbled form is one too
/// (`invalid_request`), not the API envelope; still 408, and the connection is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_form_dribble_gets_an_oauth_408() {
    let srv = start(short(Some(1.0), Some(1.5), Some(240))).await;
    let body = token_form();
    let head = format!(
        "POST /connect/token HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (reply, mut read) = dribble_body(&srv, head, body).await;
    let json = reply.json();
    let fields: Vec<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["error", "error_description"], "{json}");
    assert_eq!(json["error"], "invalid_request", "{json}");
    let description = json["error_description"].as_str().expect("description");
    assert!(
        description.contains("240 bytes/s") && description.contains("send the whole form at once"),
        "{description}"
    );
    assert!(
        closed_within(read.get_mut(), MARGIN).await.is_some(),
        "the connection stayed open after the 408"
    );
    assert_eq!(
        srv.metric(
            r#"rollcall_http_requests_total{method="POST",route="/connect/token",status="408"}"#
        )
        .await,
        Some(1.0)
    );
}

/// The rate is an average since the body started: a pause is fine when the bytes already
/// sent pay for it (300 bytes at 240 bytes/s buy 1.25 s), and not when they do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_rate_is_an_average_over_the_body() {
    let srv = start(short(Some(5.0), Some(5.0), Some(240))).await;
    let token = srv.root_token().await;
    let send = |first: usize, total: usize| {
        let token = token.clone();
        let srv = &srv;
        async move {
            let json = format!("{{\"Name\": \"Paced {first}\"}}");
            let body = format!("{json}{}", " ".repeat(total - json.len()));
            let mut conn = BufReader::new(connect(srv).await);
            let head = format!(
                "POST /api/companies HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let w = conn.get_mut();
            w.write_all(head.as_bytes()).await.expect("head");
            w.write_all(&body.as_bytes()[..first])
                .await
                .expect("first part");
            tokio::time::sleep(Duration::from_millis(900)).await;
            // Past the deadline the server may have answered and closed already.
            let _ = conn.get_mut().write_all(&body.as_bytes()[first..]).await;
            read_reply(&mut conn).await.expect("reply")
        }
    };
    let (paid, unpaid) = tokio::join!(send(300, 480), send(100, 480));
    assert_eq!(
        paid.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&paid.body)
    );
    assert_eq!(
        unpaid.status,
        408,
        "{:?}",
        String::from_utf8_lossy(&unpaid.body)
    );
}

/// An idle connection is closed after the keep-alive timeout (not at the shorter header
/// timeout); a new connection right after works, and so does a pooling client whose
/// connection went the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connection_is_closed_after_the_keep_alive_timeout() {
    let keep_alive = Duration::from_millis(1500);
    let srv = start(short(Some(0.5), Some(1.5), Some(240))).await;
    let pooled = reqwest::Client::new();
    let first = pooled
        .get(srv.url("/health/live"))
        .send()
        .await
        .expect("first pooled request");
    assert_eq!(first.status(), 200);
    first.bytes().await.expect("body");

    let mut conn = BufReader::new(connect(&srv).await);
    live(&mut conn).await;
    let idle_since = Instant::now();
    assert!(
        closed_within(conn.get_mut(), Duration::from_millis(1000))
            .await
            .is_none(),
        "closed while idle for less than the keep-alive timeout (the header timeout is shorter)"
    );
    let closed = closed_within(conn.get_mut(), keep_alive + MARGIN)
        .await
        .expect("the idle connection was never closed");
    let after = closed.duration_since(idle_since);
    assert!(
        after >= keep_alive - Duration::from_millis(100),
        "closed after {after:?}"
    );

    let started = Instant::now();
    let mut fresh = BufReader::new(connect(&srv).await);
    live(&mut fresh).await;
    assert!(started.elapsed() < MARGIN, "{:?}", started.elapsed());
    let again = pooled
        .get(srv.url("/health/live"))
        .send()
        .await
        .expect("a pooled request after the idle close");
    assert_eq!(again.status(), 200);
}

/// A connection that keeps sending requests stays usable for longer than both timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_connection_stays_open() {
    let srv = start(short(Some(0.5), Some(1.0), Some(240))).await;
    let mut conn = BufReader::new(connect(&srv).await);
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        live(&mut conn).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// A large CSV export to a client that reads slowly but steadily is not cut, though it streams
/// for longer than every timeout and far below the response minimum rate: the export is still
/// running (the server's gauge says so) after them, and the file arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_to_a_slow_reader_is_not_cut() {
    const USERS: usize = 30_000;
    // A response minimum rate well above this reader's pace: only the exemption keeps it.
    let srv = start(short_with_response(
        Some(0.5),
        Some(1.0),
        Some(240),
        Some(2 * 1024 * 1024),
    ))
    .await;
    let token = srv.root_token().await;
    let cid = srv
        .create_company(&token, None, json!({"Name": "Slow reader"}))
        .await;
    let company = srv
        .store
        .company_by_resource_id(&cid)
        .await
        .expect("lookup")
        .expect("company");
    let now = chrono::Utc::now().timestamp_millis();
    // Wide rows: about 300 bytes each, some 9 MB in all, more than the socket buffers hold.
    let users: Vec<_> = (0..USERS)
        .map(|i| {
            (
                rollcall_store::TargetUserFields {
                    email: format!("u{i}@slow.example"),
                    first_name: format!("First{i}"),
                    last_name: "L".repeat(60),
                    department: "D".repeat(150),
                    priority: 3,
                    is_active: true,
                    ..Default::default()
                },
                now - i as i64,
            )
        })
        .collect();
    srv.store
        .insert_target_users(company.id, &users, &rollcall_store::Actor::system())
        .await
        .expect("load");

    let mut conn = connect_small_window(&srv).await;
    let body = json!({"exportType": "CSV", "reportAllPages": true}).to_string();
    let head = format!(
        "POST /api/target-users/search/export?bom=false HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n{SCOPE}: {cid}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("send");

    // About 400 KB/s for 2.5 s: longer than every timeout, far less than the file.
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = vec![0u8; 8 * 1024];
    while started.elapsed() < Duration::from_millis(2500) {
        let n = conn.read(&mut buf).await.expect("read");
        assert!(n > 0, "the export ended after {} bytes", received.len());
        received.extend_from_slice(&buf[..n]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        srv.metric("rollcall_exports_active").await,
        Some(1.0),
        "the export should still be streaming ({} bytes read)",
        received.len()
    );
    // Then read the rest at full speed.
    conn.read_to_end(&mut received).await.expect("the rest");
    let split = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let mut reader = BufReader::new(&received[..]);
    let reply = read_reply(&mut reader).await.expect("reply");
    assert_eq!(reply.status, 200, "{:?}", &received[..split]);
    let rows = csv::Reader::from_reader(reply.body.as_slice())
        .records()
        .count();
    assert_eq!(rows, USERS, "the export arrived incomplete");
}

/// With every limit off (`None`, and rates of 0), a dribbled head, an idle connection and a
/// dribbled body all outlast the timeouts the other tests use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_off() {
    let srv = start(short_with_response(None, None, Some(0), Some(0))).await;
    let hold = Duration::from_millis(2200);
    let dribbled_head = async {
        let mut conn = connect(&srv).await;
        conn.write_all(b"GET /health/live HTTP/1.1\r\n")
            .await
            .expect("send");
        assert!(
            closed_within(&mut conn, hold).await.is_none(),
            "a slow head was cut with the header timeout off"
        );
    };
    let idle = async {
        let mut conn = BufReader::new(connect(&srv).await);
        live(&mut conn).await;
        assert!(
            closed_within(conn.get_mut(), hold).await.is_none(),
            "an idle connection was closed with the keep-alive timeout off"
        );
        live(&mut conn).await;
    };
    let dribbled_body = async {
        let body = token_form();
        let mut conn = BufReader::new(connect(&srv).await);
        let head = format!(
            "POST /connect/token HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        conn.get_mut()
            .write_all(head.as_bytes())
            .await
            .expect("head");
        // 20 bytes in 2 s (10 bytes/s), then the rest.
        for b in &body.as_bytes()[..20] {
            conn.get_mut().write_all(&[*b]).await.expect("byte");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        conn.get_mut()
            .write_all(&body.as_bytes()[20..])
            .await
            .expect("rest");
        let reply = read_reply(&mut conn).await.expect("reply");
        assert_eq!(
            reply.status,
            200,
            "{:?}",
            String::from_utf8_lossy(&reply.body)
        );
    };
    tokio::join!(dribbled_head, idle, dribbled_body);
}

/// The Swagger UI's script bundle: about 1.4 MB in one reply that is not a file.
const BUNDLE: &str = "/docs/swagger-ui-bundle.js";

/// Asks for [`BUNDLE`], keeping the connection open afterwards.
async fn ask_for_the_bundle(conn: &mut TcpStream) {
    let head = format!("GET {BUNDLE} HTTP/1.1\r\nHost: t\r\n\r\n");
    conn.write_all(head.as_bytes()).await.expect("send");
}

/// The length of the whole reply whose start is `bytes` (head and Content-Length body), once
/// its head is there.
fn reply_length(bytes: &[u8]) -> Option<usize> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..head_end]).expect("an ASCII head");
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().expect("a length"))
    });
    Some(head_end + length.expect("a Content-Length"))
}

/// How a paced read ended.
#[derive(Debug, PartialEq)]
enum Read {
    /// The whole reply arrived.
    Whole,
    /// The server closed the connection first.
    Closed,
    /// Time was up first.
    StillOpen,
}

/// Reads `conn` into `got`, at most `chunk` bytes every `pause`, until the reply is whole, the
/// connection closes or `during` has passed.
async fn read_paced(
    conn: &mut TcpStream,
    got: &mut Vec<u8>,
    chunk: usize,
    pause: Duration,
    during: Duration,
) -> Read {
    let until = Instant::now() + during;
    let mut buf = vec![0u8; chunk];
    loop {
        if reply_length(got).is_some_and(|n| got.len() >= n) {
            return Read::Whole;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Read::StillOpen;
        }
        match timeout(left, conn.read(&mut buf)).await {
            Err(_) => return Read::StillOpen,
            Ok(Ok(0)) | Ok(Err(_)) => return Read::Closed,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
        tokio::time::sleep(pause).await;
    }
}

/// About 10 KB/s: 1 KB every 100 ms, far below [`RESPONSE_RATE`].
async fn read_slowly(conn: &mut TcpStream, got: &mut Vec<u8>, during: Duration) -> Read {
    read_paced(conn, got, 1024, Duration::from_millis(100), during).await
}

/// As fast as the socket goes, for up to `during`.
async fn read_fast(conn: &mut TcpStream, got: &mut Vec<u8>, during: Duration) -> Read {
    read_paced(conn, got, 256 * 1024, Duration::ZERO, during).await
}

/// A client that takes a large reply (not a file) far below the response minimum rate loses
/// its connection once the grace has passed: reading fast afterwards brings only what the
/// socket buffers held, then the end of the stream, not the rest of the reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reader_of_a_large_reply_is_cut() {
    let srv = start(short(Some(5.0), Some(5.0), Some(240))).await;
    let mut conn = connect_small_window(&srv).await;
    ask_for_the_bundle(&mut conn).await;
    let mut got = Vec::new();
    let slow = read_slowly(&mut conn, &mut got, RESPONSE_GRACE + MARGIN).await;
    assert_ne!(slow, Read::Whole, "the whole reply fitted in the buffers");
    let read_slowly_for = got.len();
    let fast = read_fast(&mut conn, &mut got, MARGIN + MARGIN).await;
    let want = reply_length(&got).expect("a head");
    assert_eq!(
        fast,
        Read::Closed,
        "{} of {want} bytes ({read_slowly_for} of them slowly): the connection was not cut",
        got.len()
    );
    assert!(got.len() < want, "{} of {want} bytes", got.len());
    // Other clients are served as before.
    let mut fresh = BufReader::new(connect(&srv).await);
    live(&mut fresh).await;
}

/// A client that pauses for less than the grace, then takes the reply at a healthy pace (many
/// times the minimum), gets all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_at_a_healthy_pace_gets_the_whole_reply() {
    let srv = start(short(Some(5.0), Some(5.0), Some(240))).await;
    let mut conn = connect_small_window(&srv).await;
    ask_for_the_bundle(&mut conn).await;
    tokio::time::sleep(RESPONSE_GRACE / 2).await;
    let mut got = Vec::new();
    let read = read_paced(
        &mut conn,
        &mut got,
        64 * 1024,
        Duration::from_millis(5),
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(read, Read::Whole, "{} bytes arrived", got.len());
    let reply = read_reply(&mut BufReader::new(&got[..]))
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{:?}", reply.headers);
    assert!(reply.body.len() > 1_000_000, "{} bytes", reply.body.len());
    // The connection is still good for another request.
    let mut conn = BufReader::new(conn);
    live(&mut conn).await;
}

/// With the response minimum rate at 0, the same slow reader is not cut, though it reads for
/// longer than the grace and the keep-alive timeout (a reply being sent is not idle time), and
/// gets the whole reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_rate_off_lets_a_slow_reader_finish() {
    let srv = start(short_with_response(
        Some(0.5),
        Some(1.0),
        Some(240),
        Some(0),
    ))
    .await;
    let mut conn = connect_small_window(&srv).await;
    ask_for_the_bundle(&mut conn).await;
    let mut got = Vec::new();
    let slow = read_slowly(&mut conn, &mut got, RESPONSE_GRACE + MARGIN).await;
    assert_eq!(slow, Read::StillOpen, "after {} bytes", got.len());
    let fast = read_fast(&mut conn, &mut got, Duration::from_secs(20)).await;
    assert_eq!(fast, Read::Whole, "{} bytes arrived", got.len());
}
