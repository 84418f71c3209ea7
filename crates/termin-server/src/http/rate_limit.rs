//! Rate limiting, keyed on who the caller is, never on the bytes of a header:
//!
//! - a request with a credential (bearer token or session cookie) is charged to that
//!   credential's bucket once authentication has resolved it ([`charge`], called by the caller
//!   extractors in `auth.rs`): padding a token or changing the scheme's case is the same
//!   credential, the same bucket;
//! - a request with a credential that does not authenticate (or that its route never reads) is
//!   charged to its client network's failure budget, and once that is spent every request from
//!   there presenting a credential is refused before any lookup: random headers buy nothing;
//! - a request without a credential is charged to its client network's bucket.
//!
//! The client network is the peer's address (its /64 for IPv6), or the address a trusted proxy
//! reports in `Forwarded` / `X-Forwarded-For` ([`client_ip`]). Buckets (`buckets.rs`) live in this
//! process; the rate-limit decision in docs/decisions.md says why, and what holds across nodes.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use termin_domain::principal::{Credential, Principal};

use crate::config::Cidr;
use crate::http::buckets::Decision;
use crate::http::cookie::session_cookie;
use crate::http::error::ApiError;
use crate::state::AppState;

/// The client's address as [`client_ip`] found it, for handlers that need it (login).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

/// Where the caller extractor leaves the decision on the credential's bucket, for the
/// middleware to put in the answer's headers.
#[derive(Clone, Default)]
pub struct RateSlot(Arc<OnceLock<Decision>>);

/// Middleware on every API route: refuses a URI holding U+0000 (one middleware for both, each
/// costs a layer on every request), then over-limit requests with 429, and labels answers with
/// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
pub async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(refused) = crate::http::extract::nul_in_uri(request.uri()) {
        return refused.into_response();
    }
    // Health checks come from load balancers and monitors, not from API clients.
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let headers = request.headers();
    // The public pages and their assets read no credential: whatever a browser sends along (a
    // host's dashboard cookie while they look at their own page), they draw on the network's
    // anonymous bucket, never on its budget of failed credentials.
    let presents_credential = api_path(request.uri().path())
        && (headers.contains_key(header::AUTHORIZATION) || session_cookie(headers).is_some());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    let client = client_ip(headers, peer, &state.config.trusted_proxies);
    let network = network_key(client);
    request.extensions_mut().insert(ClientIp(client));
    let now = Instant::now();
    if !presents_credential {
        let decision = state.limiter.check(&network, now);
        let response = if decision.allowed {
            next.run(request).await
        } else {
            ApiError::too_many_requests(decision.retry_after_secs).into_response()
        };
        return labelled(response, &state, decision);
    }
    if !state.auth_failures.has_room(&network, now) {
        let decision = state.auth_failures.check(&network, now);
        return ApiError {
            message: "Too many requests with credentials that did not authenticate".into(),
            ..ApiError::too_many_requests(decision.retry_after_secs)
        }
        .into_response();
    }
    let slot = RateSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    match slot.0.get() {
        Some(decision) => labelled(response, &state, *decision),
        None => {
            // Nobody authenticated the credential: it failed, or the route does not read one.
            state.auth_failures.check(&network, Instant::now());
            response
        }
    }
}

/// Whether `path` is the API's (where a credential is read), not a public page's.
fn api_path(path: &str) -> bool {
    ["/v4/", "/crm", "/webhooks", "/auth/", "/mcp"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// Charges the bucket of the credential `caller` authenticated with; an extractor calls this
/// once it knows the caller. Refused: 429.
pub fn charge(parts: &Parts, state: &AppState, caller: &Principal) -> Result<(), ApiError> {
    let Some(slot) = parts.extensions.get::<RateSlot>() else {
        return Ok(()); // not behind `enforce` (an internal call)
    };
    let (tag, id) = match &caller.credential {
        Credential::Pat { id, .. } => (b'p', id.as_uuid()),
        Credential::ApiKey { id } => (b'k', id.as_uuid()),
        Credential::Session { id } => (b's', id.as_uuid()),
        // The public pages' principal never comes from a request's credential.
        Credential::Visitor => return Ok(()),
    };
    let mut key = [0u8; 17];
    key[0] = tag;
    key[1..].copy_from_slice(id.as_bytes());
    let decision = state.limiter.check(&key, Instant::now());
    let _ = slot.0.set(decision);
    if decision.allowed {
        Ok(())
    } else {
        Err(ApiError::too_many_requests(decision.retry_after_secs))
    }
}

fn labelled(mut response: Response, state: &AppState, decision: Decision) -> Response {
    let h = response.headers_mut();
    h.insert(
        HeaderName::from_static("ratelimit-limit"),
        HeaderValue::from(state.limiter.limit()),
    );
    h.insert(
        HeaderName::from_static("ratelimit-remaining"),
        HeaderValue::from(decision.remaining),
    );
    h.insert(
        HeaderName::from_static("ratelimit-reset"),
        HeaderValue::from(decision.reset_secs),
    );
    response
}

/// A client network (`termin_domain::special_addresses::client_network`) as a bucket key:
/// `4` and the IPv4 address, or `6` and the IPv6 /64; all zero when the address is unknown.
fn network_key(ip: Option<IpAddr>) -> [u8; 9] {
    use termin_domain::special_addresses::client_network;
    let mut key = [0u8; 9];
    match ip.map(client_network) {
        Some(IpAddr::V4(v4)) => {
            key[0] = b'4';
            key[1..5].copy_from_slice(&v4.octets());
        }
        Some(IpAddr::V6(v6)) => {
            key[0] = b'6';
            key[1..].copy_from_slice(&v6.octets()[..8]);
        }
        None => {}
    }
    key
}

/// The client's address: the peer's, unless the peer is a trusted proxy. Then it is the last
/// address in `Forwarded` (or else `X-Forwarded-For`) that is not itself a trusted proxy:
/// entries to its left were written by the client, and anyone can write anything there.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = peer.map(|ip| ip.to_canonical())?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut chain = forwarded_for(headers, header::FORWARDED);
    if chain.is_empty() {
        chain = forwarded_for(headers, HeaderName::from_static("x-forwarded-for"));
    }
    // All trusted: the first hop is the client as far as anyone can tell.
    let first = chain.first().copied();
    Some(
        chain
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(*ip))
            .or(first)
            .unwrap_or(peer),
    )
}

/// The addresses a forwarding header lists, first hop first. An entry that is not an address
/// (`unknown`, an obfuscated name) ends the list there: nothing to its left can be placed.
fn forwarded_for(headers: &HeaderMap, name: HeaderName) -> Vec<IpAddr> {
    let standard = name == header::FORWARDED;
    let mut out = Vec::new();
    for value in headers.get_all(&name) {
        let Ok(value) = value.to_str() else {
            return Vec::new();
        };
        for element in value.split(',') {
            let raw = if standard {
                match element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.eq_ignore_ascii_case("for"))
                {
                    Some((_, v)) => v,
                    None => continue,
                }
            } else {
                element
            };
            match parse_node(raw) {
                Some(ip) => out.push(ip.to_canonical()),
                None => out.clear(),
            }
        }
    }
    out
}

/// `192.0.2.1`, `192.0.2.1:443`, `"[2001:db8::1]:443"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse() {
        return Some(ip);
    }
    if let Some(rest) = raw.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    raw.rsplit_once(':')?
        .0
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.1")]);
        // An untrusted peer is the client, whatever it writes.
        assert_eq!(
            client_ip(&spoofed, Some(ip("203.0.113.9")), &trusted),
            Some(ip("203.0.113.9"))
        );
        // Through a trusted proxy the rightmost untrusted hop is the client; what the client
        // wrote to its left does not count.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(
            client_ip(&chain, Some(ip("10.0.0.1")), &trusted),
            Some(ip("203.0.113.9"))
        );
        let standard = headers(&[
            (
                "forwarded",
                "for=1.1.1.1;proto=https, for=\"[2001:db8::5]:4711\"",
            ),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        assert_eq!(
            client_ip(&standard, Some(ip("10.0.0.1")), &trusted),
            Some(ip("2001:db8::5"))
        );
        let port = headers(&[("x-forwarded-for", "203.0.113.7:5555")]);
        assert_eq!(
            client_ip(&port, Some(ip("10.0.0.1")), &trusted),
            Some(ip("203.0.113.7"))
        );
        // A trusted proxy that forwards nothing is the client itself.
        assert_eq!(
            client_ip(&HeaderMap::new(), Some(ip("10.0.0.1")), &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(client_ip(&chain, None, &trusted), None);
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64() {
        assert_eq!(
            network_key(Some(ip("2001:db8:0:1::1"))),
            network_key(Some(ip("2001:db8:0:1:ffff::2")))
        );
        assert_ne!(
            network_key(Some(ip("2001:db8:0:1::1"))),
            network_key(Some(ip("2001:db8:0:2::1")))
        );
        assert_eq!(
            network_key(Some(ip("::ffff:192.0.2.1"))),
            network_key(Some(ip("192.0.2.1")))
        );
    }
}
