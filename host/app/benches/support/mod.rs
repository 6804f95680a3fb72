//! What the benchmarks share: running `roster` and reading what each run
//! used.
//!
//! A child process starts with its parent's memory counted in its peak
//! RSS (`fork` copies it, and `exec` keeps the high-water mark), and a
//! benchmark's process is large: it hosts the simulator. So commands are
//! run by a *launcher*: the benchmark binary itself, started again before
//! the simulator exists, which spawns each command from its own small
//! process and reports what it used.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that turns a benchmark binary into a launcher.
const LAUNCHER: &str = "ROSTER_BENCH_LAUNCHER";

/// What a finished command used.
#[derive(Debug, Clone, Copy)]
pub struct Used {
    /// Wall time, spawn to exit.
    pub wall: Duration,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: i64,
    /// CPU in user mode.
    pub user: Duration,
    /// CPU in the kernel.
    pub system: Duration,
    /// Bytes it wrote to standard output (zero when inherited).
    pub output_bytes: u64,
}

impl Used {
    /// Peak resident set size, MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// Where a command's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// To the benchmark's own standard output.
    Shown,
    /// Counted and dropped.
    Counted,
}

/// Runs commands from a small process of its own; see the module docs.
pub struct Launcher {
    child: Child,
    requests: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl Launcher {
    /// In the launcher process, serves commands and exits; elsewhere does
    /// nothing. Call it first thing in `main`.
    pub fn serve_if_asked() {
        if std::env::var_os(LAUNCHER).is_none() {
            return;
        }
        let stdin = std::io::stdin();
        let mut answers = std::io::stdout().lock();
        for line in stdin.lock().lines() {
            let line = line.expect("reading a command");
            let mut fields = line.split('\t');
            let dir = fields.next().expect("a directory");
            let output = match fields.next() {
                Some("shown") => Output::Shown,
                _ => Output::Counted,
            };
            let program = fields.next().expect("a program");
            let args: Vec<&str> = fields.collect();
            let (ok, used) = spawn_and_wait(Path::new(dir), output, program, &args);
            writeln!(
                answers,
                "{} {} {} {} {} {}",
                u8::from(ok),
                used.wall.as_nanos(),
                used.peak_rss_kib,
                used.user.as_micros(),
                used.system.as_micros(),
                used.output_bytes
            )
            .expect("answering");
            answers.flush().expect("answering");
        }
        std::process::exit(0);
    }

    /// Starts the launcher: this binary again, while it is still small.
    pub fn start() -> Launcher {
        let mut child = Command::new(std::env::current_exe().expect("the benchmark's path"))
            .env(LAUNCHER, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the launcher starts");
        let requests = child.stdin.take().expect("piped");
        let answers = BufReader::new(child.stdout.take().expect("piped"));
        Launcher {
            child,
            requests,
            answers,
        }
    }

    /// Runs `program args…` in `dir` to completion; panics if it fails.
    pub fn run(&mut self, program: &Path, dir: &Path, args: &[&str], output: Output) -> Used {
        let output_field = match output {
            Output::Shown => "shown",
            Output::Counted => "counted",
        };
        let mut line = format!("{}\t{output_field}\t{}", dir.display(), program.display());
        for arg in args {
            line.push('\t');
            line.push_str(arg);
        }
        writeln!(self.requests, "{line}").expect("asking the launcher");
        self.requests.flush().expect("asking the launcher");
        let mut answer = String::new();
        self.answers
            .read_line(&mut answer)
            .expect("the launcher answers");
        let numbers: Vec<u128> = answer
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect();
        assert_eq!(numbers.len(), 6, "the launcher's answer: {answer:?}");
        assert_eq!(numbers[0], 1, "{} {args:?} failed", program.display());
        Used {
            wall: Duration::from_nanos(numbers[1] as u64),
            peak_rss_kib: numbers[2] as i64,
            user: Duration::from_micros(numbers[3] as u64),
            system: Duration::from_micros(numbers[4] as u64),
            output_bytes: numbers[5] as u64,
        }
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns a command with a component cache of its own beside `dir`, waits
/// for it, and reads what it used.
#[allow(
    clippy::zombie_processes,
    reason = "wait4 reaps the child, to read its resource usage"
)]
fn spawn_and_wait(dir: &Path, output: Output, program: &str, args: &[&str]) -> (bool, Used) {
    let started = Instant::now();
    let mut child = Command::new(program)
        .current_dir(dir)
        .args(args)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove(LAUNCHER)
        // The launcher's own stdout carries its answers.
        .stdout(match output {
            Output::Shown => Stdio::from(std::io::stderr()),
            Output::Counted => Stdio::piped(),
        })
        .spawn()
        .expect("the command starts");
    let mut output_bytes = 0;
    if let Some(mut out) = child.stdout.take() {
        let mut buffer = vec![0; 1 << 16];
        loop {
            match out.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => output_bytes += n as u64,
            }
        }
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct that wait4 fills for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the locals above.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let ok = waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let used = Used {
        wall,
        peak_rss_kib: usage.ru_maxrss,
        user: time(usage.ru_utime),
        system: time(usage.ru_stime),
        output_bytes,
    };
    (ok, used)
}
