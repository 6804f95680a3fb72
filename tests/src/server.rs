//! A small HTTP/1.1 server on loopback for the sandbox tests: it echoes
//! credentials, redirects, rate-limits, sends huge bodies, and logs every
//! request it sees.
//!
//! Routes:
//! - `/ok`: `200 {"ok":true}`.
//! - `/echo`: `200`, the body is the `authorization` header and the query.
//! - `/echo-json`: `200`, the query's parameters decoded, as a JSON object,
//!   and the query as it came in a `Link` header's next URL.
//! - `/gzip`: `200` with `Content-Encoding: gzip`.
//! - `/redirect?to=URL`: `302` to `URL`.
//! - `/huge?bytes=N[&chunked]`: `200` with `N` bytes, with or without a
//!   content length.
//! - `/limited?key=K&times=N[&retry-after=S]`: `429` with `Retry-After: S`
//!   (default 1) the first `N` times for key `K`, then `200`.
//! - `/slow?ms=N`: `200` after `N` ms.
//! - `/failing?key=K&times=N&status=S`: status `S` the first `N` times for
//!   key `K`, then `200 {"attempts":A}`.
//! - `/cut?key=K&times=N`: the first `N` times for key `K`, the head of a
//!   `200` and half its body, then the connection closes; then `200
//!   {"attempts":A}`. The request counts as received (and applied) each
//!   time.
//! - `/read/…`: the route `/…`; the hostile connector declares `POST`s
//!   under `/read` as reads.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The `authorization` header, if any.
    pub authorization: Option<String>,
}

/// A running test server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Default)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    limited: Mutex<HashMap<String, u32>>,
}

impl Shared {
    /// How many times key `key` of `route` has been asked for, this one
    /// included.
    fn count(&self, route: &str, key: String) -> u64 {
        let mut limited = self.limited.lock().unwrap();
        let count = limited.entry(format!("{route}/{key}")).or_default();
        *count += 1;
        u64::from(*count)
    }
}

impl TestServer {
    /// Starts a server on 127.0.0.1 with a free port (inside a tokio runtime).
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let seen = shared.seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, shared).await;
                });
            }
        });
        Ok(TestServer { addr, seen, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        let mut authorization = None;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorization = Some(value.trim().to_owned()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        shared.seen.lock().unwrap().push(Seen {
            method,
            target: target.clone(),
            authorization: authorization.clone(),
        });
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let path = path.strip_prefix("/read").unwrap_or(path);
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let param = |k: &str| params.get(k).cloned().unwrap_or_default();
        let number = |k: &str| param(k).parse::<u64>().unwrap_or(0);
        let response = match path {
            "/ok" => respond(200, &[], br#"{"ok":true}"#),
            "/echo" => {
                let text = format!(
                    "authorization={} query={query}",
                    authorization.unwrap_or_default()
                );
                respond(200, &[], text.as_bytes())
            }
            "/echo-json" => {
                let body = serde_json::to_vec(&params).unwrap_or_default();
                let link = format!("</next?{query}>; rel=\"next\"");
                respond(200, &[("link", &link)], &body)
            }
            "/gzip" => respond(200, &[("content-encoding", "gzip")], b"\x1f\x8b\x08\x00"),
            "/redirect" => respond(302, &[("location", &param("to"))], b""),
            "/huge" => {
                let bytes = vec![b'x'; number("bytes") as usize];
                if params.contains_key("chunked") {
                    chunked(&bytes)
                } else {
                    respond(200, &[], &bytes)
                }
            }
            "/limited" => {
                let count = shared.count(path, param("key"));
                if count <= number("times") {
                    let wait = params
                        .get("retry-after")
                        .cloned()
                        .unwrap_or_else(|| "1".into());
                    respond(
                        429,
                        &[("retry-after", &wait)],
                        br#"{"message":"slow down"}"#,
                    )
                } else {
                    respond(200, &[], format!(r#"{{"attempts":{count}}}"#).as_bytes())
                }
            }
            "/failing" => {
                let count = shared.count(path, param("key"));
                if count <= number("times") {
                    let status = number("status") as u16;
                    respond(status, &[], br#"{"message":"try again"}"#)
                } else {
                    respond(200, &[], format!(r#"{{"attempts":{count}}}"#).as_bytes())
                }
            }
            "/cut" => {
                let count = shared.count(path, param("key"));
                if count <= number("times") {
                    let mut cut = respond(200, &[], &[b'x'; 64]);
                    cut.truncate(cut.len() - 32);
                    reader.get_mut().write_all(&cut).await?;
                    return reader.get_mut().shutdown().await;
                }
                respond(200, &[], format!(r#"{{"attempts":{count}}}"#).as_bytes())
            }
            "/slow" => {
                tokio::time::sleep(Duration::from_millis(number("ms"))).await;
                respond(200, &[], b"slow")
            }
            _ => respond(404, &[], br#"{"message":"no such route"}"#),
        };
        reader.get_mut().write_all(&response).await?;
    }
}

fn respond(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 X\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for chunk in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
