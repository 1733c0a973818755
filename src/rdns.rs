//! Reverse DNS: the PTR names nmap prints next to each address.
//!
//! nmap resolves the address of every host it reports as up (all targets with `-R`, none with
//! `-n`) and lists the first PTR name as a `PTR` host name after the names the user typed. This
//! module does that lookup; choosing which hosts to resolve is the caller's job.
//!
//! # Contract
//!
//! - **Servers**: `--dns-servers` ([`parse_dns_servers`]) or, without it, the nameservers of
//!   `/etc/resolv.conf` (`ip netns exec NS` bind-mounts `/etc/netns/NS/resolv.conf` over it). A
//!   system configuration without any nameserver is not an error: reverse DNS is then disabled
//!   ([`ReverseDns::has_nameservers`] says so, for nmap's one-line warning) and only `/etc/hosts`
//!   answers.
//! - **`/etc/hosts` first**, as nmap's host cache: the first name of the first line naming the
//!   address. Parsed here rather than by the resolver, whose hosts table returns one of several
//!   names of an address in hash order.
//! - **Bounded in time**: [`ReverseDns::lookup`] returns within the configured timeout of its
//!   call, whatever the servers do (silent, black-holed, slow): the resolver gets that timeout
//!   for the whole query (its UDP transport retransmits within it, and several servers are asked
//!   in parallel), no further attempts, and the lookup is cut by `tokio::time::timeout` as well.
//!   Waiting for a free slot counts against it.
//! - **Concurrent**: `lookup` takes `&self`; share one `ReverseDns` (in an `Arc`) between the
//!   tasks that finish hosts. At most [`MAX_IN_FLIGHT`] queries are outstanding at once, which
//!   bounds the sockets reverse DNS holds next to the scan's own.
//! - **Cached, bounded**: answers (names and NXDOMAIN) are kept by the resolver's cache of at
//!   most [`CACHE_ENTRIES`] responses, for at least a minute; failures and timeouts are not.
//! - **Quiet**: errors are never reported; any failure is "no name" (`None`), as in nmap.
//! - **Off the scan's reply ports**: the resolver picks its random UDP source ports outside the
//!   raw engine's reply range (33000-60015), so its answers stay out of the raw receive path.
//!
//! Queries go only to the configured servers; nothing else is contacted.

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use scanfw_core::{HostResult, Hostname, HostnameKind};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Most PTR queries outstanding at once; further lookups wait (within their timeout).
pub const MAX_IN_FLIGHT: usize = 256;

/// Most responses the resolver caches.
pub const CACHE_ENTRIES: u64 = 4096;

/// Least time an answer stays cached, whatever its TTL (nmap keeps them for the whole run).
const MIN_CACHE_TTL: Duration = Duration::from_secs(60);

/// Most `/etc/hosts` addresses kept (bounds memory on huge block lists).
const MAX_HOSTS_ENTRIES: usize = 65_536;

/// The raw engine's reply ports (`core/src/engine/raw/cookie.rs`).
const SCAN_REPLY_PORTS: std::ops::RangeInclusive<u16> = 33000..=60015;

/// The default DNS port.
const DNS_PORT: u16 = 53;

/// Why reverse DNS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RdnsError {
    /// An entry of `--dns-servers` is not an IP address.
    #[error("--dns-servers: `{0}` is not an IP address")]
    NotAnAddress(String),
    /// An entry of `--dns-servers` has a port that is not 1-65535.
    #[error("--dns-servers: `{0}` has an invalid port (1-65535)")]
    BadPort(String),
    /// `--dns-servers` has an empty entry (`a,,b`, a trailing comma).
    #[error("--dns-servers: empty entry in `{0}`")]
    EmptyEntry(String),
    /// `--dns-servers` names no server at all.
    #[error("--dns-servers: no server given")]
    NoServers,
    /// The lookup timeout is zero.
    #[error("reverse DNS timeout must be positive")]
    ZeroTimeout,
    /// The resolver could not be built.
    #[error("cannot set up the DNS resolver")]
    Resolver(#[source] hickory_resolver::net::NetError),
}

/// Parses nmap's `--dns-servers serv1[,serv2],...`: IPv4 or IPv6 addresses, each with an
/// optional port (`198.18.0.2:5353`, `[fd00::1]:5353`; a bare IPv6 address takes no port), 53
/// by default. Blanks around entries are ignored; empty entries and empty lists are errors.
pub fn parse_dns_servers(spec: &str) -> Result<Vec<SocketAddr>, RdnsError> {
    if spec.trim().is_empty() {
        return Err(RdnsError::NoServers);
    }
    spec.split(',')
        .map(|entry| {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(RdnsError::EmptyEntry(spec.to_string()));
            }
            parse_server(entry)
        })
        .collect()
}

/// One `--dns-servers` entry.
fn parse_server(entry: &str) -> Result<SocketAddr, RdnsError> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DNS_PORT));
    }
    // `[v6]` without a port.
    if let Some(ip) = entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<std::net::Ipv6Addr>().ok())
    {
        return Ok(SocketAddr::new(IpAddr::V6(ip), DNS_PORT));
    }
    // `v4:port` or `[v6]:port`.
    let (host, port) = entry
        .rsplit_once(':')
        .ok_or_else(|| RdnsError::NotAnAddress(entry.to_string()))?;
    let ip = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().map(IpAddr::V6),
        None => host.parse::<std::net::Ipv4Addr>().map(IpAddr::V4),
    }
    .map_err(|_| RdnsError::NotAnAddress(entry.to_string()))?;
    match port.parse::<u16>() {
        Ok(port) if port != 0 => Ok(SocketAddr::new(ip, port)),
        _ => Err(RdnsError::BadPort(entry.to_string())),
    }
}

/// A reverse-DNS resolver shared by every lookup of a scan.
pub struct ReverseDns {
    /// `None`: no nameserver is known; only `/etc/hosts` answers.
    resolver: Option<TokioResolver>,
    /// `/etc/hosts`: address → its first name.
    hosts: HashMap<IpAddr, String>,
    timeout: Duration,
    slots: Semaphore,
    /// `--dns-servers` were given: loopback addresses are asked too (a test server may
    /// listen there).
    explicit_servers: bool,
}

impl std::fmt::Debug for ReverseDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReverseDns")
            .field("has_nameservers", &self.resolver.is_some())
            .field("hosts_entries", &self.hosts.len())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ReverseDns {
    /// A resolver asking `servers` (from [`parse_dns_servers`]), or the nameservers of
    /// `/etc/resolv.conf` when `servers` is empty; `/etc/hosts` is consulted first either way.
    /// Each [`lookup`](Self::lookup) takes at most `timeout`. Sends nothing and needs no runtime;
    /// lookups must run on Tokio.
    pub fn new(servers: &[SocketAddr], timeout: Duration) -> Result<ReverseDns, RdnsError> {
        let hosts = std::fs::read_to_string("/etc/hosts")
            .map(|text| parse_hosts(&text))
            .unwrap_or_default();
        let system = if servers.is_empty() {
            Some(std::fs::read("/etc/resolv.conf"))
        } else {
            None
        };
        Self::build(servers, system, hosts, timeout)
    }

    /// `system` is the resolv.conf read when `servers` is empty (`None` otherwise).
    fn build(
        servers: &[SocketAddr],
        system: Option<std::io::Result<Vec<u8>>>,
        hosts: HashMap<IpAddr, String>,
        timeout: Duration,
    ) -> Result<ReverseDns, RdnsError> {
        if timeout.is_zero() {
            return Err(RdnsError::ZeroTimeout);
        }
        let config = match system {
            None => Some((user_config(servers), ResolverOpts::default())),
            Some(read) => {
                let parsed = read.map_err(|e| e.to_string()).and_then(|bytes| {
                    hickory_resolver::system_conf::parse_resolv_conf(bytes)
                        .map_err(|e| e.to_string())
                });
                match parsed {
                    Ok(conf) => Some(conf),
                    Err(why) => {
                        tracing::debug!("reverse DNS disabled: /etc/resolv.conf: {why}");
                        None
                    }
                }
            }
        };
        let resolver = match config {
            Some((config, opts)) => Some(Self::resolver(config, opts, timeout)?),
            None => None,
        };
        Ok(ReverseDns {
            resolver,
            hosts,
            timeout,
            slots: Semaphore::new(MAX_IN_FLIGHT),
            explicit_servers: !servers.is_empty(),
        })
    }

    fn resolver(
        config: ResolverConfig,
        mut opts: ResolverOpts,
        timeout: Duration,
    ) -> Result<TokioResolver, RdnsError> {
        // One try bounded by the whole budget: hickory's UDP transport retransmits inside it
        // and its server pool stops at the same deadline, so nothing outlives `timeout`.
        opts.timeout = timeout;
        opts.attempts = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.cache_size = CACHE_ENTRIES;
        opts.positive_min_ttl = Some(MIN_CACHE_TTL);
        opts.negative_min_ttl = Some(MIN_CACHE_TTL);
        opts.try_tcp_on_error = false;
        opts.avoid_local_udp_ports = Arc::new(SCAN_REPLY_PORTS.collect::<HashSet<u16>>());
        let mut builder =
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        *builder.options_mut() = opts;
        builder.build().map_err(RdnsError::Resolver)
    }

    /// Whether any nameserver is configured. `false` only when `/etc/resolv.conf` names none
    /// (or cannot be read) and no `--dns-servers` were given: reverse DNS is then disabled,
    /// which nmap announces as `mass_dns: warning: Unable to determine any DNS servers. Reverse
    /// DNS is disabled.` and carries on.
    pub fn has_nameservers(&self) -> bool {
        self.resolver.is_some()
    }

    /// The first PTR name of `ip`, without the trailing dot: from `/etc/hosts`, else from DNS.
    /// `None` on NXDOMAIN, an empty answer, any error, or after the configured timeout.
    pub async fn lookup(&self, ip: IpAddr) -> Option<String> {
        if let Some(name) = self.hosts.get(&ip) {
            return Some(name.clone());
        }
        if ip.is_loopback() && !self.explicit_servers {
            // This host's own addresses are named by its own files: asking the system's DNS
            // servers about them would send queries off the machine for nothing.
            return None;
        }
        let resolver = self.resolver.as_ref()?;
        let query = async {
            let _slot = self.slots.acquire().await.ok()?;
            let mut name = Name::from(ip);
            name.set_fqdn(true);
            let answer = resolver.lookup(name, RecordType::PTR).await.ok()?;
            answer
                .answers()
                .iter()
                .find_map(|record| match &record.data {
                    RData::PTR(ptr) => printable(&ptr.0),
                    _ => None,
                })
        };
        tokio::time::timeout(self.timeout, query)
            .await
            .ok()
            .flatten()
    }
}

/// Looks up `host.addr` and adds its PTR name (see [`add_ptr_name`]).
pub async fn resolve_names(rdns: &ReverseDns, host: &mut HostResult) {
    if let Some(name) = rdns.lookup(host.addr).await {
        add_ptr_name(host, name);
    }
}

/// Adds `name` as a `PTR` host name after the names the user gave, unless `host` already has
/// that PTR name (compared without regard to case). A user name equal to it stays next to it,
/// as in nmap's XML (`<hostname name="scanme.nmap.org" type="user"/>` then the same name with
/// `type="PTR"`).
pub fn add_ptr_name(host: &mut HostResult, name: String) {
    let present = host
        .hostnames
        .iter()
        .any(|h| h.kind == HostnameKind::Ptr && h.name.eq_ignore_ascii_case(&name));
    if present || name.is_empty() {
        return;
    }
    let at = host
        .hostnames
        .iter()
        .rposition(|h| h.kind == HostnameKind::User)
        .map_or(0, |i| i + 1);
    host.hostnames.insert(
        at,
        Hostname {
            name,
            kind: HostnameKind::Ptr,
        },
    );
}

/// A DNS name as nmap prints it: ASCII (IDNA stays `xn--`), no trailing dot; the root is no name.
fn printable(name: &Name) -> Option<String> {
    let text = name.to_ascii();
    let text = text.strip_suffix('.').unwrap_or(&text);
    (!text.is_empty()).then(|| text.to_string())
}

/// `/etc/hosts` as nmap reads it: `address name [aliases]`, `#` comments; each address keeps the
/// first name of its first line.
fn parse_hosts(text: &str) -> HashMap<IpAddr, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let (Some(addr), Some(name)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(ip) = addr.parse::<IpAddr>() else {
            continue;
        };
        if map.len() >= MAX_HOSTS_ENTRIES && !map.contains_key(&ip) {
            break;
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        if !name.is_empty() {
            map.entry(ip).or_insert_with(|| name.to_string());
        }
    }
    map
}

/// `--dns-servers` as a resolver configuration: UDP with TCP for truncated answers, in the
/// given order, each with its own port.
fn user_config(servers: &[SocketAddr]) -> ResolverConfig {
    let name_servers = servers
        .iter()
        .map(|server| {
            let connection = |mut c: ConnectionConfig| {
                c.port = server.port();
                c
            };
            NameServerConfig::new(
                server.ip(),
                true,
                vec![
                    connection(ConnectionConfig::udp()),
                    connection(ConnectionConfig::tcp()),
                ],
            )
        })
        .collect();
    ResolverConfig::from_parts(None, Vec::new(), name_servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use simple_dns::rdata::{RData as SRData, PTR};
    use simple_dns::{Packet, PacketFlag, ResourceRecord, CLASS, QTYPE, RCODE, TYPE};
    use std::net::{Ipv4Addr, Ipv6Addr, UdpSocket};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Instant;

    const TIMEOUT: Duration = Duration::from_millis(400);

    /// The lab's names: 192.0.2.N is `hostN.lab.test`, 2001:db8::1 is `six.lab.test`,
    /// everything else NXDOMAIN.
    fn zone(ip: IpAddr) -> Option<String> {
        match ip {
            IpAddr::V4(v4) if v4.octets()[..3] == [192, 0, 2] => {
                Some(format!("host{}.lab.test", v4.octets()[3]))
            }
            IpAddr::V6(v6) if v6 == "2001:db8::1".parse::<Ipv6Addr>().ok()? => {
                Some("six.lab.test".into())
            }
            _ => None,
        }
    }

    /// The address an `in-addr.arpa` / `ip6.arpa` name stands for.
    fn arpa_to_ip(name: &str) -> Option<IpAddr> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
            let mut o: Vec<u8> = rest
                .split('.')
                .map(|l| l.parse().ok())
                .collect::<Option<_>>()?;
            o.reverse();
            let o: [u8; 4] = o.try_into().ok()?;
            return Some(IpAddr::V4(Ipv4Addr::from(o)));
        }
        let rest = name.strip_suffix(".ip6.arpa")?;
        let hex: String = rest.split('.').rev().collect();
        (hex.len() == 32)
            .then(|| u128::from_str_radix(&hex, 16).ok())
            .flatten()
            .map(|v| IpAddr::V6(Ipv6Addr::from(v)))
    }

    /// A tiny authoritative server on 127.0.0.1 answering PTR queries from [`zone`].
    struct LabDns {
        addr: SocketAddr,
        queries: Arc<AtomicUsize>,
        stop: Arc<AtomicBool>,
    }

    impl LabDns {
        fn start() -> LabDns {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("bind lab DNS");
            socket
                .set_read_timeout(Some(Duration::from_millis(50)))
                .expect("read timeout");
            let addr = socket.local_addr().expect("local addr");
            let (queries, stop) = (
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicBool::new(false)),
            );
            let (q, s) = (queries.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while !s.load(Ordering::Relaxed) {
                    let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    q.fetch_add(1, Ordering::Relaxed);
                    if let Some(reply) = answer(&buf[..n]) {
                        let _ = socket.send_to(&reply, peer);
                    }
                }
            });
            LabDns {
                addr,
                queries,
                stop,
            }
        }
    }

    impl Drop for LabDns {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn answer(query: &[u8]) -> Option<Vec<u8>> {
        let query = Packet::parse(query).ok()?;
        let question = query.questions.first()?.clone();
        let mut reply = Packet::new_reply(query.id());
        reply.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
        let qname = question.qname.to_string();
        let target = arpa_to_ip(&qname).and_then(zone);
        let ptr = target.filter(|_| question.qtype == QTYPE::TYPE(TYPE::PTR));
        match &ptr {
            Some(name) => reply.answers.push(ResourceRecord::new(
                question.qname.clone(),
                CLASS::IN,
                300,
                SRData::PTR(PTR(simple_dns::Name::new_unchecked(name))),
            )),
            None => *reply.rcode_mut() = RCODE::NameError,
        }
        reply.questions.push(question);
        reply.build_bytes_vec().ok()
    }

    fn rdns(servers: &[SocketAddr]) -> ReverseDns {
        ReverseDns::build(servers, None, HashMap::new(), TIMEOUT).expect("resolver")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn ptr_names_come_back_and_unknown_addresses_give_none() {
        let lab = LabDns::start();
        // The public constructor (it reads /etc/hosts, which names no lab address).
        let r = ReverseDns::new(&[lab.addr], TIMEOUT).expect("resolver");
        assert!(r.has_nameservers());
        assert_eq!(
            r.lookup(ip("192.0.2.7")).await.as_deref(),
            Some("host7.lab.test")
        );
        assert_eq!(
            r.lookup(ip("2001:db8::1")).await.as_deref(),
            Some("six.lab.test")
        );
        // NXDOMAIN is an answer, not a timeout.
        let started = Instant::now();
        assert_eq!(r.lookup(ip("198.51.100.1")).await, None);
        assert_eq!(r.lookup(ip("2001:db8::2")).await, None);
        assert!(started.elapsed() < TIMEOUT / 2, "{:?}", started.elapsed());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn answers_are_cached() {
        let lab = LabDns::start();
        let r = rdns(&[lab.addr]);
        assert_eq!(
            r.lookup(ip("192.0.2.9")).await.as_deref(),
            Some("host9.lab.test")
        );
        let after_first = lab.queries.load(Ordering::Relaxed);
        assert!(after_first >= 1);
        assert_eq!(
            r.lookup(ip("192.0.2.9")).await.as_deref(),
            Some("host9.lab.test")
        );
        assert_eq!(lab.queries.load(Ordering::Relaxed), after_first);
        // NXDOMAIN too (no SOA in the answer: kept for the minimum time).
        assert_eq!(r.lookup(ip("198.51.100.9")).await, None);
        let after_nx = lab.queries.load(Ordering::Relaxed);
        assert!(after_nx > after_first);
        assert_eq!(r.lookup(ip("198.51.100.9")).await, None);
        assert_eq!(lab.queries.load(Ordering::Relaxed), after_nx);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_silent_server_costs_at_most_the_timeout() {
        // Bound and never read: queries vanish as into a black hole.
        let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let r = rdns(&[silent.local_addr().expect("addr")]);
        let started = Instant::now();
        assert_eq!(r.lookup(ip("192.0.2.1")).await, None);
        let took = started.elapsed();
        eprintln!("silent server: no name after {took:?} (timeout {TIMEOUT:?})");
        assert!(took < TIMEOUT * 3, "lookup took {took:?}");
        assert!(took >= TIMEOUT / 2, "gave up after only {took:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_silent_first_server_does_not_hide_the_second() {
        let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let lab = LabDns::start();
        let r = rdns(&[silent.local_addr().expect("addr"), lab.addr]);
        let started = Instant::now();
        assert_eq!(
            r.lookup(ip("192.0.2.3")).await.as_deref(),
            Some("host3.lab.test")
        );
        assert!(started.elapsed() < TIMEOUT * 3);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn two_hundred_concurrent_lookups_complete() {
        let lab = LabDns::start();
        let r = Arc::new(rdns(&[lab.addr]));
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for n in 0..200u8 {
            let r = r.clone();
            set.spawn(async move { (n, r.lookup(IpAddr::from([192, 0, 2, n])).await) });
        }
        let mut done = 0;
        while let Some(joined) = set.join_next().await {
            let (n, name) = joined.expect("lookup task");
            assert_eq!(name, Some(format!("host{n}.lab.test")));
            done += 1;
        }
        assert_eq!(done, 200);
        eprintln!("200 concurrent lookups in {:?}", started.elapsed());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn resolve_names_puts_ptr_after_user_names_once() {
        let lab = LabDns::start();
        let r = rdns(&[lab.addr]);
        let user = |name: &str| Hostname {
            name: name.into(),
            kind: HostnameKind::User,
        };
        let mut host = HostResult {
            addr: ip("192.0.2.5"),
            hostnames: vec![user("web")],
            status: scanfw_core::HostStatus {
                up: true,
                reason: scanfw_core::Reason::UserSet,
                reason_ttl: 0,
            },
            ports: Vec::new(),
            start: std::time::SystemTime::UNIX_EPOCH,
            end: std::time::SystemTime::UNIX_EPOCH,
            timed_out: false,
            partial: false,
            times: None,
            mac: None,
        };
        resolve_names(&r, &mut host).await;
        resolve_names(&r, &mut host).await;
        let ptr = Hostname {
            name: "host5.lab.test".into(),
            kind: HostnameKind::Ptr,
        };
        assert_eq!(host.hostnames, vec![user("web"), ptr.clone()]);
        // A user name equal to the PTR name is kept beside it, as nmap does.
        host.hostnames = vec![user("host5.lab.test")];
        resolve_names(&r, &mut host).await;
        assert_eq!(host.hostnames, vec![user("host5.lab.test"), ptr.clone()]);
        // No answer, no name.
        host.addr = ip("198.51.100.5");
        host.hostnames.clear();
        resolve_names(&r, &mut host).await;
        assert!(host.hostnames.is_empty());
    }

    #[test]
    fn system_configuration_without_nameservers_disables_reverse_dns() {
        let build = |conf: std::io::Result<Vec<u8>>| {
            ReverseDns::build(&[], Some(conf), HashMap::new(), TIMEOUT).expect("never an error")
        };
        assert!(!build(Ok(b"search lab.test\noptions ndots:1\n".to_vec())).has_nameservers());
        assert!(!build(Err(std::io::ErrorKind::NotFound.into())).has_nameservers());
        assert!(build(Ok(b"nameserver 127.0.0.1\n".to_vec())).has_nameservers());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn etc_hosts_answers_first_even_without_nameservers() {
        let hosts = parse_hosts(
            "# comment\n127.0.0.1 localhost runsc\n127.0.0.1 vm\n::1 ip6-localhost ip6-loopback\n\
             fe80::1%lo bad\n192.0.2.8\n192.0.2.9 nine.lab. # trailing\n",
        );
        assert_eq!(
            hosts.get(&ip("127.0.0.1")).map(String::as_str),
            Some("localhost")
        );
        assert_eq!(
            hosts.get(&ip("::1")).map(String::as_str),
            Some("ip6-localhost")
        );
        assert_eq!(
            hosts.get(&ip("192.0.2.9")).map(String::as_str),
            Some("nine.lab")
        );
        assert_eq!(hosts.len(), 3);
        let r = ReverseDns::build(&[], Some(Ok(Vec::new())), hosts, TIMEOUT).expect("resolver");
        assert!(!r.has_nameservers());
        assert_eq!(
            r.lookup(ip("127.0.0.1")).await.as_deref(),
            Some("localhost")
        );
        assert_eq!(r.lookup(ip("192.0.2.7")).await, None);
    }

    #[test]
    fn zero_timeout_is_refused() {
        assert!(matches!(
            ReverseDns::build(&[], None, HashMap::new(), Duration::ZERO),
            Err(RdnsError::ZeroTimeout)
        ));
    }

    #[test]
    fn dns_servers_parse_like_nmap() {
        let sa = |s: &str| s.parse::<SocketAddr>().expect("socket address");
        let ok = |spec: &str| parse_dns_servers(spec).expect(spec);
        assert_eq!(ok("198.18.0.2"), vec![sa("198.18.0.2:53")]);
        assert_eq!(ok("198.18.0.2:5353"), vec![sa("198.18.0.2:5353")]);
        assert_eq!(ok("fd00::1"), vec![sa("[fd00::1]:53")]);
        assert_eq!(ok("[fd00::1]"), vec![sa("[fd00::1]:53")]);
        assert_eq!(ok("[fd00::1]:5353"), vec![sa("[fd00::1]:5353")]);
        assert_eq!(
            ok("198.18.0.2, [fd00::1]:5353,10.0.0.1"),
            vec![sa("198.18.0.2:53"), sa("[fd00::1]:5353"), sa("10.0.0.1:53")]
        );
        let err = |spec: &str| parse_dns_servers(spec).expect_err(spec).to_string();
        assert_eq!(err("x"), "--dns-servers: `x` is not an IP address");
        assert_eq!(
            err("ns1.example.com"),
            "--dns-servers: `ns1.example.com` is not an IP address"
        );
        assert_eq!(err("1.2.3"), "--dns-servers: `1.2.3` is not an IP address");
        assert_eq!(
            err("fd00::1]:53"),
            "--dns-servers: `fd00::1]:53` is not an IP address"
        );
        assert_eq!(
            err("[1.2.3.4]:53"),
            "--dns-servers: `[1.2.3.4]:53` is not an IP address"
        );
        assert_eq!(
            err("1.2.3.4:0"),
            "--dns-servers: `1.2.3.4:0` has an invalid port (1-65535)"
        );
        assert_eq!(
            err("1.2.3.4:65536"),
            "--dns-servers: `1.2.3.4:65536` has an invalid port (1-65535)"
        );
        assert_eq!(
            err("1.2.3.4:"),
            "--dns-servers: `1.2.3.4:` has an invalid port (1-65535)"
        );
        assert_eq!(
            err("1.2.3.4,,5.6.7.8"),
            "--dns-servers: empty entry in `1.2.3.4,,5.6.7.8`"
        );
        assert_eq!(err("1.2.3.4,"), "--dns-servers: empty entry in `1.2.3.4,`");
        assert_eq!(err(","), "--dns-servers: empty entry in `,`");
        assert_eq!(err(""), "--dns-servers: no server given");
        assert_eq!(err("  "), "--dns-servers: no server given");
    }
}
