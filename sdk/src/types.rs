//! The contract's records, re-exported under friendly names, with
//! constructors for the common cases.

use crate::bindings::roster::connector::types as wit;

pub use wit::{
    AccessChange, AccessTarget, Account, AccountKind, AccountStatus, Action, ActionKind,
    Capabilities, CheckReport, CredentialFacts, Instant, Invitation, License, Outcome,
    OutcomeStatus, PlannedRequest, Product, ProductRef, Usage,
};

/// A data stream a connector lists.
pub use wit::DataStream as Stream;

impl Stream {
    /// Every stream, for a connector that reads them all.
    pub const ALL: [Stream; 4] = [
        Stream::Accounts,
        Stream::Products,
        Stream::Licenses,
        Stream::Usage,
    ];
}

impl ActionKind {
    /// Every kind of action, for a connector that carries out them all.
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Invite,
        ActionKind::Grant,
        ActionKind::Revoke,
        ActionKind::Suspend,
        ActionKind::Restore,
        ActionKind::Remove,
    ];
}

impl Instant {
    /// A day-precision instant from an upstream `YYYY-MM-DD` (a longer value
    /// is cut to its date part).
    pub fn date(day: impl Into<String>) -> Self {
        let mut day = day.into();
        day.truncate(10);
        Instant::Date(day)
    }

    /// A timestamp-precision instant from an upstream RFC 3339 value.
    pub fn timestamp(value: impl Into<String>) -> Self {
        Instant::Timestamp(value.into())
    }

    /// The text of the instant, at whatever precision it has.
    pub fn as_str(&self) -> &str {
        match self {
            Instant::Date(s) | Instant::Timestamp(s) => s,
        }
    }
}

impl Account {
    /// An account with just an id, status and kind; set the other fields as
    /// the upstream provides them.
    pub fn new(id: impl Into<String>, status: AccountStatus, kind: AccountKind) -> Self {
        Account {
            id: id.into(),
            email: None,
            display_name: None,
            status,
            kind,
            created_at: None,
            last_active: None,
            groups: Vec::new(),
            attributes: Vec::new(),
        }
    }
}

impl Product {
    /// A product instance with a key, the instance it lives on (see
    /// [`ProductRef::instance`]) and a name, and nothing else known yet.
    pub fn new(key: impl Into<String>, instance: Option<String>, name: impl Into<String>) -> Self {
        Product {
            key: key.into(),
            instance,
            name: name.into(),
            url: None,
            seats_total: None,
            seats_used: None,
            plan: None,
            sandbox: None,
            granting_groups: Vec::new(),
        }
    }

    /// What licences, usage and access changes name this instance by.
    pub fn reference(&self) -> ProductRef {
        ProductRef {
            key: self.key.clone(),
            instance: self.instance.clone(),
        }
    }
}

impl std::fmt::Display for ProductRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.instance {
            Some(instance) => write!(f, "{} on {instance}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

impl ProductRef {
    /// The product `key` on `instance`.
    pub fn on(key: impl Into<String>, instance: impl Into<String>) -> Self {
        ProductRef {
            key: key.into(),
            instance: Some(instance.into()),
        }
    }

    /// The product `key`, on the one instance of it the connector knows.
    pub fn only(key: impl Into<String>) -> Self {
        ProductRef {
            key: key.into(),
            instance: None,
        }
    }

    /// Whether this names `key` on `instance`: the same key, and the same
    /// instance unless this one names none.
    pub fn is(&self, key: &str, instance: &str) -> bool {
        self.key == key && self.instance.as_deref().is_none_or(|i| i == instance)
    }
}

impl CredentialFacts {
    /// Nothing known yet of the manifest credential `id`.
    pub fn of(id: &str) -> Self {
        CredentialFacts {
            id: id.into(),
            expires_at: None,
            scoped: None,
            blocks: Vec::new(),
        }
    }
}

impl CheckReport {
    /// A report granting everything the manifest declares.
    pub fn all_of(manifest: &crate::Manifest) -> Self {
        CheckReport {
            principal: None,
            capabilities: manifest.capabilities(),
            warnings: Vec::new(),
            credentials: Vec::new(),
        }
    }

    /// Keeps only the streams `keep` accepts: what the credentials allow.
    pub fn keep_streams(&mut self, keep: impl Fn(Stream) -> bool) {
        self.capabilities.streams.retain(|s| keep(*s));
    }

    /// Keeps only the actions `keep` accepts: what the credentials allow.
    pub fn keep_actions(&mut self, keep: impl Fn(ActionKind) -> bool) {
        self.capabilities.actions.retain(|a| keep(*a));
    }
}

impl Action {
    /// The kind of this action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Invite(_) => ActionKind::Invite,
            Action::Grant(_) => ActionKind::Grant,
            Action::Revoke(_) => ActionKind::Revoke,
            Action::Suspend(_) => ActionKind::Suspend,
            Action::Restore(_) => ActionKind::Restore,
            Action::Remove(_) => ActionKind::Remove,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Manifest;

    #[test]
    fn a_check_keeps_what_the_credentials_allow() {
        let manifest = Manifest::new("x", "X", "0")
            .streams([Stream::Accounts, Stream::Licenses])
            .actions([ActionKind::Invite, ActionKind::Grant]);
        let mut report = CheckReport::all_of(&manifest);
        report.keep_streams(|s| s == Stream::Accounts);
        report.keep_actions(|a| a != ActionKind::Invite);
        assert_eq!(report.capabilities.streams, [Stream::Accounts]);
        assert_eq!(report.capabilities.actions, [ActionKind::Grant]);
    }

    #[test]
    fn dates_keep_their_day() {
        assert_eq!(
            Instant::date("2026-07-30T12:00:00Z"),
            Instant::Date("2026-07-30".into())
        );
        assert_eq!(Instant::timestamp("t").as_str(), "t");
    }
}
