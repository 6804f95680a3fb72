use roster_sdk::paging::Offset;
use roster_sdk::prelude::*;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Config {
    /// Your workspace's name: `acme` for acme.example.com.
    workspace: String,
    /// An admin API token, from Settings > API tokens.
    #[allow(dead_code, reason = "the host attaches it")]
    token: Secret,
}

struct Example {
    base: Url,
}

impl Connector for Example {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new("example", "Example", env!("CARGO_PKG_VERSION"))
            .description("Users of an Example workspace.")
            .host("https://{workspace}.example.com")
            .credential(Credential::bearer("token", "token").to("https://{workspace}.example.com"))
            .streams([Stream::Accounts])
    }

    fn open(config: Config) -> Result<Self> {
        let base = site_url("workspace", &config.workspace, "https://{}.example.com")?;
        Ok(Example { base })
    }

    fn check(&self) -> Result<CheckReport> {
        Request::get(self.base.join("api/me")?)
            .auth("token")
            .fetch()?;
        Ok(CheckReport::all_of(&Self::manifest()))
    }

    /// One page of `GET /api/users?offset=N`, a bare array that ends with
    /// an empty page.
    fn accounts(&self, cursor: Option<String>) -> Result<Page<Account>> {
        #[derive(serde::Deserialize)]
        struct User {
            id: String,
            email: Option<String>,
        }
        let start = Offset::from_cursor(cursor.as_deref())?;
        let users: Vec<User> = Request::get(self.base.join("api/users")?)
            .query([("offset", start.0.to_string())])
            .auth("token")
            .fetch_json()?;
        let next = start.next_until_empty(users.len());
        let items = users
            .into_iter()
            .map(|u| {
                let mut a = Account::new(u.id, AccountStatus::Active, AccountKind::Human);
                a.email = u.email;
                a
            })
            .collect();
        Ok(Page::new(items, next))
    }
}

roster_sdk::export_connector!(Example);
