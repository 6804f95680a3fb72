//! The glue between the generated bindings and [`Connector`]; used only
//! through [`export_connector!`](crate::export_connector).

use crate::bindings::exports::roster::connector::api;
use crate::bindings::roster::connector::types as wit;
use crate::{Connector, Error, Page, Provisioning};

/// Names the connector type behind an export; implemented by
/// [`export_connector!`](crate::export_connector).
pub trait ConnectorExport {
    /// The exported connector.
    type Connector: Connector;
}

impl<E: ConnectorExport + 'static> api::Guest for E {
    type Session = Session<E::Connector>;

    fn manifest() -> wit::ConnectorManifest {
        let schema = schemars::schema_for!(<E::Connector as Connector>::Config);
        E::Connector::manifest().into_wit(schema.as_value().to_string())
    }
}

/// An open session, owned by the host as a resource.
pub struct Session<C>(C);

type Res<T> = Result<T, wit::ConnectorError>;

impl<C: Connector> api::GuestSession for Session<C> {
    fn open(config: String) -> Res<api::Session> {
        let config: C::Config = serde_json::from_str(&config)
            .map_err(|e| Error::InvalidConfig(format!("config does not match the schema: {e}")))?;
        Ok(api::Session::new(Session(C::open(config)?)))
    }

    fn check(&self) -> Res<wit::CheckReport> {
        Ok(self.0.check()?)
    }

    fn accounts(&self, cursor: Option<String>) -> Res<wit::AccountPage> {
        let Page { items, next_cursor } = self.0.accounts(cursor)?;
        Ok(wit::AccountPage { items, next_cursor })
    }

    fn products(&self) -> Res<Vec<wit::Product>> {
        Ok(self.0.products()?)
    }

    fn licenses(&self, cursor: Option<String>) -> Res<wit::LicensePage> {
        let Page { items, next_cursor } = self.0.licenses(cursor)?;
        Ok(wit::LicensePage { items, next_cursor })
    }

    fn usage(&self, cursor: Option<String>) -> Res<wit::UsagePage> {
        let Page { items, next_cursor } = self.0.usage(cursor)?;
        Ok(wit::UsagePage { items, next_cursor })
    }

    fn provision(&self, action: wit::Action, dry_run: bool) -> Res<wit::Outcome> {
        let mut ctx = Provisioning::new(dry_run);
        Ok(self.0.provision(action, &mut ctx)?)
    }
}
