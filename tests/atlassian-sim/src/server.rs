//! The running simulator: one loopback listener per Atlassian upstream,
//! the shared organisation behind them, the request log, and the
//! misbehaviour layer in front of every route.

use crate::api;
use crate::auth::Credentials;
use crate::behaviour::{Behaviour, Fate, RateLimit};
use crate::generate;
use crate::model::Org;
use crate::respond;
use crate::rng::mix;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The Atlassian hosts the simulator stands in for, one listener each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Upstream {
    /// `api.atlassian.com`: the Admin API, the user-management API, SCIM.
    Admin,
    /// `{site}.atlassian.net`: Jira and Confluence (under `/wiki`).
    Site,
    /// `api.trello.com`.
    Trello,
    /// `api.bitbucket.org`.
    Bitbucket,
}

impl Upstream {
    /// Every upstream, in listener order.
    pub const ALL: [Upstream; 4] = [
        Upstream::Admin,
        Upstream::Site,
        Upstream::Trello,
        Upstream::Bitbucket,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// Its name in the request log: `admin`, `site`, `trello`, `bitbucket`.
    pub fn name(self) -> &'static str {
        match self {
            Upstream::Admin => "admin",
            Upstream::Site => "site",
            Upstream::Trello => "trello",
            Upstream::Bitbucket => "bitbucket",
        }
    }
}

/// Base URLs to give connectors in place of the real hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// For `https://api.atlassian.com`.
    pub admin: String,
    /// For `https://{site}.atlassian.net`.
    pub site: String,
    /// For `https://api.trello.com/1` (ends in `/1`).
    pub trello: String,
    /// For `https://api.bitbucket.org`.
    pub bitbucket: String,
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Seed of the generated organisation.
    pub seed: u64,
    /// Accounts in the organisation (apps and customers included), within
    /// [`generate::PEOPLE_RANGE`].
    pub people: usize,
    /// Misbehaviour, changeable later with [`Simulator::set_behaviour`].
    pub behaviour: Behaviour,
    /// The moment last-active dates count back from; default: now.
    pub now: Option<OffsetDateTime>,
    /// Address to listen on; default loopback.
    pub address: IpAddr,
    /// First of four consecutive ports (admin, site, Trello, Bitbucket);
    /// default: any free ports.
    pub first_port: Option<u16>,
    /// Give the organisation a second production site (`<site>-eu`, with
    /// Jira Software and Confluence) and a sandbox (`<site>-sandbox`,
    /// with Jira Software) besides the main site
    /// ([`generate::multi_site_organisation`]); default: one site. The
    /// Admin API serves every site's instances; the site listener serves
    /// the main site only, and the main site's people, groups, seats and
    /// activity are the single-site organisation's.
    pub multi_site: bool,
    /// Move the Bitbucket workspace's administration to
    /// admin.atlassian.com (see `Org::bitbucket_centralised`).
    pub bitbucket_centralised: bool,
    /// Make the Trello workspace part of an enterprise (see
    /// `Org::trello_enterprise`); default: it is.
    pub trello_enterprise: bool,
    /// Move the Trello enterprise's user management to Atlassian
    /// administration (see `Org::trello_admin_hub`); default: Trello keeps
    /// it.
    pub trello_admin_hub: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 0,
            people: 100,
            behaviour: Behaviour::default(),
            now: None,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            first_port: None,
            multi_site: false,
            bitbucket_centralised: false,
            trello_enterprise: true,
            trello_admin_hub: false,
        }
    }
}

/// Why a simulator could not start.
#[derive(Debug)]
pub enum StartError {
    /// The head count is out of range.
    People(usize),
    /// A port could not be bound.
    Bind(SocketAddr, std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::People(n) => write!(
                f,
                "{n} people is out of range: choose {} to {}",
                generate::PEOPLE_RANGE.start(),
                generate::PEOPLE_RANGE.end()
            ),
            StartError::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// One request as the simulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Which upstream it reached.
    pub upstream: Upstream,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request body, as text, if any.
    pub body: Option<String>,
    /// The request's headers, names in lower case, in the order sent,
    /// without the credentials (`authorization`, `cookie`).
    pub headers: Vec<(String, String)>,
    /// The status answered; 0 when the connection was dropped.
    pub status: u16,
    /// When the simulator took the request in: the first thing the
    /// misbehaviour layer does, before the body is read. With
    /// [`LoggedRequest::answered`] it lets a benchmark rebuild the order
    /// in which requests depended on each other: a request received after
    /// another was answered may have waited for it; one received before
    /// could not have.
    pub received: Instant,
    /// When the answer was ready: after the handler (or the misbehaviour
    /// that replaced it) produced the response, just before logging. A
    /// truncated or dropped answer is cut after this moment.
    pub answered: Instant,
}

impl LoggedRequest {
    /// The value of header `name` (in lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request asked for a change: not a GET or a HEAD, nor a
    /// POST to one of the Admin API's searches or Confluence's access
    /// check.
    pub fn is_write(&self) -> bool {
        is_write(self.upstream, &self.method, &self.path)
    }
}

/// Whether `method path` on `upstream` asks for a change.
fn is_write(upstream: Upstream, method: &str, path: &str) -> bool {
    match method {
        "GET" | "HEAD" => false,
        // The Admin API's searches take their filters in a body, and so
        // does Confluence's check of who has access.
        "POST" => match upstream {
            Upstream::Admin => !(path.ends_with("/users/search") || path.ends_with("/workspaces")),
            Upstream::Site => path != "/wiki/api/v2/user/access/check-access-by-email",
            _ => true,
        },
        _ => true,
    }
}

/// What every handler shares: the organisation, the credentials, the
/// behaviour and the log.
#[derive(Debug)]
pub struct Shared {
    org: RwLock<Org>,
    /// The credentials the simulator accepts.
    pub credentials: Credentials,
    /// Base URLs, for links in answers.
    pub urls: Urls,
    behaviour: RwLock<Behaviour>,
    log: Mutex<Vec<LoggedRequest>>,
    seed: u64,
    sequence: AtomicU64,
    limiters: [Limiter; 4],
    /// Bumped whenever the organisation is handed out for writing.
    version: AtomicU64,
    /// Listings by name, with the version they were built at.
    listings: Mutex<HashMap<String, Listing>>,
}

/// A cached listing: the organisation version it was built at, and the
/// positions of the people it shows.
type Listing = (u64, Arc<Vec<usize>>);

#[derive(Debug, Default)]
struct Limiter {
    count: AtomicU64,
    window: Mutex<Option<(Instant, u32)>>,
}

impl Shared {
    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The organisation, to read.
    pub fn org(&self) -> RwLockReadGuard<'_, Org> {
        self.org.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The organisation, to change. Cached listings are rebuilt after.
    pub fn org_mut(&self) -> RwLockWriteGuard<'_, Org> {
        let guard = self.org.write().unwrap_or_else(|e| e.into_inner());
        // Bumped under the write lock: a reader holding the read lock sees
        // a version that matches the state it reads.
        self.version.fetch_add(1, Ordering::AcqRel);
        guard
    }

    /// The positions of the people a listing shows, in order, cached until
    /// the organisation next changes, so that a page of a long listing
    /// costs the page and not a walk over everyone before it. `org` is the
    /// caller's read guard; `name` identifies the selection.
    pub fn listing(
        &self,
        org: &Org,
        name: &str,
        select: impl Fn(&Org, usize) -> bool,
    ) -> Arc<Vec<usize>> {
        let version = self.version.load(Ordering::Acquire);
        let mut listings = self.listings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((built, positions)) = listings.get(name)
            && *built == version
        {
            return positions.clone();
        }
        let positions: Arc<Vec<usize>> =
            Arc::new((0..org.people.len()).filter(|&p| select(org, p)).collect());
        listings.insert(name.to_owned(), (version, positions.clone()));
        positions
    }

    /// The behaviour in force.
    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A fresh random number in `[0, 1)`, from the seed and a sequence.
    fn roll(&self) -> f64 {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        (mix(self.seed ^ n.wrapping_mul(0x9E37_79B9)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Decides what a request to `upstream` gets.
    fn fate(&self, upstream: Upstream, behaviour: &Behaviour) -> Fate {
        if let Some(wait) = self.rate_limited(upstream, behaviour.rate_limit) {
            return Fate::RateLimited(wait);
        }
        let roll = self.roll();
        let mut edge = behaviour.unavailable;
        if roll < edge {
            return Fate::ServerError(503);
        }
        edge += behaviour.internal_errors;
        if roll < edge {
            return Fate::ServerError(500);
        }
        edge += behaviour.resets;
        if roll < edge {
            return Fate::Reset;
        }
        edge += behaviour.truncated;
        if roll < edge {
            return Fate::Truncate;
        }
        Fate::Answer
    }

    fn rate_limited(&self, upstream: Upstream, limit: Option<RateLimit>) -> Option<Duration> {
        let limiter = &self.limiters[upstream.index()];
        match limit? {
            RateLimit::Every { n, wait } => {
                let count = limiter.count.fetch_add(1, Ordering::Relaxed) + 1;
                (n > 0 && count.is_multiple_of(u64::from(n))).then_some(wait)
            }
            RateLimit::Window { requests, window } => {
                let mut state = limiter.window.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let (start, count) = match *state {
                    Some((start, count)) if now.duration_since(start) < window => (start, count),
                    _ => (now, 0),
                };
                if count >= requests {
                    *state = Some((start, count));
                    return Some(window.saturating_sub(now.duration_since(start)));
                }
                *state = Some((start, count + 1));
                None
            }
        }
    }
}

/// A running simulator. Dropping it stops the listeners.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl Simulator {
    /// Generates the organisation and starts serving it.
    pub async fn start(options: SimOptions) -> Result<Simulator, StartError> {
        if !generate::PEOPLE_RANGE.contains(&options.people) {
            return Err(StartError::People(options.people));
        }
        let now = options
            .now
            .unwrap_or_else(OffsetDateTime::now_utc)
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc());
        let mut org = if options.multi_site {
            generate::multi_site_organisation(options.seed, options.people, now)
        } else {
            generate::organisation(options.seed, options.people, now)
        };
        org.bitbucket_centralised = options.bitbucket_centralised;
        org.trello_enterprise = options.trello_enterprise;
        org.trello_admin_hub = options.trello_admin_hub;
        let credentials = Credentials::new(options.seed, &org);
        let mut listeners = Vec::new();
        for (i, _) in Upstream::ALL.iter().enumerate() {
            let port = options.first_port.map_or(0, |p| p + i as u16);
            let addr = SocketAddr::new(options.address, port);
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| StartError::Bind(addr, e))?;
            let local = listener
                .local_addr()
                .map_err(|e| StartError::Bind(addr, e))?;
            listeners.push((listener, local));
        }
        let origin = |i: usize| format!("http://{}", listeners[i].1);
        let urls = Urls {
            admin: origin(0),
            site: origin(1),
            trello: format!("{}/1", origin(2)),
            bitbucket: origin(3),
        };
        let shared = Arc::new(Shared {
            org: RwLock::new(org),
            credentials,
            urls,
            behaviour: RwLock::new(options.behaviour),
            log: Mutex::default(),
            seed: options.seed,
            sequence: AtomicU64::new(0),
            limiters: Default::default(),
            version: AtomicU64::new(0),
            listings: Mutex::default(),
        });
        let (stop, stopped) = watch::channel(false);
        for ((listener, _), upstream) in listeners.into_iter().zip(Upstream::ALL) {
            let router = api::routes(upstream)
                .layer(middleware::from_fn_with_state(
                    (shared.clone(), upstream),
                    misbehave,
                ))
                .with_state(shared.clone());
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown)
                    .await
                {
                    eprintln!("atlassian-sim: {upstream:?} listener failed: {e}");
                }
            });
        }
        Ok(Simulator { shared, stop })
    }

    /// Base URLs to configure connectors with.
    pub fn urls(&self) -> &Urls {
        &self.shared.urls
    }

    /// The credentials the simulator accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// The config of Roster's built-in connector `id` against this
    /// simulator, as the JSON a session opens with (see
    /// [`roster_config`](crate::roster_config)).
    pub fn connector_config(&self, id: &str) -> Option<serde_json::Value> {
        crate::roster_config::json(id, self.urls(), self.credentials())
    }

    /// Writes the `roster.toml` `file` enabling `ids` against this
    /// simulator, secrets in files beside it; returns the ids it has no
    /// config for (see
    /// [`roster_config::write_roster_toml`](crate::roster_config::write_roster_toml)).
    pub fn write_roster_toml(
        &self,
        file: &std::path::Path,
        ids: &[&str],
    ) -> std::io::Result<Vec<String>> {
        crate::roster_config::write_roster_toml(file, ids, self.urls(), self.credentials())
    }

    /// The organisation as it is now: the ground truth tests compare with.
    /// Hold the guard briefly; requests wait while provisioning writes.
    pub fn org(&self) -> RwLockReadGuard<'_, Org> {
        self.shared.org()
    }

    /// Gives `account_id` a user role on `product`'s main instance assigned
    /// directly, without a group, as Atlassian administration can: the
    /// Admin API then shows it, Jira's group listings do not, and the
    /// product's seats in use count it. False when no such person exists.
    pub fn assign_directly(&self, account_id: &str, product: crate::model::ProductKey) -> bool {
        let mut org = self.shared.org_mut();
        let Some(p) = org.position(account_id) else {
            return false;
        };
        let instance = crate::model::InstanceId::main(product);
        if !org.people[p].direct.contains(&instance) {
            org.people[p].direct.push(instance);
        }
        true
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// Forgets the requests logged so far.
    pub fn clear_requests(&self) {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Changes the behaviour from the next request on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self
            .shared
            .behaviour
            .write()
            .unwrap_or_else(|e| e.into_inner()) = behaviour;
    }

    /// The behaviour in force.
    pub fn behaviour(&self) -> Behaviour {
        self.shared.behaviour()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Bodies larger than this are not kept in the request log.
const LOGGED_BODY_LIMIT: usize = 64 << 10;

/// The layer in front of every route: applies the behaviour and logs the
/// exchange.
async fn misbehave(
    State((shared, upstream)): State<(Arc<Shared>, Upstream)>,
    request: Request,
    next: Next,
) -> Response {
    let received = Instant::now();
    if request.uri().path().starts_with(api::tool::PREFIX) {
        return next.run(request).await;
    }
    let behaviour = shared.behaviour();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let (parts, body) = request.into_parts();
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "authorization" | "cookie"))
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let logged_body = (!bytes.is_empty() && bytes.len() <= LOGGED_BODY_LIMIT)
        .then(|| String::from_utf8_lossy(&bytes).into_owned());
    let request = Request::from_parts(parts, Body::from(bytes));

    let mut delay = behaviour.latency;
    if behaviour.slow > 0.0 && shared.roll() < behaviour.slow {
        delay += behaviour.slow_delay;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let fate = match shared.fate(upstream, &behaviour) {
        Fate::Answer
            if behaviour.write_resets > 0.0
                && is_write(upstream, &method, &path)
                && shared.roll() < behaviour.write_resets =>
        {
            Fate::Reset
        }
        Fate::Answer
            if is_write(upstream, &method, &path)
                && behaviour.failing_writes.iter().any(|f| {
                    path.contains(f.as_str())
                        || query.as_deref().is_some_and(|q| q.contains(f.as_str()))
                }) =>
        {
            Fate::ServerError(500)
        }
        fate => fate,
    };
    let mut response = match fate {
        Fate::RateLimited(wait) => rate_limited(upstream, wait),
        Fate::ServerError(status) => server_error(upstream, status),
        Fate::Answer | Fate::Truncate | Fate::Reset => next.run(request).await,
    };
    if upstream == Upstream::Admin {
        add_admin_rate_headers(&mut response, &behaviour);
    }
    let status = if fate == Fate::Reset {
        0
    } else {
        response.status().as_u16()
    };
    let answered = Instant::now();
    shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(LoggedRequest {
            upstream,
            method,
            path,
            query,
            body: logged_body,
            headers,
            status,
            received,
            answered,
        });
    match fate {
        Fate::Truncate => cut(response, true).await,
        Fate::Reset => cut(response, false).await,
        _ => response,
    }
}

/// The response with its body cut: half of it when `keep_half`, else none.
/// `Content-Length` still announces the whole body, so the client sees the
/// connection close early.
async fn cut(response: Response, keep_half: bool) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let full = bytes.len().max(2);
    let kept = if keep_half {
        bytes.slice(..bytes.len() / 2)
    } else {
        Bytes::new()
    };
    parts.headers.insert(
        "content-length",
        HeaderValue::from_str(&full.to_string()).unwrap_or(HeaderValue::from_static("2")),
    );
    let stream = futures::stream::iter([
        Ok::<Bytes, std::io::Error>(kept),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection drop",
        )),
    ]);
    Response::from_parts(parts, Body::from_stream(stream))
}

/// A 429 carrying the product's own signals.
fn rate_limited(upstream: Upstream, wait: Duration) -> Response {
    let reset = OffsetDateTime::now_utc() + wait;
    match upstream {
        Upstream::Admin => {
            let mut r = respond::admin_error(
                429,
                "ADMIN-429-1",
                "Too Many Requests",
                "Rate limit exceeded",
            );
            set(
                &mut r,
                "x-ratelimit-reset",
                &reset.format(&Rfc3339).unwrap_or_default(),
            );
            r
        }
        Upstream::Site => {
            let mut r = respond::jira_error(429, "Rate limit exceeded.");
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            set(&mut r, "retry-after", &seconds.max(1).to_string());
            let minute = reset
                .replace_second(0)
                .unwrap_or(reset)
                .replace_nanosecond(0)
                .unwrap_or(reset);
            set(
                &mut r,
                "x-ratelimit-reset",
                &minute
                    .format(&Rfc3339)
                    .unwrap_or_default()
                    .replace(":00Z", "Z"),
            );
            set(&mut r, "ratelimit-reason", "jira-burst-based");
            r
        }
        Upstream::Trello => {
            let mut r = respond::json(
                429,
                &serde_json::json!({ "error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded" }),
            );
            set(&mut r, "x-rate-limit-api-token-interval-ms", "10000");
            set(&mut r, "x-rate-limit-api-token-max", "100");
            set(&mut r, "x-rate-limit-api-token-remaining", "0");
            r
        }
        Upstream::Bitbucket => {
            respond::bitbucket_error(429, "Rate limit for this resource has been exceeded", None)
        }
    }
}

/// A server error in the upstream's style (no `Retry-After`).
fn server_error(upstream: Upstream, status: u16) -> Response {
    let message = if status == 503 {
        "Service Unavailable"
    } else {
        "Internal Server Error"
    };
    match upstream {
        Upstream::Admin => {
            respond::admin_error(status, &format!("ADMIN-{status}-1"), message, message)
        }
        Upstream::Site => respond::jira_error(status, message),
        Upstream::Trello => respond::trello_error(status, message),
        Upstream::Bitbucket => respond::bitbucket_error(status, message, None),
    }
}

/// The Admin API's rate headers, sent on every response.
fn add_admin_rate_headers(response: &mut Response, behaviour: &Behaviour) {
    let (limit, window) = match behaviour.rate_limit {
        Some(RateLimit::Window { requests, window }) => (requests, window),
        _ => (1000, Duration::from_secs(60)),
    };
    let reset = OffsetDateTime::now_utc() + window;
    set(response, "x-ratelimit-limit", &limit.to_string());
    if response.status().as_u16() != 429 {
        set(
            response,
            "x-ratelimit-remaining",
            &(limit.saturating_sub(1)).to_string(),
        );
        set(
            response,
            "x-ratelimit-reset",
            &reset.format(&Rfc3339).unwrap_or_default(),
        );
    } else {
        set(response, "x-ratelimit-remaining", "0");
    }
}

fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}
