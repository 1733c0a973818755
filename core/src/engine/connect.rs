//! The connect() transport: each probe is a non-blocking TCP connection attempt made by the
//! operating system; the shared [`Scheduler`] decides what to try and what the outcome means.
//!
//! One thread runs it, like the raw transport: it starts a batch of attempts, waits on one
//! `mio` poller for their completion (a socket becomes writable when connected or failed), and
//! keeps timeouts in a deadline heap. No task, waker or timer per attempt: at tens of thousands
//! of ports a second those cost more than the attempts.
//!
//! Sockets get `IP_RECVERR`/`IPV6_RECVERR` before connecting, so an ICMP error that arrives
//! while `connect()` holds the socket still fails it at once, and zero linger once
//! established, so the connection is reset on close and leaves no TIME_WAIT behind. Local
//! resource errors (EMFILE, EADDRNOTAVAIL, ...) are back-pressure: the probe is requeued.

use super::sched::{Next, Probe, ReplyInfo, Scheduler};
use super::units::Method;
use super::{limits, sockopt, EngineError, EngineEvent, EngineStats, ScanJob};
use crate::technique::{ConnectOutcome, ConnectProbe};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, SockAddr, Socket, Type};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, watch};

/// Default ceiling on connections in flight per template (the descriptor budget may lower it).
fn default_parallelism(template: u8) -> u32 {
    match template {
        0..=2 => 1,
        3 => 1024,
        4 => 2048,
        _ => 4096,
    }
}

/// Attempts started between two polls.
const LAUNCH_BATCH: usize = 64;
/// Longest sleep before the stop flag is looked at again.
const STOP_CHECK: Duration = Duration::from_millis(50);

fn is_resource_error(errno: i32) -> bool {
    [
        libc::EMFILE,
        libc::ENFILE,
        libc::ENOBUFS,
        libc::ENOMEM,
        libc::EADDRNOTAVAIL,
        libc::EAGAIN,
    ]
    .contains(&errno)
}

/// Errors `connect()` returns at once when nothing left this host (no route, an address the
/// socket cannot use): such a probe failed to send, whatever the technique makes of it.
fn sent_nothing(errno: i32) -> bool {
    [
        libc::ENETUNREACH,
        libc::ENETDOWN,
        libc::EAFNOSUPPORT,
        libc::EPROTONOSUPPORT,
        libc::EINVAL,
        libc::EOPNOTSUPP,
    ]
    .contains(&errno)
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// How a started attempt stands.
enum Started {
    /// Waiting for the handshake.
    Pending(TcpStream),
    /// Already decided (loopback can answer inside `connect()`).
    Done(ConnectOutcome),
    /// A local resource error: not information about the port.
    Resource(i32),
    /// Nothing was sent: the socket could not be made (errno, no outcome: silence), or
    /// `connect()` failed at once without sending (errno and the outcome to classify).
    NotSent(io::Error, Option<ConnectOutcome>),
}

fn start(addr: SocketAddr) -> Started {
    let domain = if addr.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let sock = match Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None) {
        Ok(s) => s,
        Err(e) if is_resource_error(errno(&e)) => return Started::Resource(errno(&e)),
        Err(e) => return Started::NotSent(e, None),
    };
    if let Err(e) = sockopt::set_recv_err(&sock, addr.is_ipv6()) {
        if is_resource_error(errno(&e)) {
            return Started::Resource(errno(&e));
        }
        return Started::NotSent(e, None);
    }
    match sock.connect(&SockAddr::from(addr)) {
        Ok(()) => {
            let _ = sock.set_linger(Some(Duration::ZERO));
            Started::Done(ConnectOutcome::Established)
        }
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
            Started::Pending(TcpStream::from_std(std::net::TcpStream::from(sock)))
        }
        Err(e) => match errno(&e) {
            n if is_resource_error(n) => Started::Resource(n),
            n if sent_nothing(n) => Started::NotSent(e, Some(ConnectOutcome::Failed(n))),
            n => Started::Done(ConnectOutcome::Failed(n)),
        },
    }
}

/// The outcome of an attempt whose socket became ready, or `None` if it is still connecting.
fn finish(stream: &TcpStream) -> Option<ConnectOutcome> {
    match stream.take_error() {
        Ok(Some(e)) | Err(e) => Some(ConnectOutcome::Failed(errno(&e))),
        Ok(None) => match stream.peer_addr() {
            Ok(_) => {
                // Zero linger: closing resets the connection, no TIME_WAIT.
                let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
                Some(ConnectOutcome::Established)
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => None,
            Err(e) => Some(ConnectOutcome::Failed(errno(&e))),
        },
    }
}

struct Attempt {
    probe: Probe,
    stream: TcpStream,
}

/// Runs a scan whose techniques all probe with connect(). Blocks the calling worker thread
/// (the runtime moves its other tasks elsewhere).
pub(super) async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    stop: watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(|| drive(job, events, &stop))
    } else {
        drive(job, events, &stop)
    }
}

fn drive(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    stop: &watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    let mut sched = Scheduler::new(
        job,
        events,
        limits::raise_fd_limit(),
        default_parallelism(job.timing.template),
        Instant::now(),
        SystemTime::now(),
    );
    let probes: Vec<Option<&dyn ConnectProbe>> = (0..sched.unit_count())
        .map(|u| match sched.method(u) {
            Some((Method::Connect(c), _)) => Some(c),
            _ => None,
        })
        .collect();
    let classify = |sched: &Scheduler<'_>, p: Probe, outcome: ConnectOutcome| {
        sched
            .unit_of(p)
            .and_then(|u| probes.get(u).copied().flatten())
            .and_then(|c| c.classify(outcome))
    };
    let settle = |sched: &mut Scheduler<'_>, p: Probe, outcome: ConnectOutcome, at: Instant| {
        match classify(sched, p, outcome) {
            Some(v) => sched.reply(p.host, p.slot, p.try_no, v, at, ReplyInfo::default()),
            // An outcome that says nothing about the port counts as silence.
            None => sched.timeout(p, at),
        }
    };
    let mut poll = Poll::new().map_err(|e| EngineError::Transport(e.to_string()))?;
    let mut ready = Events::with_capacity(1024);
    // connect() needs no privilege: everything this transport needs is open.
    job.opened()?;
    // Slab of attempts in flight; the token is the index.
    let mut slab: Vec<Option<Attempt>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut by_probe: HashMap<Probe, usize> = HashMap::new();
    let mut fresh: Vec<Attempt> = Vec::with_capacity(LAUNCH_BATCH);
    // Probes that could not be sent, and whether the user was told.
    let mut failed = 0u64;
    let mut failed_notice = false;
    loop {
        if *stop.borrow() {
            slab.clear();
            sched.interrupt(Instant::now());
            break;
        }
        let mut wake = None;
        let mut launched = 0;
        while launched < LAUNCH_BATCH {
            let now = Instant::now();
            match sched.next(now) {
                Next::Send(p) => {
                    launched += 1;
                    let Some(addr) = sched.destination(p) else {
                        continue;
                    };
                    match start(addr) {
                        Started::Resource(n) => sched.resource_error(p, n, now),
                        Started::NotSent(e, outcome) => {
                            failed += 1;
                            if !failed_notice {
                                failed_notice = true;
                                let then = if outcome.is_some() {
                                    "reported from that error"
                                } else {
                                    "reported as unanswered"
                                };
                                sched.notice(format!(
                                    "connect() to {addr}: {e}; affected ports are {then}"
                                ));
                            }
                            sched.sent(p, now);
                            match outcome {
                                Some(o) => settle(&mut sched, p, o, Instant::now()),
                                None => sched.timeout(p, Instant::now()),
                            }
                        }
                        Started::Done(outcome) => {
                            sched.sent(p, now);
                            settle(&mut sched, p, outcome, Instant::now());
                        }
                        Started::Pending(stream) => {
                            sched.sent(p, now);
                            fresh.push(Attempt { probe: p, stream });
                        }
                    }
                }
                Next::WaitUntil(t) => {
                    wake = Some(t);
                    break;
                }
                Next::Blocked => break,
            }
        }
        // Most attempts on a near network are decided by the time the batch is out: settle those
        // with one poll() and register only the rest with the poller.
        let fds: Vec<_> = fresh.iter().map(|a| a.stream.as_raw_fd()).collect();
        let settled = sockopt::ready_now(&fds).unwrap_or_else(|_| vec![false; fds.len()]);
        let done_at = Instant::now();
        let mut progressed = false;
        for (a, ready_now) in fresh.drain(..).zip(settled) {
            let outcome = if ready_now { finish(&a.stream) } else { None };
            if let Some(outcome) = outcome {
                drop(a.stream);
                settle(&mut sched, a.probe, outcome, done_at);
                progressed = true;
                continue;
            }
            let Attempt { probe, mut stream } = a;
            let idx = free.pop().unwrap_or_else(|| {
                slab.push(None);
                slab.len() - 1
            });
            if let Err(e) = poll
                .registry()
                .register(&mut stream, Token(idx), Interest::WRITABLE)
            {
                free.push(idx);
                sched.resource_error(probe, errno(&e), done_at);
                continue;
            }
            slab[idx] = Some(Attempt { probe, stream });
            by_probe.insert(probe, idx);
        }
        if sched.is_done() {
            break;
        }
        // Never sleep on a timer while work is possible: a full batch, or attempts settled
        // just now (their window room is free again), means go round at once.
        let now = Instant::now();
        let until = [wake, sched.next_deadline()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now + STOP_CHECK);
        let wait = if launched == LAUNCH_BATCH || progressed {
            Duration::ZERO
        } else {
            until.saturating_duration_since(now).min(STOP_CHECK)
        };
        if let Err(e) = poll.poll(&mut ready, Some(wait)) {
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(EngineError::Transport(e.to_string()));
            }
        }
        let now = Instant::now();
        for ev in ready.iter() {
            let idx = ev.token().0;
            let Some(outcome) = slab
                .get(idx)
                .and_then(Option::as_ref)
                .and_then(|a| finish(&a.stream))
            else {
                continue;
            };
            if let Some(a) = slab.get_mut(idx).and_then(Option::take) {
                free.push(idx);
                by_probe.remove(&a.probe);
                drop(a.stream); // closes the socket, which also leaves the poller
                settle(&mut sched, a.probe, outcome, now);
            }
        }
        sched.expire(now, |p| {
            // Timed out: close its socket (a late handshake would say nothing new).
            if let Some(idx) = by_probe.remove(&p) {
                slab[idx] = None;
                free.push(idx);
            }
        });
    }
    sched.progress(Instant::now(), true);
    let mut stats = sched.stats();
    stats.probes_failed = failed;
    Ok(stats)
}
