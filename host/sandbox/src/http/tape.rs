//! Record and replay: a session's exchanges written to a file (secrets
//! already redacted) and served back from it, so that a connector's tests
//! run offline against what a real tenant once answered.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// One request and its answer, as stored: one JSON object per line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The URL as the connector sent it (credentials are added later, so
    /// none are in it).
    pub url: String,
    /// The request body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// The status.
    pub status: u16,
    /// The response headers.
    pub headers: Vec<(String, String)>,
    /// The response body, redacted.
    pub body: String,
}

/// Recorded answers by (method, URL, request body), in recording order.
type Answers = HashMap<(String, String, Option<String>), VecDeque<Exchange>>;

/// Where exchanges go or come from.
#[derive(Debug)]
pub enum Tape {
    /// Append every exchange to a file.
    Record(Mutex<BufWriter<File>>),
    /// Answer from a file instead of the network.
    Replay(Mutex<Answers>),
}

impl Tape {
    /// A tape that records into `path` (created or truncated).
    pub fn record(path: &Path) -> std::io::Result<Self> {
        Ok(Tape::Record(Mutex::new(BufWriter::new(File::create(
            path,
        )?))))
    }

    /// A tape that replays `path`. Identical requests get their recorded
    /// answers in order.
    pub fn replay(path: &Path) -> std::io::Result<Self> {
        let mut exchanges = Answers::new();
        for (n, line) in BufReader::new(File::open(path)?).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let e: Exchange = serde_json::from_str(&line).map_err(|err| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} line {}: {err}", path.display(), n + 1),
                )
            })?;
            exchanges
                .entry((e.method.clone(), e.url.clone(), e.request_body.clone()))
                .or_default()
                .push_back(e);
        }
        Ok(Tape::Replay(Mutex::new(exchanges)))
    }

    /// Appends an exchange (recording tapes only).
    pub fn write(&self, exchange: &Exchange) -> std::io::Result<()> {
        if let Tape::Record(file) = self {
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            serde_json::to_writer(&mut *file, exchange)?;
            file.write_all(b"\n")?;
            file.flush()?;
        }
        Ok(())
    }

    /// The recorded answer to a request (replaying tapes only).
    pub fn answer(&self, method: &str, url: &str, body: Option<&str>) -> Option<Exchange> {
        let Tape::Replay(exchanges) = self else {
            return None;
        };
        let mut exchanges = exchanges.lock().unwrap_or_else(|e| e.into_inner());
        let key = (method.to_owned(), url.to_owned(), body.map(str::to_owned));
        let queue = exchanges.get_mut(&key)?;
        // The last answer repeats, so a re-run that asks once more still works.
        if queue.len() > 1 {
            queue.pop_front()
        } else {
            queue.front().cloned()
        }
    }

    /// Whether this tape replays.
    pub fn is_replay(&self) -> bool {
        matches!(self, Tape::Replay(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_then_replays_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tape.jsonl");
        let tape = Tape::record(&path).unwrap();
        for (i, body) in ["first", "second"].into_iter().enumerate() {
            tape.write(&Exchange {
                method: "GET".into(),
                url: "https://x.example/a".into(),
                request_body: None,
                status: 200 + i as u16,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: body.into(),
            })
            .unwrap();
        }
        drop(tape);
        let replay = Tape::replay(&path).unwrap();
        let get = |m| {
            replay
                .answer(m, "https://x.example/a", None)
                .map(|e| e.body)
        };
        assert_eq!(get("GET").as_deref(), Some("first"));
        assert_eq!(get("GET").as_deref(), Some("second"));
        assert_eq!(get("GET").as_deref(), Some("second"));
        assert_eq!(get("POST"), None);
    }
}
