//! Signals at any moment of a loopback scan: SIGINT, SIGTERM and SIGHUP, from the first instant
//! the process can take one (its stop signals blocked or caught, as /proc/PID/status shows) to
//! the end of the scan. Every output file must be a complete document (JSON parsed with
//! serde_json, XML validated against nmap's DTD with xmllint when available, else checked
//! well-formed with quick-xml) and the exit code 130, or 0 when the scan finished first.
//! Output FIFOs whose reader stalls, or never comes, must not keep a SIGTERM from ending the
//! run with 130 in bounded time.
//!
//! Packets go to loopback only.

use scanfw_reporters as _;
use scanfw_techniques as _;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const SIGNALS: [(&str, i32); 3] = [
    ("SIGINT", libc::SIGINT),
    ("SIGTERM", libc::SIGTERM),
    ("SIGHUP", libc::SIGHUP),
];

/// scanfw with the stop signals at their default disposition and unblocked, whatever the
/// test runner inherited (`nohup`, a background job).
fn scanfw(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scanfw"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for (_, s) in SIGNALS {
                libc::signal(s, libc::SIG_DFL);
                libc::sigaddset(&mut set, s);
            }
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    cmd
}

/// A signal mask line of /proc/PID/status.
fn mask(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

/// Waits until `pid` holds `signal` blocked or has a handler for it: from then on scanfw
/// owns the signal. Returns how long that took.
fn wait_until_owned(pid: u32, signal: i32) -> Duration {
    let started = Instant::now();
    let bit = 1u64 << (signal - 1);
    let path = format!("/proc/{pid}/status");
    loop {
        if let Ok(s) = std::fs::read_to_string(&path) {
            if (mask(&s, "SigBlk:") | mask(&s, "SigCgt:")) & bit != 0 {
                return started.elapsed();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "scanfw never took signal {signal}"
        );
        std::hint::spin_loop();
    }
}

fn kill(child: &Child, signal: i32) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: plain kill(2) to our own child.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill");
}

/// Waits for the child, failing the test past `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> (ExitStatus, Duration, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            return (status, started.elapsed(), err);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scanfw did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The JSON file is one complete document; returns its `stats.exit`.
fn check_json(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "{} is not a complete JSON document ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&text[text.len().saturating_sub(300)..])
        )
    });
    doc["stats"]["exit"]
        .as_str()
        .unwrap_or_else(|| panic!("no stats.exit in {}", path.display()))
        .to_string()
}

fn xmllint() -> Option<PathBuf> {
    let dtd = Path::new("/usr/share/nmap/nmap.dtd");
    if !dtd.exists() {
        return None;
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("xmllint"))
        .find(|p| p.exists())
}

/// The XML file is one complete document (valid against nmap's DTD when xmllint and the DTD
/// are here, else well-formed with a closed `<nmaprun>`).
fn check_xml(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Some(lint) = xmllint() {
        let out = Command::new(lint)
            .args(["--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd"])
            .arg(path)
            .output()
            .expect("run xmllint");
        assert!(
            out.status.success(),
            "{} is not valid against nmap.dtd: {}\n…{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr),
            &text[text.len().saturating_sub(300)..]
        );
        return;
    }
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut depth, mut closed_root) = (0usize, false);
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(e)) => {
                depth -= 1;
                if depth == 0 && e.name().into_inner() == "nmaprun" {
                    closed_root = true;
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{} is not well-formed: {e}", path.display()),
        }
    }
    assert!(
        depth == 0 && closed_root,
        "{} is not a complete document",
        path.display()
    );
}

/// A small pseudo-random generator (no dependency); the seed is printed for reruns.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("SIGNALS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        eprintln!("SIGNALS_SEED={seed}");
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn raw_available() -> bool {
    // SAFETY: plain socket(2)/close(2).
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_TCP);
        if fd < 0 {
            return false;
        }
        libc::close(fd);
        true
    }
}

/// One run: a scan with XML and JSON files, `signal` `delay` after scanfw owns it. Returns
/// the exit code (130, or 0 when the scan won).
fn signalled_run(dir: &Path, n: usize, technique: &str, signal: (&str, i32), delay: Duration) {
    let json = dir.join(format!("run{n}.json"));
    let xml = dir.join(format!("run{n}.xml"));
    let (json_s, xml_s) = (json.display().to_string(), xml.display().to_string());
    let mut child = scanfw(&[
        "-n",
        technique,
        "-p-",
        "--max-retries",
        "1",
        "-oJ",
        &json_s,
        "-oX",
        &xml_s,
        "127.0.0.1",
        "::1",
    ])
    .spawn()
    .expect("spawn scanfw");
    let owned_after = wait_until_owned(child.id(), signal.1);
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    // The scan may have ended already; then there is nobody to signal.
    let ended = child.try_wait().expect("try_wait").is_some();
    if !ended {
        kill(&child, signal.1);
    }
    let (status, took, err) = wait_bounded(&mut child, Duration::from_secs(10));
    let what = format!(
        "run {n}: {technique} {} {delay:?} after taking it ({owned_after:?} after spawn): {status}, {took:?}; stderr: {err}",
        signal.0
    );
    eprintln!("{what}");
    assert!(!err.contains("panicked"), "{what}");
    let code = status.code();
    assert!(
        code == Some(130) || code == Some(0),
        "exit 130 (or 0 when the scan finished first) expected; {what}"
    );
    let exit = check_json(&json);
    check_xml(&xml);
    if code == Some(130) {
        // A signal after the engine finished leaves complete results; the exit code says 130.
        assert!(
            exit == "interrupted" || exit == "success",
            "stats.exit {exit}; {what}"
        );
    } else {
        assert_eq!(exit, "success", "{what}");
    }
}

/// Each signal at the first instant scanfw owns it (before the runtime, the outputs, the
/// scan exist), and a few milliseconds later.
#[test]
fn signal_in_the_first_milliseconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for signal in SIGNALS {
        for delay_us in [0, 0, 300, 1000, 3000] {
            signalled_run(
                dir.path(),
                n,
                "-sT",
                signal,
                Duration::from_micros(delay_us),
            );
            n += 1;
        }
    }
}

/// Random signals at random moments of the scan (connect, and SYN when raw sockets are
/// available).
#[test]
fn signals_at_random_moments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new();
    let techniques: &[&str] = if raw_available() {
        &["-sT", "-sS"]
    } else {
        eprintln!("NOTE: no raw sockets here: connect scans only");
        &["-sT"]
    };
    for n in 0..18 {
        let signal = SIGNALS[rng.below(3) as usize];
        let technique = techniques[rng.below(techniques.len() as u64) as usize];
        let delay = Duration::from_micros(rng.below(600_000));
        signalled_run(dir.path(), n, technique, signal, delay);
    }
}

/// A FIFO output whose reader never reads (the pipe buffer shrunk to one page), next to a
/// JSON file: SIGTERM ends the run with 130 within a bound, the file is complete and the
/// stalled output is named.
#[test]
fn stalled_fifo_reader_and_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("stalled.xml");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo/open/fcntl on a path we own; the descriptor is closed at the end.
    let reader = unsafe {
        assert_eq!(libc::mkfifo(c.as_ptr(), 0o600), 0, "mkfifo");
        let fd = libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK);
        assert!(fd >= 0, "open the FIFO's read end");
        libc::fcntl(fd, libc::F_SETPIPE_SZ, 4096);
        fd
    };
    let json = dir.path().join("ok.json");
    let (fifo_s, json_s) = (fifo.display().to_string(), json.display().to_string());
    // 200 hosts of a few ports each: far more XML than the pipe holds.
    let mut child = scanfw(&[
        "-n",
        "-Pn",
        "-sT",
        "-p",
        "1-20",
        "-oX",
        &fifo_s,
        "-oJ",
        &json_s,
        "127.0.0.1-200",
    ])
    .spawn()
    .expect("spawn scanfw");
    wait_until_owned(child.id(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the scan ended although its FIFO output was never read"
    );
    kill(&child, libc::SIGTERM);
    let (status, took, err) = wait_bounded(&mut child, Duration::from_secs(8));
    // SAFETY: our descriptor.
    unsafe { libc::close(reader) };
    eprintln!("stalled reader: {status} {took:?} stderr: {err}");
    assert_eq!(status.code(), Some(130), "stderr: {err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("stalled.xml") && err.contains("abandoned"),
        "the stalled output is named: {err}"
    );
    check_json(&json);
}

/// A FIFO output nobody ever opens for reading (creating it blocks): SIGTERM still ends the
/// run with 130 in bounded time, and the other output is a complete document.
#[test]
fn fifo_without_reader_and_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("nobody.json");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let xml = dir.path().join("ok.xml");
    let (fifo_s, xml_s) = (fifo.display().to_string(), xml.display().to_string());
    let mut child = scanfw(&[
        "-n",
        "-sT",
        "-p",
        "1-100",
        "-oJ",
        &fifo_s,
        "-oX",
        &xml_s,
        "127.0.0.1",
    ])
    .spawn()
    .expect("spawn scanfw");
    wait_until_owned(child.id(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    kill(&child, libc::SIGTERM);
    let (status, took, err) = wait_bounded(&mut child, Duration::from_secs(8));
    eprintln!("no reader: {status} {took:?} stderr: {err}");
    assert_eq!(status.code(), Some(130), "stderr: {err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        err.contains("nobody.json"),
        "the missing output is named: {err}"
    );
    check_xml(&xml);
}
