//! The connector's manifest, built with a small builder.

use crate::bindings::roster::connector::types as wit;
use crate::types::{ActionKind, Capabilities, Stream};

/// What a connector declares before it runs: identity, the hosts it calls,
/// the credentials it needs, and what it can do. The config schema is
/// generated from [`Connector::Config`](crate::Connector::Config).
#[derive(Debug, Clone)]
pub struct Manifest {
    id: String,
    name: String,
    version: String,
    description: String,
    hosts: Vec<String>,
    credentials: Vec<Credential>,
    read_only_posts: Vec<String>,
    streams: Vec<Stream>,
    actions: Vec<ActionKind>,
    products: Vec<String>,
}

impl Manifest {
    /// A manifest with an id (`jira`), a name (`Jira`) and a version (use
    /// `env!("CARGO_PKG_VERSION")`).
    pub fn new(id: &str, name: &str, version: &str) -> Self {
        Manifest {
            id: id.into(),
            name: name.into(),
            version: version.into(),
            description: String::new(),
            hosts: Vec::new(),
            credentials: Vec::new(),
            read_only_posts: Vec::new(),
            streams: Vec::new(),
            actions: Vec::new(),
            products: Vec::new(),
        }
    }

    /// One paragraph for operators.
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.into();
        self
    }

    /// A URL template the connector may call, such as
    /// `https://{site}.atlassian.net` or `{base_url}`.
    pub fn host(mut self, template: &str) -> Self {
        self.hosts.push(template.into());
        self
    }

    /// A credential the connector may ask the host to attach.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credentials.push(credential);
        self
    }

    /// A `POST` endpoint that only reads (a search taking its filters in a
    /// body): one of the manifest's hosts followed by a path, where
    /// `{field}` is filled from the config and `*` stands for one segment
    /// (`{base_url}/v2/orgs/{org_id}/directories/*/users/search`). The host
    /// then treats such a `POST` as a read: it sends it during dry runs and
    /// may retry it as it retries a `GET`.
    pub fn read_only_post(mut self, template: &str) -> Self {
        self.read_only_posts.push(template.into());
        self
    }

    /// The streams the connector lists.
    pub fn streams(mut self, streams: impl IntoIterator<Item = Stream>) -> Self {
        self.streams.extend(streams);
        self
    }

    /// The provisioning actions the connector supports.
    pub fn actions(mut self, actions: impl IntoIterator<Item = ActionKind>) -> Self {
        self.actions.extend(actions);
        self
    }

    /// The product keys the connector reports.
    pub fn products<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.products.extend(keys.into_iter().map(Into::into));
        self
    }

    /// The declared host templates.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The declared credentials.
    pub fn credentials(&self) -> &[Credential] {
        &self.credentials
    }

    /// The declared streams and actions.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            streams: self.streams.clone(),
            actions: self.actions.clone(),
        }
    }

    pub(crate) fn into_wit(self, config_schema: String) -> wit::ConnectorManifest {
        wit::ConnectorManifest {
            capabilities: self.capabilities(),
            id: self.id,
            name: self.name,
            version: self.version,
            description: self.description,
            config_schema,
            hosts: self.hosts,
            read_only_posts: self.read_only_posts,
            credentials: self.credentials.into_iter().map(|c| c.0).collect(),
            products: self.products,
        }
    }
}

/// A credential the host attaches to requests that name its id. Field
/// names refer to config properties; secret ones must be
/// [`Secret`](crate::Secret)s.
#[derive(Debug, Clone)]
pub struct Credential(wit::Credential);

impl Credential {
    fn new(id: &str, scheme: wit::CredentialScheme) -> Self {
        Credential(wit::Credential {
            id: id.into(),
            scheme,
            hosts: Vec::new(),
        })
    }

    /// `Authorization: Bearer <token_field>`.
    pub fn bearer(id: &str, token_field: &str) -> Self {
        Self::new(id, wit::CredentialScheme::Bearer(token_field.into()))
    }

    /// `Authorization: Basic base64(<username_field>:<password_field>)`.
    pub fn basic(id: &str, username_field: &str, password_field: &str) -> Self {
        Self::new(
            id,
            wit::CredentialScheme::Basic(wit::BasicFields {
                username_field: username_field.into(),
                password_field: password_field.into(),
            }),
        )
    }

    /// `<header>: <prefix><secret_field>`.
    pub fn header(id: &str, header: &str, prefix: Option<&str>, secret_field: &str) -> Self {
        Self::new(
            id,
            wit::CredentialScheme::Header(wit::HeaderField {
                name: header.into(),
                prefix: prefix.map(Into::into),
                secret_field: secret_field.into(),
            }),
        )
    }

    /// Query parameters, as `(parameter, config field)` pairs.
    pub fn query<'a>(id: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self::new(
            id,
            wit::CredentialScheme::Query(
                params
                    .into_iter()
                    .map(|(name, field)| wit::QueryField {
                        name: name.into(),
                        field: field.into(),
                    })
                    .collect(),
            ),
        )
    }

    /// The credential's id, which requests name.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The host templates the credential may go to.
    pub fn hosts(&self) -> &[String] {
        &self.0.hosts
    }

    /// Allows the credential to go to `host_template` (one of the
    /// manifest's hosts).
    pub fn to(mut self, host_template: &str) -> Self {
        self.0.hosts.push(host_template.into());
        self
    }
}
