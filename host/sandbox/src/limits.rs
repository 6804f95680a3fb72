//! The limits every connector instance and call runs under, and how the
//! memory cap is enforced.

use std::time::Duration;
use wasmtime::ResourceLimiter;

/// How often the epoch advances; call deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Bytes one table entry is counted as against the memory cap: a
/// reference, as the runtime stores it.
const TABLE_ENTRY_BYTES: usize = std::mem::size_of::<usize>();

/// Core instances one connector instance may create. A Rust component
/// built with the SDK has a handful (the module, the WASI adapter, shims);
/// other toolchains a few dozen.
const MAX_INSTANCES: usize = 100;

/// Linear memories one connector instance may create, all counted
/// together against the memory cap.
const MAX_MEMORIES: usize = 20;

/// Tables one connector instance may create, counted with its memories.
const MAX_TABLES: usize = 100;

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

/// Denies growth of the instance's memories and tables together past the
/// cap (each table entry counted as a reference), limits how many
/// instances, memories and tables it may create, and remembers a denial,
/// since the resulting trap does not say why.
pub(crate) struct MemoryLimiter {
    /// The cap, in bytes.
    pub(crate) max: usize,
    /// Bytes of every memory and table of the instance.
    used: usize,
    /// Whether growth was denied.
    pub(crate) hit: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(max: usize) -> Self {
        MemoryLimiter {
            max,
            used: 0,
            hit: false,
        }
    }

    /// Grows the running total by `desired - current` bytes, or refuses
    /// past the cap.
    fn grow(&mut self, current: usize, desired: usize) -> wasmtime::Result<bool> {
        let total = self
            .used
            .checked_add(desired.saturating_sub(current))
            .filter(|&t| t <= self.max);
        match total {
            Some(total) => {
                self.used = total;
                Ok(true)
            }
            None => {
                self.hit = true;
                wasmtime::bail!(
                    "memory limit of {} bytes reached (memories and tables together)",
                    self.max
                )
            }
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow(current, desired)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let bytes = |entries: usize| entries.saturating_mul(TABLE_ENTRY_BYTES);
        self.grow(bytes(current), bytes(desired))
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_and_tables_count_together_against_the_cap() {
        let mut limiter = MemoryLimiter::new(100 << 20);
        assert!(limiter.memory_growing(0, 60 << 20, None).unwrap());
        assert!(!limiter.hit);
        // A second memory may not take what the first one holds.
        assert!(limiter.memory_growing(0, 60 << 20, None).is_err());
        assert!(limiter.hit);
        let mut limiter = MemoryLimiter::new(100 << 20);
        assert!(limiter.memory_growing(0, 90 << 20, None).unwrap());
        // 2 million entries are 16 MiB of references: past the 10 left.
        assert!(limiter.table_growing(0, 2_000_000, None).is_err());
        assert!(limiter.table_growing(10, 1_000, None).unwrap());
        assert!(limiter.memory_growing(90 << 20, 91 << 20, None).unwrap());
        assert_eq!(limiter.instances(), MAX_INSTANCES);
    }

    /// A module with two memories of one page and `grow(pages)`, which
    /// grows the first, then the second, by `pages`.
    fn two_memories() -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction,
            MemorySection, MemoryType, Module, TypeSection, ValType,
        };
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], []);
        module.section(&types);
        let mut functions = FunctionSection::new();
        functions.function(0);
        module.section(&functions);
        let mut memories = MemorySection::new();
        for _ in 0..2 {
            memories.memory(MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
        }
        module.section(&memories);
        let mut exports = ExportSection::new();
        exports.export("grow", ExportKind::Func, 0);
        module.section(&exports);
        let mut grow = Function::new([]);
        for memory in 0..2 {
            grow.instruction(&Instruction::LocalGet(0));
            grow.instruction(&Instruction::MemoryGrow(memory));
            grow.instruction(&Instruction::Drop);
        }
        grow.instruction(&Instruction::End);
        let mut code = CodeSection::new();
        code.function(&grow);
        module.section(&code);
        module.finish()
    }

    #[test]
    fn a_second_memory_cannot_double_the_cap() {
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, two_memories()).unwrap();
        let mut store = wasmtime::Store::new(&engine, MemoryLimiter::new(64 << 20));
        store.limiter(|l| l);
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let grow = instance
            .get_typed_func::<i32, ()>(&mut store, "grow")
            .unwrap();
        // 40 MiB each: the first fits, the second does not.
        let pages = (40 << 20) / 65_536;
        assert!(grow.call(&mut store, pages).is_err());
        assert!(store.data().hit);
    }
}
