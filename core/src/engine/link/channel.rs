//! [`LinkChannel`]: Ethernet frames out on one interface, ARP and ICMPv6 frames in, handed to
//! the driver's thread through a bounded queue and a wake-up descriptor.

use super::capture;
use super::wake::Wake;
use pnet_datalink::{DataLinkReceiver, DataLinkSender};
use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest the receiver thread waits in one read: how soon it notices it must stop.
const READ_TIMEOUT: Duration = Duration::from_millis(50);
/// Frames queued for the driver before new ones are dropped.
const QUEUE: usize = 4096;

/// State shared with the receiver thread.
#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    dropped: AtomicU64,
    wake: Wake,
}

/// Link-layer frames on one interface (Linux packet socket, needs `CAP_NET_RAW`).
///
/// * [`send`](LinkChannel::send) writes one whole Ethernet frame (destination, source,
///   EtherType, payload; no FCS) and never waits.
/// * A receiver thread reads the interface and queues, in arrival order, the frames that
///   arrived (not our own) and are ARP or IPv6 with ICMPv6 as first next header; when the
///   queue holds 4096 frames, new ones are dropped and counted ([`dropped`](LinkChannel::dropped)).
/// * [`wake_fd`](LinkChannel::wake_fd) is readable (`POLLIN`) whenever a frame waits; poll it
///   with the raw sockets, then call [`try_recv`](LinkChannel::try_recv) until `None`, which
///   also makes it unreadable again. A frame queued after that makes it readable again, so
///   none is missed between a `None` and the next poll.
/// * Dropping the channel stops the thread and waits for it (at most about 50 ms).
pub struct LinkChannel {
    ifname: String,
    tx: Box<dyn DataLinkSender>,
    frames: Receiver<Vec<u8>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for LinkChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkChannel")
            .field("ifname", &self.ifname)
            .field("wake_fd", &self.shared.wake.fd())
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl LinkChannel {
    /// Opens the interface called `ifname` and starts its receiver thread. `NotFound` when
    /// there is no such interface, `PermissionDenied` without `CAP_NET_RAW`.
    pub fn open(ifname: &str) -> io::Result<LinkChannel> {
        let (tx, rx) = capture::open(ifname, READ_TIMEOUT)?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            wake: Wake::new()?,
        });
        let (queue, frames) = mpsc::sync_channel(QUEUE);
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("scanfw-link-{ifname}"))
            .spawn(move || receive(rx, &queue, &thread_shared))?;
        Ok(LinkChannel {
            ifname: ifname.to_string(),
            tx,
            frames,
            shared,
            thread: Some(thread),
        })
    }

    /// Sends one Ethernet frame. A full send queue is `WouldBlock` (back-pressure, as for the
    /// raw sockets: `ENOBUFS` may also come); other errors are the socket's.
    pub fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        match self.tx.send_to(frame, None) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) if e.kind() == io::ErrorKind::TimedOut => {
                Err(io::Error::from(io::ErrorKind::WouldBlock))
            }
            Some(Err(e)) => Err(e),
            None => Err(io::Error::other("frame does not fit the send buffer")),
        }
    }

    /// Readable while frames wait (see the type's documentation).
    pub fn wake_fd(&self) -> RawFd {
        self.shared.wake.fd()
    }

    /// The next waiting frame, oldest first; `None` when none waits (the wake descriptor is
    /// then cleared).
    pub fn try_recv(&mut self) -> Option<Vec<u8>> {
        if let Ok(f) = self.frames.try_recv() {
            return Some(f);
        }
        // Clear first, then look again: a frame queued before the clear is taken now, one
        // queued after it signals again.
        self.shared.wake.clear();
        self.frames.try_recv().ok()
    }

    /// Frames dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for LinkChannel {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // The thread cannot panic (nothing in it does); a join error would only repeat
            // that it ended.
            let _ = t.join();
        }
    }
}

/// The receiver thread: reads until told to stop or until the channel is gone.
fn receive(mut rx: Box<dyn DataLinkReceiver>, queue: &SyncSender<Vec<u8>>, shared: &Shared) {
    while !shared.stop.load(Ordering::Relaxed) {
        match rx.next() {
            Ok(frame) if capture::wanted(frame) => match queue.try_send(frame.to_vec()) {
                Ok(()) => shared.wake.signal(),
                Err(TrySendError::Full(_)) => {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => return,
            },
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) => {}
            // The interface went down or away: wait, rather than spin, and try again.
            Err(_) => std::thread::sleep(READ_TIMEOUT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_interface_is_not_found() {
        let e = LinkChannel::open("sfw-none-0").expect_err("no such interface");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
