//! Which address a request comes from. The peer address is the truth unless the peer is one of
//! the configured trusted proxies; only then are `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For` read, walking the chain from the nearest hop and skipping trusted proxies,
//! so a client cannot choose its address by sending the header itself.

use std::net::{IpAddr, SocketAddr};

use poem::http::HeaderMap;
use poem::http::header::FORWARDED;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address: the peer's, or when the peer is a trusted proxy the first untrusted
/// address of the forwarding chain counted from the peer. `None` only when the peer has no IP
/// address (a Unix socket) and nothing trustworthy says otherwise.
pub(crate) fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(headers);
    let mut nearest = peer;
    // From the nearest hop outwards: every trusted proxy vouches for the hop before it.
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if trusted.contains(ip) => nearest = *ip,
            Some(ip) => return Some(*ip),
            // An unreadable or hidden hop: the last address we can vouch for is the answer.
            None => return Some(nearest),
        }
    }
    Some(nearest)
}

/// The forwarding chain, client first: `Forwarded`'s `for=` values when that header is present,
/// else `X-Forwarded-For`. An entry that is not an address is `None`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<Option<IpAddr>> = headers
        .get_all(FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| parse_node(value.trim().trim_matches('"')))
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|entry| parse_node(entry.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .and_then(|n| n.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    const PROXY: &str = "10.0.0.1";

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), &h, &[ip(PROXY)]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(client_ip(Some(ip(PROXY)), &h, &[]), Some(ip(PROXY)));
    }

    #[test]
    fn a_trusted_proxy_names_the_first_untrusted_hop_from_its_side() {
        let trusted = [ip(PROXY), ip("10.0.0.2")];
        // The client put a lie first; the proxies appended what they saw.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(
            client_ip(Some(ip(PROXY)), &h, &trusted),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_reads_every_form() {
        let trusted = [ip(PROXY)];
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43"),
        ]);
        assert_eq!(
            client_ip(Some(ip(PROXY)), &h, &trusted),
            Some(ip("192.0.2.60"))
        );
        let h = headers(&[("forwarded", "For=\"[2001:db8:cafe::17]:4711\"")]);
        assert_eq!(
            client_ip(Some(ip(PROXY)), &h, &trusted),
            Some(ip("2001:db8:cafe::17"))
        );
        let h = headers(&[("forwarded", "for=198.51.100.17:80, for=10.0.0.1")]);
        assert_eq!(
            client_ip(Some(ip(PROXY)), &h, &trusted),
            Some(ip("198.51.100.17"))
        );
    }

    #[test]
    fn a_hidden_or_garbled_hop_stops_at_the_last_known_address() {
        let trusted = [ip(PROXY)];
        let h = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_ip(Some(ip(PROXY)), &h, &trusted), Some(ip(PROXY)));
        let h = headers(&[("x-forwarded-for", "1.2.3.4, not-an-ip")]);
        assert_eq!(client_ip(Some(ip(PROXY)), &h, &trusted), Some(ip(PROXY)));
        assert_eq!(
            client_ip(Some(ip(PROXY)), &HeaderMap::new(), &trusted),
            Some(ip(PROXY))
        );
    }
}
