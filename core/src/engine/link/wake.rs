//! A wake-up descriptor (Linux `eventfd`, non-blocking): one thread signals, another polls it
//! and clears it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Readable from the first [`Wake::signal`] until [`Wake::clear`].
#[derive(Debug)]
pub(super) struct Wake(File);

impl Wake {
    pub(super) fn new() -> io::Result<Wake> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a new descriptor that
        // nothing else owns.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by eventfd and is owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Wake(File::from(owned)))
    }

    /// Makes the descriptor readable. Never blocks; a counter that would overflow is already
    /// readable, so a failure changes nothing.
    pub(super) fn signal(&self) {
        let _ = (&self.0).write(&1u64.to_ne_bytes());
    }

    /// Makes the descriptor unreadable again (until the next signal).
    pub(super) fn clear(&self) {
        let mut b = [0u8; 8];
        let _ = (&self.0).read(&mut b);
    }

    pub(super) fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd, zero timeout.
        unsafe { libc::poll(&mut p, 1, 0) == 1 }
    }

    #[test]
    fn signal_then_clear() {
        let w = Wake::new().expect("eventfd");
        assert!(!readable(w.fd()));
        w.signal();
        w.signal();
        assert!(readable(w.fd()));
        w.clear();
        assert!(!readable(w.fd()));
        w.clear();
        assert!(!readable(w.fd()), "clearing twice does not block");
    }
}
