//! The open-file limit: every connection is a file descriptor, and the usual soft limit (1024)
//! would cap a node at a few hundred buyers. Raised to the hard limit at start.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Descriptors kept back from client connections: the database pool, Redis, NATS, logs.
const HEADROOM: u64 = 512;

/// Raises the soft open-file limit to the hard one and returns the limit in force (`None`
/// when it cannot be read, e.g. on a platform without it).
pub fn raise_open_file_limit() -> Option<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard
        && let Err(error) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
    {
        tracing::warn!(%error, soft, hard, "could not raise the open-file limit");
        return Some(soft);
    }
    getrlimit(Resource::RLIMIT_NOFILE)
        .ok()
        .map(|(soft, _)| soft)
}

/// The connection cap that fits under `open_files`: the configured one, or fewer when the limit
/// leaves less room (keeping [`HEADROOM`], or half the limit when it is tiny).
pub fn connection_cap(configured: usize, open_files: Option<u64>) -> usize {
    let Some(limit) = open_files else {
        return configured;
    };
    let room = limit.saturating_sub(HEADROOM.min(limit / 2));
    configured
        .min(usize::try_from(room).unwrap_or(usize::MAX))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_keeps_room_under_the_open_file_limit() {
        assert_eq!(connection_cap(50_000, Some(1_048_576)), 50_000);
        assert_eq!(connection_cap(50_000, Some(20_000)), 19_488);
        assert_eq!(connection_cap(50_000, Some(1_024)), 512);
        assert_eq!(connection_cap(50_000, None), 50_000);
    }

    #[test]
    fn raising_leaves_a_readable_limit() {
        assert!(raise_open_file_limit().is_some_and(|n| n > 0));
    }
}
