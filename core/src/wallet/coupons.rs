//! Presenting an operator's coupon: checked against the offline directory (withdrawn, dates,
//! handbook kind) before a code is made, then carried in the device-signed token.

use super::{Wallet, WalletError};
use crate::directory::coupon::{Coupon, CouponError};
use crate::model::{Handbook, HandbookId};
use crate::portal::TechoClient;
use crate::store::{Batch, StoreError, Table};
use crate::token::{ClaimId, Payload};

/// Settings key: counters' redemptions per coupon for a handbook, as the server last said.
pub(super) fn uses_key(id: &HandbookId) -> String {
    format!("coupon_uses/{}", id.as_str())
}

impl Wallet {
    /// Coupons usable today with this handbook, with their operator, from the offline directory.
    pub fn coupons(&self, id: Option<&HandbookId>) -> Result<Vec<(String, Coupon)>, WalletError> {
        let hb = self.handbook_or_counter(id)?;
        let today = self.today();
        Ok(self
            .directory()?
            .entries
            .into_iter()
            .flat_map(|(op, e)| e.coupons.into_iter().map(move |c| (op.clone(), c)))
            .filter(|(_, c)| c.usable(today, Some(hb.kind())).is_ok())
            .collect())
    }

    /// [`Wallet::present_coupon`] with the QR symbol to draw (the counter screen's code).
    pub fn present_coupon_code(
        &self,
        id: Option<&HandbookId>,
        operator: &str,
        coupon: &str,
    ) -> Result<(Coupon, crate::token::ShownCode), WalletError> {
        let (_, found, payload) = self.present_coupon(id, operator, coupon)?;
        Ok((found, crate::token::ShownCode::new(payload)?))
    }

    /// A counter presentation carrying `operator`'s coupon `coupon`.
    pub fn present_coupon(
        &self,
        id: Option<&HandbookId>,
        operator: &str,
        coupon: &str,
    ) -> Result<(Handbook, Coupon, Payload), WalletError> {
        let hb = self.handbook_or_counter(id)?;
        let found = self
            .directory()?
            .coupon(operator, coupon)
            .cloned()
            .ok_or_else(|| CouponError::Unknown(coupon.to_owned()))?;
        found.usable(self.today(), Some(hb.kind()))?;
        let reference = format!("{operator}/{coupon}");
        let (payload, _) = self.present_carrying(&hb, &ClaimId::COUNTER, None, Some(&reference))?;
        Ok((hb, found, payload))
    }

    /// How many times counters redeemed `operator`'s coupon `coupon` for this handbook's holder,
    /// as the server last said (0 before the first [`Wallet::sync_coupon_uses`]).
    pub fn coupon_uses(
        &self,
        id: &HandbookId,
        operator: &str,
        coupon: &str,
    ) -> Result<u32, WalletError> {
        let key = uses_key(id);
        let Some(bytes) = self.store.get(Table::Settings, &key)? else {
            return Ok(0);
        };
        let uses: Vec<(String, String, u32)> =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                table: Table::Settings.name(),
                key,
                why: e.to_string(),
            })?;
        Ok(uses
            .iter()
            .find(|(o, c, _)| o == operator && c == coupon)
            .map_or(0, |(_, _, n)| *n))
    }

    /// Asks techo-server how often each coupon was redeemed for the holder of every linked
    /// handbook, and keeps the answer (a coupon used up is then shown as used). Offline: an
    /// error, what was known kept.
    pub async fn sync_coupon_uses(
        &self,
        client: &TechoClient,
    ) -> Result<(), crate::linkage::LinkError> {
        for hb in self.list()? {
            let Some(session) = hb.linkage.session().filter(|_| hb.linkage.is_linked()) else {
                continue;
            };
            let uses = client.coupon_uses(session).await?;
            let json =
                serde_json::to_vec(&uses).map_err(|e| WalletError::from(StoreError::io(e)))?;
            self.store
                .commit(Batch::new().put(Table::Settings, uses_key(&hb.id), json))
                .map_err(WalletError::from)?;
        }
        Ok(())
    }
}
