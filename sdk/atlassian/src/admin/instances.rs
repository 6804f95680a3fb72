//! The organisation's product instances, from its workspaces: what every
//! connector reports them as, and how an access change or invitation that
//! names a product (and maybe an instance) finds the one it means.

use super::shapes::Workspace;
use crate::ari::{resource_key, site_ari};
use crate::products::{canonical_key, product_name};
use roster_sdk::{Error, Product, ProductRef, Result};

/// A product instance of the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The canonical product key.
    pub key: String,
    /// The instance's ARI, as product access and role assignments name it.
    pub ari: String,
    /// The site or workspace name.
    pub name: Option<String>,
    /// Where its users open it.
    pub url: Option<String>,
    /// Whether it is a sandbox, when the upstream says.
    pub sandbox: Option<bool>,
    /// Seats bought.
    pub seats_total: Option<u32>,
    /// Seats in use.
    pub seats_used: Option<u32>,
    /// The plan.
    pub plan: Option<String>,
}

impl Instance {
    /// The instance a workspace is; none for one without a product key.
    /// Its ARI: the workspace's id when it is one, else the one among
    /// `known` (the instances role assignments name) of its product whose
    /// last part is the id, else the site ARI of the id (see
    /// [`Workspace::id`]).
    pub fn of<'k>(
        workspace: &Workspace,
        known: impl IntoIterator<Item = &'k str>,
    ) -> Option<Instance> {
        let key = canonical_key(workspace.attributes.type_key.as_deref()?);
        let id = workspace.id.as_str();
        let ari = if resource_key(id).is_some() {
            id.to_owned()
        } else {
            known
                .into_iter()
                .find(|ari| {
                    resource_key(ari).is_some_and(|k| k == key)
                        && ari.rsplit('/').next() == Some(id)
                })
                .map_or_else(|| site_ari(&key, id), str::to_owned)
        };
        Some(Instance {
            ari,
            key,
            name: workspace.attributes.name.clone(),
            url: workspace.attributes.host_url.clone(),
            sandbox: workspace.is_sandbox(),
            seats_total: workspace.attributes.capacity,
            seats_used: workspace.attributes.usage,
            plan: workspace.plan(),
        })
    }

    /// The instance as a product of the contract, without its granting
    /// groups.
    pub fn product(&self) -> Product {
        let name = match &self.name {
            Some(n) => format!("{} ({n})", product_name(&self.key)),
            None => product_name(&self.key),
        };
        let mut p = Product::new(&self.key, Some(self.ari.clone()), name);
        p.url = self.url.clone();
        p.seats_total = self.seats_total;
        p.seats_used = self.seats_used;
        p.plan = self.plan.clone();
        p.sandbox = self.sandbox;
        p
    }

    /// Whether it is known to be a sandbox.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox == Some(true)
    }
}

/// The instance `wanted` names among `instances`: by its ARI, or with none
/// named the product's one instance that is not a sandbox. Several, or
/// none, is an error listing what there is.
pub fn pick<'a>(instances: &'a [Instance], wanted: &ProductRef) -> Result<&'a Instance> {
    let key = canonical_key(&wanted.key);
    let of_key: Vec<&Instance> = instances.iter().filter(|i| i.key == key).collect();
    let listed = || {
        of_key
            .iter()
            .map(|i| format!("{} ({})", i.ari, i.name.as_deref().unwrap_or("unnamed")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(ari) = &wanted.instance {
        return of_key
            .iter()
            .find(|i| i.ari.eq_ignore_ascii_case(ari))
            .copied()
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "the organization has no instance `{ari}` of `{key}` (it has: {})",
                    if of_key.is_empty() {
                        "none".into()
                    } else {
                        listed()
                    }
                ))
            });
    }
    let production: Vec<&Instance> = of_key.iter().copied().filter(|i| !i.is_sandbox()).collect();
    match production.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NotFound(format!(
            "the organization has no instance of `{key}`{}",
            if of_key.is_empty() {
                String::new()
            } else {
                format!(" but sandboxes: {}", listed())
            }
        ))),
        _ => Err(Error::NotFound(format!(
            "the organization has several instances of `{key}`, so which one is meant is \
             unknown: name one of {}",
            listed()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(key: &str, site: &str, sandbox: Option<bool>) -> Instance {
        Instance {
            key: key.into(),
            ari: site_ari(key, site),
            name: Some(site.into()),
            url: None,
            sandbox,
            seats_total: None,
            seats_used: None,
            plan: None,
        }
    }

    fn workspace(id: &str, key: &str) -> Workspace {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "attributes": { "typeKey": key, "name": "acme", "sandbox": { "type": "CHILD" } }
        }))
        .unwrap()
    }

    #[test]
    fn a_workspace_is_tied_to_the_ari_product_access_names() {
        let ari = site_ari("jira-software", "c0ffee");
        let by_ari = Instance::of(&workspace(&ari, "jira-software"), []).unwrap();
        assert_eq!(by_ari.ari, ari);
        assert_eq!(by_ari.sandbox, Some(true));
        let known = [ari.as_str(), "ari:cloud:confluence::site/c0ffee"];
        let by_site = Instance::of(&workspace("c0ffee", "confluence"), known).unwrap();
        assert_eq!(by_site.ari, "ari:cloud:confluence::site/c0ffee");
        let unseen = Instance::of(&workspace("beef", "jira"), known).unwrap();
        assert_eq!(
            (unseen.key.as_str(), unseen.ari.as_str()),
            ("jira-software", "ari:cloud:jira-software::site/beef")
        );
    }

    #[test]
    fn a_product_named_without_an_instance_means_its_one_production_instance() {
        let all = [
            instance("jira-software", "a", Some(false)),
            instance("jira-software", "a-sandbox", Some(true)),
            instance("confluence", "a", None),
        ];
        assert_eq!(
            pick(&all, &ProductRef::only("jira-software")).unwrap(),
            &all[0]
        );
        assert_eq!(
            pick(&all, &ProductRef::only("confluence")).unwrap(),
            &all[2]
        );
        let sandbox = ProductRef::on("jira-software", site_ari("jira-software", "a-sandbox"));
        assert_eq!(pick(&all, &sandbox).unwrap(), &all[1]);
        assert!(matches!(
            pick(&all, &ProductRef::only("trello")),
            Err(Error::NotFound(_))
        ));
        let elsewhere = ProductRef::on("jira-software", site_ari("jira-software", "b"));
        let err = pick(&all, &elsewhere).unwrap_err().to_string();
        assert!(
            err.contains("no instance") && err.contains("a-sandbox"),
            "{err}"
        );
        let two = [
            instance("jira-software", "a", Some(false)),
            instance("jira-software", "b", Some(false)),
        ];
        let err = pick(&two, &ProductRef::only("jira-software")).unwrap_err();
        assert!(err.to_string().contains("name one of"), "{err}");
    }
}
