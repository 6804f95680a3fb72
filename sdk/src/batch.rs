//! Fan-out: one request per subject (an account, a group), sent as one
//! batch that the host runs concurrently within the upstream's budget, the
//! only way a single-threaded connector asks many things at once.

use crate::Result;
use crate::http::{MAX_BATCH, Request, send_all};
use crate::paging::{Paged, Pages};

/// Rounds of a fan-out at most: the whole batch, then twice the requests
/// whose answer was a transient failure (the host has already retried
/// each of them with backoff).
const ROUNDS: usize = 3;

/// Sends one request per subject as [`send_all`] batches (of at most
/// [`MAX_BATCH`], the host's cap) and reads every item of each answer,
/// following later pages (rare) one request at a time. Returns the items per request, in request order. Requests that
/// failed transiently ([`Error::is_transient`](crate::Error::is_transient))
/// are sent again, those alone, in a batch of their own.
///
/// A 404 means the subject went away since it was listed, and reads as no
/// items. Any other error status stops the fan-out with an error naming
/// the subject (`subject(i)` for the `i`-th request, see
/// [`Error::about`](crate::Error::about)).
pub fn fan_out<P: Paged>(
    requests: &[Request],
    subject: impl Fn(usize) -> String,
) -> Result<Vec<Vec<P::Item>>> {
    let mut all: Vec<Vec<P::Item>> = (0..requests.len()).map(|_| Vec::new()).collect();
    let mut pending: Vec<usize> = (0..requests.len()).collect();
    for round in 1..=ROUNDS {
        let mut failed = Vec::new();
        for chunk in pending.chunks(MAX_BATCH) {
            let batch: Vec<Request> = chunk.iter().map(|&i| requests[i].clone()).collect();
            for (answer, &i) in send_all(&batch).into_iter().zip(chunk) {
                match read::<P>(answer, &requests[i]) {
                    Ok(items) => all[i] = items,
                    Err(e) if e.is_transient() && round < ROUNDS => failed.push(i),
                    Err(e) => return Err(e.about(&subject(i))),
                }
            }
        }
        if failed.is_empty() {
            break;
        }
        pending = failed;
    }
    Ok(all)
}

/// Every item of one answer of a fan-out and of the pages after it; a 404
/// is none.
fn read<P: Paged>(
    answer: std::result::Result<crate::http::Response, crate::http::HttpError>,
    request: &Request,
) -> Result<Vec<P::Item>> {
    let response = answer?;
    if response.status() == 404 {
        return Ok(Vec::new());
    }
    let page: P = response.error_for_status()?.json()?;
    let (mut items, next) = page.split(request)?;
    for later in Pages::<P>::from(next) {
        items.extend(later?);
    }
    Ok(items)
}
