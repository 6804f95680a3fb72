//! The organisation as the simulator holds it, as JSON: what a connector
//! written in any language is checked against. `atlassian-sim
//! --ground-truth FILE` writes it at start; `GET /_sim/ground-truth` on
//! the admin port answers it as it is now, after any writes.

use crate::model::{AccountType, Org, Status};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

/// Every account with its groups and each product instance it holds
/// (role, whether billable, the granting group, last activity), and every
/// product instance with its seats.
pub fn of(org: &Org) -> Value {
    let people: Vec<Value> = org
        .people
        .iter()
        .map(|p| {
            let products: Vec<Value> = org
                .instances()
                .filter_map(|i| {
                    let access = org.access_on(p, i)?;
                    Some(json!({
                        "key": i.key(),
                        "instance": org.instance(i).ari,
                        "role": access.role.as_str(),
                        "billable": org.is_billable_on(p, i),
                        "via_group": access.via_group.map(|g| org.groups[g].name.as_str()),
                        "last_active": p.last_active_on(i).and_then(|t| t.format(&Rfc3339).ok()),
                    }))
                })
                .collect();
            json!({
                "account_id": p.account_id,
                "email": p.email,
                "name": p.name,
                "account_type": match p.account_type {
                    AccountType::Atlassian => "atlassian",
                    AccountType::App => "app",
                    AccountType::Customer => "customer",
                },
                "status": match p.status {
                    Status::Active => "active",
                    Status::Suspended => "suspended",
                    Status::Deactivated => "deactivated",
                    Status::Invited => "invited",
                },
                "added": p.added.to_string(),
                "groups": p.groups.iter().map(|&g| org.groups[g].name.as_str()).collect::<Vec<_>>(),
                "products": products,
            })
        })
        .collect();
    let instances: Vec<Value> = org
        .instances()
        .map(|i| {
            let product = org.instance(i);
            json!({
                "key": i.key(),
                "instance": product.ari,
                "name": product.name,
                "url": product.host_url,
                "sandbox": product.sandbox,
                "seats": product.seats,
                "seats_used": org.seats_used_on(i),
                "plan": product.plan,
            })
        })
        .collect();
    json!({ "organization": org.id, "people": people, "products": instances })
}
