//! Atlassian accounts: account types, and the user Jira's and
//! Confluence's site APIs return.

use roster_sdk::json::nullable;
use roster_sdk::{Account, AccountKind, AccountStatus};
use serde::Deserialize;

/// The account type of a person's Atlassian account; the others are apps
/// (`app`) and service-desk portal customers (`customer`).
pub const PERSON: &str = "atlassian";

/// The contract's kind of an Atlassian `accountType`: `atlassian` is a
/// person, `app` an app, `customer` a portal customer; anything else (Jira's
/// `unknown`, Confluence's empty type) is unknown.
pub fn account_kind(account_type: &str) -> AccountKind {
    match account_type {
        PERSON => AccountKind::Human,
        "app" => AccountKind::App,
        "customer" => AccountKind::Customer,
        _ => AccountKind::Unknown,
    }
}

/// A user as Jira's `users/search`, `myself`, `user` and group member
/// listings return it, and Confluence's user objects (which name the email
/// `email`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The Atlassian account id.
    pub account_id: String,
    /// `atlassian`, `app`, `customer` or `unknown`.
    #[serde(default, deserialize_with = "nullable")]
    pub account_type: String,
    /// Absent or empty when the profile hides it.
    #[serde(default, alias = "email")]
    pub email_address: Option<String>,
    /// The name the product shows.
    #[serde(default)]
    pub display_name: Option<String>,
    /// False for users who cannot sign in or were removed from the product.
    #[serde(default)]
    pub active: bool,
}

impl User {
    /// Whether this is a person's account (not an app or a portal
    /// customer): only those take paid seats.
    pub fn is_person(&self) -> bool {
        self.account_type == PERSON
    }

    /// The contract's kind of this account.
    pub fn kind(&self) -> AccountKind {
        account_kind(&self.account_type)
    }

    /// Whether the profile shows this email (compared without case).
    pub fn has_email(&self, email: &str) -> bool {
        self.email_address
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }

    /// The email, when the profile shows one.
    pub fn email(&self) -> Option<String> {
        self.email_address.clone().filter(|e| !e.is_empty())
    }

    /// The account record of this user with `status`: its kind, the email
    /// when the profile shows it, the display name, and `accountType` as an
    /// attribute.
    pub fn account(&self, status: AccountStatus) -> Account {
        let mut account = Account::new(&self.account_id, status, self.kind());
        account.email = self.email();
        account.display_name = self.display_name.clone();
        account.attributes = vec![("accountType".into(), self.account_type.clone())];
        account
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_account_types() {
        assert_eq!(account_kind("atlassian"), AccountKind::Human);
        assert_eq!(account_kind("app"), AccountKind::App);
        assert_eq!(account_kind("customer"), AccountKind::Customer);
        for other in ["unknown", "", "Atlassian"] {
            assert_eq!(account_kind(other), AccountKind::Unknown, "{other}");
        }
    }

    #[test]
    fn jira_and_confluence_users_read() {
        let jira: User = serde_json::from_str(
            r#"{"self":"x","accountId":"5b10","accountType":"atlassian","emailAddress":"mia@example.com","displayName":"Mia","active":true,"timeZone":"UTC"}"#,
        )
        .unwrap();
        assert!(jira.is_person() && jira.active);
        assert_eq!(jira.kind(), AccountKind::Human);
        assert_eq!(jira.email().as_deref(), Some("mia@example.com"));
        assert!(jira.has_email("Mia@Example.com") && !jira.has_email("mia@example.org"));
        let confluence: User = serde_json::from_str(
            r#"{"type":"known","accountId":"5b11","accountType":"","email":"","publicName":"ana","displayName":"Ana"}"#,
        )
        .unwrap();
        assert_eq!(confluence.email(), None, "an empty email is hidden");
        assert!(!confluence.is_person() && !confluence.active);
        let app: User = serde_json::from_str(r#"{"accountId":"a","accountType":null}"#).unwrap();
        assert_eq!(app.kind(), AccountKind::Unknown);
        assert!(serde_json::from_str::<User>(r#"{"accountType":"app"}"#).is_err());
        let account = jira.account(AccountStatus::Active);
        assert_eq!(account.id, "5b10");
        assert_eq!(account.kind, AccountKind::Human);
        assert_eq!(account.email.as_deref(), Some("mia@example.com"));
        assert_eq!(account.display_name.as_deref(), Some("Mia"));
        assert_eq!(
            account.attributes,
            [("accountType".to_owned(), "atlassian".to_owned())]
        );
    }
}
