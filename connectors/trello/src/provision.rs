//! Access changes in the workspace and its Enterprise.
//!
//! - `invite`: `PUT /organizations/{id}/members?email=&fullName=`;
//!   unchanged when a member already has the email (Trello shows it for
//!   managed members).
//! - `suspend` / `restore`: deactivate and reactivate in the workspace.
//! - `remove`: remove from the workspace; unchanged for someone who is not
//!   a member.
//! - `grant` / `revoke` of `trello`: with an Enterprise, its licence on
//!   and off (unsupported once the Enterprise's users are managed in
//!   Atlassian administration); without one, reactivation and
//!   deactivation in the workspace.
//!
//! Each action reads the state first (the workspace's memberships, one
//! request; a licence through the Enterprise query, by username), so that
//! a repeat is `unchanged` without a write.

use crate::api::{
    Client, ENTERPRISE_ADMIN, Membership, TRELLO, WORKSPACE_ADMIN, moved_to_atlassian,
};
use crate::people::Person;
use roster_atlassian::errors::needs;
use roster_sdk::prelude::*;

/// Carries out `action` against the workspace `api` reaches.
pub fn run(api: &Client, action: Action, ctx: &mut Provisioning) -> Result<Outcome> {
    match action {
        Action::Invite(invitation) => invite(api, invitation, ctx),
        Action::Grant(change) => licence(api, change, true, ctx),
        Action::Revoke(change) => licence(api, change, false, ctx),
        Action::Suspend(id) => deactivate(api, &id, true, ctx),
        Action::Restore(id) => deactivate(api, &id, false, ctx),
        Action::Remove(id) => remove(api, &id, ctx),
    }
}

/// The workspace membership of `id` (an account id, member id or
/// username), read afresh.
fn member(api: &Client, id: &str) -> Result<Option<Membership>> {
    Ok(api
        .memberships(true)?
        .list
        .iter()
        .find(|m| m.is(id))
        .cloned())
}

/// Like [`member`], not found when `id` is no member.
fn require_member(api: &Client, id: &str) -> Result<Membership> {
    member(api, id)?.ok_or_else(|| {
        Error::NotFound(format!(
            "Trello workspace `{}` has no member `{id}`",
            api.workspace
        ))
    })
}

/// The id an outcome names: the account id if Trello gives it.
fn reported_id(membership: &Membership) -> String {
    Person::from_workspace(membership).id().to_owned()
}

fn invite(api: &Client, invitation: Invitation, ctx: &mut Provisioning) -> Result<Outcome> {
    if let Some(other) = invitation.products.iter().find(|p| p.key != TRELLO) {
        return Err(Error::NotFound(format!(
            "a Trello workspace grants `{TRELLO}` only, not `{}`",
            other.key
        )));
    }
    let email = invitation.email.trim();
    let has_email = |m: &Membership| {
        m.member
            .as_ref()
            .and_then(|m| m.email.as_deref())
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    };
    if let Some(existing) = api.memberships(true)?.list.iter().find(|m| has_email(m)) {
        let summary = format!(
            "{email} is already a member of workspace `{}`",
            api.workspace
        );
        return Ok(ctx.finish(Some(reported_id(existing)), summary));
    }
    let name = invitation
        .display_name
        .clone()
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    let request = api
        .at(Method::Put, &["organizations", &api.workspace, "members"])?
        .query([("email", email), ("fullName", &name), ("type", "normal")]);
    let answer = ctx
        .write_verified(request, || {
            Ok(api.memberships(true)?.list.iter().any(has_email))
        })
        .map_err(needs(WORKSPACE_ADMIN, "inviting to the workspace"))?;
    let invited = match answer {
        Some(response) => Some(response.json::<crate::api::Member>()?),
        None => None,
    };
    let id = invited.map(|m| m.aa_id.unwrap_or(m.id));
    let summary = format!("invited {email} to workspace `{}`", api.workspace);
    Ok(ctx.finish(id, summary))
}

/// Grants (`on`) or revokes Trello.
fn licence(
    api: &Client,
    change: AccessChange,
    on: bool,
    ctx: &mut Provisioning,
) -> Result<Outcome> {
    match &change.target {
        AccessTarget::Group(group) => {
            return Err(Error::unsupported(format_args!(
                "Trello has no groups (`{group}`): grant or revoke the product `{TRELLO}`"
            )));
        }
        AccessTarget::Product(product) if product.key != TRELLO => {
            return Err(Error::NotFound(format!(
                "a Trello workspace grants `{TRELLO}` only, not `{}`",
                product.key
            )));
        }
        AccessTarget::Product(_) => {}
    }
    let Some(enterprise) = api.enterprise.as_deref() else {
        // Without an Enterprise, access to Trello is an active membership.
        return deactivate(api, &change.account_id, !on, ctx);
    };
    if let Some(org) = api.enterprise(enterprise)?.id_atlassian_organization {
        return Err(moved(enterprise, &org));
    }
    let membership = require_member(api, &change.account_id)?;
    let member_id = membership.id_member.clone();
    let username = membership
        .member
        .as_ref()
        .and_then(|m| m.username.clone())
        .unwrap_or_else(|| member_id.clone());
    let licensed = || -> Result<bool> {
        let user = api.enterprise_user(enterprise, &member_id, &username)?;
        Ok(user.is_some_and(|u| u.licensed))
    };
    let id = Some(reported_id(&membership));
    let verb = if on { "holds" } else { "holds no" };
    if licensed()? == on {
        return Ok(ctx.finish(
            id,
            format!("{} already {verb} a licence", change.account_id),
        ));
    }
    let request = api
        .at(
            Method::Put,
            &["enterprises", enterprise, "members", &member_id, "licensed"],
        )?
        .query([("value", if on { "true" } else { "false" })]);
    ctx.write_verified(request, || Ok(licensed()? == on))
        .map_err(|e| {
            if moved_to_atlassian(&e) {
                moved(enterprise, "its Atlassian organization")
            } else {
                needs(ENTERPRISE_ADMIN, "changing licences")(e)
            }
        })?;
    let done = if on { "licensed" } else { "unlicensed" };
    Ok(ctx.finish(
        id,
        format!("{done} {} in Enterprise `{enterprise}`", change.account_id),
    ))
}

/// The refusal of a licence change in an Enterprise whose users are
/// managed in Atlassian administration.
fn moved(enterprise: &str, org: &str) -> Error {
    Error::unsupported(format_args!(
        "the users of Trello Enterprise `{enterprise}` are managed in Atlassian administration \
         ({org}): grant or revoke `{TRELLO}` with the Atlassian organization admin connector"
    ))
}

/// Deactivates (`off`) or reactivates a member in the workspace.
fn deactivate(api: &Client, id: &str, off: bool, ctx: &mut Provisioning) -> Result<Outcome> {
    let membership = require_member(api, id)?;
    let reported = Some(reported_id(&membership));
    let state = if off { "deactivated" } else { "active" };
    if membership.deactivated == off {
        let summary = format!("{id} is already {state} in workspace `{}`", api.workspace);
        return Ok(ctx.finish(reported, summary));
    }
    let path = [
        "organizations",
        &api.workspace,
        "members",
        &membership.id_member,
        "deactivated",
    ];
    let request = api
        .at(Method::Put, &path)?
        .query([("value", if off { "true" } else { "false" })]);
    ctx.write_verified(request, || {
        Ok(member(api, id)?.is_some_and(|m| m.deactivated == off))
    })
    .map_err(needs(
        WORKSPACE_ADMIN,
        "deactivating and reactivating members",
    ))?;
    let summary = format!("{id} is now {state} in workspace `{}`", api.workspace);
    Ok(ctx.finish(reported, summary))
}

fn remove(api: &Client, id: &str, ctx: &mut Provisioning) -> Result<Outcome> {
    let Some(membership) = member(api, id)? else {
        let summary = format!("{id} is not a member of workspace `{}`", api.workspace);
        return Ok(ctx.finish(None, summary));
    };
    let path = [
        "organizations",
        &api.workspace,
        "members",
        &membership.id_member,
    ];
    let request = api.at(Method::Delete, &path)?;
    ctx.write_verified(request, || Ok(member(api, id)?.is_none()))
        .map_err(needs(WORKSPACE_ADMIN, "removing members"))?;
    let summary = format!("removed {id} from workspace `{}`", api.workspace);
    Ok(ctx.finish(Some(reported_id(&membership)), summary))
}
