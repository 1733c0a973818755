//! Dropping privileges once the engine has opened its sockets (issue 9): a root scan parses
//! untrusted packets, so it does so with no capabilities, with `no_new_privs`, and, when
//! started through sudo, as the invoking user.
//!
//! Linux keeps credentials per thread, and by the time the sockets are open the process has
//! many (the async runtime's workers, output writers, link-layer receivers). The C library
//! changes user and groups on every thread (`setgroups`, `setresgid` and `setresuid` are
//! broadcast to all of them), but `capset` and `prctl` act on the calling thread only: this
//! module signals every other thread to clear its own, then reads each thread's
//! `/proc/self/task/TID/status` and repeats until all of them show the dropped state, or fails.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

/// How long the other threads have to drop their capabilities.
const DEADLINE: Duration = Duration::from_secs(3);

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAP_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Clears the calling thread's effective, permitted and inheritable capabilities (ambient ones
/// go with them) and sets its `no_new_privs`; 0 or an errno. Only raw system calls:
/// async-signal-safe.
fn drop_this_thread() -> i32 {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset reads a version-3 header and two data words it is given; prctl takes
    // plain integers.
    unsafe {
        if libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        ) != 0
        {
            return *libc::__errno_location();
        }
        let (one, zero): (libc::c_ulong, libc::c_ulong) = (1, 0);
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) != 0 {
            return *libc::__errno_location();
        }
    }
    0
}

/// The first error a thread met in the signal handler (0: none).
static HANDLER_ERROR: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    // SAFETY: errno is thread-local; it is put back as it was for the interrupted code.
    let saved = unsafe { *libc::__errno_location() };
    let e = drop_this_thread();
    if e != 0 {
        let _ = HANDLER_ERROR.compare_exchange(0, e, Ordering::Relaxed, Ordering::Relaxed);
    }
    unsafe { *libc::__errno_location() = saved };
}

/// The real-time signal that asks a thread to drop its capabilities, installed once.
fn drop_signal() -> Result<libc::c_int, String> {
    static INSTALL: Once = Once::new();
    static SIGNAL: AtomicI32 = AtomicI32::new(0);
    INSTALL.call_once(|| {
        // Past the C library's own real-time signals; nothing else in scanfw uses it.
        let sig = libc::SIGRTMIN() + 5;
        // SAFETY: a zeroed sigaction with a handler, an empty mask and SA_RESTART (blocking
        // calls resume after the handler) is a valid argument.
        let ok = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut()) == 0
        };
        if ok {
            SIGNAL.store(sig, Ordering::Relaxed);
        }
    });
    match SIGNAL.load(Ordering::Relaxed) {
        0 => Err(format!(
            "cannot install a signal handler: {}",
            std::io::Error::last_os_error()
        )),
        sig => Ok(sig),
    }
}

/// The user and group to become: those of the sudo caller (`SUDO_UID`, `SUDO_GID`) when root
/// runs us through sudo; `None` otherwise.
fn sudo_user() -> Result<Option<(libc::uid_t, libc::gid_t)>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // Not root (sudo -u someone, or no sudo at all): there is no one else to become.
        return Ok(None);
    }
    let (uid, gid) = (std::env::var_os("SUDO_UID"), std::env::var_os("SUDO_GID"));
    if uid.is_none() && gid.is_none() {
        return Ok(None);
    }
    let number = |name: &str, v: Option<std::ffi::OsString>| -> Result<u32, String> {
        v.as_ref()
            .and_then(|v| v.to_str())
            .and_then(|v| v.trim().parse::<u32>().ok())
            .ok_or_else(|| format!("{name} is set but is not a numeric id"))
    };
    let uid = number("SUDO_UID", uid)?;
    let gid = number("SUDO_GID", gid)?;
    // Sudo from root: stay root.
    Ok((uid != 0).then_some((uid, gid)))
}

/// What one thread's status says.
struct ThreadState {
    dropped: bool,
    ids: Option<(Vec<u32>, Vec<u32>)>,
}

fn thread_state(text: &str) -> ThreadState {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let zero = |name: &str| field(name).is_some_and(|v| v.bytes().all(|b| b == b'0'));
    let ids = |name: &str| -> Option<Vec<u32>> {
        field(name)?
            .split_whitespace()
            .map(|n| n.parse().ok())
            .collect()
    };
    ThreadState {
        dropped: zero("CapEff:")
            && zero("CapPrm:")
            && zero("CapInh:")
            && field("NoNewPrivs:") == Some("1"),
        ids: ids("Uid:").zip(ids("Gid:")),
    }
}

/// Threads of this process that do not show the dropped state yet.
fn laggards(user: Option<(libc::uid_t, libc::gid_t)>) -> Result<Vec<libc::pid_t>, String> {
    let dir = std::fs::read_dir("/proc/self/task")
        .map_err(|e| format!("cannot list this process's threads: {e}"))?;
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let text = match std::fs::read_to_string(entry.path().join("status")) {
            Ok(t) => t,
            // The thread ended meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read the status of thread {tid}: {e}")),
        };
        let state = thread_state(&text);
        if let Some((uid, gid)) = user {
            match &state.ids {
                Some((u, g)) if u.iter().all(|&x| x == uid) && g.iter().all(|&x| x == gid) => {}
                _ => {
                    return Err(format!(
                        "thread {tid} did not take user {uid} and group {gid}"
                    ))
                }
            }
        }
        if !state.dropped {
            out.push(tid);
        }
    }
    Ok(out)
}

/// Drops what the scan no longer needs, on every thread: the sudo caller's user and group
/// (supplementary groups cleared) when root was reached through sudo, then no capabilities
/// (effective, permitted, inheritable; the bounding set stays) and `no_new_privs`. Open
/// sockets and files keep working. An error means the process may still be privileged: the
/// caller must not go on.
pub fn drop_privileges() -> Result<(), String> {
    let user = sudo_user()?;
    let os = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    if let Some((uid, gid)) = user {
        // SAFETY: plain system calls; the C library applies each to every thread.
        unsafe {
            if libc::setgroups(0, std::ptr::null()) != 0 {
                return Err(os("setgroups"));
            }
            if libc::setresgid(gid, gid, gid) != 0 {
                return Err(os(&format!("setresgid({gid})")));
            }
            if libc::setresuid(uid, uid, uid) != 0 {
                return Err(os(&format!("setresuid({uid})")));
            }
        }
    }
    let sig = drop_signal()?;
    match drop_this_thread() {
        0 => {}
        e => return Err(format!("capset: {}", std::io::Error::from_raw_os_error(e))),
    }
    // SAFETY: getpid and gettid have no preconditions.
    let (pid, me) = unsafe {
        (
            libc::getpid(),
            libc::syscall(libc::SYS_gettid) as libc::pid_t,
        )
    };
    let deadline = Instant::now() + DEADLINE;
    loop {
        let e = HANDLER_ERROR.load(Ordering::Relaxed);
        if e != 0 {
            return Err(format!(
                "a thread could not drop its capabilities: {}",
                std::io::Error::from_raw_os_error(e)
            ));
        }
        let left: Vec<_> = laggards(user)?.into_iter().filter(|&t| t != me).collect();
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{} thread(s) kept their capabilities (thread {})",
                left.len(),
                left[0]
            ));
        }
        for tid in left {
            // SAFETY: tgkill with this process's id; a thread that ended is ESRCH, harmless.
            unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_read() {
        let text = "Name:\tscanfw\nUid:\t65534\t65534\t65534\t65534\nGid:\t7\t7\t7\t7\n\
                    CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n\
                    CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nNoNewPrivs:\t1\n";
        let s = thread_state(text);
        assert!(s.dropped);
        assert_eq!(s.ids, Some((vec![65534; 4], vec![7; 4])));
        let root = text.replace("CapEff:\t0000000000000000", "CapEff:\t000001fffeffffff");
        assert!(!thread_state(&root).dropped);
        let nnp = text.replace("NoNewPrivs:\t1", "NoNewPrivs:\t0");
        assert!(!thread_state(&nnp).dropped);
    }
}
