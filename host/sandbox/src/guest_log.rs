//! What a guest says: its `log` messages and its stdout and stderr lines,
//! into the host's log under one budget per call.

use crate::limits::Limits;
use crate::secret::Redactor;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// The log lines one call may still write, shared by the `log` import and
/// the guest's output streams.
#[derive(Debug, Clone)]
pub(crate) struct LogBudget {
    used: Arc<AtomicU32>,
    limits: Limits,
}

impl LogBudget {
    pub(crate) fn new(limits: Limits) -> Self {
        LogBudget {
            used: Arc::new(AtomicU32::new(0)),
            limits,
        }
    }

    /// Starts a new call's budget.
    pub(crate) fn reset(&self) {
        self.used.store(0, Ordering::Relaxed);
    }

    /// `None` once the call's budget is spent (a notice is logged the first
    /// time), else the message cut to the length limit, with control
    /// characters escaped so that a guest cannot forge log lines.
    pub(crate) fn take(&self, message: &str) -> Option<String> {
        let n = self.used.fetch_add(1, Ordering::Relaxed);
        let per_call = self.limits.log_lines_per_call;
        if n == per_call {
            tracing::warn!(target: "roster::connector", "log limit of {per_call} lines per call reached; dropping the rest");
        }
        if n >= per_call {
            return None;
        }
        let mut end = message.len().min(self.limits.log_line_bytes);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let mut clean = String::with_capacity(end);
        for c in message[..end].chars() {
            if c.is_control() {
                clean.extend(c.escape_default());
            } else {
                clean.push(c);
            }
        }
        Some(clean)
    }
}

/// Guest stdout or stderr, line by line into the log.
#[derive(Clone)]
pub(crate) struct GuestOutput {
    pub(crate) connector: Arc<str>,
    pub(crate) stream: &'static str,
    pub(crate) budget: LogBudget,
    /// The session's secrets, removed from every line.
    pub(crate) redactor: Arc<Redactor>,
}

impl GuestOutput {
    /// One line as it goes into the log: secrets removed, then cut and
    /// escaped under the budget; none once the budget is spent.
    fn line(&self, bytes: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(bytes);
        self.budget
            .take(self.redactor.text(text.trim_end()).as_str())
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            out: self.clone(),
            buffer: Vec::new(),
        })
    }
}

/// Splits what a guest writes into lines, each one log message.
struct LineWriter {
    out: GuestOutput,
    buffer: Vec<u8>,
}

impl LineWriter {
    fn emit(&mut self, line: &[u8]) {
        if let Some(text) = self.out.line(line) {
            tracing::info!(target: "roster::connector", connector = &*self.out.connector, stream = self.out.stream, "{text}");
        }
    }
}

impl tokio::io::AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.buffer.extend_from_slice(data);
        while let Some(i) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=i).collect();
            self.emit(&line);
        }
        if self.buffer.len() > self.out.budget.limits.log_line_bytes {
            let line = std::mem::take(&mut self.buffer);
            self.emit(&line);
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if !self.buffer.is_empty() {
            let line = std::mem::take(&mut self.buffer);
            self.emit(&line);
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_cannot_forge_log_lines_and_is_cut_to_the_limit() {
        let budget = LogBudget::new(Limits {
            log_line_bytes: 40,
            log_lines_per_call: 2,
            ..Limits::default()
        });
        let forged = "ok\n2026-12-01T00:00:00Z  INFO roster: all good\r\x1b[2K";
        let taken = budget.take(forged).unwrap();
        assert!(!taken.contains(['\n', '\r', '\x1b']), "{taken}");
        assert!(taken.starts_with(r"ok\n2026-12-01"), "{taken}");
        assert!(budget.take(&"é".repeat(30)).unwrap().len() <= 40);
        assert_eq!(budget.take("third"), None, "two lines per call");
    }

    #[test]
    fn an_output_line_loses_every_form_of_a_secret() {
        let mut redactor = Redactor::default();
        redactor.add_secret("tok/en+1");
        let out = GuestOutput {
            connector: "c".into(),
            stream: "stdout",
            budget: LogBudget::new(Limits::default()),
            redactor: Arc::new(redactor),
        };
        let line = out.line(b"got tok/en+1 and tok%2Fen%2B1\n").unwrap();
        assert_eq!(line, "got [redacted] and [redacted]");
    }
}
