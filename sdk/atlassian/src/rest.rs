//! An Atlassian REST API at its configured base URL.

use crate::errors;
use roster_sdk::http::{Method, Request};
use roster_sdk::{Error, Result, Url};

/// An Atlassian REST API at a configured base URL
/// (`https://acme.atlassian.net/`, `https://api.atlassian.com/`, or a proxy
/// or simulator in their place): builds the URLs of its paths, and requests
/// that carry the connector's credential and read Atlassian error bodies
/// (see [`errors::message`]).
#[derive(Debug, Clone)]
pub struct Rest {
    base: Url,
    credential: &'static str,
}

impl Rest {
    /// The API at `base` (ending in `/`, as [`roster_sdk::base_url`] and
    /// [`roster_sdk::site_url`] make it), its requests carrying the manifest
    /// credential `credential`.
    pub fn new(base: Url, credential: &'static str) -> Self {
        Rest { base, credential }
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The base URL joined with a fixed relative path
    /// (`rest/api/3/users/search`). Paths with ids in them go through
    /// [`path_url`](Rest::path_url), which encodes each segment.
    pub fn url(&self, path: &str) -> Result<Url> {
        Ok(self.base.join(path)?)
    }

    /// The base URL followed by `segments`, each percent-encoded as one
    /// path segment (`["users", account_id, "manage"]`): an id holding `/`
    /// or `?` stays one segment.
    pub fn path_url<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                Error::Internal(format!("the base URL {} cannot take a path", self.base))
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// A request to a fixed path under the base (see [`url`](Rest::url)),
    /// as [`request`](Rest::request) builds it.
    pub fn at(&self, method: Method, path: &str) -> Result<Request> {
        Ok(self.request(method, self.url(path)?))
    }

    /// A request with the credential that reads Atlassian error bodies.
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> Request {
        request(method, url).auth(self.credential)
    }

    /// A `GET` [`request`](Rest::request).
    pub fn get(&self, url: impl AsRef<str>) -> Request {
        self.request(Method::Get, url)
    }

    /// A `POST` [`request`](Rest::request).
    pub fn post(&self, url: impl AsRef<str>) -> Request {
        self.request(Method::Post, url)
    }

    /// A `DELETE` [`request`](Rest::request).
    pub fn delete(&self, url: impl AsRef<str>) -> Request {
        self.request(Method::Delete, url)
    }
}

/// A request that reads Atlassian error bodies and carries no credential,
/// for public endpoints such as a site's `_edge/tenant_info`.
pub fn request(method: Method, url: impl AsRef<str>) -> Request {
    Request::new(method, url).error_reader(errors::message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_sdk::http::Response;

    fn rest() -> Rest {
        Rest::new(Url::parse("http://127.0.0.1:9/prefix/").unwrap(), "org")
    }

    #[test]
    fn fixed_paths_join_the_base() {
        assert_eq!(
            rest().url("rest/api/3/users/search").unwrap().as_str(),
            "http://127.0.0.1:9/prefix/rest/api/3/users/search"
        );
        assert_eq!(rest().base().as_str(), "http://127.0.0.1:9/prefix/");
    }

    #[test]
    fn segments_are_encoded_one_by_one() {
        let url = rest()
            .path_url(["users", "557058:a/b?c", "manage"])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/prefix/users/557058:a%2Fb%3Fc/manage"
        );
        let bare = Rest::new(Url::parse("https://api.atlassian.com").unwrap(), "org");
        assert_eq!(
            bare.path_url(["admin", "v1", "orgs"]).unwrap().as_str(),
            "https://api.atlassian.com/admin/v1/orgs"
        );
        let opaque = Rest::new(Url::parse("mailto:a@b.example").unwrap(), "org");
        assert!(matches!(opaque.path_url(["x"]), Err(Error::Internal(_))));
    }

    #[test]
    fn requests_carry_the_credential_and_read_atlassian_errors() {
        let r = rest().post("http://127.0.0.1:9/prefix/a");
        assert_eq!(r.method(), Method::Post);
        assert_eq!(r.credential(), Some("org"));
        assert_eq!(rest().get("http://x/").method(), Method::Get);
        let at = rest().at(Method::Delete, "rest/api/3/user").unwrap();
        assert_eq!(at.url(), "http://127.0.0.1:9/prefix/rest/api/3/user");
        assert_eq!(at.credential(), Some("org"));
        assert_eq!(rest().delete("http://x/").method(), Method::Delete);
        // What the reader makes of an answer is what `errors` says; a
        // response built here stands in for one the host would return.
        let body = r#"{"errorMessages":["You are not authorized"],"errors":{}}"#;
        let answer = Response::new(403, Vec::new(), body).error_reader(errors::message);
        assert_eq!(
            answer.to_error(),
            Error::Forbidden("You are not authorized".into())
        );
        let public = request(Method::Get, "https://acme.atlassian.net/_edge/tenant_info");
        assert_eq!(public.credential(), None);
    }
}
