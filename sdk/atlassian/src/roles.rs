//! Product roles: which use a paid seat, and how they rank when a person
//! holds several on one product.

/// Roles that use no paid seat (without their `atlassian/` prefix).
pub const NOT_BILLABLE: [&str; 4] = ["guest", "customer", "contributor", "basic"];

/// Whether a role (none: unknown) uses a paid seat: every role but the
/// [`NOT_BILLABLE`] ones, an unknown role included.
pub fn paid_role(role: Option<&str>) -> bool {
    role.is_none_or(|r| !NOT_BILLABLE.contains(&r))
}

/// The rank of a role when a person holds several on one product:
/// `admin`, then `user`, then any other paid role, then the
/// [`NOT_BILLABLE`] ones.
pub fn rank(role: &str) -> u8 {
    match role {
        "admin" => 3,
        "user" => 2,
        _ if NOT_BILLABLE.contains(&role) => 0,
        _ => 1,
    }
}

/// A role id without its `atlassian/` prefix (`atlassian/admin` →
/// `admin`).
pub fn short_role(role: &str) -> &str {
    role.strip_prefix("atlassian/").unwrap_or(role)
}

/// The first of the strongest roles (by [`rank`]), with what came with it.
pub fn strongest<'a, T>(roles: impl IntoIterator<Item = (&'a str, T)>) -> Option<(&'a str, T)> {
    roles
        .into_iter()
        .fold(None, |best, (role, with)| match best {
            Some((held, _)) if rank(held) >= rank(role) => best,
            _ => Some((role, with)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billable_roles() {
        for free in NOT_BILLABLE {
            assert!(!paid_role(Some(free)), "{free}");
        }
        for paid in ["user", "admin", "site-admin", "stakeholder"] {
            assert!(paid_role(Some(paid)), "{paid}");
        }
        assert!(paid_role(None), "an unknown role is counted");
    }

    #[test]
    fn ranks_and_the_first_strongest() {
        assert!(rank("admin") > rank("user"));
        assert!(rank("user") > rank("site-admin"));
        assert!(rank("site-admin") > rank("guest"));
        let held = [
            ("guest", 1),
            ("user", 2),
            ("admin", 3),
            ("admin", 4),
            ("user", 5),
        ];
        assert_eq!(strongest(held), Some(("admin", 3)));
        assert_eq!(
            strongest([("basic", 'a'), ("guest", 'b')]),
            Some(("basic", 'a'))
        );
        assert_eq!(strongest(Vec::<(&str, ())>::new()), None);
    }

    #[test]
    fn prefixes_come_off() {
        assert_eq!(short_role("atlassian/admin"), "admin");
        assert_eq!(short_role("admin"), "admin");
        assert_eq!(short_role("custom/admin"), "custom/admin");
    }
}
