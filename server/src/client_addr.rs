//! Who is asking: the client address of a request, as the access layer, the API guard and
//! the audit trail record it. The TCP peer, or `CLIENT_IP_HEADER` only when the peer is one of
//! `TRUSTED_PROXIES`. A leaf, so the access layer and the API it dispatches to both use it.

use axum::extract::{ConnectInfo, Request};
use baa_backend::Backend;
use std::net::{IpAddr, SocketAddr};

/// The client address: the TCP peer, or the configured proxy header when the peer is a
/// trusted proxy and the header holds an address (the last one, if it is a list).
pub fn client_addr(b: &Backend, req: &Request) -> String {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical());
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if let Some(h) = &b.config.client_ip_header {
        if b.config.trusted_proxies.iter().any(|n| n.contains(peer)) {
            let forwarded = req
                .headers()
                .get(h.as_str())
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = forwarded {
                return ip.to_canonical().to_string();
            }
        }
    }
    peer.to_string()
}

/// The client address, stored for handlers.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);
