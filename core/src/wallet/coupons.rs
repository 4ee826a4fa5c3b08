//! Presenting an operator's coupon: checked against the offline directory (withdrawn, dates,
//! handbook kind) before a code is made, then carried in the device-signed token.

use super::{Wallet, WalletError};
use crate::directory::coupon::{Coupon, CouponError};
use crate::model::{Handbook, HandbookId};
use crate::token::{ClaimId, Payload};

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
}
