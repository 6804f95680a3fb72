//! Host HTTP: the one function every connector request passes through.
//!
//! [`Gateway::send`] decides, in order: the URL parses and its headers are
//! acceptable; the session's policy allows the URL and the credential; IP
//! literals and private addresses are refused unless the operator allows
//! them (names are checked again on the addresses they resolve to); then it
//! sends with the credential attached, within the upstream's budget,
//! retrying transient failures where that is safe, following redirects
//! only within the policy, capping the body, and redacting every secret
//! from what comes back.
//!
//! What is retried: a 429 (the upstream refused the request) and a
//! connection that failed before the request was sent, for every method;
//! a 500, 502, 503 or 504, a reset, a timeout or a body cut short only for
//! reads (`GET`, `HEAD` and the `POST`s the manifest declares as reads): a
//! 503 does not prove a write was not applied.
//! A write whose connection failed after it was sent is never sent again:
//! the connector gets `outcome-unknown` and must read the target's state.

mod budget;
mod health;
mod held;
mod resolver;
mod retry;
mod tape;

pub use budget::{BudgetLimits, Budgets, KNOWN_QUOTAS, Quota};
pub use health::{Absorbed, Fault, Health, Retries};
pub use held::{BodyBudget, Held};
pub use resolver::is_public;
pub use retry::backoff;
pub use tape::{Exchange, Tape};

use crate::contract::{HttpError, Method, Request, Response, explain_http};
use crate::policy::{Injection, SessionPolicy, Verdict, origin_and_path};
use crate::secret::Redactor;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use resolver::{GuardedResolver, PrivateAddressRefused};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::{Host, Url};

/// Limits of host HTTP, each a named knob with a reasoned default.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest response body handed to a connector. Atlassian pages of 100
    /// to 1000 users stay well under a few MiB; 16 MiB leaves room while
    /// keeping a lying server from filling memory.
    pub max_response_bytes: u64,
    /// Time for one attempt, connection to last byte.
    pub request_timeout: Duration,
    /// Retries of one request after a transient failure (see the module
    /// docs for which).
    pub max_retries: u32,
    /// First backoff wait when the upstream does not say how long to wait;
    /// each retry doubles it, with jitter.
    pub backoff_base: Duration,
    /// Longest single wait an upstream may impose before the host gives up
    /// and reports `rate-limited` to the connector instead.
    pub max_retry_wait: Duration,
    /// Redirect hops followed (each checked against the policy).
    pub max_redirects: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_response_bytes: 16 << 20,
            request_timeout: Duration::from_secs(30),
            max_retries: 6,
            backoff_base: Duration::from_millis(250),
            max_retry_wait: Duration::from_secs(120),
            max_redirects: 5,
        }
    }
}

/// Operator switches for the network.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetworkPolicy {
    /// Allow loopback, private and link-local addresses and IP-literal
    /// hosts. Off in production; the simulator and tests need it.
    pub allow_private: bool,
}

/// What a session brings to a request: its policy, its secrets and its tape.
#[derive(Debug, Default)]
pub struct SessionHttp {
    /// Where the connector may go, with which credential.
    pub policy: SessionPolicy,
    /// Every secret of the session, to scrub from responses and errors.
    pub redactor: Redactor,
    /// Record or replay, if asked.
    pub tape: Option<Tape>,
    /// What the host absorbed for this session.
    pub health: Health,
}

/// The host's HTTP client, shared by every session of a runtime.
#[derive(Debug)]
pub struct Gateway {
    client: reqwest::Client,
    network: NetworkPolicy,
    budgets: Budgets,
    limits: HttpLimits,
}

/// Request headers a connector may not set: credentials go through `auth`,
/// framing and content negotiation are the host's business (a compressed
/// or partial answer would carry a reflected secret past the redactor),
/// and a method override would let a read write.
const FORBIDDEN_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "te",
    "upgrade",
    "keep-alive",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "accept-encoding",
    "range",
    "if-range",
];

impl Gateway {
    /// A gateway; builds the one reqwest client all requests share.
    pub fn new(
        network: NetworkPolicy,
        limits: HttpLimits,
        budget_defaults: BudgetLimits,
        budget_overrides: HashMap<String, BudgetLimits>,
    ) -> Result<Self, reqwest::Error> {
        // One process-wide TLS provider; a second install is a harmless no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: network.allow_private,
            }))
            .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(32)
            .build()?;
        Ok(Gateway {
            client,
            network,
            budgets: Budgets::new(budget_defaults, budget_overrides),
            limits,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// Sends one connector request; see the module docs for every check.
    /// The answer's body holds its bytes of `bodies` (shared by a batch)
    /// until the returned [`Held`] is dropped.
    pub async fn send(
        &self,
        session: &SessionHttp,
        request: Request,
        bodies: &Arc<BodyBudget>,
    ) -> Result<(Response, Held), HttpError> {
        let redact = |s: &str| session.redactor.text(s);
        let mut url = Url::parse(&request.url).map_err(|e| {
            HttpError::InvalidRequest(format!("`{}` is not a URL: {e}", redact(&request.url)))
        })?;
        let headers = request_headers(&request.headers)?;
        let body_text = request
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        if let Some(tape) = session.tape.as_ref().filter(|t| t.is_replay()) {
            self.authorize(session, &url, request.auth.as_deref())?;
            let method = method_name(request.method);
            return tape
                .answer(method, url.as_str(), body_text.as_deref())
                .map(|e| {
                    let response = Response {
                        status: e.status,
                        headers: e.headers,
                        body: e.body.into_bytes(),
                    };
                    (response, bodies.hold())
                })
                .ok_or_else(|| {
                    HttpError::Denied(format!(
                        "the replayed recording has no answer to {method} {}",
                        redact(url.as_str())
                    ))
                });
        }
        let mut method = request.method;
        let mut body = request.body;
        for hop in 0..=self.limits.max_redirects {
            self.authorize(session, &url, request.auth.as_deref())?;
            let answer = self
                .send_with_retries(
                    session,
                    Hop {
                        method,
                        url: &url,
                        headers: &headers,
                        body: body.as_deref(),
                        auth: request.auth.as_deref(),
                    },
                    bodies,
                )
                .await?;
            if let Some(next) = redirect_target(&answer, &url) {
                if hop == self.limits.max_redirects {
                    return Err(HttpError::Denied(format!(
                        "more than {} redirects",
                        self.limits.max_redirects
                    )));
                }
                // 303, and 301/302 after a POST, become a GET without a body.
                if answer.status == 303
                    || (matches!(answer.status, 301 | 302) && method == Method::Post)
                {
                    method = Method::Get;
                    body = None;
                }
                url = next;
                continue;
            }
            let response = Response {
                status: answer.status,
                headers: answer
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            redact(&String::from_utf8_lossy(v.as_bytes())),
                        )
                    })
                    .collect(),
                body: session.redactor.bytes(answer.body),
            };
            let held = answer.held;
            if let Some(tape) = &session.tape {
                let exchange = Exchange {
                    method: method_name(method).into(),
                    url: request.url.clone(),
                    request_body: body_text.clone(),
                    status: response.status,
                    headers: response.headers.clone(),
                    body: String::from_utf8_lossy(&response.body).into_owned(),
                };
                if let Err(e) = tape.write(&exchange) {
                    tracing::warn!("could not write the recording: {e}");
                }
            }
            return Ok((response, held));
        }
        unreachable!("the loop returns on its last hop")
    }

    /// The policy's verdict, then the network rules for IP literals.
    fn authorize(
        &self,
        session: &SessionHttp,
        url: &Url,
        auth: Option<&str>,
    ) -> Result<(), HttpError> {
        if let Verdict::Denied(reason) = session.policy.check(url, auth) {
            return Err(HttpError::Denied(session.redactor.text(&reason)));
        }
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if let Some(ip) = ip
            && !self.network.allow_private
        {
            let why = if is_public(ip) {
                "IP-literal hosts are refused; use a host name"
            } else {
                "private, loopback and link-local addresses are refused"
            };
            return Err(HttpError::Denied(format!(
                "{}: {why}",
                origin_and_path(url)
            )));
        }
        // Private networks (the simulator, tests) may use plain http.
        if auth.is_some() && url.scheme() == "http" && !self.network.allow_private {
            return Err(HttpError::Denied(format!(
                "{}: a credential is sent over https only",
                origin_and_path(url)
            )));
        }
        Ok(())
    }

    /// One hop: attempts until an answer or a failure that is not to be
    /// retried, or until the retries run out.
    async fn send_with_retries(
        &self,
        session: &SessionHttp,
        hop: Hop<'_>,
        bodies: &Arc<BodyBudget>,
    ) -> Result<Answer, HttpError> {
        let Hop { method, url, .. } = hop;
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(443);
        let upstream = format!("{host}:{port}");
        let budget = self.budgets.of(host, port);
        let read = session.policy.is_read(method, url);
        let mut attempt = 0;
        loop {
            let permit = budget.acquire().await;
            let outcome = self.attempt(session, hop, bodies).await;
            drop(permit);
            if let Ok(answer) = &outcome
                && let Some(wait) = retry::quota_spent(&answer.headers, SystemTime::now())
            {
                // Spent: hold the upstream back before it answers 429.
                budget.pause(wait.min(self.limits.max_retry_wait));
            }
            let Some((fault, wait)) = self.retry_after(&outcome, read, attempt) else {
                return outcome.map_err(|f| f.into_error(read));
            };
            let attempts = attempt + 1;
            if attempt >= self.limits.max_retries || wait > self.limits.max_retry_wait {
                let last = match &outcome {
                    Ok(a) => format!("answered {}", a.status),
                    Err(f) => explain_http(&f.error),
                };
                session.health.gave_up(session.redactor.text(&format!(
                    "{} {}: gave up after {attempts} attempt{} ({last}{})",
                    method_name(method),
                    origin_and_path(url),
                    if attempts == 1 { "" } else { "s" },
                    if wait > self.limits.max_retry_wait {
                        format!(
                            "; the upstream asked to wait {} s, more than the {} s allowed",
                            wait.as_secs(),
                            self.limits.max_retry_wait.as_secs()
                        )
                    } else {
                        String::new()
                    },
                )));
                return match outcome {
                    Ok(a) if a.status == 429 => Err(HttpError::RateLimited(Some(
                        u32::try_from(wait.as_secs()).unwrap_or(u32::MAX),
                    ))),
                    other => other.map_err(|f| f.into_error(read)),
                };
            }
            session.health.retried(&upstream, fault);
            tracing::debug!(
                url = %origin_and_path(url),
                attempt,
                wait_ms = wait.as_millis() as u64,
                ?fault,
                "transient failure; retrying"
            );
            if matches!(&outcome, Ok(a) if a.status == 429) {
                budget.pause(wait);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Whether an attempt's outcome is sent again, why, and after how long.
    fn retry_after(
        &self,
        outcome: &Result<Answer, Failure>,
        read: bool,
        attempt: u32,
    ) -> Option<(Fault, Duration)> {
        let backoff = || retry::backoff(self.limits.backoff_base, attempt);
        match outcome {
            Ok(a) if a.status == 429 || (read && a.status == 503) => {
                let fault = if a.status == 429 {
                    Fault::RateLimited
                } else {
                    Fault::ServerError
                };
                let asked = retry::signalled_delay(&a.headers, a.status == 429, SystemTime::now());
                Some((fault, asked.unwrap_or_else(backoff)))
            }
            Ok(a) if read && matches!(a.status, 500 | 502 | 504) => {
                Some((Fault::ServerError, backoff()))
            }
            Ok(_) => None,
            Err(f) => match f.stage {
                Stage::NotSent => Some((Fault::Connection, backoff())),
                Stage::Sent if read => Some((Fault::Connection, backoff())),
                Stage::Sent | Stage::Final => None,
            },
        }
    }

    /// One attempt on the wire, with the credential attached.
    async fn attempt(
        &self,
        session: &SessionHttp,
        hop: Hop<'_>,
        bodies: &Arc<BodyBudget>,
    ) -> Result<Answer, Failure> {
        let Hop {
            method,
            url,
            headers,
            body,
            auth,
        } = hop;
        let mut target = url.clone();
        let mut builder_headers = headers.clone();
        if let Some(credential) = auth.and_then(|id| session.policy.credential(id)) {
            attach(&credential.injection, &mut target, &mut builder_headers)
                .map_err(Failure::last)?;
        }
        let mut builder = self
            .client
            .request(reqwest_method(method), target)
            .headers(builder_headers)
            .timeout(self.limits.request_timeout);
        if let Some(body) = body {
            builder = builder.body(body.to_vec());
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport_error(e, url, &session.redactor))?;
        let status = response.status().as_u16();
        if let Some(coding) = content_coding(response.headers()) {
            return Err(Failure::last(HttpError::Denied(format!(
                "the upstream answered with a `{coding}`-encoded body, which the host did not ask \
                 for and does not pass on (a compressed body could carry a secret past \
                 redaction); the request was answered, so a write may have been applied"
            ))));
        }
        let cap = self.limits.max_response_bytes;
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(Failure::last(HttpError::TooLarge(cap)));
        }
        let mut held = bodies.hold();
        let mut collected = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            // The answer had begun: the request was received.
            Failure {
                stage: Stage::Sent,
                ..transport_error(e, url, &session.redactor)
            }
        })? {
            if collected.len() as u64 + chunk.len() as u64 > cap {
                return Err(Failure::last(HttpError::TooLarge(cap)));
            }
            // The batch's answers together may not outgrow its budget.
            if !held.grow(chunk.len() as u64) {
                return Err(Failure::last(HttpError::TooLarge(bodies.limit())));
            }
            collected.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers: response.headers().clone(),
            body: collected,
            held,
        })
    }
}

/// One hop of a request, as it goes on the wire (before the credential).
#[derive(Clone, Copy)]
struct Hop<'a> {
    method: Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    body: Option<&'a [u8]>,
    auth: Option<&'a str>,
}

/// A failed attempt, and how far the request had got.
struct Failure {
    error: HttpError,
    stage: Stage,
}

/// How far a failed request got, which decides whether it may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The connection failed before the request left: safe to send again.
    NotSent,
    /// The request may have reached the upstream: only a read is sent again.
    Sent,
    /// Not a transient failure (too large, refused by the host).
    Final,
}

impl Failure {
    fn last(error: HttpError) -> Self {
        Failure {
            error,
            stage: Stage::Final,
        }
    }

    /// The error the connector gets: for a write that may have reached the
    /// upstream, `outcome-unknown`.
    fn into_error(self, read: bool) -> HttpError {
        match (self.stage, read) {
            (Stage::Sent, false) => HttpError::OutcomeUnknown(format!(
                "{}; the host did not send it again",
                explain_http(&self.error)
            )),
            _ => self.error,
        }
    }
}

/// The coding of a body sent with a `Content-Encoding` other than
/// `identity`.
fn content_coding(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("content-encoding")?;
    let coding = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    (!coding.is_empty() && !coding.eq_ignore_ascii_case("identity")).then_some(coding)
}

/// An upstream answer before redaction, holding its body's bytes of the
/// batch's budget.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    held: Held,
}

/// The next URL of a redirect, if the answer is one.
fn redirect_target(answer: &Answer, url: &Url) -> Option<Url> {
    if !matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = answer.headers.get("location")?.to_str().ok()?;
    url.join(location).ok()
}

/// Attaches a credential to the outgoing URL and headers.
fn attach(injection: &Injection, url: &mut Url, headers: &mut HeaderMap) -> Result<(), HttpError> {
    let mut set = |name: &str, value: String| -> Result<(), HttpError> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            HttpError::InvalidRequest(format!("bad credential header name `{name}`"))
        })?;
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            HttpError::InvalidRequest("the credential is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
        Ok(())
    };
    match injection {
        Injection::Bearer(token) => set("authorization", format!("Bearer {}", token.expose())),
        Injection::Basic { username, password } => {
            use base64::Engine as _;
            let pair = format!("{username}:{}", password.expose());
            set(
                "authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            )
        }
        Injection::Header {
            name,
            prefix,
            secret,
        } => set(name, format!("{prefix}{}", secret.expose())),
        Injection::Query(params) => {
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.expose())));
            Ok(())
        }
    }
}

/// The connector's headers, refusing those it may not set.
fn request_headers(pairs: &[(String, String)]) -> Result<HeaderMap, HttpError> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let lower = name.to_ascii_lowercase();
        if FORBIDDEN_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
            return Err(HttpError::Denied(format!(
                "header `{name}` may not be set by a connector (credentials go through `auth`; \
                 framing, content negotiation and the method are the host's)"
            )));
        }
        let name = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| HttpError::InvalidRequest(format!("bad header name `{name}`")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| HttpError::InvalidRequest(format!("bad value for header `{name}`")))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// A reqwest failure as a typed error, without the URL (its query may hold
/// a credential) and with every secret removed; a failure to connect is
/// one the request never left on.
fn transport_error(e: reqwest::Error, url: &Url, redactor: &Redactor) -> Failure {
    let stage = if e.is_connect() {
        Stage::NotSent
    } else {
        Stage::Sent
    };
    if e.is_timeout() {
        return Failure {
            error: HttpError::Timeout,
            stage,
        };
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<PrivateAddressRefused>() {
            return Failure::last(HttpError::Denied(refused.to_string()));
        }
        causes.push(err.to_string());
        source = err.source();
    }
    let mut message = e.without_url().to_string();
    for cause in causes {
        message.push_str(": ");
        message.push_str(&cause);
    }
    Failure {
        error: HttpError::Transport(redactor.text(&format!("{}: {message}", origin_and_path(url)))),
        stage,
    }
}

fn reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

/// The method's name, as recorded and audited.
pub fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectors_cannot_set_credential_or_framing_headers() {
        for name in [
            "Authorization",
            "cookie",
            "Host",
            "Proxy-Authorization",
            "proxy-x",
            "Content-Length",
            "X-HTTP-Method-Override",
        ] {
            let r = request_headers(&[(name.into(), "x".into())]);
            assert!(matches!(r, Err(HttpError::Denied(_))), "{name}");
        }
        let ok = request_headers(&[("X-Atlassian-Token".into(), "no-check".into())]).unwrap();
        assert_eq!(ok.get("x-atlassian-token").unwrap(), "no-check");
        assert!(matches!(
            request_headers(&[("bad name".into(), "x".into())]),
            Err(HttpError::InvalidRequest(_))
        ));
    }
}
