//! The write journal: each write request of a real `provision` call,
//! secrets redacted, handed to the embedder before the host sends it, so
//! that an audit log holds every request that may have reached an upstream
//! even when the process is killed mid-call.

use crate::contract::Request;
use crate::http::method_name;
use crate::secret::Redactor;

/// Characters of a request body a journal entry keeps.
pub const BODY_CHARS: usize = 16 * 1024;

/// A write request about to be sent, as a journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Write {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The URL, secrets redacted (credentials are attached after this).
    pub url: String,
    /// The body as text, secrets redacted, cut at [`BODY_CHARS`].
    pub body: Option<String>,
}

impl Write {
    /// The journal entry of `request`.
    pub(crate) fn of(request: &Request, redactor: &Redactor) -> Write {
        let body = request.body.as_ref().map(|b| {
            let text = redactor.text(&String::from_utf8_lossy(b));
            match text.char_indices().nth(BODY_CHARS) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            }
        });
        Write {
            method: method_name(request.method).to_owned(),
            url: redactor.text(&request.url),
            body,
        }
    }
}

/// Records the writes of a real `provision` call, each before it is sent.
pub trait WriteJournal: Send + Sync {
    /// Records `write`, durably, before it is sent. An error refuses the
    /// request unsent; the connector sees it denied, with the message.
    fn record(&self, write: &Write) -> Result<(), String>;
}
