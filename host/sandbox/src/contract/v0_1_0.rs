//! Bindings for `roster:connector@0.1.0` (`wit/v0.1.0`), and its adapter:
//! what a 0.1.0 connector answers, in the newest types, and what the host
//! asks of it, in its own.
//!
//! 0.1.0 knows products by key alone: its licences, usage and products
//! name no instance, which the newest types say as `instance: none` ("the
//! product's one instance"); an access change or invitation aimed at one
//! instance reaches it as the product's key. Its manifest declares no
//! read-only `POST`s and its check reports no credential facts.

use super::v0_2_0::roster::connector::{http as new_http, log as new_log, types as new};

wasmtime::component::bindgen!({
    world: "connector",
    path: "../../wit/v0.1.0",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [Hash],
});

use roster::connector::{http as old_http, log as old_log, types as old};

/// Converts between two versions' copies of an enum whose cases are the same.
macro_rules! same_cases {
    ($from:ty => $to:ty: $($case:ident),+) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                match value {
                    $(<$from>::$case => <$to>::$case,)+
                }
            }
        }
    };
}

same_cases!(old::AccountStatus => new::AccountStatus: Active, Suspended, Deactivated, Invited, Unknown);
same_cases!(old::AccountKind => new::AccountKind: Human, App, Customer, Service, Unknown);
same_cases!(old::DataStream => new::DataStream: Accounts, Products, Licenses, Usage);
same_cases!(old::ActionKind => new::ActionKind: Invite, Grant, Revoke, Suspend, Restore, Remove);
same_cases!(old::OutcomeStatus => new::OutcomeStatus: Applied, Unchanged, Planned);
same_cases!(old_http::Method => new_http::Method: Get, Head, Post, Put, Patch, Delete);
same_cases!(new_http::Method => old_http::Method: Get, Head, Post, Put, Patch, Delete);
same_cases!(old_log::Level => new_log::Level: Trace, Debug, Info, Warn, Error);

impl From<old::Instant> for new::Instant {
    fn from(i: old::Instant) -> Self {
        match i {
            old::Instant::Date(d) => new::Instant::Date(d),
            old::Instant::Timestamp(t) => new::Instant::Timestamp(t),
        }
    }
}

impl From<old::ConnectorError> for new::ConnectorError {
    fn from(e: old::ConnectorError) -> Self {
        use new::ConnectorError as N;
        use old::ConnectorError as O;
        match e {
            O::InvalidConfig(m) => N::InvalidConfig(m),
            O::Unauthorized(m) => N::Unauthorized(m),
            O::Forbidden(m) => N::Forbidden(m),
            O::NotFound(m) => N::NotFound(m),
            O::RateLimited(s) => N::RateLimited(s),
            O::Unsupported(m) => N::Unsupported(m),
            O::Upstream(old::UpstreamError { status, message }) => {
                N::Upstream(new::UpstreamError { status, message })
            }
            O::InvalidResponse(m) => N::InvalidResponse(m),
            O::Internal(m) => N::Internal(m),
        }
    }
}

impl From<old::Capabilities> for new::Capabilities {
    fn from(c: old::Capabilities) -> Self {
        new::Capabilities {
            streams: c.streams.into_iter().map(Into::into).collect(),
            actions: c.actions.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<old::CredentialScheme> for new::CredentialScheme {
    fn from(s: old::CredentialScheme) -> Self {
        match s {
            old::CredentialScheme::Bearer(field) => new::CredentialScheme::Bearer(field),
            old::CredentialScheme::Basic(b) => new::CredentialScheme::Basic(new::BasicFields {
                username_field: b.username_field,
                password_field: b.password_field,
            }),
            old::CredentialScheme::Header(h) => new::CredentialScheme::Header(new::HeaderField {
                name: h.name,
                prefix: h.prefix,
                secret_field: h.secret_field,
            }),
            old::CredentialScheme::Query(q) => new::CredentialScheme::Query(
                q.into_iter()
                    .map(|p| new::QueryField {
                        name: p.name,
                        field: p.field,
                    })
                    .collect(),
            ),
        }
    }
}

impl From<old::ConnectorManifest> for new::ConnectorManifest {
    fn from(m: old::ConnectorManifest) -> Self {
        new::ConnectorManifest {
            id: m.id,
            name: m.name,
            version: m.version,
            description: m.description,
            config_schema: m.config_schema,
            hosts: m.hosts,
            credentials: m
                .credentials
                .into_iter()
                .map(|c| new::Credential {
                    id: c.id,
                    scheme: c.scheme.into(),
                    hosts: c.hosts,
                })
                .collect(),
            read_only_posts: Vec::new(),
            capabilities: m.capabilities.into(),
            products: m.products,
        }
    }
}

impl From<old::CheckReport> for new::CheckReport {
    fn from(r: old::CheckReport) -> Self {
        new::CheckReport {
            principal: r.principal,
            capabilities: r.capabilities.into(),
            warnings: r.warnings,
            credentials: Vec::new(),
        }
    }
}

impl From<old::Account> for new::Account {
    fn from(a: old::Account) -> Self {
        new::Account {
            id: a.id,
            email: a.email,
            display_name: a.display_name,
            status: a.status.into(),
            kind: a.kind.into(),
            created_at: a.created_at.map(Into::into),
            last_active: a.last_active.map(Into::into),
            groups: a.groups,
            attributes: a.attributes,
        }
    }
}

impl From<old::AccountPage> for new::AccountPage {
    fn from(p: old::AccountPage) -> Self {
        new::AccountPage {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<old::Product> for new::Product {
    fn from(p: old::Product) -> Self {
        new::Product {
            key: p.key,
            instance: None,
            name: p.name,
            url: None,
            seats_total: p.seats_total,
            seats_used: p.seats_used,
            plan: p.plan,
            sandbox: None,
            granting_groups: p.granting_groups,
        }
    }
}

/// A 0.1.0 product key: the product's one instance.
fn only_instance(key: String) -> new::ProductRef {
    new::ProductRef {
        key,
        instance: None,
    }
}

impl From<old::LicensePage> for new::LicensePage {
    fn from(p: old::LicensePage) -> Self {
        new::LicensePage {
            items: p
                .items
                .into_iter()
                .map(|l| new::License {
                    account_id: l.account_id,
                    product: only_instance(l.product_key),
                    role: l.role,
                    billable: l.billable,
                    via_group: l.via_group,
                })
                .collect(),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<old::UsagePage> for new::UsagePage {
    fn from(p: old::UsagePage) -> Self {
        new::UsagePage {
            items: p
                .items
                .into_iter()
                .map(|u| new::Usage {
                    account_id: u.account_id,
                    product: u.product_key.map(only_instance),
                    last_active: u.last_active.into(),
                })
                .collect(),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<old::Outcome> for new::Outcome {
    fn from(o: old::Outcome) -> Self {
        new::Outcome {
            status: o.status.into(),
            account_id: o.account_id,
            summary: o.summary,
            requests: o
                .requests
                .into_iter()
                .map(|r| new::PlannedRequest {
                    method: r.method,
                    url: r.url,
                    body: r.body,
                })
                .collect(),
        }
    }
}

impl From<new::AccessChange> for old::AccessChange {
    fn from(c: new::AccessChange) -> Self {
        old::AccessChange {
            account_id: c.account_id,
            target: match c.target {
                new::AccessTarget::Product(p) => old::AccessTarget::Product(p.key),
                new::AccessTarget::Group(g) => old::AccessTarget::Group(g),
            },
        }
    }
}

impl From<new::Action> for old::Action {
    fn from(a: new::Action) -> Self {
        match a {
            new::Action::Invite(i) => old::Action::Invite(old::Invitation {
                email: i.email,
                display_name: i.display_name,
                products: i.products.into_iter().map(|p| p.key).collect(),
            }),
            new::Action::Grant(c) => old::Action::Grant(c.into()),
            new::Action::Revoke(c) => old::Action::Revoke(c.into()),
            new::Action::Suspend(id) => old::Action::Suspend(id),
            new::Action::Restore(id) => old::Action::Restore(id),
            new::Action::Remove(id) => old::Action::Remove(id),
        }
    }
}

impl From<old_http::Request> for new_http::Request {
    fn from(r: old_http::Request) -> Self {
        new_http::Request {
            method: r.method.into(),
            url: r.url,
            headers: r.headers,
            body: r.body,
            auth: r.auth,
        }
    }
}

impl From<new_http::Response> for old_http::Response {
    fn from(r: new_http::Response) -> Self {
        old_http::Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}

impl From<new_http::HttpError> for old_http::HttpError {
    fn from(e: new_http::HttpError) -> Self {
        use new_http::HttpError as N;
        use old_http::HttpError as O;
        match e {
            N::Denied(m) => O::Denied(m),
            N::DryRun(m) => O::DryRun(m),
            N::InvalidRequest(m) => O::InvalidRequest(m),
            N::RequestLimit(n) => O::RequestLimit(n),
            N::TooLarge(n) => O::TooLarge(n),
            N::Timeout => O::Timeout,
            N::RateLimited(s) => O::RateLimited(s),
            N::Transport(m) => O::Transport(m),
            // 0.1.0 has no word for it: a failure it may report, not retry.
            N::OutcomeUnknown(m) => O::Transport(format!("the write's outcome is unknown: {m}")),
        }
    }
}
