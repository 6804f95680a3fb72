//! Fan-out: one request per subject (an account, a group), sent as one
//! batch that the host runs concurrently within the upstream's budget, the
//! only way a single-threaded connector asks many things at once.

use crate::Result;
use crate::http::{Request, send_all};
use crate::paging::{Paged, Pages};

/// Sends one request per subject as one [`send_all`] batch and reads every
/// item of each answer, following later pages (rare) one request at a
/// time. Returns the items per request, in request order.
///
/// A 404 means the subject went away since it was listed, and reads as no
/// items. Any other error status stops the fan-out with an error naming
/// the subject (`subject(i)` for the `i`-th request, see
/// [`Error::about`](crate::Error::about)).
pub fn fan_out<P: Paged>(
    requests: &[Request],
    subject: impl Fn(usize) -> String,
) -> Result<Vec<Vec<P::Item>>> {
    let mut all = Vec::with_capacity(requests.len());
    for (i, (answer, request)) in send_all(requests).into_iter().zip(requests).enumerate() {
        let response = answer?;
        if response.status() == 404 {
            all.push(Vec::new());
            continue;
        }
        let about = |e: crate::Error| e.about(&subject(i));
        let page: P = response.error_for_status().map_err(about)?.json()?;
        let (mut items, next) = page.split(request)?;
        for later in Pages::<P>::from(next) {
            items.extend(later.map_err(about)?);
        }
        all.push(items);
    }
    Ok(all)
}
