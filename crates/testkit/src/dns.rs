//! A DNS server on loopback for the allowed-domain checks: answers TXT queries from a zone the
//! test edits, with hickory-proto's own message types (no hand-made packets), and a socket
//! that never answers, for timeouts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;

/// Names (lowercase, no trailing dot) and their TXT values; a name with no values exists but
/// has no TXT record, a name absent is NXDOMAIN.
type Zone = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// A UDP DNS server on `127.0.0.1:0`, stopped when dropped.
pub struct TestDns {
    /// Where it listens (give it to the server's `dns_resolver`).
    pub addr: SocketAddr,
    zone: Zone,
    task: tokio::task::JoinHandle<()>,
}

impl TestDns {
    /// Starts the server with an empty zone.
    pub async fn start() -> TestDns {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind DNS");
        let addr = socket.local_addr().expect("DNS address");
        let zone: Zone = Arc::default();
        let task = tokio::spawn(serve(socket, zone.clone()));
        TestDns { addr, zone, task }
    }

    /// Publishes these TXT values at `name` (replacing what was there; none: the name exists
    /// without a TXT record).
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        self.zone.lock().expect("zone").insert(
            name.to_owned(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        );
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(socket: UdpSocket, zone: Zone) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(query) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        let reply = answer(&query, &zone);
        if let Ok(bytes) = reply.to_vec() {
            let _ = socket.send_to(&bytes, peer).await;
        }
    }
}

fn answer(query: &Message, zone: &Zone) -> Message {
    let mut reply = Message::new(
        query.metadata.id,
        MessageType::Response,
        query.metadata.op_code,
    );
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.metadata.authoritative = true;
    let zone = zone.lock().expect("zone");
    for q in &query.queries {
        reply.add_query(q.clone());
        let name = q
            .name()
            .to_ascii()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        match zone.get(&name) {
            None => reply.metadata.response_code = ResponseCode::NXDomain,
            Some(values) if q.query_type() == RecordType::TXT => {
                for v in values {
                    reply.add_answer(Record::from_rdata(
                        q.name().clone(),
                        60,
                        RData::TXT(TXT::new(vec![v.clone()])),
                    ));
                }
            }
            Some(_) => {}
        }
    }
    reply
}

/// A UDP socket on loopback that reads nothing and answers nothing: a DNS server that times
/// out. Keep it alive for as long as it is used.
pub async fn silent_dns() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let addr = socket.local_addr().expect("address");
    (socket, addr)
}
