//! The limits every connector instance and call runs under, and how the
//! memory cap is enforced.

use std::time::Duration;
use wasmtime::ResourceLimiter;

/// How often the epoch advances; call deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Most entries one table may grow to. Connectors built with the SDK need
/// a few hundred; a million keeps a hostile one from taking the host's
/// memory through tables, which the memory cap does not count.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Limits on each connector call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Linear memory an instance may grow to. A connector holds one page of
    /// results at a time; 128 MiB is ample for pages of thousands of users.
    pub memory_bytes: usize,
    /// Wall-clock time for one call, host waits included. Long enough for a
    /// fan-out batch that is retried after rate limiting.
    pub call_deadline: Duration,
    /// Requests one call may make (a `send-all` batch counts each).
    pub requests_per_call: u32,
    /// Requests one `send-all` batch may hold; the SDK's fan-out sends
    /// longer lists in batches of this many.
    pub batch_requests: u32,
    /// Log messages (and guest stdout/stderr lines) kept per call.
    pub log_lines_per_call: u32,
    /// Longest log message kept, in bytes.
    pub log_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 128 << 20,
            call_deadline: Duration::from_secs(300),
            requests_per_call: 10_000,
            batch_requests: 500,
            log_lines_per_call: 200,
            log_line_bytes: 4096,
        }
    }
}

/// Denies memory growth past the limit and remembers that it did, since the
/// resulting trap does not say why.
pub(crate) struct MemoryLimiter {
    /// The cap, in bytes.
    pub(crate) max: usize,
    /// Whether growth was denied.
    pub(crate) hit: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(max: usize) -> Self {
        MemoryLimiter { max, hit: false }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            wasmtime::bail!("memory limit of {} bytes reached", self.max);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
