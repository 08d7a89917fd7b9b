//! The process's figures for `/metrics`, from the operating system: resident memory from
//! `/proc/self/status`, open files from `/proc/self/fd` and their limit from `getrlimit`, CPU
//! time from `getrusage`. Where one
//! cannot be read (not Linux, no `/proc`), it is left out of the scrape.

use std::time::Duration;

use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage};
use nix::sys::time::TimeValLike;
use seckiller_interfaces::ProcessFigures;

/// Reads the figures now (a few small reads of `/proc`: call it off the async executor).
pub fn read_process_figures() -> ProcessFigures {
    ProcessFigures {
        resident_memory_bytes: resident_memory_bytes(),
        open_fds: std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| entries.count().try_into().unwrap_or(u64::MAX)),
        max_fds: getrlimit(Resource::RLIMIT_NOFILE)
            .ok()
            .map(|(soft, _)| soft),
        cpu_seconds: cpu_time().map(|t| t.as_secs_f64()),
    }
}

/// `VmRSS:   12345 kB` in `/proc/self/status`.
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

fn cpu_time() -> Option<Duration> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).ok()?;
    let micros = usage
        .user_time()
        .num_microseconds()
        .saturating_add(usage.system_time().num_microseconds());
    u64::try_from(micros).ok().map(Duration::from_micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_in_bytes() {
        let status = "Name:\tseckiller\nVmPeak:\t  900 kB\nVmRSS:\t  2048 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss(status), Some(2048 * 1024));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_running_process_has_memory_files_and_cpu_time() {
        let figures = read_process_figures();
        assert!(figures.resident_memory_bytes.unwrap() > 0);
        assert!(figures.open_fds.unwrap() > 0);
        assert!(figures.cpu_seconds.is_some());
    }
}
