//! Small facts about processes that the daemon, the helper and the soak
//! all need, through libc in one place.

/// Whether process `pid` exists (EPERM means it does, under another user).
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

/// Raises the soft limit on open descriptors to the hard one (at most
/// 65,536): a daemon holding every shell's connection, or a client
/// playing a thousand shells, needs more than the usual 1,024.
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max.min(65536);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_an_impossible_pid_is_not() {
        assert!(alive(std::process::id()));
        assert!(!alive(i32::MAX as u32));
        assert!(!alive(u32::MAX));
    }
}
