//! The lab's DNS server (docs/lab.md, "The lab's DNS server"): dnsmasq inside the target
//! namespace on extra target addresses (198.18.X.53 and fd00:5ca0:X::53), authoritative
//! for the lab's names only (`sfwlab.test` and the reverse zones of 198.18/16, 198.19/16,
//! fd00:5ca0::/32 and fd00:5ca1::/32; everything else is REFUSED, no forwarding), plus
//! the scanner namespace's `/etc/netns/<scanner>/resolv.conf` pointing at it, so that
//! `ip netns exec <scanner> ...` resolves through it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Host part of the DNS server's IPv4 address, 198.18.X.53.
pub const DNS_HOST: u8 = 53;
/// Host part of its IPv6 address, fd00:5ca0:X::53 (written with the same digits, as the
/// lab's extra scanner addresses are).
pub const DNS_HOST6: u16 = 0x53;

/// A running dnsmasq; killed (by its pid) and reaped when dropped.
#[derive(Debug)]
pub struct DnsServer {
    child: Option<Child>,
    /// The temporary directory with its configuration, pid file and log.
    pub dir: tempfile::TempDir,
    /// The `(name, address)` records it serves (A/AAAA and PTR each).
    pub records: Vec<(String, std::net::IpAddr)>,
}

impl DnsServer {
    /// Start dnsmasq in namespace `netns` listening on `listen` (addresses already
    /// configured there) and serving `records`. Returns once it answers on UDP port 53
    /// (`ss` sees the socket) or with an error.
    pub fn start(
        netns: &str,
        listen: &[std::net::IpAddr],
        records: Vec<(String, std::net::IpAddr)>,
    ) -> Result<DnsServer, String> {
        let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .or_else(|| super::which("dnsmasq"))
            .ok_or("`dnsmasq` not found (Debian package dnsmasq-base)")?;
        let dir = tempfile::Builder::new()
            .prefix("sfwlab-dns-")
            .tempdir()
            .map_err(|e| format!("tempdir: {e}"))?;
        let mut conf = String::from(
            "# scanfw lab DNS server (tests/lab/dns.rs)\n\
             no-resolv\nno-hosts\nno-poll\nbind-interfaces\nport=53\nuser=root\n\
             local=/sfwlab.test/\n\
             local=/18.198.in-addr.arpa/\nlocal=/19.198.in-addr.arpa/\n\
             local=/0.a.c.5.0.0.d.f.ip6.arpa/\nlocal=/1.a.c.5.0.0.d.f.ip6.arpa/\n",
        );
        for a in listen {
            conf += &format!("listen-address={a}\n");
        }
        conf += &format!("pid-file={}\n", dir.path().join("dnsmasq.pid").display());
        conf += &format!(
            "log-facility={}\n",
            dir.path().join("dnsmasq.log").display()
        );
        // One host-record per name: A and/or AAAA plus the PTR records.
        let mut by_name: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for (n, a) in &records {
            by_name.entry(n).or_default().push(a.to_string());
        }
        for (n, addrs) in &by_name {
            conf += &format!("host-record={n},{}\n", addrs.join(","));
        }
        let path = dir.path().join("dnsmasq.conf");
        std::fs::write(&path, conf).map_err(|e| format!("writing {}: {e}", path.display()))?;
        let log = std::fs::File::create(dir.path().join("stderr"))
            .map_err(|e| format!("dnsmasq stderr file: {e}"))?;
        let child = Command::new("ip")
            .args(["netns", "exec", netns])
            .arg(&dnsmasq)
            .arg("--keep-in-foreground")
            .arg(format!("--conf-file={}", path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run dnsmasq: {e}"))?;
        let mut s = DnsServer {
            child: Some(child),
            dir,
            records,
        };
        s.wait_ready(netns, listen)?;
        Ok(s)
    }

    fn wait_ready(&mut self, netns: &str, listen: &[std::net::IpAddr]) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let err =
                    std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default();
                return Err(format!("dnsmasq exited ({st}): {}", err.trim()));
            }
            let out = super::sh("ip", &["netns", "exec", netns, "ss", "-Hlun"], None)?;
            let ready = listen.iter().all(|a| {
                let want = match a {
                    std::net::IpAddr::V4(a) => format!("{a}:53"),
                    std::net::IpAddr::V6(a) => format!("[{a}]:53"),
                };
                out.split_whitespace().any(|w| w == want)
            });
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "dnsmasq did not bind {listen:?} within 10 s: {out}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's pid (`ip netns exec` execs dnsmasq, so it is the child's pid).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `/etc/netns/<ns>/resolv.conf`, which `ip netns exec <ns>` bind-mounts over
/// `/etc/resolv.conf`; removed (with its directory) when dropped.
#[derive(Debug)]
pub struct NetnsResolvConf {
    pub dir: PathBuf,
}

/// Directory that `ip netns exec` takes per-namespace `/etc` files from.
pub const NETNS_ETC: &str = "/etc/netns";

impl NetnsResolvConf {
    pub fn write(ns: &str, nameservers: &[std::net::IpAddr]) -> Result<NetnsResolvConf, String> {
        let dir = PathBuf::from(NETNS_ETC).join(ns);
        // Another lab's drop may remove an empty /etc/netns between our two mkdirs: retry.
        let mut made = std::fs::create_dir_all(&dir);
        for _ in 0..5 {
            if made.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            made = std::fs::create_dir_all(&dir);
        }
        made.map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        let guard = NetnsResolvConf { dir };
        let mut text = String::from("# scanfw lab (tests/lab/dns.rs); removed with the lab\n");
        for a in nameservers {
            text += &format!("nameserver {a}\n");
        }
        text += "options timeout:1 attempts:2\n";
        let path = guard.dir.join("resolv.conf");
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(guard)
    }
}

impl Drop for NetnsResolvConf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("resolv.conf"));
        let _ = std::fs::remove_dir(&self.dir);
        // Only if nothing else uses it.
        let _ = std::fs::remove_dir(NETNS_ETC);
    }
}

/// Remove `/etc/netns/<name>` directories left by dead lab processes (names with the
/// lab's prefix whose pid no longer exists): only our resolv.conf is removed.
pub fn remove_stale_resolv_confs(prefix: &str, alive: &dyn Fn(u32) -> bool) {
    let Ok(dir) = std::fs::read_dir(NETNS_ETC) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !alive(pid) {
            let _ = std::fs::remove_file(entry.path().join("resolv.conf"));
            let _ = std::fs::remove_dir(entry.path());
        }
    }
    let _ = std::fs::remove_dir(NETNS_ETC);
}
