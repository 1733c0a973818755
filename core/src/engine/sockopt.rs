//! Socket options that socket2 and tokio do not expose.

use std::io;
use std::os::fd::AsRawFd;

/// Turns on `IP_RECVERR` / `IPV6_RECVERR`, so ICMP errors are reported on the socket at once
/// (hard errors), even when they arrive while the socket is busy in `connect()`.
pub fn set_recv_err(sock: &impl AsRawFd, ipv6: bool) -> io::Result<()> {
    let (level, name) = if ipv6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
    } else {
        (libc::IPPROTO_IP, libc::IP_RECVERR)
    };
    let on: libc::c_int = 1;
    // SAFETY: the descriptor is open for the duration of the call (borrowed from `sock`), and
    // the option value is a live c_int whose exact size is passed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Which of `fds` are ready for writing or have an error or hang-up, without waiting.
pub fn ready_now(fds: &[std::os::fd::RawFd]) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLOUT,
            revents: 0,
        })
        .collect();
    // SAFETY: `pfds` is a live, correctly sized array of pollfd for the duration of the call,
    // and a zero timeout never blocks.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, 0) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(pfds
        .iter()
        .map(|p| p.revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) != 0)
        .collect())
}
