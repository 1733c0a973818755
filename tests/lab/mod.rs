//! Network-namespace lab for integration tests (see docs/lab.md).
//!
//! A [`Lab`] is two fresh network namespaces, `scanner` and `target`, joined by a veth
//! pair, with RFC 2544 benchmark IPv4 addresses (198.18.X.1/24 and .2/24) and ULA IPv6
//! addresses (fd00:5ca0:X::1/64 and ::2/64). Neither namespace has a default route, so
//! packets from the scanner namespace can only reach the target. The target runs TCP
//! listeners, UDP services (DNS, echo, silent listeners) and an nftables ruleset according
//! to a [`Layout`] (which may also add random loss, extra target and scanner addresses,
//! keep ICMP rate limiting on, make the target own a whole sparse network, a [`Block`],
//! and run a DNS server, `Layout::with_dns`). Dropping the lab (also while unwinding from
//! a panic) stops the listeners and the DNS server, removes the scanner's
//! `/etc/netns/<scanner>/resolv.conf` and deletes both namespaces.
//!
//! Needs root, iproute2 (`ip`), nftables (`nft`) and `sysctl` (and `dnsmasq` for
//! `Layout::with_dns`). Use [`require`] to get the
//! project's skip policy: panic under `CI=true`, otherwise print
//! `SKIP (lab unavailable): ...` and let the test return early.
#![allow(dead_code)]

pub mod block;
pub mod check;
pub mod dns;
pub mod firewall;
pub mod inject;
pub mod layout;
pub mod report;
pub mod services;
pub mod udp_services;

use std::ffi::OsStr;
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use block::{Block, BlockHost};
#[allow(unused_imports)]
pub use layout::{Family, Layout, PortKind, UdpKind};

/// Prefix of every namespace name the lab creates: `sfwlab-<pid>-<n>-{s,t}`.
pub const NS_PREFIX: &str = "sfwlab-";
/// Interface name of the veth end inside each namespace (same name on both sides; the
/// ends live in different namespaces).
pub const IFACE: &str = "veth0";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Output of a command run inside a namespace.
#[derive(Debug)]
pub struct RunOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The command line, for messages.
    pub cmdline: String,
}

impl RunOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panic with the full output unless the command exited 0.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "command failed ({}): {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.cmdline,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Run a command on the host (only used for `ip`/`nft`/`sysctl` set-up commands).
fn sh(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let cmdline = format!("{program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{cmdline}`: {e}"))?;
    if let Some(input) = stdin {
        use std::io::Write;
        let mut si = child.stdin.take().ok_or("no stdin pipe")?;
        si.write_all(input.as_bytes())
            .map_err(|e| format!("`{cmdline}`: writing stdin: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("`{cmdline}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{cmdline}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ip(args: &[&str]) -> Result<String, String> {
    sh("ip", args, None)
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Delete namespaces left behind by lab processes that no longer exist (e.g. after a
/// SIGKILL). Only touches names with our prefix whose owning pid is dead.
fn remove_stale_namespaces() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(NS_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !pid_alive(pid) {
            // Processes our dead predecessor started inside its namespaces (the lab's
            // dnsmasq) would keep them alive: end them, by pid.
            if let Ok(pids) = ip(&["netns", "pids", &name]) {
                for p in pids
                    .split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok())
                {
                    // SAFETY: kill(2) on a pid that lives in our own stale namespace.
                    unsafe { libc::kill(p, libc::SIGKILL) };
                }
            }
            let _ = ip(&["netns", "del", &name]);
        }
    }
    dns::remove_stale_resolv_confs(NS_PREFIX, &pid_alive);
}

/// Deletes the namespaces it holds when dropped.
#[derive(Debug, Default)]
struct NsGuard {
    names: Vec<String>,
}

impl NsGuard {
    fn add(&mut self, name: &str) -> Result<(), String> {
        ip(&["netns", "add", name])?;
        self.names.push(name.to_string());
        Ok(())
    }
}

impl Drop for NsGuard {
    fn drop(&mut self) {
        for name in self.names.iter().rev() {
            if let Err(e) = ip(&["netns", "del", name]) {
                eprintln!("lab: could not delete namespace {name}: {e}");
            }
        }
    }
}

/// A running lab. See the module documentation.
#[derive(Debug)]
pub struct Lab {
    pub layout: Layout,
    /// Name of the scanner namespace (`ip netns exec <scanner_ns> ...`).
    pub scanner_ns: String,
    /// Name of the target namespace.
    pub target_ns: String,
    /// The X in 198.18.X.0/24 and fd00:5ca0:X::/64.
    pub subnet: u8,
    /// How long `Lab::new` took.
    pub setup_time: Duration,
    /// CPU split: `Some((net_cpu, scanner_cpus))` when packet processing of both veth ends
    /// is steered (RPS) to `net_cpu` and commands run in the scanner namespace are pinned
    /// to the other CPUs, so replies arrive asynchronously as on a real network. `None`
    /// with a single usable CPU (see docs/lab.md, "the ICMP race").
    pub cpu_split: Option<(usize, Vec<usize>)>,
    // Field order matters: services must stop before the namespaces are deleted.
    services: services::Services,
    udp_services: udp_services::UdpServices,
    dns: Option<dns::DnsServer>,
    resolv: Option<dns::NetnsResolvConf>,
    guard: NsGuard,
}

impl Lab {
    /// Build the lab. Fails (with a reason) if not root or a tool is missing.
    pub fn new(layout: Layout) -> Result<Lab, String> {
        let t0 = Instant::now();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not running as root (network namespaces need CAP_SYS_ADMIN)".into());
        }
        for tool in ["ip", "nft", "sysctl"] {
            if which(tool).is_none() {
                return Err(format!("`{tool}` not found in PATH"));
            }
        }
        if layout.dns
            && which("dnsmasq").is_none()
            && !std::path::Path::new("/usr/sbin/dnsmasq").is_file()
        {
            return Err("`dnsmasq` not found (Debian package dnsmasq-base)".into());
        }
        // The DNS server's address .53 must not also be an extra target (.3..) or scanner
        // (.11..) address.
        assert!(
            !layout.dns || (layout.extra_target_hosts < 51 && layout.extra_scanner_addrs < 43),
            "Layout::with_dns uses 198.18.X.53: at most 50 extra target hosts and 42 extra scanner addresses"
        );
        remove_stale_namespaces();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let base = format!("{NS_PREFIX}{pid}-{n}");
        let (s, t) = (format!("{base}-s"), format!("{base}-t"));
        // Same addresses in different labs are fine (each lab has its own namespaces);
        // X still varies so that logs of parallel labs are distinguishable.
        let subnet = (n % 256) as u8;
        let mut guard = NsGuard::default();
        guard.add(&s)?;
        guard.add(&t)?;

        let (s4, t4) = (
            format!("198.18.{subnet}.1/24"),
            format!("198.18.{subnet}.2/24"),
        );
        let (s6, t6) = (
            format!("fd00:5ca0:{subnet:x}::1/64"),
            format!("fd00:5ca0:{subnet:x}::2/64"),
        );
        for ns in [&s, &t] {
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        // Created directly inside the namespaces: no interface ever exists on the host.
        ip(&[
            "-n", &s, "link", "add", IFACE, "type", "veth", "peer", "name", IFACE, "netns", &t,
        ])?;
        // No router advertisements will be accepted: there must never be a default route.
        sysctl(
            &s,
            &[
                "net.ipv6.conf.all.accept_ra=0",
                "net.ipv6.conf.default.accept_ra=0",
            ],
        )?;
        sysctl(
            &t,
            &[
                "net.ipv6.conf.all.accept_ra=0",
                "net.ipv6.conf.default.accept_ra=0",
            ],
        )?;
        // Per-namespace ICMP rate limits off in the target, so every REJECT answers (the
        // defaults let only a burst of ~6 ICMP errors per peer through). With
        // `icmp_ratelimit_ms`, the per-peer limit is kept at that interval (default rate
        // masks: destination unreachable among others) and only the global limit is
        // lifted, so the per-peer token bucket alone decides.
        match layout.icmp_ratelimit_ms {
            None => sysctl(
                &t,
                &[
                    "net.ipv4.icmp_ratelimit=0",
                    "net.ipv4.icmp_ratemask=0",
                    "net.ipv4.icmp_msgs_per_sec=1000000",
                    "net.ipv4.icmp_msgs_burst=1000000",
                    "net.ipv6.icmp.ratelimit=0",
                    "net.ipv6.icmp.ratemask=0",
                ],
            )?,
            Some(ms) => {
                let v4 = format!("net.ipv4.icmp_ratelimit={ms}");
                let v6 = format!("net.ipv6.icmp.ratelimit={ms}");
                sysctl(
                    &t,
                    &[
                        &v4,
                        // Linux's default: dest-unreachable, source-quench, time-exceeded,
                        // parameter-problem.
                        "net.ipv4.icmp_ratemask=6168",
                        "net.ipv4.icmp_msgs_per_sec=1000000",
                        "net.ipv4.icmp_msgs_burst=1000000",
                        &v6,
                        // Linux's default: every error type except packet-too-big.
                        "net.ipv6.icmp.ratemask=0-1,3-127",
                    ],
                )?
            }
        }
        ip(&["-n", &s, "addr", "add", &s4, "dev", IFACE])?;
        ip(&["-n", &t, "addr", "add", &t4, "dev", IFACE])?;
        ip(&["-n", &s, "addr", "add", &s6, "dev", IFACE, "nodad"])?;
        ip(&["-n", &t, "addr", "add", &t6, "dev", IFACE, "nodad"])?;
        for i in 0..layout.extra_target_hosts {
            let h = 3 + i;
            let a4 = format!("198.18.{subnet}.{h}/24");
            let a6 = format!("fd00:5ca0:{subnet:x}::{h:x}/64");
            ip(&["-n", &t, "addr", "add", &a4, "dev", IFACE])?;
            ip(&["-n", &t, "addr", "add", &a6, "dev", IFACE, "nodad"])?;
        }
        for i in 0..layout.extra_scanner_addrs {
            let h = 11 + u16::from(i);
            let a4 = format!("198.18.{subnet}.{h}/24");
            let a6 = format!("fd00:5ca0:{subnet:x}::{h}/64");
            ip(&["-n", &s, "addr", "add", &a4, "dev", IFACE])?;
            ip(&["-n", &s, "addr", "add", &a6, "dev", IFACE, "nodad"])?;
        }
        if layout.dns {
            let h = dns::DNS_HOST;
            let a4 = format!("198.18.{subnet}.{h}/24");
            let a6 = format!("fd00:5ca0:{subnet:x}::{:x}/64", dns::DNS_HOST6);
            ip(&["-n", &t, "addr", "add", &a4, "dev", IFACE])?;
            ip(&["-n", &t, "addr", "add", &a6, "dev", IFACE, "nodad"])?;
        }
        ip(&["-n", &s, "link", "set", IFACE, "up"])?;
        ip(&["-n", &t, "link", "set", IFACE, "up"])?;

        sh(
            "ip",
            &["netns", "exec", &t, "nft", "-f", "-"],
            Some(&firewall::ruleset(&layout)),
        )
        .map_err(|e| format!("installing nftables ruleset: {e}"))?;

        wait_link_up(&s)?;
        wait_link_up(&t)?;
        if let Some(b) = &layout.block {
            // The target owns the whole block (AnyIP: a local route on lo); the scanner
            // reaches it through the target's veth address. Never a default route.
            let (n4, n6) = (b.cidr(Family::V4), b.cidr(Family::V6));
            ip(&["-n", &t, "route", "add", "local", &n4, "dev", "lo"])?;
            let gw4 = format!("198.18.{subnet}.2");
            ip(&["-n", &s, "route", "add", &n4, "via", &gw4, "dev", IFACE])?;
            if b.v6 {
                ip(&["-n", &t, "-6", "route", "add", "local", &n6, "dev", "lo"])?;
                let gw6 = format!("fd00:5ca0:{subnet:x}::2");
                ip(&[
                    "-n", &s, "-6", "route", "add", &n6, "via", &gw6, "dev", IFACE,
                ])?;
            }
        }
        for ns in [&s, &t] {
            for fam in ["-4", "-6"] {
                let r = ip(&["-n", ns, fam, "route", "show", "default"])?;
                if !r.trim().is_empty() {
                    return Err(format!("namespace {ns} has a default route ({fam}): {r}"));
                }
            }
        }

        let cpu_split = split_cpus();
        if let Some((net_cpu, _)) = &cpu_split {
            let mask = rps_mask(*net_cpu);
            for ns in [&s, &t] {
                let cmd = format!("echo {mask} > /sys/class/net/{IFACE}/queues/rx-0/rps_cpus");
                ip(&["netns", "exec", ns, "sh", "-c", &cmd])
                    .map_err(|e| format!("setting RPS: {e}"))?;
            }
        } else {
            eprintln!("lab: WARNING: only one usable CPU; no RPS/affinity split (IPv6 ICMP errors may race, docs/lab.md)");
        }

        let services = services::Services::start(&t, layout.listener_ports())?;
        let target_addrs: Vec<std::net::IpAddr> = (0..=u16::from(layout.extra_target_hosts))
            .flat_map(|i| {
                let h = 2 + i;
                [
                    std::net::IpAddr::V4(Ipv4Addr::new(198, 18, subnet, h as u8)),
                    std::net::IpAddr::V6(Ipv6Addr::new(
                        0xfd00,
                        0x5ca0,
                        u16::from(subnet),
                        0,
                        0,
                        0,
                        0,
                        h,
                    )),
                ]
            })
            .collect();
        let udp_services =
            udp_services::UdpServices::start(&t, layout.udp_ports.clone(), target_addrs)?;
        let (dns, resolv) = if layout.dns {
            let listen = [
                std::net::IpAddr::V4(Ipv4Addr::new(198, 18, subnet, dns::DNS_HOST)),
                std::net::IpAddr::V6(Ipv6Addr::new(
                    0xfd00,
                    0x5ca0,
                    u16::from(subnet),
                    0,
                    0,
                    0,
                    0,
                    dns::DNS_HOST6,
                )),
            ];
            let server = dns::DnsServer::start(&t, &listen, dns_records(&layout, subnet))
                .map_err(|e| format!("lab DNS server: {e}"))?;
            let resolv = dns::NetnsResolvConf::write(&s, &listen)?;
            (Some(server), Some(resolv))
        } else {
            (None, None)
        };
        Ok(Lab {
            layout,
            scanner_ns: s,
            target_ns: t,
            subnet,
            setup_time: t0.elapsed(),
            cpu_split,
            services,
            udp_services,
            dns,
            resolv,
            guard,
        })
    }

    pub fn scanner_v4(&self) -> Ipv4Addr {
        Ipv4Addr::new(198, 18, self.subnet, 1)
    }
    pub fn target_v4(&self) -> Ipv4Addr {
        Ipv4Addr::new(198, 18, self.subnet, 2)
    }
    pub fn scanner_v6(&self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, 0x5ca0, self.subnet as u16, 0, 0, 0, 0, 1)
    }
    pub fn target_v6(&self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, 0x5ca0, self.subnet as u16, 0, 0, 0, 0, 2)
    }
    /// Every scanner address of `family`: .1 / ::1 first, then the
    /// [`Layout::extra_scanner_addrs`] extra ones, 198.18.X.11.. / fd00:5ca0:X::11..
    /// (the IPv6 ones written with the same digits as the IPv4 ones, so ::11 is 0x11).
    pub fn scanner_addrs(&self, family: Family) -> Vec<String> {
        let mut v = vec![match family {
            Family::V4 => self.scanner_v4().to_string(),
            Family::V6 => self.scanner_v6().to_string(),
        }];
        for i in 0..self.layout.extra_scanner_addrs {
            let h = 11 + u16::from(i);
            v.push(match family {
                Family::V4 => format!("198.18.{}.{h}", self.subnet),
                Family::V6 => format!("fd00:5ca0:{:x}::{h}", self.subnet),
            });
        }
        v
    }

    /// Every target address of `family`: .2 / ::2 first, then the
    /// [`Layout::extra_target_hosts`] extra ones (.3.. / ::3..), ascending.
    pub fn target_hosts(&self, family: Family) -> Vec<String> {
        (0..=self.layout.extra_target_hosts as u16)
            .map(|i| {
                let h = 2 + i;
                match family {
                    Family::V4 => Ipv4Addr::new(198, 18, self.subnet, h as u8).to_string(),
                    Family::V6 => {
                        Ipv6Addr::new(0xfd00, 0x5ca0, self.subnet as u16, 0, 0, 0, 0, h).to_string()
                    }
                }
            })
            .collect()
    }

    /// The block of the layout ([`Layout::with_block`]); panics without one.
    pub fn block(&self) -> &Block {
        self.layout
            .block
            .as_ref()
            .expect("the lab's layout has no block (Layout::with_block)")
    }

    /// The block as a scan target: `198.19.0.0/P` or `fd00:5ca1::/(96+P)`.
    pub fn block_target(&self, family: Family) -> String {
        self.block().cidr(family)
    }

    /// Address of the lab's DNS server (198.18.X.53 / fd00:5ca0:X::53), `None` without
    /// [`Layout::with_dns`].
    pub fn dns_server(&self, family: Family) -> Option<String> {
        self.dns.as_ref()?;
        Some(match family {
            Family::V4 => format!("198.18.{}.{}", self.subnet, dns::DNS_HOST),
            Family::V6 => format!("fd00:5ca0:{:x}::{:x}", self.subnet, dns::DNS_HOST6),
        })
    }

    /// The `(name, address)` records the lab's DNS server serves (A/AAAA and PTR each);
    /// empty without [`Layout::with_dns`].
    pub fn dns_records(&self) -> &[(String, std::net::IpAddr)] {
        self.dns
            .as_ref()
            .map(|d| d.records.as_slice())
            .unwrap_or(&[])
    }

    /// The name the lab's DNS server gives `addr` (its PTR record), `None` if it has none
    /// or the lab has no DNS server. See docs/lab.md, "The lab's DNS server".
    pub fn name_of(&self, addr: &str) -> Option<String> {
        let a: std::net::IpAddr = addr.parse().ok()?;
        self.dns_records()
            .iter()
            .find(|(_, r)| *r == a)
            .map(|(n, _)| n.clone())
    }

    /// Target address as a string for `family`.
    pub fn target(&self, family: Family) -> String {
        match family {
            Family::V4 => self.target_v4().to_string(),
            Family::V6 => self.target_v6().to_string(),
        }
    }

    /// Stop serving `port` (close its IPv4 and IPv6 listeners). The port becomes closed;
    /// the layout is updated accordingly.
    pub fn close_listener(&mut self, port: u16) -> Result<(), String> {
        self.services.close(port)?;
        self.layout.ports.remove(&port);
        Ok(())
    }

    /// Packets dropped so far by the random-loss rule ([`Layout::loss_percent`]), read
    /// from its nftables counter; `Ok(0)` when the layout has no loss.
    pub fn loss_dropped(&self) -> Result<u64, String> {
        if self.layout.loss_percent.unwrap_or(0) == 0 {
            return Ok(0);
        }
        let out = ip(&[
            "netns",
            "exec",
            &self.target_ns,
            "nft",
            "list",
            "chain",
            "inet",
            firewall::TABLE,
            "input",
        ])?;
        let line = out
            .lines()
            .find(|l| l.contains("numgen random"))
            .ok_or_else(|| format!("loss rule not found in:\n{out}"))?;
        let n = line
            .split_whitespace()
            .skip_while(|w| *w != "packets")
            .nth(1)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("no packet counter in loss rule: {line}"))?;
        Ok(n)
    }

    /// Run `program args...` inside the scanner namespace (`ip netns exec`), with a
    /// 300 s timeout.
    pub fn run_in_scanner<I, A>(
        &self,
        program: impl AsRef<OsStr>,
        args: I,
    ) -> Result<RunOutput, String>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        self.run_in_scanner_timeout(program, args, Duration::from_secs(300))
    }

    pub fn run_in_scanner_timeout<I, A>(
        &self,
        program: impl AsRef<OsStr>,
        args: I,
        timeout: Duration,
    ) -> Result<RunOutput, String>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        let pin = self.cpu_split.as_ref().map(|(_, cpus)| cpus.clone());
        run_in_ns(&self.scanner_ns, program.as_ref(), args, timeout, pin)
    }

    /// Run a command inside the target namespace (for diagnostics, e.g. `ss -ltn`).
    pub fn run_in_target<I, A>(
        &self,
        program: impl AsRef<OsStr>,
        args: I,
    ) -> Result<RunOutput, String>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        run_in_ns(
            &self.target_ns,
            program.as_ref(),
            args,
            Duration::from_secs(60),
            None,
        )
    }
}

/// The names of the lab's DNS server: `scanner.sfwlab.test` (.1 / ::1),
/// `target.sfwlab.test` (.2 / ::2), `host<h>.sfwlab.test` for the extra target hosts
/// (198.18.X.h), `dns.sfwlab.test` (.53) and, with a block, `b<index>.block.sfwlab.test`
/// for the named live hosts ([`Block::name`]), each for both families.
fn dns_records(layout: &Layout, subnet: u8) -> Vec<(String, std::net::IpAddr)> {
    use std::net::IpAddr;
    let d = block::DOMAIN;
    let pair = |h4: u8, h6: u16| {
        [
            IpAddr::V4(Ipv4Addr::new(198, 18, subnet, h4)),
            IpAddr::V6(Ipv6Addr::new(
                0xfd00,
                0x5ca0,
                u16::from(subnet),
                0,
                0,
                0,
                0,
                h6,
            )),
        ]
    };
    let mut v = Vec::new();
    let mut add = |name: String, h4: u8, h6: u16| {
        for a in pair(h4, h6) {
            v.push((name.clone(), a));
        }
    };
    add(format!("scanner.{d}"), 1, 1);
    add(format!("target.{d}"), 2, 2);
    for i in 0..layout.extra_target_hosts {
        add(format!("host{}.{d}", 3 + i), 3 + i, u16::from(3 + i));
    }
    add(format!("dns.{d}"), dns::DNS_HOST, dns::DNS_HOST6);
    if let Some(b) = &layout.block {
        for h in b.live_hosts() {
            if let Some(name) = b.name(h.index) {
                v.push((name.clone(), b.addr(h.index, Family::V4)));
                if b.v6 {
                    v.push((name, b.addr(h.index, Family::V6)));
                }
            }
        }
    }
    v
}

fn sysctl(ns: &str, settings: &[&str]) -> Result<(), String> {
    let mut args = vec!["netns", "exec", ns, "sysctl", "-q", "-w"];
    args.extend_from_slice(settings);
    ip(&args).map(|_| ())
}

fn wait_link_up(ns: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = ip(&["-n", ns, "-o", "link", "show", IFACE])?;
        if out.contains("LOWER_UP") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{IFACE} in {ns} did not come up: {out}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// `(net_cpu, scanner_cpus)`: the last usable CPU handles lab packets, the others run
/// the scanner. `None` with fewer than two CPUs.
fn split_cpus() -> Option<(usize, Vec<usize>)> {
    let mut cpus = allowed_cpus();
    let net = cpus.pop()?;
    if cpus.is_empty() {
        return None;
    }
    Some((net, cpus))
}

/// RPS bitmap (`rps_cpus` format: hex, comma-separated 32-bit groups) selecting `cpu`.
fn rps_mask(cpu: usize) -> String {
    let groups = cpu / 32 + 1;
    (0..groups)
        .rev()
        .map(|g| {
            if g == cpu / 32 {
                format!("{:08x}", 1u32 << (cpu % 32))
            } else {
                "00000000".into()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn run_in_ns<I, A>(
    ns: &str,
    program: &OsStr,
    args: I,
    timeout: Duration,
    pin: Option<Vec<usize>>,
) -> Result<RunOutput, String>
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    let mut cmd = Command::new("ip");
    if let Some(cpus) = pin {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure only calls async-signal-safe functions (CPU_* macros are
        // plain bit operations, sched_setaffinity is a syscall) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for &c in &cpus {
                    libc::CPU_SET(c, &mut set);
                }
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.args(["netns", "exec", ns]).arg(program);
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    cmd.args(&args);
    let cmdline = format!(
        "ip netns exec {ns} {} {}",
        program.to_string_lossy(),
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{cmdline}`: {e}"))?;
    let mut so = child.stdout.take().ok_or("no stdout pipe")?;
    let mut se = child.stderr.take().ok_or("no stderr pipe")?;
    let ro = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let re = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let status = loop {
        match child.try_wait().map_err(|e| format!("`{cmdline}`: {e}"))? {
            Some(st) => break st,
            None if t0.elapsed() > timeout => {
                // `ip netns exec` execs the program, so this is the program's own pid.
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{cmdline}` timed out after {timeout:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let elapsed = t0.elapsed();
    let stdout = String::from_utf8_lossy(&ro.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&re.join().unwrap_or_default()).into_owned();
    Ok(RunOutput {
        status,
        stdout,
        stderr,
        elapsed,
        cmdline,
    })
}

/// Full path of `tool` if it is in PATH.
pub fn which(tool: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn under_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// The skip policy: panic under `CI=true`, otherwise print a loud SKIP line.
pub fn skip_or_panic(reason: &str) {
    if under_ci() {
        panic!("lab unavailable under CI=true: {reason}");
    }
    // Written to the stderr handle directly (not `eprintln!`), so libtest's output
    // capture does not hide it for a passing test.
    use std::io::Write;
    let bar = "*".repeat(72);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\nSKIP (lab unavailable): {reason}\n{bar}\n"
    );
}

/// Build a lab, or apply the skip policy and return `None` (the test should return).
pub fn require(layout: Layout) -> Option<Lab> {
    match Lab::new(layout) {
        Ok(lab) => {
            eprintln!(
                "lab: {} / {} (198.18.{}.0/24, fd00:5ca0:{:x}::/64) ready in {:?}; cpu split (net cpu, scanner cpus): {:?}",
                lab.scanner_ns, lab.target_ns, lab.subnet, lab.subnet, lab.setup_time, lab.cpu_split
            );
            if let Some(b) = &lab.layout.block {
                eprintln!(
                    "lab: block {}{}: {} live hosts of {}",
                    b.cidr(Family::V4),
                    if b.v6 {
                        format!(" and {}", b.cidr(Family::V6))
                    } else {
                        String::new()
                    },
                    b.live_indices().len(),
                    b.size()
                );
            }
            if let Some(d) = lab.dns_server(Family::V4) {
                eprintln!("lab: DNS server {d} ({} records)", lab.dns_records().len());
            }
            Some(lab)
        }
        Err(e) => {
            skip_or_panic(&e);
            None
        }
    }
}

/// Path of an external tool (nmap, ndiff, xmllint), or apply the skip policy.
pub fn require_tool(tool: &str) -> Option<std::path::PathBuf> {
    match which(tool) {
        Some(p) => Some(p),
        None => {
            skip_or_panic(&format!("`{tool}` not found in PATH"));
            None
        }
    }
}
