//! A process's CPU time and memory, read from Linux's `/proc/PID`.
//!
//! CPU time is `utime + stime` of `/proc/PID/stat` (all threads), in clock
//! ticks of `USER_HZ`, which Linux fixes at 100 for what it reports to user
//! space on every architecture that matters here. Memory is `VmRSS` (now)
//! and `VmHWM` (peak) of `/proc/PID/status`, in KiB.

use std::path::PathBuf;

/// Clock ticks per second in `/proc/PID/stat` (Linux's `USER_HZ`).
const USER_HZ: f64 = 100.0;

/// Why a process could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// The process is gone or `/proc` is not there.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not look like Linux's.
    #[error("cannot parse {0}")]
    Parse(PathBuf),
}

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcSample {
    /// User plus system CPU time so far, in seconds.
    pub cpu_secs: f64,
    /// Resident memory now, KiB.
    pub rss_kib: u64,
    /// Peak resident memory so far, KiB.
    pub hwm_kib: u64,
    /// Threads.
    pub threads: u64,
}

/// Which process to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// The process with this pid.
    Pid(u32),
    /// The calling process.
    Me,
}

impl Process {
    fn dir(self) -> PathBuf {
        match self {
            Process::Pid(pid) => PathBuf::from(format!("/proc/{pid}")),
            Process::Me => PathBuf::from("/proc/self"),
        }
    }

    /// Reads the process's CPU time and memory now.
    pub fn sample(self) -> Result<ProcSample, ProcError> {
        let dir = self.dir();
        let stat_path = dir.join("stat");
        let stat = std::fs::read_to_string(&stat_path).map_err(|source| ProcError::Read { path: stat_path.clone(), source })?;
        let cpu_secs = parse_cpu_secs(&stat).ok_or(ProcError::Parse(stat_path))?;
        let status_path = dir.join("status");
        let status =
            std::fs::read_to_string(&status_path).map_err(|source| ProcError::Read { path: status_path.clone(), source })?;
        let field = |name: &str| status_field(&status, name).ok_or_else(|| ProcError::Parse(status_path.clone()));
        Ok(ProcSample { cpu_secs, rss_kib: field("VmRSS")?, hwm_kib: field("VmHWM")?, threads: field("Threads")? })
    }
}

/// `utime + stime` in seconds from the text of `/proc/PID/stat`. The
/// command name (field 2) may contain spaces and parentheses, so fields are
/// counted from the last `)`.
fn parse_cpu_secs(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, utime field 14, stime field 15.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// A `Name:   123 kB` field of `/proc/PID/status`, as a number.
fn status_field(status: &str, name: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_and_status_are_parsed() {
        let stat = "4242 (tokio (worker) x) S 1 4242 4242 0 -1 4194304 2051 0 0 0 1234 566 0 0 20 0 3 0 1 1 1";
        assert_eq!(parse_cpu_secs(stat), Some(18.0));
        let status = "Name:\tgridlet\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t5\n";
        assert_eq!(status_field(status, "VmRSS"), Some(102_400));
        assert_eq!(status_field(status, "VmHWM"), Some(204_800));
        assert_eq!(status_field(status, "Threads"), Some(5));
        assert_eq!(status_field(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let me = Process::Me.sample().unwrap();
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib && me.threads >= 1);
    }
}
