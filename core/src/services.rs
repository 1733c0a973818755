//! scanfw's own port-to-service-name table and top-ports ranking.
//!
//! The data files under `core/data/` were written for scanfw (names follow the IANA service-name
//! registry; the ranking method is documented in `docs/services.md`). They are compiled in and
//! parsed once on first use.

use crate::ports::Protocol;
use std::collections::HashMap;
use std::sync::OnceLock;

const SERVICES: &str = include_str!("../data/services.tsv");
const TOP_TCP: &str = include_str!("../data/top-ports-tcp.txt");
const TOP_UDP: &str = include_str!("../data/top-ports-udp.txt");

struct Table {
    by_port: HashMap<(Protocol, u16), &'static str>,
    top_tcp: Vec<u16>,
    top_udp: Vec<u16>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table {
        by_port: parse_services(SERVICES),
        top_tcp: parse_ranking(TOP_TCP),
        top_udp: parse_ranking(TOP_UDP),
    })
}

fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn parse_services(text: &'static str) -> HashMap<(Protocol, u16), &'static str> {
    let mut map = HashMap::new();
    for line in data_lines(text) {
        let mut cols = line.split_whitespace();
        let (Some(name), Some(pp)) = (cols.next(), cols.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        let proto = match proto {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            _ => continue,
        };
        if let Ok(port) = port.parse::<u16>() {
            map.entry((proto, port)).or_insert(name);
        }
    }
    map
}

fn parse_ranking(text: &'static str) -> Vec<u16> {
    data_lines(text)
        .filter_map(|l| l.parse::<u16>().ok())
        .filter(|&p| p != 0)
        .collect()
}

/// The service name scanfw prints for a port, if its table has one.
pub fn name(proto: Protocol, port: u16) -> Option<&'static str> {
    table().by_port.get(&(proto, port)).copied()
}

/// Ports whose service name is `name` (case-insensitive), for `proto` or for any protocol.
pub fn ports_named(name: &str, proto: Option<Protocol>) -> Vec<u16> {
    let mut v: Vec<u16> = table()
        .by_port
        .iter()
        .filter(|((p, _), n)| n.eq_ignore_ascii_case(name) && proto.is_none_or(|want| want == *p))
        .map(|((_, port), _)| *port)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// scanfw's ranking of ports for `proto`, most likely open first.
pub fn top_ports(proto: Protocol) -> &'static [u16] {
    match proto {
        Protocol::Tcp => &table().top_tcp,
        Protocol::Udp => &table().top_udp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_has_the_common_names() {
        assert_eq!(name(Protocol::Tcp, 22), Some("ssh"));
        assert_eq!(name(Protocol::Tcp, 80), Some("http"));
        assert_eq!(name(Protocol::Udp, 53), Some("domain"));
        assert_eq!(ports_named("HTTPS", Some(Protocol::Tcp)), vec![443]);
        assert!(table().by_port.len() >= 400);
    }

    #[test]
    fn rankings_are_complete_and_unique() {
        for proto in [Protocol::Tcp, Protocol::Udp] {
            let list = top_ports(proto);
            assert_eq!(list.len(), 1000, "{proto}");
            assert_eq!(
                list.iter().collect::<HashSet<_>>().len(),
                1000,
                "{proto} has duplicates"
            );
        }
        assert!(top_ports(Protocol::Udp)[..20].contains(&53));
    }
}
