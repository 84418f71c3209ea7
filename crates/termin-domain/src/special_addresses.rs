//! Which addresses an outgoing request (a webhook delivery) may reach: the IANA IPv4 and IPv6
//! Special-Purpose Address Registries, in full, as tables. An address is internal when the most
//! specific registry block holding it is not "globally reachable"; IPv6 outside 2000::/3 (all
//! of it reserved by the IETF, besides the blocks listed) is internal too, and so is IPv4
//! multicast. Forms that carry an IPv4 address inside IPv6 (IPv4-mapped, IPv4-compatible, 6to4,
//! NAT64) are judged by the IPv4 address they carry.
//!
//! Sources: <https://www.iana.org/assignments/iana-ipv4-special-registry/> and
//! <https://www.iana.org/assignments/iana-ipv6-special-registry/> (as of 2025), plus the
//! deprecated site-local fec0::/10 (RFC 3879), which some stacks still route.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One registry block: network, prefix length, name, and whether it is globally reachable.
pub type Block<A> = (A, u8, &'static str, bool);

pub const IPV4_SPECIAL: &[Block<Ipv4Addr>] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "This network", false),
    (
        Ipv4Addr::new(0, 0, 0, 0),
        32,
        "This host on this network",
        false,
    ),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "Private-Use", false),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "Shared Address Space",
        false,
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "Loopback", false),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "Link Local", false),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "Private-Use", false),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        "IETF Protocol Assignments",
        false,
    ),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        29,
        "IPv4 Service Continuity Prefix",
        false,
    ),
    (Ipv4Addr::new(192, 0, 0, 8), 32, "IPv4 dummy address", false),
    (
        Ipv4Addr::new(192, 0, 0, 9),
        32,
        "Port Control Protocol Anycast",
        true,
    ),
    (
        Ipv4Addr::new(192, 0, 0, 10),
        32,
        "Traversal Using Relays around NAT Anycast",
        true,
    ),
    (
        Ipv4Addr::new(192, 0, 0, 170),
        32,
        "NAT64/DNS64 Discovery",
        false,
    ),
    (
        Ipv4Addr::new(192, 0, 0, 171),
        32,
        "NAT64/DNS64 Discovery",
        false,
    ),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "Documentation (TEST-NET-1)",
        false,
    ),
    (Ipv4Addr::new(192, 31, 196, 0), 24, "AS112-v4", true),
    (Ipv4Addr::new(192, 52, 193, 0), 24, "AMT", true),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "Deprecated (6to4 Relay Anycast)",
        false,
    ),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "Private-Use", false),
    (
        Ipv4Addr::new(192, 175, 48, 0),
        24,
        "Direct Delegation AS112 Service",
        true,
    ),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "Benchmarking", false),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "Documentation (TEST-NET-2)",
        false,
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "Documentation (TEST-NET-3)",
        false,
    ),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "Reserved", false),
    (
        Ipv4Addr::new(255, 255, 255, 255),
        32,
        "Limited Broadcast",
        false,
    ),
    // Not in the special-purpose registry but never a webhook receiver: multicast.
    (Ipv4Addr::new(224, 0, 0, 0), 4, "Multicast", false),
];

const fn v6(segments: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::new(
        segments[0],
        segments[1],
        segments[2],
        segments[3],
        segments[4],
        segments[5],
        segments[6],
        segments[7],
    )
}

pub const IPV6_SPECIAL: &[Block<Ipv6Addr>] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 1]), 128, "Loopback Address", false),
    (
        v6([0, 0, 0, 0, 0, 0, 0, 0]),
        128,
        "Unspecified Address",
        false,
    ),
    (
        v6([0, 0, 0, 0, 0, 0xffff, 0, 0]),
        96,
        "IPv4-mapped Address",
        false,
    ),
    (
        v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]),
        96,
        "IPv4-IPv6 Translat.",
        true,
    ),
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]),
        48,
        "IPv4-IPv6 Translat.",
        false,
    ),
    (
        v6([0x100, 0, 0, 0, 0, 0, 0, 0]),
        64,
        "Discard-Only Address Block",
        false,
    ),
    (
        v6([0x100, 0, 0, 1, 0, 0, 0, 0]),
        64,
        "Dummy IPv6 Prefix",
        false,
    ),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0]),
        23,
        "IETF Protocol Assignments",
        false,
    ),
    (
        v6([0x2001, 1, 0, 0, 0, 0, 0, 1]),
        128,
        "Port Control Protocol Anycast",
        true,
    ),
    (
        v6([0x2001, 1, 0, 0, 0, 0, 0, 2]),
        128,
        "Traversal Using Relays around NAT Anycast",
        true,
    ),
    (
        v6([0x2001, 1, 0, 0, 0, 0, 0, 3]),
        128,
        "DNS-SD Service Registration Protocol Anycast",
        true,
    ),
    (v6([0x2001, 2, 0, 0, 0, 0, 0, 0]), 48, "Benchmarking", false),
    (v6([0x2001, 3, 0, 0, 0, 0, 0, 0]), 32, "AMT", true),
    (v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0]), 48, "AS112-v6", true),
    (
        v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0]),
        28,
        "Deprecated (previously ORCHID)",
        false,
    ),
    (v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0]), 28, "ORCHIDv2", true),
    (
        v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0]),
        28,
        "Drone Remote ID Protocol Entity Tags",
        true,
    ),
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 32, "TEREDO", false),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
        32,
        "Documentation",
        false,
    ),
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16, "6to4", false),
    (
        v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0]),
        48,
        "Direct Delegation AS112 Service",
        true,
    ),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]),
        20,
        "Documentation",
        false,
    ),
    (
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]),
        16,
        "Segment Routing (SRv6) SIDs",
        false,
    ),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7, "Unique-Local", false),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]),
        10,
        "Link-Local Unicast",
        false,
    ),
    (
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]),
        10,
        "Site-Local (deprecated, RFC 3879)",
        false,
    ),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8, "Multicast", false),
];

/// Whether `ip` is in the network `net`/`prefix`.
pub fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Whether `ip` is in the network `net`/`prefix`.
pub fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The network a client address stands for in limits (rate limits, the login throttle,
/// connection caps): the address itself for IPv4 (an IPv4-mapped IPv6 address counts as its
/// IPv4 address), its /64 for IPv6: one subscriber commonly holds a whole /64, so single
/// addresses cost nothing to change.
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// The most specific registry block holding `ip`, if any.
fn most_specific<A: Copy>(
    table: &'static [Block<A>],
    holds: impl Fn(A, u8) -> bool,
) -> Option<&'static Block<A>> {
    table
        .iter()
        .filter(|(net, prefix, _, _)| holds(*net, *prefix))
        .max_by_key(|(_, prefix, _, _)| *prefix)
}

/// Whether a request to `ip` must be refused (unless the operator allows private networks).
pub fn is_internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    most_specific(IPV4_SPECIAL, |net, prefix| in_v4(ip, net, prefix))
        .is_some_and(|(_, _, _, global)| !global)
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_internal_v4(v4);
    }
    // Only 2000::/3 is allocated as global unicast; the rest is reserved.
    if ip.segments()[0] & 0xe000 != 0x2000 {
        return true;
    }
    most_specific(IPV6_SPECIAL, |net, prefix| in_v6(ip, net, prefix))
        .is_some_and(|(_, _, _, global)| !global)
}

/// The IPv4 address an IPv6 address carries, in the forms that route to it: IPv4-mapped
/// (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, deprecated), 6to4 (2002:aabb:ccdd::/48) and
/// NAT64 (64:ff9b::a.b.c.d).
pub fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1.
        [0, 0, 0, 0, 0, 0, _, _] if u128::from(ip) > 1 => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_v4(net: Ipv4Addr, prefix: u8) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(net) | u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0))
    }

    fn last_v6(net: Ipv6Addr, prefix: u8) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(net) | u128::MAX.checked_shr(u32::from(prefix)).unwrap_or(0))
    }

    /// The registry is the test table: the first and last address of every block is judged as
    /// the block says, unless a more specific block says otherwise.
    #[test]
    fn every_registry_block_is_judged_as_the_registry_says() {
        for &(net, prefix, name, global) in IPV4_SPECIAL {
            for ip in [net, last_v4(net, prefix)] {
                let expected = !most_specific(IPV4_SPECIAL, |n, p| in_v4(ip, n, p))
                    .unwrap()
                    .3;
                assert_eq!(is_internal_address(ip.into()), expected, "{ip} in {name}");
                if most_specific(IPV4_SPECIAL, |n, p| in_v4(ip, n, p))
                    .unwrap()
                    .1
                    == prefix
                {
                    assert_eq!(expected, !global, "{ip} in {name}");
                }
            }
        }
        for &(net, prefix, name, global) in IPV6_SPECIAL {
            for ip in [net, last_v6(net, prefix)] {
                if embedded_v4(ip).is_some() {
                    continue; // judged by the IPv4 address inside (below)
                }
                let block = most_specific(IPV6_SPECIAL, |n, p| in_v6(ip, n, p)).unwrap();
                assert_eq!(is_internal_address(ip.into()), !block.3, "{ip} in {name}");
                if block.1 == prefix {
                    assert_eq!(block.3, global, "{ip} in {name}");
                }
            }
        }
    }

    #[test]
    fn addresses_and_embedding_forms_are_judged_by_what_they_reach() {
        for internal in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::808:808",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "::",
            "::1",
            "100::1",
            "ff02::1",
            "4000::1",
        ] {
            assert!(
                is_internal_address(internal.parse().unwrap()),
                "{internal} counted as public"
            );
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "::ffff:93.184.216.34",
            "2002:5db8:d822::1",
            "64:ff9b::808:808",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "192.0.0.9",
            "8.8.8.8",
        ] {
            assert!(
                !is_internal_address(public.parse().unwrap()),
                "{public} counted as internal"
            );
        }
    }
}
