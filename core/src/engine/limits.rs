//! Local resource limits.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns how many descriptors the engine
/// may keep open at once (the limit less a reserve for outputs and the runtime).
pub fn raise_fd_limit() -> usize {
    const RESERVE: u64 = 64;
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft))
        .unwrap_or(1024);
    usize::try_from(limit.saturating_sub(RESERVE).max(8)).unwrap_or(usize::MAX)
}
