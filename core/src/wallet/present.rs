//! Presenting: which credential to show, the signed display token, and the counter screen's
//! view model.

use super::{Wallet, WalletError};
use crate::model::{Handbook, HandbookId};
use crate::token::{
    Challenge, ClaimId, DeviceKey, Extras, HeldCredential, Payload, Profile, ShownCode,
    present_with,
};

impl Wallet {
    /// Presents a handbook (the counter one when `id` is `None`): picks a current credential that
    /// can show `claims` (the compact counter profile when it fits), rotating through the batch
    /// with every 30-second step (and, for a site, its audience), so presentations at two places
    /// minutes apart carry different credentials: different device keys, status indices, salts
    /// and signatures, nothing an operator could join on. Signs a display token.
    pub fn present(
        &self,
        id: Option<&HandbookId>,
        claims: &[ClaimId],
        challenge: Option<&Challenge>,
    ) -> Result<(Handbook, Payload), WalletError> {
        let hb = self.handbook_or_counter(id)?;
        let (payload, _) = self.present_carrying(&hb, claims, challenge, None)?;
        Ok((hb, payload))
    }

    /// [`Wallet::present`], with the QR symbol to draw: what a counter, a preview or a file shows.
    pub fn present_code(
        &self,
        id: Option<&HandbookId>,
        claims: &[ClaimId],
        challenge: Option<&Challenge>,
    ) -> Result<(Handbook, ShownCode), WalletError> {
        let (hb, payload) = self.present(id, claims, challenge)?;
        Ok((hb, ShownCode::new(payload)?))
    }

    /// [`Wallet::present`] for a handbook already read, carrying a coupon (`<operator>/<coupon
    /// id>`) in the token; also returns the device key that signed it, for statements made
    /// alongside.
    pub(crate) fn present_carrying(
        &self,
        hb: &Handbook,
        claims: &[ClaimId],
        challenge: Option<&Challenge>,
        coupon: Option<&str>,
    ) -> Result<(Payload, Box<dyn DeviceKey>), WalletError> {
        let today = self.today();
        let held = self.credentials(&hb.id)?;
        let usable: Vec<&HeldCredential> = held
            .iter()
            .filter(|c| c.is_current(today) && c.can_disclose(claims))
            .collect();
        let counter: Vec<&HeldCredential> = usable
            .iter()
            .copied()
            .filter(|c| c.profile == Profile::Counter)
            .collect();
        let pool = if counter.is_empty() { usable } else { counter };
        if pool.is_empty() {
            return Err(WalletError::NoCredential(hb.id.to_string()));
        }
        let site = challenge.map_or(0u64, |c| {
            c.audience
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        });
        let step = crate::token::time::step_of(self.clock.now());
        let pick = usize::try_from(step.wrapping_add(site) % pool.len() as u64).unwrap_or(0);
        let chosen = pool[pick];
        let key = self.device_key(&chosen.device_key)?;
        let declared = self.support_profile()?.qr_codes();
        let payload = present_with(
            chosen,
            key.as_ref(),
            self.clock.now(),
            claims,
            challenge,
            &Extras {
                declared: &declared,
                coupon,
            },
        )?;
        Ok((payload, key))
    }

    /// The counter screen for the chosen handbook at the clock's time (`None`: no handbook yet).
    /// `min_token_version` comes from the cached trust list ("update the app" when too new).
    pub fn counter_screen(
        &self,
        options: crate::screen::Options,
        min_token_version: u32,
    ) -> Result<Option<crate::screen::CounterScreen>, WalletError> {
        let all = self.list()?;
        let support = crate::screen::support::band(&self.support_profile()?, options.lang);
        Ok(self.counter_handbook()?.map(|hb| {
            let mut screen =
                crate::screen::build(&hb, &all, min_token_version, self.clock.now(), options);
            screen.support = support;
            screen
        }))
    }
}
