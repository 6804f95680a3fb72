//! A Jira or Confluence Cloud site: the config and manifest of a site
//! connector, the site's base URL and cloud id, and what a refused site
//! token means.

use crate::accounts::User;
use crate::ari::site_ari;
use crate::rest;
use roster_sdk::http::Method;
use roster_sdk::{
    Credential, Error, Manifest, Memo, Product, ProductRef, Result, Secret, Url, base_url, site_url,
};
use schemars::JsonSchema;
use serde::Deserialize;

/// The URL template of an Atlassian Cloud site.
pub const SITE: &str = "https://{}.atlassian.net";

/// The manifest credential of a site connector: the administrator's email
/// and API token, as HTTP Basic.
pub const CREDENTIAL: &str = "site-admin";

/// How to reach an Atlassian Cloud site (Jira, Confluence) as one of its
/// administrators: a site connector's `Config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The site's subdomain: `acme` for acme.atlassian.net.
    pub site: String,
    /// Email address of the site administrator whose API token this is.
    pub email: String,
    /// API token of that administrator, created at id.atlassian.com >
    /// Security > Create and manage API tokens (a classic, unscoped token).
    pub api_token: Secret,
    /// Where to send requests instead of https://{site}.atlassian.net (a
    /// proxy, or a simulator). Leave out for Atlassian Cloud.
    #[serde(default)]
    pub base_url: Option<String>,
}

impl Config {
    /// The base URL requests go to (see [`site_base`]).
    pub fn base(&self) -> Result<Url> {
        site_base(&self.site, self.base_url.as_deref())
    }

    /// The site's own address (`https://acme.atlassian.net/`), where its
    /// users open it, whatever `base_url` requests go to.
    pub fn site_url(&self) -> Result<Url> {
        site_url("site", &self.site, SITE)
    }
}

/// Declares what a site connector with [`Config`] contacts: the site
/// (`https://{site}.atlassian.net`) or `{base_url}`, and [`CREDENTIAL`]
/// (Basic with `email` and `api_token`) toward both.
pub fn hosts(manifest: Manifest) -> Manifest {
    let site = "https://{site}.atlassian.net";
    manifest.host(site).host("{base_url}").credential(
        Credential::basic(CREDENTIAL, "email", "api_token")
            .to(site)
            .to("{base_url}"),
    )
}

/// The base URL of a site from the config's `site` field (a plain
/// subdomain: `acme` for acme.atlassian.net), or its `base_url` field in
/// its place when given (a proxy, a simulator). `site` is checked either
/// way, since the manifest's host template is filled from it.
pub fn site_base(site: &str, base: Option<&str>) -> Result<Url> {
    let site = site_url("site", site, SITE)?;
    match base {
        Some(url) => base_url("base_url", url),
        None => Ok(site),
    }
}

/// The site's cloud id, from its public `GET /_edge/tenant_info`. A host
/// that answers none is a config error naming `site`: it is no `product`
/// ("Jira") Cloud site.
pub fn cloud_id(base: &Url, product: &str) -> Result<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TenantInfo {
        cloud_id: String,
    }
    rest::request(Method::Get, base.join("_edge/tenant_info")?)
        .fetch_json::<TenantInfo>()
        .map(|t| t.cloud_id)
        .map_err(not_a_site(base, product))
}

/// A site's product instances: its cloud id, read once per session, names
/// them (see [`site_ari`]).
#[derive(Debug)]
pub struct Instances {
    base: Url,
    site: Url,
    product: &'static str,
    cloud_id: Memo<String>,
}

impl Instances {
    /// The instances of the `product` ("Jira") site `config` reaches.
    pub fn new(config: &Config, product: &'static str) -> Result<Self> {
        Ok(Instances {
            base: config.base()?,
            site: config.site_url()?,
            product,
            cloud_id: Memo::new(),
        })
    }

    /// Product `key`'s instance on this site, as a product named `name`
    /// at the site's address.
    pub fn product(&self, key: &str, name: &str) -> Result<Product> {
        let mut p = Product::new(key, Some(self.of(key)?), name);
        p.url = Some(self.site.as_str().trim_end_matches('/').to_owned());
        Ok(p)
    }

    /// The site's cloud id (see [`cloud_id`]).
    pub fn cloud_id(&self) -> Result<String> {
        self.cloud_id
            .get_or_read(|| cloud_id(&self.base, self.product))
    }

    /// The instance of product `key` on this site.
    pub fn of(&self, key: &str) -> Result<String> {
        Ok(site_ari(key, &self.cloud_id()?))
    }

    /// What licences of product `key` on this site name it by.
    pub fn reference(&self, key: &str) -> Result<ProductRef> {
        Ok(ProductRef::on(key, self.of(key)?))
    }

    /// Refuses a product reference that names an instance on another site.
    pub fn serves(&self, product: &ProductRef) -> Result<()> {
        let Some(wanted) = &product.instance else {
            return Ok(());
        };
        let here = self.of(&product.key)?;
        if wanted.eq_ignore_ascii_case(&here) {
            return Ok(());
        }
        Err(Error::NotFound(format!(
            "this {} site serves `{}` as {here}, not {wanted}: configure a connector for that \
             site, or use the organization admin connector",
            self.product, product.key
        )))
    }
}

/// Reads "not found" and "no tenant info" as a config error: `base` is no
/// `product` Cloud site.
fn not_a_site<'a>(base: &'a Url, product: &'a str) -> impl FnOnce(Error) -> Error + 'a {
    move |e| match e {
        Error::NotFound(_) | Error::InvalidResponse(_) => {
            Error::config("site", format_args!("{base} is not a {product} Cloud site"))
        }
        other => other,
    }
}

/// Who a site connector's check found the token belongs to:
/// `<email> (<account id>) on site <cloud id>`, with the configured `email`
/// when the profile hides it.
pub fn principal(me: &User, email: &str, cloud_id: &str) -> String {
    let shown = me.email().unwrap_or_else(|| email.to_owned());
    format!("{shown} ({}) on site {cloud_id}", me.account_id)
}

/// A permission a site connector's check looks for in the token's user.
#[derive(Debug, Clone, Copy)]
pub struct Permission<'a> {
    /// Whether the token's user holds it.
    pub held: bool,
    /// Its name (`the global permission \`Administer Jira\``).
    pub name: &'a str,
    /// What needs it, and where to grant it.
    pub needed_for: &'a str,
}

/// One warning per permission the token's user lacks (`the token's user
/// lacks <name>, needed for <what>`), or when the first one (the
/// permission every read needs) is lacking, a `Forbidden` error naming all
/// that are.
pub fn lacking(permissions: &[Permission]) -> Result<Vec<String>> {
    let warnings: Vec<String> = permissions
        .iter()
        .filter(|p| !p.held)
        .map(|p| {
            format!(
                "the token's user lacks {}, needed for {}",
                p.name, p.needed_for
            )
        })
        .collect();
    match permissions.first() {
        Some(first) if !first.held => Err(Error::Forbidden(warnings.join("; "))),
        _ => Ok(warnings),
    }
}

/// Reads a 401 of a site as what to fix: the administrator's email and API
/// token (a classic one, from id.atlassian.com). For `map_err` on the
/// first authenticated request of a session.
pub fn token_refused<'a>(base: &'a Url, product: &'a str) -> impl FnOnce(Error) -> Error + 'a {
    move |e| match e {
        Error::Unauthorized(_) => Error::Unauthorized(format!(
            "{product} at {base} rejected the email and API token: check `email`, and create a \
             new token at id.atlassian.com > Security > API tokens"
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_names_the_base_unless_a_base_url_replaces_it() {
        assert_eq!(
            site_base("Acme", None).unwrap().as_str(),
            "https://acme.atlassian.net/"
        );
        assert_eq!(
            site_base("acme", Some("http://127.0.0.1:8080"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/"
        );
        for bad in ["acme.atlassian.net", "acme/evil"] {
            let err = site_base(bad, Some("http://127.0.0.1:8080")).unwrap_err();
            assert!(err.to_string().contains("`site`"), "{bad}: {err}");
        }
        let err = site_base("acme", Some("ftp://x")).unwrap_err();
        assert!(err.to_string().contains("`base_url`"), "{err}");
    }

    #[test]
    fn the_config_reads_the_site_and_its_schema_hides_the_token() {
        let config: Config = serde_json::from_str(
            r#"{"site":"acme","email":"a@acme.example","api_token":true,"base_url":"http://127.0.0.1:9"}"#,
        )
        .unwrap();
        assert_eq!(config.base().unwrap().as_str(), "http://127.0.0.1:9/");
        assert!(
            serde_json::from_str::<Config>(r#"{"site":"a","email":"e","api_token":true,"x":1}"#)
                .is_err()
        );
        let schema = schemars::schema_for!(Config).to_value();
        assert_eq!(schema["properties"]["api_token"]["writeOnly"], true);
        assert_eq!(
            schema["required"],
            serde_json::json!(["site", "email", "api_token"])
        );
    }

    #[test]
    fn a_site_connector_contacts_the_site_or_its_base_url() {
        let manifest = hosts(Manifest::new("jira", "Jira", "0.1.0"));
        let both = ["https://{site}.atlassian.net", "{base_url}"];
        assert_eq!(manifest.hosts(), both);
        let [credential] = manifest.credentials() else {
            panic!("one credential");
        };
        assert_eq!(credential.id(), CREDENTIAL);
        assert_eq!(credential.hosts(), both);
    }

    #[test]
    fn a_host_without_tenant_info_is_no_site() {
        let base = Url::parse("https://acme.atlassian.net/").unwrap();
        for e in [Error::NotFound("x".into()), Error::invalid_response("html")] {
            assert_eq!(
                not_a_site(&base, "Jira")(e).to_string(),
                "invalid config: `site`: https://acme.atlassian.net/ is not a Jira Cloud site"
            );
        }
        let other = Error::RateLimited(None);
        assert_eq!(not_a_site(&base, "Jira")(other.clone()), other);
    }

    #[test]
    fn the_principal_is_the_token_s_user_on_the_site() {
        let me: User =
            serde_json::from_str(r#"{"accountId":"5b10","emailAddress":"mia@acme.example"}"#)
                .unwrap();
        assert_eq!(
            principal(&me, "x@acme.example", "c1"),
            "mia@acme.example (5b10) on site c1"
        );
        let hidden: User =
            serde_json::from_str(r#"{"accountId":"5b10","emailAddress":""}"#).unwrap();
        assert_eq!(
            principal(&hidden, "x@acme.example", "c1"),
            "x@acme.example (5b10) on site c1"
        );
    }

    #[test]
    fn lacking_permissions_are_warnings_unless_reads_need_them() {
        let browse = |held| Permission {
            held,
            name: "browse",
            needed_for: "reading",
        };
        let admin = Permission {
            held: false,
            name: "admin",
            needed_for: "seats; grant it in settings",
        };
        assert_eq!(
            lacking(&[browse(true), admin]).unwrap(),
            ["the token's user lacks admin, needed for seats; grant it in settings"]
        );
        assert_eq!(lacking(&[browse(true)]).unwrap(), Vec::<String>::new());
        assert_eq!(
            lacking(&[browse(false), admin]).unwrap_err(),
            Error::Forbidden(
                "the token's user lacks browse, needed for reading; the token's user lacks \
                 admin, needed for seats; grant it in settings"
                    .into()
            )
        );
    }

    #[test]
    fn a_refused_token_says_what_to_fix() {
        let base = Url::parse("https://acme.atlassian.net/").unwrap();
        let e = token_refused(&base, "Confluence")(Error::Unauthorized("no".into()));
        assert!(
            matches!(&e, Error::Unauthorized(m) if m.starts_with("Confluence at https://acme.atlassian.net/ rejected") && m.contains("API token")),
            "{e}"
        );
        let other = Error::Forbidden("x".into());
        assert_eq!(token_refused(&base, "Jira")(other.clone()), other);
    }
}
