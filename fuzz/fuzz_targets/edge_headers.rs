//! What the edge reads from headers and the path before any handler runs: the bearer token, the
//! `Idempotency-Key`, the client address behind proxies, and the sale a hot-path request names.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use seckiller_interfaces::fuzzing::{bearer_token, client_ip, hot_path_sale, idempotency_key};
use uuid::Uuid;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    authorization: &'a [u8],
    key: &'a [u8],
    buyer: u128,
    path: &'a str,
    post: bool,
    forwarded: Vec<(bool, &'a [u8])>,
    peer: u32,
    trust_peer: bool,
    trusted: Vec<u128>,
}

fuzz_target!(|input: Input| {
    if let Some(token) = bearer_token(input.authorization) {
        assert!(!token.is_empty());
        let header = String::from_utf8_lossy(input.authorization).to_ascii_lowercase();
        assert!(header.starts_with("bearer "));
        assert!(input.authorization.ends_with(token.as_bytes()));
    }

    let buyer = Uuid::from_u128(input.buyer);
    let sale = Uuid::from_u128(input.buyer.rotate_left(64));
    if let Some(id) = idempotency_key(buyer, sale, input.key) {
        // The same buyer, sale and key name the same purchase; another buyer's or another
        // sale's never.
        assert_eq!(idempotency_key(buyer, sale, input.key), Some(id));
        let other = Uuid::from_u128(input.buyer ^ 1);
        assert_ne!(idempotency_key(other, sale, input.key), Some(id));
        let elsewhere = Uuid::from_u128(input.buyer.rotate_left(64) ^ 1);
        assert_ne!(idempotency_key(buyer, elsewhere, input.key), Some(id));
    }

    if let Some((purchase, detail)) = hot_path_sale(input.post, input.path) {
        let plain = input.path.to_ascii_lowercase().replace('-', "");
        for sale in [purchase, detail].into_iter().flatten() {
            assert!(
                plain.contains(&sale.simple().to_string()),
                "{} names {sale}",
                input.path
            );
        }
        assert!(purchase.is_none() || input.post);
        assert!(detail.is_none() || !input.post);
    }

    let peer = IpAddr::V4(Ipv4Addr::from(input.peer));
    let mut trusted: Vec<IpAddr> = input
        .trusted
        .iter()
        .map(|t| IpAddr::V6(Ipv6Addr::from(*t)))
        .collect();
    if input.trust_peer {
        trusted.push(peer);
    }
    let headers: Vec<(&[u8], &[u8])> = input
        .forwarded
        .iter()
        .map(|(rfc, value)| {
            let name: &[u8] = if *rfc {
                b"forwarded"
            } else {
                b"x-forwarded-for"
            };
            (name, *value)
        })
        .collect();
    let client = client_ip(peer, &headers, &trusted);
    match client {
        // An untrusted peer is the client, whatever it sends.
        Some(ip) if !input.trust_peer => assert_eq!(ip, peer),
        // Behind a trusted proxy, the client is the peer or a hop a forwarding header names.
        Some(ip) => assert!(ip == peer || !input.forwarded.is_empty(), "{ip}"),
        None => panic!("a peer with an address always has a client address"),
    }
});
