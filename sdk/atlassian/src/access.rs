//! Access through group membership, the way Atlassian's products grant
//! it: the writes that grant or revoke a group, or a product that groups
//! grant. Each goes through [`Provisioning`], so that dry runs and real
//! runs share it, and only when the membership changes, so that repeating
//! an action changes nothing.

use crate::errors::needs;
use crate::{GroupRef, groups};
use roster_sdk::http::Request;
use roster_sdk::{AccessTarget, Error, ProductRef, Provisioning, Result};

/// The membership writes of an API whose groups grant access.
pub trait GroupWrites {
    /// The request adding `account_id` to `group`.
    fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request>;

    /// The request taking `account_id` out of `group`.
    fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request>;

    /// The groups `account_id` is in now, as the upstream says: how a
    /// membership write whose answer was lost is read back.
    fn groups_of(&self, account_id: &str) -> Result<Vec<GroupRef>>;

    /// The permission membership changes need, named in their refusals
    /// (see [`needs`]); none to leave refusals as the upstream words them.
    const WRITES_NEED: Option<&'static str> = None;
}

/// What the refusal of a membership write means: `what` needs the API's
/// [`WRITES_NEED`](GroupWrites::WRITES_NEED), if it names one.
fn refused<A: GroupWrites + ?Sized>(what: &'static str) -> impl FnOnce(Error) -> Error {
    move |e| match A::WRITES_NEED {
        Some(permission) => needs(permission, what)(e),
        None => e,
    }
}

/// An API whose products are granted through groups, all of it: its
/// groups by id or name, its products by key with the groups that grant
/// them, and the membership writes. What [`grant`] and [`revoke`] need.
pub trait GroupAccess: GroupWrites {
    /// What the API calls a product, for errors (`application role`).
    const PRODUCT: &'static str;

    /// A product as the API describes it.
    type Product;

    /// The group `target` names (an id or a name), or `NotFound`.
    fn group(&self, target: &str) -> Result<GroupRef>;

    /// The product instance `product` names, or `NotFound` (an instance
    /// this API does not serve, too).
    fn product(&self, product: &ProductRef) -> Result<Self::Product>;

    /// The groups that grant `product`.
    fn granting<'p>(&self, product: &'p Self::Product) -> Granting<'p>;
}

/// Grants `target` to `account_id`, whose groups are `member_of`: adds it
/// to the group, or for a product to its first default group unless a
/// granting group holds it already. Returns the summary.
pub fn grant<A: GroupAccess>(
    api: &A,
    ctx: &mut Provisioning,
    account_id: &str,
    member_of: &[GroupRef],
    target: &AccessTarget,
) -> Result<String> {
    match target {
        AccessTarget::Product(key) => {
            grant_product(api, ctx, account_id, member_of, &api.product(key)?)?;
            Ok(format!("grant {key} to {account_id}"))
        }
        AccessTarget::Group(target) => join(api, ctx, account_id, member_of, &api.group(target)?),
    }
}

/// Grants `product` to `account_id`, whose groups are `member_of`, as
/// [`grant`] does.
pub fn grant_product<A: GroupAccess>(
    api: &A,
    ctx: &mut Provisioning,
    account_id: &str,
    member_of: &[GroupRef],
    product: &A::Product,
) -> Result<()> {
    let granting = api.granting(product);
    if granting.grant(api, ctx, account_id, member_of)? {
        return Ok(());
    }
    Err(Error::unsupported(format_args!(
        "{} `{}` has no default group to grant it with",
        A::PRODUCT,
        granting.key
    )))
}

/// Revokes `target` from `account_id`, whose groups are `member_of`:
/// takes it out of the group, or for a product out of every group that
/// grants it, so that it no longer holds it. Returns the summary.
pub fn revoke<A: GroupAccess>(
    api: &A,
    ctx: &mut Provisioning,
    account_id: &str,
    member_of: &[GroupRef],
    target: &AccessTarget,
) -> Result<String> {
    match target {
        AccessTarget::Product(key) => {
            let product = api.product(key)?;
            let left = api
                .granting(&product)
                .revoke(api, ctx, account_id, member_of)?;
            let names: Vec<&str> = left.iter().map(|g| g.name.as_str()).collect();
            Ok(format!(
                "revoke {key} from {account_id} (groups: {})",
                names.join(", ")
            ))
        }
        AccessTarget::Group(target) => {
            let group = api.group(target)?;
            leave(
                api,
                ctx,
                account_id,
                member_of,
                std::slice::from_ref(&group),
            )?;
            Ok(format!("remove {account_id} from group {}", group.name))
        }
    }
}

/// Whether `member_of` (an account's groups) has a group with `group`'s
/// id.
pub fn is_member(member_of: &[GroupRef], group: &GroupRef) -> bool {
    member_of.iter().any(|g| g.id == group.id)
}

/// Adds `account_id` to `group` unless `member_of` (its groups) has it.
/// Returns the summary, `add <account> to group <name>`.
pub fn join<A: GroupWrites>(
    api: &A,
    ctx: &mut Provisioning,
    account_id: &str,
    member_of: &[GroupRef],
    group: &GroupRef,
) -> Result<String> {
    if !is_member(member_of, group) {
        let joined = || Ok(is_member(&api.groups_of(account_id)?, group));
        ctx.write_verified(api.add_member(group, account_id)?, joined)
            .map_err(refused::<A>("adding a user to a group"))?;
    }
    Ok(format!("add {account_id} to group {}", group.name))
}

/// Takes `account_id` out of each of `groups` that `member_of` (its
/// groups) has, in the order of `member_of`. Returns the groups it left.
pub fn leave<'m, A: GroupWrites>(
    api: &A,
    ctx: &mut Provisioning,
    account_id: &str,
    member_of: &'m [GroupRef],
    groups: &[GroupRef],
) -> Result<Vec<&'m GroupRef>> {
    let left: Vec<&GroupRef> = member_of.iter().filter(|g| is_member(groups, g)).collect();
    for group in &left {
        let gone = || Ok(!is_member(&api.groups_of(account_id)?, group));
        ctx.write_verified(api.remove_member(group, account_id)?, gone)
            .map_err(refused::<A>("removing a user from a group"))?;
    }
    Ok(left)
}

/// A product that membership of some groups grants (a Jira application
/// role, Confluence's access groups).
#[derive(Debug, Clone, Copy)]
pub struct Granting<'a> {
    /// The product's key.
    pub key: &'a str,
    /// Every group whose members hold the product.
    pub groups: &'a [GroupRef],
    /// The groups that grant it to newcomers, the first one first.
    pub defaults: &'a [GroupRef],
}

impl<'a> Granting<'a> {
    /// Whether membership of the group with this id grants the product.
    pub fn via(&self, group_id: &str) -> bool {
        self.groups.iter().any(|g| g.id == group_id)
    }

    /// Whether an account in `member_of` holds the product.
    pub fn held_by(&self, member_of: &[GroupRef]) -> bool {
        member_of.iter().any(|g| self.via(&g.id))
    }

    /// The names of the granting groups, default groups first.
    pub fn names(&self) -> Vec<String> {
        let (mut first, rest): (Vec<&GroupRef>, Vec<&GroupRef>) = self
            .groups
            .iter()
            .partition(|g| is_member(self.defaults, g));
        first.extend(rest);
        first.into_iter().map(|g| g.name.clone()).collect()
    }

    /// Grants the product to `account_id` unless `member_of` (its groups)
    /// holds it already: adds it to the first default group. False when
    /// there is none to grant it with.
    pub fn grant(
        &self,
        api: &impl GroupWrites,
        ctx: &mut Provisioning,
        account_id: &str,
        member_of: &[GroupRef],
    ) -> Result<bool> {
        if self.held_by(member_of) {
            return Ok(true);
        }
        let Some(group) = self.defaults.first() else {
            return Ok(false);
        };
        join(api, ctx, account_id, member_of, group)?;
        Ok(true)
    }

    /// Revokes the product from `account_id`: takes it out of every
    /// granting group in `member_of` (its groups), in that order. Returns
    /// the groups it left.
    pub fn revoke<'m>(
        &self,
        api: &impl GroupWrites,
        ctx: &mut Provisioning,
        account_id: &str,
        member_of: &'m [GroupRef],
    ) -> Result<Vec<&'m GroupRef>> {
        leave(api, ctx, account_id, member_of, self.groups)
    }
}

/// The groups that grant a product, as a connector's `licensed_groups`
/// config names them or as the upstream reports them, and the one grants
/// join first.
#[derive(Debug, Clone)]
pub struct LicensedGroups {
    /// Every group whose members hold the product.
    pub groups: Vec<GroupRef>,
    /// The group a grant adds an account to.
    pub defaults: Vec<GroupRef>,
}

impl LicensedGroups {
    /// The groups `names` names among `all` (by id or name), the first of
    /// them the one grants join. A name `all` lacks is a config error on
    /// `licensed_groups`, saying where the operator finds the names
    /// (`where_listed`).
    pub fn named(all: &[GroupRef], names: &[String], where_listed: &str) -> Result<Self> {
        let groups = names
            .iter()
            .map(|name| {
                groups::find(all, name).cloned().ok_or_else(|| {
                    Error::config(
                        "licensed_groups",
                        format_args!("there is no group `{name}`: name groups as {where_listed}"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LicensedGroups {
            defaults: groups.first().cloned().into_iter().collect(),
            groups,
        })
    }

    /// The `granting` groups the upstream reports for product `key`; grants
    /// join its default group (`confluence-users`), else the first.
    pub fn reported(granting: Vec<GroupRef>, key: &str) -> Self {
        let default = groups::default_group(&granting, key)
            .or(granting.first())
            .cloned();
        LicensedGroups {
            groups: granting,
            defaults: default.into_iter().collect(),
        }
    }

    /// The groups as granting product `key`.
    pub fn granting<'a>(&'a self, key: &'a str) -> Granting<'a> {
        Granting {
            key,
            groups: &self.groups,
            defaults: &self.defaults,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_sdk::OutcomeStatus;

    struct Site;

    impl GroupWrites for Site {
        fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
            Ok(Request::post(format!(
                "https://x.example/group/{}/add/{account_id}",
                group.id
            )))
        }

        fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
            Ok(Request::delete(format!(
                "https://x.example/group/{}/{account_id}",
                group.id
            )))
        }

        fn groups_of(&self, _: &str) -> Result<Vec<GroupRef>> {
            Ok(Vec::new())
        }
    }

    fn group(id: &str) -> GroupRef {
        GroupRef {
            id: id.into(),
            name: format!("{id}-name"),
        }
    }

    #[test]
    fn joining_writes_only_for_a_newcomer() {
        let mut ctx = Provisioning::new(true);
        let summary = join(&Site, &mut ctx, "ana", &[group("a")], &group("b")).unwrap();
        assert_eq!(summary, "add ana to group b-name");
        let outcome = ctx.finish(None, summary);
        assert_eq!(outcome.status, OutcomeStatus::Planned);
        assert_eq!(outcome.requests[0].url, "https://x.example/group/b/add/ana");
        let mut again = Provisioning::new(true);
        join(&Site, &mut again, "ana", &[group("b")], &group("b")).unwrap();
        assert_eq!(again.finish(None, "").status, OutcomeStatus::Unchanged);
    }

    #[test]
    fn leaving_takes_the_account_out_of_the_groups_it_is_in() {
        let mut ctx = Provisioning::new(true);
        let granting = [group("a"), group("b"), group("c")];
        let member_of = [group("c"), group("d"), group("a")];
        let left = leave(&Site, &mut ctx, "ana", &member_of, &granting).unwrap();
        assert_eq!(
            left,
            [&member_of[0], &member_of[2]],
            "in the account's order"
        );
        let outcome = ctx.finish(None, "");
        let urls: Vec<&str> = outcome.requests.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://x.example/group/c/ana",
                "https://x.example/group/a/ana"
            ]
        );
        let mut none = Provisioning::new(true);
        assert!(
            leave(&Site, &mut none, "ana", &[], &granting)
                .unwrap()
                .is_empty()
        );
        assert!(is_member(&granting, &group("b")) && !is_member(&[], &group("b")));
    }

    #[test]
    fn a_product_granted_by_groups() {
        let groups = [group("admins"), group("users"), group("extra")];
        let defaults = [group("users")];
        let product = Granting {
            key: "jira-software",
            groups: &groups,
            defaults: &defaults,
        };
        assert!(product.via("extra") && !product.via("design"));
        assert_eq!(product.names(), ["users-name", "admins-name", "extra-name"]);
        assert!(product.held_by(&[group("design"), group("extra")]));

        let mut ctx = Provisioning::new(true);
        assert!(
            product
                .grant(&Site, &mut ctx, "ana", &[group("design")])
                .unwrap()
        );
        let outcome = ctx.finish(None, "");
        assert_eq!(
            outcome.requests[0].url,
            "https://x.example/group/users/add/ana"
        );
        let mut held = Provisioning::new(true);
        assert!(
            product
                .grant(&Site, &mut held, "ana", &[group("admins")])
                .unwrap()
        );
        assert_eq!(held.finish(None, "").status, OutcomeStatus::Unchanged);
        let no_default = Granting {
            defaults: &[],
            ..product
        };
        assert!(!no_default.grant(&Site, &mut held, "ana", &[]).unwrap());

        let mut ctx = Provisioning::new(true);
        let member_of = [group("extra"), group("design"), group("admins")];
        let left = product.revoke(&Site, &mut ctx, "ana", &member_of).unwrap();
        assert_eq!(left, [&member_of[0], &member_of[2]]);
    }

    /// A site whose one product, `p`, the groups `a` (its default) and `b`
    /// grant.
    impl GroupAccess for Site {
        const PRODUCT: &'static str = "role";
        type Product = (Vec<GroupRef>, Vec<GroupRef>);

        fn group(&self, target: &str) -> Result<GroupRef> {
            crate::groups::find(&[group("a"), group("b"), group("c")], target)
                .cloned()
                .ok_or_else(|| Error::NotFound(target.into()))
        }

        fn product(&self, product: &ProductRef) -> Result<Self::Product> {
            match product.key.as_str() {
                "p" => Ok((vec![group("a"), group("b")], vec![group("a")])),
                "bare" => Ok((vec![group("b")], vec![])),
                other => Err(Error::NotFound(other.into())),
            }
        }

        fn granting<'p>(&self, product: &'p Self::Product) -> Granting<'p> {
            Granting {
                key: "p",
                groups: &product.0,
                defaults: &product.1,
            }
        }
    }

    fn changed(
        target: AccessTarget,
        granting: bool,
        member_of: &[GroupRef],
    ) -> (String, Vec<String>) {
        let mut ctx = Provisioning::new(true);
        let summary = if granting {
            grant(&Site, &mut ctx, "ana", member_of, &target)
        } else {
            revoke(&Site, &mut ctx, "ana", member_of, &target)
        }
        .unwrap();
        let outcome = ctx.finish(None, "");
        (
            summary,
            outcome.requests.into_iter().map(|r| r.url).collect(),
        )
    }

    #[test]
    fn grants_and_revokes_of_groups_and_products() {
        let product = || AccessTarget::Product(ProductRef::only("p"));
        let (summary, sent) = changed(product(), true, &[group("c")]);
        assert_eq!(summary, "grant p to ana");
        assert_eq!(sent, ["https://x.example/group/a/add/ana"]);
        assert!(
            changed(product(), true, &[group("b")]).1.is_empty(),
            "held through b"
        );
        let (summary, sent) = changed(AccessTarget::Group("c-name".into()), true, &[]);
        assert_eq!(summary, "add ana to group c-name");
        assert_eq!(sent, ["https://x.example/group/c/add/ana"]);

        let (summary, sent) = changed(product(), false, &[group("b"), group("c"), group("a")]);
        assert_eq!(summary, "revoke p from ana (groups: b-name, a-name)");
        assert_eq!(sent.len(), 2);
        let (summary, sent) = changed(AccessTarget::Group("c".into()), false, &[group("a")]);
        assert_eq!(summary, "remove ana from group c-name");
        assert!(sent.is_empty());

        let mut ctx = Provisioning::new(true);
        let bare = AccessTarget::Product(ProductRef::only("bare"));
        let err = grant(&Site, &mut ctx, "ana", &[], &bare).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported: role `p` has no default group to grant it with"
        );
        let unknown = AccessTarget::Group("zzz".into());
        assert!(matches!(
            grant(&Site, &mut ctx, "ana", &[], &unknown),
            Err(Error::NotFound(_))
        ));
    }

    /// A site whose membership writes need `site-admins`.
    struct Guarded;

    impl GroupWrites for Guarded {
        const WRITES_NEED: Option<&'static str> = Some("membership of `site-admins`");

        fn add_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
            Site.add_member(group, account_id)
        }

        fn remove_member(&self, group: &GroupRef, account_id: &str) -> Result<Request> {
            Site.remove_member(group, account_id)
        }

        fn groups_of(&self, account_id: &str) -> Result<Vec<GroupRef>> {
            Site.groups_of(account_id)
        }
    }

    #[test]
    fn refusals_name_what_writes_need() {
        let forbidden = || Error::Forbidden("no".into());
        assert_eq!(
            refused::<Guarded>("adding a user to a group")(forbidden()).to_string(),
            "forbidden: adding a user to a group needs membership of `site-admins`, which the \
             token's user lacks (no)"
        );
        assert_eq!(
            refused::<Site>("adding a user to a group")(forbidden()),
            forbidden()
        );
        let mut ctx = Provisioning::new(true);
        assert!(
            join(&Guarded, &mut ctx, "ana", &[], &group("a")).is_ok(),
            "a dry run sends nothing"
        );
    }
}
