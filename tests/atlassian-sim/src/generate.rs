//! Generates one organisation from a seed and a head count: the same
//! inputs always give the same organisation.
//!
//! [`organisation`] has one site, `acme<seed>` (`acme` for seed 0), with
//! Jira Software, Jira Service Management and Confluence, plus one Trello
//! workspace and one Bitbucket workspace.
//!
//! [`multi_site_organisation`] is the same organisation (the same people,
//! groups, ids, seats and last activity on the main site) with two more
//! sites, drawn from a random stream of their own so that the main site
//! stays as [`organisation`] makes it:
//!
//! - `<site>-eu`, a second production site with Jira Software and
//!   Confluence, granted by `jira-software-users-<site>-eu` and
//!   `confluence-users-<site>-eu` (Atlassian's names for the default
//!   groups of additional sites), administered through
//!   `jira-admins-<site>-eu`;
//! - `<site>-sandbox`, a sandbox of the main site (`sandbox: CHILD` in the
//!   Admin API) with Jira Software, granted by
//!   `jira-software-users-<site>-sandbox` and administered through
//!   `jira-admins-<site>-sandbox`.
//!
//! About a third of the main site's Jira Software users also use the
//! second site's and some people use only the second site; a few hold
//! Confluence on both sites, a few are guests of the second site's
//! Confluence only; the sandbox holds some of the main site's Jira users
//! and most of its Jira admins. Each extra instance has its own seats (a
//! few spare) and last-active times. The organisation admin administers
//! the extra Jira instances too. Because Atlassian makes sandboxes for
//! Premium and Enterprise plans only, the main Jira Software is on
//! `PREMIUM` in a multi-site organisation (`STANDARD` otherwise); the
//! sandbox has the same plan and as many seats as it.

use crate::model::{
    AccountType, Group, InstanceId, Org, OrgIds, Person, Product, ProductKey, Role, Site, Status,
};
use crate::rng::{Rng, mix};
use time::{Duration, OffsetDateTime};

/// Fewest and most people an organisation may have.
pub const PEOPLE_RANGE: std::ops::RangeInclusive<usize> = 10..=200_000;

const FIRST_NAMES: &[&str] = &[
    "Ana",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Chloé",
    "Małgorzata",
    "François",
    "Jürgen",
    "Åsa",
    "Ngọc",
    "Ayşe",
    "Björn",
    "Dvořák",
    "Mia",
    "Noah",
    "Olivia",
    "Liam",
    "Emma",
    "Lucas",
    "Amélie",
    "Mateo",
    "Sofía",
    "Yuki",
    "Hiroshi",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Ingrid",
    "Kwame",
    "Chidi",
    "Nadia",
    "Élodie",
    "Tomáš",
    "Zsófia",
    "Henrik",
    "Leilani",
    "Rafael",
    "Thảo",
];

const LAST_NAMES: &[&str] = &[
    "Silva",
    "García",
    "Müller",
    "Nowak",
    "Jørgensen",
    "Dubois",
    "Kowalski",
    "O'Brien",
    "Nguyễn",
    "Yılmaz",
    "Öberg",
    "Novák",
    "Smith",
    "Johnson",
    "Rossi",
    "Fernández",
    "Tanaka",
    "Sato",
    "Patel",
    "Sharma",
    "Haddad",
    "Mensah",
    "Okafor",
    "Lindqvist",
    "Horváth",
    "Kim",
    "Park",
    "Larsen",
    "Costa",
    "Schröder",
    "Żuk",
    "Ćosić",
    "Ramírez",
    "Moreau",
    "Van der Berg",
    "Đặng",
];

const APP_NAMES: &[&str] = &[
    "Automation for Jira",
    "Slack",
    "GitHub for Jira",
    "Microsoft Teams",
    "Jira Cloud for Sheets",
    "Zapier",
    "Opsgenie",
    "Statuspage",
];

const OTHER_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "contractors.example",
    "agency.example",
];
const CUSTOMER_DOMAINS: &[&str] = &["customer-one.example", "client.example", "users.example"];
const DEPARTMENTS: &[&str] = &[
    "engineering",
    "marketing",
    "sales",
    "support",
    "finance",
    "design",
];

/// Share of people with each product, in [`ProductKey::ALL`] order.
const PRODUCT_SHARE: [f64; 5] = [0.60, 0.15, 0.70, 0.30, 0.25];

/// Products whose seats are all taken: every seat bought is assigned.
const FULL_PRODUCTS: [ProductKey; 2] = [ProductKey::JiraServiceManagement, ProductKey::Bitbucket];

/// Group indexes fixed by [`groups`].
mod group {
    pub const DEFAULTS: [usize; 5] = [0, 1, 2, 3, 4];
    pub const JIRA_ADMINS: usize = 5;
    pub const CONFLUENCE_ADMINS: usize = 6;
    pub const SITE_ADMINS: usize = 7;
    pub const DEVELOPERS: usize = 8;
    pub const FIRST_DEPARTMENT: usize = 9;
}

/// Generates the organisation for `seed` with `people` accounts (apps and
/// portal customers included), as of `now`.
pub fn organisation(seed: u64, people: usize, now: OffsetDateTime) -> Org {
    let mut rng = Rng::new(seed ^ 0x526f_7374_6572);
    let ids = org_ids(&mut rng, seed);
    let groups = groups(&mut rng);
    let mut persons = Vec::with_capacity(people);
    for i in 0..people {
        persons.push(person(&mut rng, i, &ids.domain, now));
    }
    let main_site = Site {
        subdomain: ids.site.clone(),
        cloud_id: ids.cloud_id.clone(),
        sandbox: false,
    };
    let products = ProductKey::ALL
        .iter()
        .map(|&key| {
            let (name, host_url, site) = match key {
                ProductKey::Trello => (
                    ids.trello_workspace_name.clone(),
                    format!("https://trello.com/w/{}", ids.trello_workspace_name),
                    None,
                ),
                ProductKey::Bitbucket => (
                    ids.bitbucket_workspace.clone(),
                    format!("https://bitbucket.org/{}", ids.bitbucket_workspace),
                    None,
                ),
                _ => (ids.site.clone(), site_host_url(&main_site, key), Some(0)),
            };
            let ari = site_ari(key, &ids.cloud_id);
            // Drawn and unused, so that the stream of the rest is the same.
            let _ = rng.uuid();
            Product {
                key,
                workspace_id: ari.clone(),
                ari,
                name,
                host_url,
                site,
                sandbox: false,
                seats: 0,
                plan: if key == ProductKey::Confluence {
                    "PREMIUM"
                } else {
                    "STANDARD"
                },
                default_group: group::DEFAULTS[key.index()],
            }
        })
        .collect();
    let mut org = Org::new(ids, persons, groups, products, now);
    appoint_credential_holders(&mut org);
    for key in ProductKey::ALL {
        let used = org.seats_used(key);
        org.products[key.index()].seats = if FULL_PRODUCTS.contains(&key) {
            used
        } else {
            with_slack(&mut rng, used)
        };
    }
    org
}

/// `ari:cloud:<key>::site/<cloudId>`.
fn site_ari(key: ProductKey, cloud_id: &str) -> String {
    format!("ari:cloud:{}::site/{cloud_id}", key.key())
}

/// Where a site's instance of `key` is used: the site, Confluence under
/// `/wiki`.
fn site_host_url(site: &Site, key: ProductKey) -> String {
    match key {
        ProductKey::Confluence => format!("{}/wiki", site.url()),
        _ => site.url(),
    }
}

/// Seats for an instance with `used` seats taken: 2% to 12% spare, at
/// least one.
fn with_slack(rng: &mut Rng, used: u32) -> u32 {
    used + (used as f64 * (0.02 + rng.unit() * 0.10)).ceil() as u32 + 1
}

/// A last-active time in the two years before `now`, most of them recent.
fn recent(rng: &mut Rng, now: OffsetDateTime) -> OffsetDateTime {
    let u = rng.unit();
    let seconds = (u * u * 730.0 * 86_400.0) as i64 + rng.below(86_400) as i64;
    let at = now - Duration::seconds(seconds);
    at.replace_nanosecond(0).unwrap_or(at)
}

/// The organisation of [`organisation`] with a second production site and
/// a sandbox (see the module documentation).
pub fn multi_site_organisation(seed: u64, people: usize, now: OffsetDateTime) -> Org {
    let mut org = organisation(seed, people, now);
    add_sites(&mut org, seed, now);
    org
}

/// Adds the second site and the sandbox, drawing from a stream of their
/// own.
fn add_sites(org: &mut Org, seed: u64, now: OffsetDateTime) {
    use ProductKey::{Confluence, JiraSoftware};
    let mut rng = Rng::new(mix(seed ^ 0x7369_7465_735f_3031));
    let main_jira = InstanceId::main(JiraSoftware);
    let main_confluence = InstanceId::main(Confluence);
    // A sandbox needs a Premium (or Enterprise) parent.
    org.products[main_jira.index()].plan = "PREMIUM";

    let instance = |org: &mut Org, rng: &mut Rng, site: usize, key: ProductKey| {
        let s = org.sites[site].clone();
        let default_group = org.push_group(Group {
            id: rng.uuid(),
            name: format!("{}-users-{}", default_group_stem(key), s.subdomain),
            description: format!("Grants access to {} on {}", key.name(), s.subdomain),
            grants: Vec::new(),
        });
        let ari = site_ari(key, &s.cloud_id);
        let _ = rng.uuid();
        let id = org.push_instance(Product {
            key,
            workspace_id: ari.clone(),
            ari,
            name: s.subdomain.clone(),
            host_url: site_host_url(&s, key),
            site: Some(site),
            sandbox: s.sandbox,
            seats: 0,
            plan: if s.sandbox {
                org.instance(main_jira).plan
            } else {
                "STANDARD"
            },
            default_group,
        });
        org.groups[default_group].grants.push((id, Role::User));
        id
    };
    let eu = org.push_site(Site {
        subdomain: format!("{}-eu", org.site),
        cloud_id: rng.uuid(),
        sandbox: false,
    });
    let sandbox = org.push_site(Site {
        subdomain: format!("{}-sandbox", org.site),
        cloud_id: rng.uuid(),
        sandbox: true,
    });
    let eu_jira = instance(org, &mut rng, eu, JiraSoftware);
    let eu_confluence = instance(org, &mut rng, eu, Confluence);
    let sandbox_jira = instance(org, &mut rng, sandbox, JiraSoftware);
    let admins = |org: &mut Org, rng: &mut Rng, jira: InstanceId| {
        let subdomain = org
            .site_of(jira)
            .map(|s| s.subdomain.clone())
            .unwrap_or_default();
        org.push_group(Group {
            id: rng.uuid(),
            name: format!("jira-admins-{subdomain}"),
            description: format!("Administers Jira on {subdomain}"),
            grants: vec![(jira, Role::Admin)],
        })
    };
    let eu_admins = admins(org, &mut rng, eu_jira);
    let sandbox_admins = admins(org, &mut rng, sandbox_jira);
    let default = |org: &Org, i: InstanceId| org.instance(i).default_group;
    let (eu_jira_users, eu_confluence_users, sandbox_users) = (
        default(org, eu_jira),
        default(org, eu_confluence),
        default(org, sandbox_jira),
    );
    let main_jira_admins = group::JIRA_ADMINS;

    for p in 0..org.people.len() {
        let person = &org.people[p];
        if person.account_type != AccountType::Atlassian {
            continue;
        }
        let on_main_jira = org.access_on(person, main_jira).is_some();
        let on_main_confluence = org.access_on(person, main_confluence).is_some();
        let main_jira_admin = person.groups.contains(&main_jira_admins);
        let mut joined = Vec::new();
        let mut guest_of = Vec::new();
        if rng.chance(if on_main_jira { 0.35 } else { 0.08 }) {
            joined.push(eu_jira_users);
            if rng.chance(0.04) {
                joined.push(eu_admins);
            }
        }
        if rng.chance(if on_main_confluence { 0.20 } else { 0.05 }) {
            joined.push(eu_confluence_users);
        } else if rng.chance(0.02) {
            guest_of.push(eu_confluence);
        }
        let sandbox_share = match (main_jira_admin, on_main_jira) {
            (true, _) => 0.75,
            (false, true) => 0.08,
            (false, false) => 0.0,
        };
        if rng.chance(sandbox_share) {
            joined.push(sandbox_users);
            if main_jira_admin && rng.chance(0.5) {
                joined.push(sandbox_admins);
            }
        }
        if p == org.admin {
            joined.extend([eu_admins, sandbox_admins]);
        }
        let person = &mut org.people[p];
        person.groups.extend(joined);
        person.groups.sort_unstable();
        person.groups.dedup();
        person.guest_of.extend(guest_of);
        let invited = person.status == Status::Invited;
        for i in [eu_jira, eu_confluence, sandbox_jira] {
            let holds = org.access_on(&org.people[p], i).is_some();
            let at = (!invited && rng.chance(if holds { 0.88 } else { 0.04 }))
                .then(|| recent(&mut rng, now));
            org.people[p].set_last_active(i, at);
        }
    }

    for i in [eu_jira, eu_confluence] {
        let used = org.seats_used_on(i);
        org.products[i.index()].seats = with_slack(&mut rng, used);
    }
    // A sandbox has its production site's user tier.
    let used = org.seats_used_on(sandbox_jira);
    org.products[sandbox_jira.index()].seats = org.instance(main_jira).seats.max(used);
}

/// The stem of a product's default group name (`jira-software` for
/// `jira-software-users`).
fn default_group_stem(key: ProductKey) -> &'static str {
    match key {
        ProductKey::JiraServiceManagement => "jira-servicemanagement",
        other => other.key(),
    }
}

/// Picks the admin and the ordinary user whose credentials the simulator
/// hands out: the first two active people on the verified domain. The
/// admin administers the site, Jira and Confluence; the user holds Jira
/// Software.
fn appoint_credential_holders(org: &mut Org) {
    let suffix = format!("@{}", org.domain);
    let mut eligible = (0..org.people.len()).filter(|&i| {
        let p = &org.people[i];
        p.account_type == AccountType::Atlassian
            && p.status == Status::Active
            && p.email.as_deref().is_some_and(|e| e.ends_with(&suffix))
    });
    let admin = eligible.next().unwrap_or(0);
    let user = eligible.next().unwrap_or(admin);
    let grant = |p: &mut Person, gs: &[usize]| {
        p.groups.extend_from_slice(gs);
        p.groups.sort_unstable();
        p.groups.dedup();
    };
    grant(
        &mut org.people[admin],
        &[
            group::SITE_ADMINS,
            group::JIRA_ADMINS,
            group::CONFLUENCE_ADMINS,
        ],
    );
    grant(&mut org.people[user], &[group::DEFAULTS[0]]);
    org.people[user].groups.retain(|g| {
        ![
            group::SITE_ADMINS,
            group::JIRA_ADMINS,
            group::CONFLUENCE_ADMINS,
        ]
        .contains(g)
    });
    org.admin = admin;
    org.user = user;
}

fn org_ids(rng: &mut Rng, seed: u64) -> OrgIds {
    let site = if seed == 0 {
        "acme".to_owned()
    } else {
        format!("acme{seed}")
    };
    // Organisation ids are UUID-shaped but not strictly hex.
    let mut id = rng.uuid();
    id.replace_range(0..2, "k7");
    OrgIds {
        id,
        name: "Acme Corporation".into(),
        domain: format!("{site}.example"),
        cloud_id: rng.uuid(),
        directory_id: rng.uuid(),
        trello_workspace_id: rng.hex(24),
        trello_workspace_name: format!("{site}workspace"),
        trello_enterprise_id: rng.hex(24),
        bitbucket_workspace: site.clone(),
        bitbucket_workspace_uuid: format!("{{{}}}", rng.uuid()),
        site,
    }
}

fn groups(rng: &mut Rng) -> Vec<Group> {
    let mut g = |name: &str, description: &str, grants: Vec<(ProductKey, Role)>| Group {
        id: rng.uuid(),
        name: name.into(),
        description: description.into(),
        grants: grants
            .into_iter()
            .map(|(key, role)| (InstanceId::main(key), role))
            .collect(),
    };
    use ProductKey::*;
    let mut groups = vec![
        g(
            "jira-software-users",
            "Grants access to Jira Software",
            vec![(JiraSoftware, Role::User)],
        ),
        g(
            "jira-servicemanagement-users",
            "Grants access to Jira Service Management",
            vec![(JiraServiceManagement, Role::User)],
        ),
        g(
            "confluence-users",
            "Grants access to Confluence",
            vec![(Confluence, Role::User)],
        ),
        g(
            "trello-users",
            "Grants access to Trello",
            vec![(Trello, Role::User)],
        ),
        g(
            "bitbucket-users",
            "Grants access to Bitbucket",
            vec![(Bitbucket, Role::User)],
        ),
        g(
            "jira-admins",
            "Administers Jira",
            vec![
                (JiraSoftware, Role::Admin),
                (JiraServiceManagement, Role::Admin),
            ],
        ),
        g(
            "confluence-admins",
            "Administers Confluence",
            vec![(Confluence, Role::Admin)],
        ),
        g("site-admins", "Administers the site", vec![]),
        g(
            "developers",
            "Engineers: Jira Software and Bitbucket",
            vec![(JiraSoftware, Role::User), (Bitbucket, Role::User)],
        ),
    ];
    for d in DEPARTMENTS {
        groups.push(g(d, "Department", vec![]));
    }
    groups
}

fn person(rng: &mut Rng, i: usize, domain: &str, now: OffsetDateTime) -> Person {
    let roll = rng.unit();
    let account_type = if roll < 0.03 {
        AccountType::App
    } else if roll < 0.08 {
        AccountType::Customer
    } else {
        AccountType::Atlassian
    };
    let account_id = match account_type {
        AccountType::App => format!("557058:{}", rng.uuid()),
        AccountType::Customer => format!("qm:{}:{}", rng.uuid(), rng.uuid()),
        AccountType::Atlassian => match rng.below(20) {
            0..=8 => rng.hex(24),
            9..=16 => format!("712020:{}", rng.uuid()),
            _ => format!("557058:{}", rng.uuid()),
        },
    };
    let roll = rng.unit();
    let status = match account_type {
        AccountType::Atlassian if roll < 0.06 => Status::Suspended,
        AccountType::Atlassian if roll < 0.14 => Status::Deactivated,
        AccountType::Atlassian if roll < 0.20 => Status::Invited,
        AccountType::App | AccountType::Customer if roll < 0.08 => Status::Deactivated,
        _ => Status::Active,
    };
    let (name, nickname, email) = match account_type {
        AccountType::App => {
            let name = rng.pick(APP_NAMES).to_string();
            let nick = name.to_lowercase().replace(' ', "-");
            (name, nick, None)
        }
        _ => {
            let first = *rng.pick(FIRST_NAMES);
            let last = *rng.pick(LAST_NAMES);
            let local = format!("{}.{}.{}", ascii_fold(first), ascii_fold(last), base36(i));
            let email_domain = match account_type {
                AccountType::Customer => rng.pick(CUSTOMER_DOMAINS).to_string(),
                _ if rng.chance(0.85) => domain.to_owned(),
                _ => rng.pick(OTHER_DOMAINS).to_string(),
            };
            let nickname = format!("{}{}", ascii_fold(first), base36(i));
            (
                format!("{first} {last}"),
                nickname,
                Some(format!("{local}@{email_domain}")),
            )
        }
    };
    let email_visible = rng.chance(0.8);
    let added = (now - Duration::days(rng.below(1500) as i64 + 1)).date();
    let mut groups = Vec::new();
    let mut guest_of = Vec::new();
    if account_type == AccountType::Atlassian {
        for key in ProductKey::ALL {
            if rng.chance(PRODUCT_SHARE[key.index()]) {
                if key == ProductKey::JiraSoftware && rng.chance(0.2) {
                    groups.push(group::DEVELOPERS);
                } else {
                    groups.push(group::DEFAULTS[key.index()]);
                }
            }
        }
        if groups.is_empty() && rng.chance(0.05) {
            guest_of.push(InstanceId::main(ProductKey::Confluence));
        }
        if rng.chance(0.02) {
            groups.push(group::JIRA_ADMINS);
        }
        if rng.chance(0.01) {
            groups.push(group::CONFLUENCE_ADMINS);
        }
        if rng.chance(0.005) {
            groups.push(group::SITE_ADMINS);
        }
        groups.push(group::FIRST_DEPARTMENT + rng.below(DEPARTMENTS.len() as u64) as usize);
        groups.sort_unstable();
        groups.dedup();
    }
    let mut last_active = vec![None; ProductKey::ALL.len()];
    if account_type == AccountType::Atlassian && status != Status::Invited {
        for key in ProductKey::ALL {
            let holds = groups.iter().any(|&g| granted_by(g, key))
                || guest_of.contains(&InstanceId::main(key));
            // Most holders were active in the last two years; some people
            // used a product they no longer hold.
            let p = if holds { 0.88 } else { 0.04 };
            if rng.chance(p) {
                last_active[key.index()] = Some(recent(rng, now));
            }
        }
    }
    let on_domain = email
        .as_deref()
        .is_some_and(|e| e.ends_with(&format!("@{domain}")));
    let scim_id = (on_domain && status != Status::Invited && rng.chance(0.7)).then(|| rng.uuid());
    Person {
        account_id,
        account_type,
        status,
        name,
        nickname,
        email,
        email_visible,
        added,
        groups,
        guest_of,
        direct: Vec::new(),
        last_active,
        scim_id,
        trello_id: rng.hex(24),
        bitbucket_uuid: format!("{{{}}}", rng.uuid()),
        removed_from_jira: false,
    }
}

/// Whether group `g` (by the fixed layout of [`groups`]) grants `key`.
fn granted_by(g: usize, key: ProductKey) -> bool {
    use ProductKey::*;
    match g {
        _ if g == group::DEFAULTS[key.index()] => true,
        group::JIRA_ADMINS => matches!(key, JiraSoftware | JiraServiceManagement),
        group::CONFLUENCE_ADMINS => key == Confluence,
        group::DEVELOPERS => matches!(key, JiraSoftware | Bitbucket),
        _ => false,
    }
}

/// `n` in base 36, for short unique suffixes.
fn base36(mut n: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A name as the ASCII local part of an email: lowercase, accents dropped,
/// spaces and apostrophes removed.
fn ascii_fold(name: &str) -> String {
    name.chars()
        .filter_map(|c| {
            let folded = match c {
                'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' | 'Å' | 'Á' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'Ê' => 'e',
                'í' | 'ì' | 'î' | 'ï' | 'ı' => 'i',
                'ó' | 'ò' | 'ô' | 'ö' | 'ø' | 'ő' | 'Ö' | 'Ø' => 'o',
                'ú' | 'ù' | 'û' | 'ü' | 'ư' => 'u',
                'ý' | 'ÿ' => 'y',
                'ç' | 'ć' | 'č' | 'Ć' | 'Č' => 'c',
                'ł' | 'Ł' => 'l',
                'ń' | 'ñ' => 'n',
                'ś' | 'š' | 'ş' | 'Ś' | 'Š' => 's',
                'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => 'z',
                'ř' => 'r',
                'đ' | 'Đ' => 'd',
                'ọ' | 'ơ' | 'ồ' => 'o',
                'ặ' | 'ả' | 'ạ' => 'a',
                'ễ' | 'ệ' => 'e',
                c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
                _ => return None,
            };
            Some(folded.to_ascii_lowercase())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

    #[test]
    fn the_same_inputs_give_the_same_org() {
        assert_eq!(organisation(42, 500, NOW), organisation(42, 500, NOW));
        assert_ne!(
            organisation(42, 500, NOW).people[0].account_id,
            organisation(43, 500, NOW).people[0].account_id
        );
    }

    #[test]
    fn the_org_has_the_variety_tests_need() {
        let org = organisation(1, 5_000, NOW);
        let count = |f: &dyn Fn(&Person) -> bool| org.people.iter().filter(|p| f(p)).count();
        for t in [
            AccountType::Atlassian,
            AccountType::App,
            AccountType::Customer,
        ] {
            assert!(count(&|p| p.account_type == t) > 0, "{t:?}");
        }
        for s in [
            Status::Active,
            Status::Suspended,
            Status::Deactivated,
            Status::Invited,
        ] {
            assert!(count(&|p| p.status == s) > 0, "{s:?}");
        }
        assert!(count(&|p| p.account_id.starts_with("712020:")) > 0);
        assert!(count(&|p| p.account_id.len() == 24) > 0);
        assert!(count(&|p| !p.name.is_ascii()) > 0);
        assert!(count(&|p| !p.email_visible) > 0);
        assert!(
            count(&|p| p
                .email
                .as_deref()
                .is_some_and(|e| !e.ends_with("@acme1.example")))
                > 0
        );
        assert!(count(&|p| !p.guest_of.is_empty()) > 0);
        for key in ProductKey::ALL {
            let holders = org.holders(key).count();
            assert!(holders > 0, "{key:?}");
            let never = org
                .holders(key)
                .filter(|(p, _)| p.last_active_in(key).is_none())
                .count();
            assert!(never > 0, "{key:?}: someone never used it");
        }
        for key in FULL_PRODUCTS {
            assert_eq!(
                org.product(key).seats,
                org.seats_used(key),
                "{key:?} is full"
            );
        }
        assert!(org.product(ProductKey::Confluence).seats > org.seats_used(ProductKey::Confluence));
        let ids: std::collections::HashSet<_> = org.people.iter().map(|p| &p.account_id).collect();
        assert_eq!(ids.len(), org.people.len(), "account ids are unique");
        let emails: std::collections::HashSet<_> = org
            .people
            .iter()
            .filter_map(|p| p.email.as_deref())
            .collect();
        assert_eq!(
            emails.len(),
            count(&|p| p.email.is_some()),
            "emails are unique"
        );
    }

    #[test]
    fn last_active_lies_in_the_two_years_before_now() {
        let org = organisation(3, 2_000, NOW);
        for p in &org.people {
            for at in p.last_active.iter().flatten() {
                assert!(*at <= NOW && *at > NOW - Duration::days(732), "{at}");
            }
        }
    }

    #[test]
    fn provisioning_respects_seats_and_is_idempotent() {
        let mut org = organisation(5, 300, NOW);
        let jsm = ProductKey::JiraServiceManagement;
        let default = org.product(jsm).default_group;
        let outsider = org
            .people
            .iter()
            .position(|p| {
                p.account_type == AccountType::Atlassian
                    && p.status == Status::Active
                    && org.access(p, jsm).is_none()
            })
            .unwrap();
        // The product is full: no seat for a newcomer.
        assert_eq!(
            org.add_to_group(outsider, default),
            Err(crate::model::NoSeatLeft(InstanceId::main(jsm)))
        );
        // Freeing a seat makes room.
        let holder = org
            .people
            .iter()
            .position(|p| org.is_billable(p, jsm) && p.groups.contains(&default))
            .unwrap();
        assert!(org.remove_from_group(holder, default));
        assert!(!org.remove_from_group(holder, default));
        assert_eq!(org.add_to_group(outsider, default), Ok(true));
        assert_eq!(org.add_to_group(outsider, default), Ok(false));
        // An invitation creates an invited person with the product's group.
        let confluence = ProductKey::Confluence;
        let p = org
            .invite(
                "new.person@acme5.example",
                Some("New Person"),
                &[confluence],
            )
            .unwrap();
        assert_eq!(org.people[p].status, Status::Invited);
        assert!(org.is_billable(&org.people[p], confluence));
        assert_eq!(
            org.invite("NEW.person@acme5.example", None, &[confluence]),
            Ok(p)
        );
        assert_eq!(
            org.person(&org.people[p].account_id.clone()).unwrap().name,
            "New Person"
        );
    }

    #[test]
    fn a_multi_site_org_keeps_the_main_site_as_it_is() {
        for (seed, people) in [(0, 300), (11, 1_234)] {
            let one = organisation(seed, people, NOW);
            let many = multi_site_organisation(seed, people, NOW);
            assert_eq!(many, multi_site_organisation(seed, people, NOW));
            assert_eq!(many.people.len(), one.people.len());
            assert_eq!(many.groups[..one.groups.len()], one.groups[..]);
            assert_eq!((many.admin, many.user), (one.admin, one.user));
            for key in ProductKey::ALL {
                let (a, b) = (one.product(key), many.product(key));
                assert_eq!(
                    (&a.workspace_id, &a.ari, a.seats),
                    (&b.workspace_id, &b.ari, b.seats)
                );
                assert_eq!(one.seats_used(key), many.seats_used(key), "{key:?}");
                for (p, q) in one.people.iter().zip(&many.people) {
                    assert_eq!(p.account_id, q.account_id);
                    assert_eq!(one.access(p, key), many.access(q, key), "{key:?}");
                    assert_eq!(p.last_active_in(key), q.last_active_in(key), "{key:?}");
                }
            }
            assert_eq!(one.product(ProductKey::JiraSoftware).plan, "STANDARD");
            assert_eq!(many.product(ProductKey::JiraSoftware).plan, "PREMIUM");
        }
    }

    #[test]
    fn the_extra_sites_have_their_own_instances_groups_and_seats() {
        let org = multi_site_organisation(1, 3_000, NOW);
        let names: Vec<(&str, bool)> = org
            .sites
            .iter()
            .map(|s| (s.subdomain.as_str(), s.sandbox))
            .collect();
        assert_eq!(
            names,
            [
                ("acme1", false),
                ("acme1-eu", false),
                ("acme1-sandbox", true)
            ]
        );
        let jira: Vec<InstanceId> = org.instances_of(ProductKey::JiraSoftware).collect();
        assert_eq!(jira.len(), 3);
        assert_eq!(jira[0], InstanceId::main(ProductKey::JiraSoftware));
        assert_eq!(org.instances_of(ProductKey::Confluence).count(), 2);
        let (main, eu, sandbox) = (jira[0], jira[1], jira[2]);
        let cloud_id = |i: InstanceId| org.site_of(i).unwrap().cloud_id.clone();
        for i in org.instances() {
            let p = org.instance(i);
            assert_eq!(org.instance_by_resource(&p.ari), Some(i));
            assert_eq!(org.instance_by_resource(&p.workspace_id), Some(i));
            assert!(org.seats_used_on(i) <= p.seats, "{i:?}");
            assert!(org.holders_on(i).count() > 0, "{i:?}");
            if let Some(site) = org.site_of(i) {
                assert_eq!(
                    p.ari,
                    format!("ari:cloud:{}::site/{}", i.key(), site.cloud_id)
                );
                assert!(p.host_url.starts_with(&site.url()));
                assert_eq!(p.sandbox, site.sandbox);
                if !i.is_main() {
                    let default = &org.groups[p.default_group];
                    assert_eq!(
                        default.name,
                        format!("{}-users-{}", i.key(), site.subdomain)
                    );
                    assert_eq!(default.grants, [(i, Role::User)]);
                }
            }
        }
        assert_ne!(cloud_id(main), cloud_id(eu));
        assert!(org.instance(sandbox).sandbox);
        assert_eq!(org.instance(sandbox).plan, "PREMIUM");
        // People on both sites, and on one only.
        let holds = |p: &Person, i| org.access_on(p, i).is_some();
        let count = |f: &dyn Fn(&Person) -> bool| org.people.iter().filter(|p| f(p)).count();
        assert!(count(&|p| holds(p, main) && holds(p, eu)) > 0);
        assert!(count(&|p| !holds(p, main) && holds(p, eu)) > 0);
        assert!(count(&|p| holds(p, main) && !holds(p, eu)) > 0);
        assert!(count(&|p| holds(p, sandbox)) > 0);
        // A sandbox's seats are used but not billed.
        assert!(org.seats_used_on(sandbox) > 0);
        assert!(org.people.iter().all(|p| !org.is_billable_on(p, sandbox)));
        // Last activity per instance: some holders never, some active.
        for i in [eu, sandbox] {
            let never = org
                .holders_on(i)
                .filter(|(p, _)| p.last_active_on(i).is_none())
                .count();
            let active = org
                .holders_on(i)
                .filter(|(p, _)| p.last_active_on(i).is_some())
                .count();
            assert!(never > 0 && active > 0, "{i:?}");
        }
        let eu_confluence = org.instances_of(ProductKey::Confluence).nth(1).unwrap();
        assert!(
            org.holders_on(eu_confluence)
                .any(|(_, a)| a.role == Role::Guest)
        );
        // The organisation admin administers every Jira.
        let admin = &org.people[org.admin];
        for i in &jira {
            assert_eq!(org.access_on(admin, *i).map(|a| a.role), Some(Role::Admin));
        }
    }

    #[test]
    fn names_fold_to_ascii_local_parts() {
        assert_eq!(ascii_fold("Łukasz"), "lukasz");
        assert_eq!(ascii_fold("O'Brien"), "obrien");
        assert_eq!(ascii_fold("Van der Berg"), "vanderberg");
        assert_eq!(base36(0), "0");
        assert_eq!(base36(71), "1z");
    }
}
