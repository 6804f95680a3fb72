//! Diagnostics into the host's log, tagged with the connector and run.

use crate::bindings::roster::connector::log::{Level, log};

/// Records a debug message.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Records an informational message.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Records a warning.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Records an error.
pub fn error(message: &str) {
    log(Level::Error, message);
}
