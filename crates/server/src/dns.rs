//! TXT look-ups for allowed domains (`POST /api/allow-list/verify/{resourceId}`), through
//! hickory's stub resolver: the system's resolvers (`/etc/resolv.conf`) by default, or the one
//! address of `--dns-resolver`, each look-up bounded by `--dns-timeout`.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

/// What a TXT look-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The TXT records at the name, each one's strings joined (as RFC 7208 reads them).
    Records(Vec<String>),
    /// The name has no TXT record.
    NoRecords,
    /// The name does not exist.
    NoSuchName,
}

/// Why a look-up gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The resolver failed (unreachable, SERVFAIL, refused...).
    #[error("{0}")]
    Failed(String),
}

/// The TXT records at `domain` (a name without a trailing dot), asking `resolver` (`None`: the
/// system's) and waiting at most `timeout`.
pub async fn txt_records(
    resolver: Option<SocketAddr>,
    timeout: Duration,
    domain: &str,
) -> Result<TxtAnswer, DnsError> {
    let mut builder = match resolver {
        Some(addr) => {
            // UDP first, TCP for answers too long for a datagram, both at the one address.
            let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                .into_iter()
                .map(|mut c| {
                    c.port = addr.port();
                    c
                })
                .collect();
            let server = NameServerConfig::new(addr.ip(), true, connections);
            Resolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio()
            .map_err(|e| DnsError::Failed(format!("the system's DNS settings: {e}")))?,
    };
    let options = builder.options_mut();
    options.timeout = timeout;
    options.attempts = 1;
    // Every check asks again: a record published a minute ago must be seen now.
    options.cache_size = 0;
    let resolver = builder
        .build()
        .map_err(|e| DnsError::Failed(format!("building the resolver: {e}")))?;
    // Fully qualified: no search domain of the server's own is appended.
    let name = format!("{domain}.");
    let lookup = tokio::time::timeout(timeout, resolver.txt_lookup(name)).await;
    match lookup {
        Err(_) => Err(DnsError::Timeout(timeout)),
        Ok(Ok(found)) => Ok(TxtAnswer::Records(
            found
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect(),
        )),
        Ok(Err(e)) if e.is_nx_domain() => Ok(TxtAnswer::NoSuchName),
        Ok(Err(e)) if e.is_no_records_found() => Ok(TxtAnswer::NoRecords),
        Ok(Err(hickory_resolver::net::NetError::Timeout)) => Err(DnsError::Timeout(timeout)),
        Ok(Err(e)) => Err(DnsError::Failed(e.to_string())),
    }
}
