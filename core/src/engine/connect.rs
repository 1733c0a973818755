//! The connect() transport: each probe is a TCP connection attempt made by the operating system
//! in its own task; the shared [`Scheduler`] decides what to try and what the outcome means.
//!
//! Sockets use zero linger, so an established connection is reset on close and leaves no
//! TIME_WAIT behind, and `IP_RECVERR`, so ICMP errors fail the connect at once. Local resource
//! errors (EMFILE, EADDRNOTAVAIL, ...) are back-pressure: the probe is requeued.

use super::sched::{Next, Probe, Scheduler};
use super::{limits, sockopt, EngineEvent, EngineStats, ScanJob};
use crate::technique::{ConnectOutcome, ConnectProbe, ProbeMethod};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;
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

enum Attempt {
    Outcome(ConnectOutcome),
    Timeout,
    /// A local resource error: not information about the port.
    Resource(i32),
}

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

async fn attempt(addr: SocketAddr, timeout: Duration) -> Attempt {
    let errno = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    let sock = match if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    } {
        Ok(s) => s,
        Err(e) => return Attempt::Resource(errno(e)),
    };
    // Without it, an ICMP error that arrives while connect() still holds the socket lock is
    // only recorded as a soft error and surfaces after the first SYN retransmission.
    if let Err(e) = sockopt::set_recv_err(&sock, addr.is_ipv6()) {
        return Attempt::Resource(errno(e));
    }
    match tokio::time::timeout(timeout, sock.connect(addr)).await {
        // Zero linger, set only once established (closed ports never need it): dropping the
        // stream resets the connection and leaves no TIME_WAIT behind.
        Ok(Ok(stream)) => {
            let _ = stream.set_zero_linger();
            Attempt::Outcome(ConnectOutcome::Established)
        }
        Ok(Err(e)) => match errno(e) {
            n if is_resource_error(n) => Attempt::Resource(n),
            n => Attempt::Outcome(ConnectOutcome::Failed(n)),
        },
        Err(_) => Attempt::Timeout,
    }
}

/// Runs a scan whose techniques all probe with connect().
pub(super) async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    mut stop: watch::Receiver<bool>,
) -> EngineStats {
    let probes: Vec<Option<&dyn ConnectProbe>> = job
        .units
        .iter()
        .map(|u| match u.technique.probe() {
            ProbeMethod::Connect(p) => Some(p),
            ProbeMethod::Raw(_) => None,
        })
        .collect();
    let mut sched = Scheduler::new(
        job,
        events,
        limits::raise_fd_limit(),
        default_parallelism(job.timing.template),
    );
    // All attempts are polled from this one task: a spawned task per connection would cost a
    // cross-thread wake-up per reply.
    type Pending = Pin<Box<dyn Future<Output = (Probe, Attempt)> + Send>>;
    let mut tasks: FuturesUnordered<Pending> = FuturesUnordered::new();
    loop {
        if *stop.borrow() {
            tasks.clear();
            sched.interrupt();
            break;
        }
        sched.expire_hosts();
        let mut wake = None;
        loop {
            let now = Instant::now();
            match sched.next(now) {
                Next::Send(p) => {
                    let Some(addr) = sched.destination(p) else {
                        continue;
                    };
                    let timeout = sched.timeout_for(p.host);
                    sched.sent(p, now);
                    tasks.push(Box::pin(async move { (p, attempt(addr, timeout).await) }));
                }
                Next::WaitUntil(t) => {
                    wake = Some(t);
                    break;
                }
                Next::Blocked => break,
            }
        }
        if sched.is_done() {
            break;
        }
        let sleep_until = wake.unwrap_or_else(|| Instant::now() + Duration::from_millis(250));
        tokio::select! {
            joined = tasks.next(), if !tasks.is_empty() => {
                if let Some((p, result)) = joined {
                    let now = Instant::now();
                    match result {
                        Attempt::Resource(errno) => sched.resource_error(p, errno),
                        Attempt::Timeout => sched.timeout(p),
                        Attempt::Outcome(outcome) => {
                            let verdict = sched.unit_of(p).and_then(|u| probes[u]).and_then(|c| c.classify(outcome));
                            match verdict {
                                Some(v) => sched.reply(p.host, p.slot, p.try_no, v, now),
                                // An outcome that says nothing about the port counts as silence.
                                None => sched.timeout(p),
                            }
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(sleep_until.into()) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    // The stop sender is gone: nobody can stop us any more; keep scanning.
                    stop = watch::channel(false).1;
                }
            }
        }
    }
    sched.progress(true);
    sched.stats()
}
