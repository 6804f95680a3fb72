//! One Trello person as the workspace and the Enterprise describe them,
//! and the accounts, licences and usage records a person gives.

use crate::api::{EnterpriseUser, Membership, TRELLO};
use roster_sdk::prelude::*;

/// What the Enterprise says of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InEnterprise {
    /// Holds one of the Enterprise's licences.
    pub licensed: bool,
    /// Deactivated in the Enterprise.
    pub deactivated: bool,
    /// Managed by the Enterprise.
    pub managed: bool,
    /// A board guest without a licence.
    pub collaborator: bool,
    /// An Enterprise admin.
    pub admin: bool,
}

/// What the workspace says of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InWorkspace {
    /// Administers the workspace.
    pub admin: bool,
    /// Deactivated in the workspace.
    pub deactivated: bool,
    /// Invited, not yet signed up.
    pub unconfirmed: bool,
}

/// One person Trello reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The Trello member id.
    pub member_id: String,
    /// The Atlassian account id, when Trello gives it.
    pub account_id: Option<String>,
    /// The username.
    pub username: Option<String>,
    /// The name shown.
    pub full_name: Option<String>,
    /// The email, when Trello shows it (managed members).
    pub email: Option<String>,
    /// Whether the member signed up, when Trello says.
    pub confirmed: Option<bool>,
    /// Last activity, as Trello writes it.
    pub last_active: Option<String>,
    /// The workspace's view; none for an Enterprise user outside it.
    pub workspace: Option<InWorkspace>,
    /// The Enterprise's view; none without an Enterprise, or for a
    /// workspace member outside it.
    pub enterprise: Option<InEnterprise>,
}

impl Person {
    /// A workspace member, as the workspace's listing gives them.
    pub fn from_workspace(membership: &Membership) -> Person {
        let member = membership.member.as_ref();
        Person {
            member_id: membership.id_member.clone(),
            account_id: member.and_then(|m| m.aa_id.clone()),
            username: member.and_then(|m| m.username.clone()),
            full_name: member.and_then(|m| m.full_name.clone()),
            email: member.and_then(|m| m.email.clone()),
            confirmed: member.and_then(|m| m.confirmed),
            last_active: member.and_then(|m| m.date_last_active.clone()),
            workspace: Some(InWorkspace {
                admin: membership.is_admin(),
                deactivated: membership.deactivated,
                unconfirmed: membership.unconfirmed,
            }),
            enterprise: None,
        }
    }

    /// An Enterprise user, with their workspace membership if they have
    /// one: the Enterprise's activity and flags, the workspace's role, and
    /// whichever of the two gives the account id and email.
    pub fn from_enterprise(user: &EnterpriseUser, membership: Option<&Membership>) -> Person {
        let member = &user.member;
        let mut person = membership.map_or_else(
            || Person {
                member_id: member.id.clone(),
                account_id: None,
                username: None,
                full_name: None,
                email: None,
                confirmed: None,
                last_active: None,
                workspace: None,
                enterprise: None,
            },
            Person::from_workspace,
        );
        person.account_id = member.aa_id.clone().or(person.account_id);
        person.username = member.username.clone().or(person.username);
        person.full_name = member.full_name.clone().or(person.full_name);
        person.email = member.email.clone().or(person.email);
        person.confirmed = member.confirmed.or(person.confirmed);
        person.last_active = member.date_last_impression.clone();
        person.enterprise = Some(InEnterprise {
            licensed: user.licensed,
            deactivated: user.deactivated,
            managed: user.managed,
            collaborator: user.collaborator,
            admin: user.admin,
        });
        person
    }

    /// The id Roster reports: the Atlassian account id, which joins the
    /// other Atlassian products, else the Trello member id.
    pub fn id(&self) -> &str {
        self.account_id.as_deref().unwrap_or(&self.member_id)
    }

    /// Deactivated in the Enterprise or in the workspace.
    pub fn is_deactivated(&self) -> bool {
        self.enterprise.is_some_and(|e| e.deactivated)
            || self.workspace.is_some_and(|w| w.deactivated)
    }

    /// The role Trello gives: `admin` of the workspace or the Enterprise,
    /// `guest` for a collaborator, else `user`.
    pub fn role(&self) -> &'static str {
        if self.workspace.is_some_and(|w| w.admin) || self.enterprise.is_some_and(|e| e.admin) {
            "admin"
        } else if self.enterprise.is_some_and(|e| e.collaborator) {
            "guest"
        } else {
            "user"
        }
    }

    /// The account: deactivated, invited (not signed up) or active, as
    /// Trello says.
    pub fn account(&self) -> Account {
        let invited =
            self.workspace.is_some_and(|w| w.unconfirmed) || self.confirmed == Some(false);
        let status = if self.is_deactivated() {
            AccountStatus::Deactivated
        } else if invited {
            AccountStatus::Invited
        } else {
            AccountStatus::Active
        };
        let mut account = Account::new(self.id(), status, AccountKind::Human);
        account.email = self.email.clone();
        account.display_name = self.full_name.clone();
        account.last_active = self.last_active.clone().map(Instant::timestamp);
        let mut attribute =
            |name: &str, value: String| account.attributes.push((name.into(), value));
        attribute("member-id", self.member_id.clone());
        if let Some(username) = &self.username {
            attribute("username", username.clone());
        }
        if let Some(w) = self.workspace {
            let role = if w.admin { "admin" } else { "normal" };
            attribute("workspace-role", role.into());
        }
        if let Some(e) = self.enterprise {
            for (name, value) in [
                ("licensed", e.licensed),
                ("managed", e.managed),
                ("collaborator", e.collaborator),
                ("enterprise-admin", e.admin),
            ] {
                attribute(name, value.to_string());
            }
        }
        account
    }

    /// The person's Trello access: with an Enterprise, a billable seat for
    /// a licence and a free guest access for a collaborator; outside one,
    /// the membership of an active workspace member, not billable (Trello's
    /// API does not say what the workspace's plan charges).
    pub fn license(&self) -> Option<License> {
        let billable = match (self.enterprise, self.workspace) {
            (Some(e), _) if e.licensed => true,
            (Some(e), _) if e.collaborator => false,
            (Some(_), _) => return None,
            (None, Some(w)) if !w.deactivated => false,
            (None, _) => return None,
        };
        Some(License {
            account_id: self.id().to_owned(),
            product: ProductRef::only(TRELLO),
            role: Some(self.role().to_owned()),
            billable,
            via_group: None,
        })
    }

    /// The last activity Trello reports, at its precision.
    pub fn usage(&self) -> Option<Usage> {
        Some(Usage {
            account_id: self.id().to_owned(),
            product: Some(ProductRef::only(TRELLO)),
            last_active: Instant::timestamp(self.last_active.clone()?),
        })
    }
}
