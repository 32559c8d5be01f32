//! Caller addresses and client IP allow-lists.

use std::net::IpAddr;

use rollcall_store::ApiClient;

/// An address as the caller sees it: an IPv4-mapped IPv6 address (a dual-stack listener's view
/// of an IPv4 caller) as the IPv4 address.
pub fn plain_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` may use `client`. Entries are single addresses or CIDR ranges.
pub fn ip_allowed(client: &ApiClient, ip: Option<IpAddr>) -> bool {
    if !client.has_ip_restriction {
        return true;
    }
    let Some(ip) = ip else { return false };
    let ip = plain_ip(ip);
    client.allowed_ips.iter().any(|entry| {
        let entry = entry.trim();
        if let Ok(single) = entry.parse::<IpAddr>() {
            return single == ip;
        }
        entry
            .parse::<ipnet::IpNet>()
            .is_ok_and(|net| net.contains(&ip))
    })
}
