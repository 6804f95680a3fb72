//! Provisioning: one code path for dry runs and real runs.

use crate::http::{Method, Request, Response};
use crate::types::{Outcome, OutcomeStatus, PlannedRequest};
use crate::{Error, Result};

/// The context of one provisioning action.
///
/// A connector reads the current state with ordinary requests, decides what
/// must change, and sends each change through [`write`](Provisioning::write).
/// In a dry run `write` records the request without sending it (the host
/// would refuse it anyway); in a real run it sends it. The outcome follows:
/// no writes is `unchanged`, writes in a dry run are `planned`, writes
/// otherwise are `applied`.
///
/// A write whose answer was lost after it was sent (`outcome-unknown`:
/// the host never sends it twice) is read back with
/// [`write_verified`](Provisioning::write_verified) before anything else
/// is decided.
#[derive(Debug)]
pub struct Provisioning {
    dry_run: bool,
    writes: Vec<PlannedRequest>,
}

impl Provisioning {
    /// A context; `dry_run` as the host asked.
    pub fn new(dry_run: bool) -> Self {
        Provisioning {
            dry_run,
            writes: Vec::new(),
        }
    }

    /// Whether this is a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// Sends a write (turning an error status into an [`Error`]), or in a
    /// dry run records it and returns `None`.
    pub fn write(&mut self, request: Request) -> Result<Option<Response>> {
        self.writes.push(PlannedRequest {
            method: method_name(request.method()).into(),
            url: request.url().to_owned(),
            body: request
                .body_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        });
        if self.dry_run {
            return Ok(None);
        }
        request.fetch().map(Some)
    }

    /// Sends a write as [`write`](Provisioning::write) does; when its
    /// outcome is unknown, asks `applied` (a read of the target) whether it
    /// took effect. If it did, the write counts as sent (with no answer);
    /// if it did not, the call fails saying nothing changed; if the read
    /// fails too, the outcome stays unknown. The write is never sent again.
    pub fn write_verified(
        &mut self,
        request: Request,
        applied: impl FnOnce() -> Result<bool>,
    ) -> Result<Option<Response>> {
        let what = format!("{} {}", method_name(request.method()), request.url());
        match self.write(request) {
            Err(Error::OutcomeUnknown(lost)) => match applied() {
                Ok(true) => Ok(None),
                Ok(false) => Err(Error::Upstream {
                    status: 0,
                    message: format!(
                        "{what} was not answered ({lost}); read back, it was not applied: \
                         nothing changed, so the action can be run again"
                    ),
                }),
                Err(e) => Err(Error::OutcomeUnknown(format!(
                    "{what}: {lost}; reading the target back failed too ({e})"
                ))),
            },
            other => other,
        }
    }

    /// The outcome: `unchanged` without writes, else `planned` or `applied`.
    pub fn finish(&mut self, account_id: Option<String>, summary: impl Into<String>) -> Outcome {
        let status = match (self.writes.is_empty(), self.dry_run) {
            (true, _) => OutcomeStatus::Unchanged,
            (false, true) => OutcomeStatus::Planned,
            (false, false) => OutcomeStatus::Applied,
        };
        Outcome {
            status,
            account_id,
            summary: summary.into(),
            requests: std::mem::take(&mut self.writes),
        }
    }

    /// Fails unless the account exists, for actions on unknown people.
    pub fn require_found<T>(found: Option<T>, account_id: &str) -> Result<T> {
        found.ok_or_else(|| Error::NotFound(format!("no account with id `{account_id}`")))
    }
}

fn method_name(method: Method) -> &'static str {
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
    fn dry_run_records_and_plans() {
        let mut p = Provisioning::new(true);
        let sent = p
            .write(Request::post("https://x.example/group/user?groupId=g").json(&"a"))
            .unwrap();
        assert!(sent.is_none());
        let outcome = p.finish(Some("a".into()), "add a to g");
        assert_eq!(outcome.status, OutcomeStatus::Planned);
        assert_eq!(outcome.requests.len(), 1);
        assert_eq!(outcome.requests[0].method, "POST");
        assert_eq!(outcome.requests[0].body.as_deref(), Some("\"a\""));
    }

    #[test]
    fn no_writes_is_unchanged() {
        let outcome = Provisioning::new(false).finish(None, "already a member");
        assert_eq!(outcome.status, OutcomeStatus::Unchanged);
    }
}
