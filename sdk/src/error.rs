//! Connector errors, grouped by what the operator can do about them.

use crate::bindings::roster::connector::{http::HttpError, types as wit};
use std::fmt;

/// An error a connector returns. Each variant tells the operator what to do:
/// fix the config, replace credentials, grant a permission, retry, or report
/// a bug.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The config is wrong; the message names the field.
    InvalidConfig(String),
    /// The upstream rejected the credentials.
    Unauthorized(String),
    /// The credentials lack a permission; the message names it.
    Forbidden(String),
    /// The account, group or product does not exist.
    NotFound(String),
    /// The upstream is still rate limiting; seconds to wait, if known.
    RateLimited(Option<u32>),
    /// This connector or configuration cannot do that.
    Unsupported(String),
    /// The upstream failed (status 0: no answer at all).
    Upstream {
        /// HTTP status, or 0 when no response arrived.
        status: u16,
        /// What the upstream said, or what went wrong.
        message: String,
    },
    /// The upstream answered something the connector cannot read.
    InvalidResponse(String),
    /// A write was sent and never answered: it may or may not have been
    /// applied. Read the state again before trying anything else.
    OutcomeUnknown(String),
    /// A bug or a limit in the connector or the host.
    Internal(String),
}

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// `InvalidConfig` for `field`, saying what is wrong.
    pub fn config(field: &str, problem: impl fmt::Display) -> Self {
        Error::InvalidConfig(format!("`{field}`: {problem}"))
    }

    /// `Unsupported`, naming what is not supported.
    pub fn unsupported(what: impl fmt::Display) -> Self {
        Error::Unsupported(what.to_string())
    }

    /// `InvalidResponse`, saying what could not be read.
    pub fn invalid_response(what: impl fmt::Display) -> Self {
        Error::InvalidResponse(what.to_string())
    }

    /// Whether the upstream failed for now, so that asking again may
    /// succeed: no answer, or a 500, 502, 503 or 504. A rate limit is not:
    /// the host has already waited as long as it may.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Upstream {
                status: 0 | 500 | 502 | 503 | 504,
                ..
            }
        )
    }

    /// Names what the request that failed was about (`account `5b10…``),
    /// for an error of one request among many, such as one answer of a
    /// [`fan_out`](crate::batch::fan_out). Only a refusal (`Forbidden`) or
    /// an upstream failure concerns that one subject; the other errors are
    /// about the whole session (credentials, config, rate limits) and stay
    /// as they are.
    pub fn about(self, subject: &str) -> Self {
        match self {
            Error::Upstream { status, message } => Error::Upstream {
                status,
                message: format!("{subject}: {message}"),
            },
            Error::Forbidden(m) => Error::Forbidden(format!("{subject}: {m}")),
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            Error::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            Error::Forbidden(m) => write!(f, "forbidden: {m}"),
            Error::NotFound(m) => write!(f, "not found: {m}"),
            Error::RateLimited(Some(s)) => write!(f, "rate limited: retry in {s} s"),
            Error::RateLimited(None) => write!(f, "rate limited"),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::Upstream { status: 0, message } => write!(f, "upstream unreachable: {message}"),
            Error::Upstream { status, message } => write!(f, "upstream error {status}: {message}"),
            Error::InvalidResponse(m) => write!(f, "invalid response: {m}"),
            Error::OutcomeUnknown(m) => write!(f, "outcome unknown: {m}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(m) => Error::Internal(format!("request denied by the sandbox: {m}")),
            HttpError::DryRun(m) => Error::Internal(format!(
                "write attempted during a dry run ({m}); send writes through `Provisioning::write`"
            )),
            HttpError::InvalidRequest(m) => Error::Internal(format!("invalid request: {m}")),
            HttpError::RequestLimit(n) => {
                Error::Internal(format!("request limit of {n} per call reached"))
            }
            HttpError::TooLarge(n) => {
                Error::InvalidResponse(format!("response larger than the {n}-byte cap"))
            }
            HttpError::Timeout => Error::Upstream {
                status: 0,
                message: "timed out".into(),
            },
            HttpError::RateLimited(s) => Error::RateLimited(s),
            HttpError::Transport(m) => Error::Upstream {
                status: 0,
                message: m,
            },
            HttpError::OutcomeUnknown(m) => Error::OutcomeUnknown(m),
        }
    }
}

impl From<url::ParseError> for Error {
    fn from(e: url::ParseError) -> Self {
        Error::Internal(format!("could not build a URL: {e}"))
    }
}

impl From<Error> for wit::ConnectorError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidConfig(m) => wit::ConnectorError::InvalidConfig(m),
            Error::Unauthorized(m) => wit::ConnectorError::Unauthorized(m),
            Error::Forbidden(m) => wit::ConnectorError::Forbidden(m),
            Error::NotFound(m) => wit::ConnectorError::NotFound(m),
            Error::RateLimited(s) => wit::ConnectorError::RateLimited(s),
            Error::Unsupported(m) => wit::ConnectorError::Unsupported(m),
            Error::Upstream { status, message } => {
                wit::ConnectorError::Upstream(wit::UpstreamError { status, message })
            }
            Error::InvalidResponse(m) => wit::ConnectorError::InvalidResponse(m),
            Error::OutcomeUnknown(m) => wit::ConnectorError::OutcomeUnknown(m),
            Error::Internal(m) => wit::ConnectorError::Internal(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_upstream_failing_for_now_is_transient() {
        let upstream = |status| Error::Upstream {
            status,
            message: String::new(),
        };
        for status in [0, 500, 502, 503, 504] {
            assert!(upstream(status).is_transient(), "{status}");
        }
        for error in [
            upstream(400),
            upstream(501),
            Error::RateLimited(Some(3600)),
            Error::OutcomeUnknown("lost".into()),
            Error::NotFound("x".into()),
        ] {
            assert!(!error.is_transient(), "{error}");
        }
    }

    #[test]
    fn about_names_the_subject_of_one_request_s_failure() {
        let subject = "account `a`";
        assert_eq!(
            Error::Forbidden("no".into()).about(subject),
            Error::Forbidden("account `a`: no".into())
        );
        assert_eq!(
            Error::Upstream {
                status: 500,
                message: "boom".into()
            }
            .about(subject)
            .to_string(),
            "upstream error 500: account `a`: boom"
        );
        for session_wide in [
            Error::Unauthorized("key".into()),
            Error::RateLimited(Some(3)),
            Error::InvalidConfig("x".into()),
        ] {
            assert_eq!(session_wide.clone().about(subject), session_wide);
        }
    }
}
