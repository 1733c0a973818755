//! TCP listeners inside the target namespace.
//!
//! One thread per lab enters the target namespace with `setns(CLONE_NEWNET)` (only that
//! thread changes namespace), binds an IPv4 and an IPv6-only listener per open port and
//! accepts in a loop, dropping every accepted connection at once so the accept queue
//! never fills. It stops when the lab is dropped.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

enum Ctl {
    Close(u16, Sender<Result<(), String>>),
    Stop,
}

#[derive(Debug)]
pub struct Services {
    ctl: Sender<Ctl>,
    thread: Option<JoinHandle<()>>,
}

fn last_err(what: &str) -> String {
    format!("{what}: {}", io::Error::last_os_error())
}

/// Enter the network namespace `/run/netns/<name>` on the calling thread.
pub fn enter_netns(name: &str) -> Result<(), String> {
    let path = format!("/run/netns/{name}");
    let f = File::open(&path).map_err(|e| format!("open {path}: {e}"))?;
    // SAFETY: plain syscall on a valid fd; affects only the calling thread's netns.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(last_err(&format!("setns({path}, CLONE_NEWNET)")));
    }
    Ok(())
}

fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    val: libc::c_int,
) -> Result<(), String> {
    // SAFETY: valid pointer/length to a c_int.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &val as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(last_err("setsockopt"));
    }
    Ok(())
}

/// A non-blocking listener on the wildcard address of `v6 ? [::] (IPV6_V6ONLY) : 0.0.0.0`.
fn listen(port: u16, v6: bool) -> Result<TcpListener, String> {
    let fam = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    // SAFETY: socket(2).
    let fd = unsafe { libc::socket(fam, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_err("socket"));
    }
    // SAFETY: fd is a fresh socket we own; TcpListener closes it on drop (also on error).
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let rc = if v6 {
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
        // SAFETY: zeroed sockaddr_in6 is valid (in6addr_any).
        let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
        sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        sa.sin6_port = port.to_be();
        // SAFETY: valid pointer and length.
        unsafe {
            libc::bind(
                fd,
                &sa as *const libc::sockaddr_in6 as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    } else {
        // SAFETY: zeroed sockaddr_in is valid (INADDR_ANY).
        let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_port = port.to_be();
        // SAFETY: valid pointer and length.
        unsafe {
            libc::bind(
                fd,
                &sa as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
    };
    if rc != 0 {
        return Err(last_err(&format!(
            "bind {} port {port}",
            if v6 { "[::]" } else { "0.0.0.0" }
        )));
    }
    // SAFETY: listen(2) on our socket.
    if unsafe { libc::listen(fd, 1024) } != 0 {
        return Err(last_err("listen"));
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("set_nonblocking: {e}"))?;
    Ok(listener)
}

fn bind_all(ports: &[u16]) -> Result<BTreeMap<u16, Vec<TcpListener>>, String> {
    let mut listeners = BTreeMap::new();
    for &p in ports {
        listeners.insert(p, vec![listen(p, false)?, listen(p, true)?]);
    }
    Ok(listeners)
}

fn serve(mut listeners: BTreeMap<u16, Vec<TcpListener>>, ctl: Receiver<Ctl>) {
    loop {
        match ctl.try_recv() {
            Ok(Ctl::Stop) | Err(TryRecvError::Disconnected) => return,
            Ok(Ctl::Close(port, ack)) => {
                let r = match listeners.remove(&port) {
                    Some(_) => Ok(()),
                    None => Err(format!("no listener on port {port}")),
                };
                let _ = ack.send(r);
                continue;
            }
            Err(TryRecvError::Empty) => {}
        }
        let all: Vec<&TcpListener> = listeners.values().flatten().collect();
        let mut fds: Vec<libc::pollfd> = all
            .iter()
            .map(|l| libc::pollfd {
                fd: l.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: fds is a valid array of pollfd. 20 ms timeout so control messages are
        // seen quickly.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
        if n <= 0 {
            if fds.is_empty() {
                std::thread::sleep(Duration::from_millis(20));
            }
            continue;
        }
        for (pfd, l) in fds.iter().zip(&all) {
            if pfd.revents == 0 {
                continue;
            }
            // Drain the accept queue; every accepted stream is dropped (closed) at once.
            while let Ok((stream, _)) = l.accept() {
                drop(stream);
            }
        }
    }
}

impl Services {
    /// Start the listener thread in namespace `netns` for `ports`. Returns once every
    /// listener is bound (or with the first error).
    pub fn start(netns: &str, ports: Vec<u16>) -> Result<Services, String> {
        let (ctl_tx, ctl_rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let ns = netns.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("lab-services-{netns}"))
            .spawn(move || {
                if let Err(e) = enter_netns(&ns) {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
                match bind_all(&ports) {
                    Ok(listeners) => {
                        let _ = ready_tx.send(Ok(()));
                        serve(listeners, ctl_rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| format!("spawn listener thread: {e}"))?;
        let r = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| format!("listener thread did not report: {e}"))?;
        let mut s = Services {
            ctl: ctl_tx,
            thread: Some(thread),
        };
        if let Err(e) = r {
            s.stop();
            return Err(e);
        }
        Ok(s)
    }

    /// Close both listeners of `port` (the port becomes closed/conn-refused).
    pub fn close(&self, port: u16) -> Result<(), String> {
        let (tx, rx) = mpsc::channel();
        self.ctl
            .send(Ctl::Close(port, tx))
            .map_err(|_| "listener thread is gone".to_string())?;
        rx.recv_timeout(Duration::from_secs(5))
            .map_err(|e| format!("listener thread did not answer: {e}"))?
    }

    pub fn stop(&mut self) {
        let _ = self.ctl.send(Ctl::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop();
    }
}
