//! CIDR blocks for `cidrMatch`: IPv4 and IPv6, with the prefix length checked at compile time.

use std::net::IpAddr;

/// A network block such as `10.0.0.0/8` or `2001:db8::/32` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/len` or a bare address; `None` if malformed.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr.trim().parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { network, prefix })
    }

    /// Whether `ip` (text) is an address inside this block. IPv4-mapped IPv6 addresses match
    /// IPv4 blocks, as Elasticsearch's `ip` type stores IPv4 that way.
    pub fn contains_str(&self, ip: &str) -> bool {
        ip.trim()
            .parse::<IpAddr>()
            .is_ok_and(|ip| self.contains(ip))
    }

    /// Whether `ip` is inside this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let to128 = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => (u128::from(v4.to_ipv6_mapped()), 96u32),
            IpAddr::V6(v6) => (u128::from(v6), 0u32),
        };
        let (net, offset) = to128(self.network);
        let (addr, _) = to128(ip);
        let bits = offset + u32::from(self.prefix);
        let mask = if bits == 0 {
            0
        } else {
            u128::MAX << (128 - bits)
        };
        net & mask == addr & mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_and_v6() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains_str("10.1.2.3"));
        assert!(!c.contains_str("11.1.2.3"));
        assert!(!c.contains_str("not an ip"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains_str("1.2.3.4"));
        assert!(Cidr::parse("192.168.1.1")
            .unwrap()
            .contains_str("192.168.1.1"));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains_str("2001:db8::1"));
        assert!(!Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains_str("2001:db9::1"));
        assert!(Cidr::parse("10.0.0.0/8")
            .unwrap()
            .contains_str("::ffff:10.0.0.1"));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
    }
}
