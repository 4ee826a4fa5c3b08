//! The consent ledger on the phone: per handbook, who received what and when. Withdrawing the
//! issuer's consent is `Wallet.unlink` (the server revokes and purges).

use crate::TechoError;
use crate::records::Language;
use crate::wallet::Wallet;
use techo_core::model::HandbookId;
use techo_core::wallet::item_label;

/// The issuer's standing consent while the handbook is linked.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssuerConsent {
    /// Who receives, in the holder's language.
    pub recipient: String,
    pub since_unix: i64,
    /// The consent's last day (ISO date), when the portal gave one.
    pub until: Option<String>,
    pub items: Vec<String>,
}

/// One answer a booking site received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SharedWithSite {
    pub at_unix: i64,
    pub site: String,
    pub audience: String,
    pub items: Vec<String>,
    pub accepted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentLedger {
    pub issuer: Option<IssuerConsent>,
    /// Newest first.
    pub sites: Vec<SharedWithSite>,
}

#[uniffi::export]
impl Wallet {
    /// Handbook `handbook_id`'s consent ledger, labelled in `lang`.
    pub fn consent_ledger(
        &self,
        handbook_id: HandbookId,
        lang: Language,
    ) -> Result<ConsentLedger, TechoError> {
        let l: techo_core::Lang = lang.into();
        let ledger = self.core().ledger(&handbook_id, l)?;
        Ok(ConsentLedger {
            issuer: ledger.linkage.map(|c| IssuerConsent {
                recipient: l
                    .pick(
                        "Techo（マイナポータル経由、サービスID techo）",
                        "Techo (through the Myna Portal, service ID techo)",
                    )
                    .to_owned(),
                since_unix: c.since.timestamp(),
                until: c.until.map(|d| d.to_string()),
                items: c.items,
            }),
            sites: ledger
                .shared
                .into_iter()
                .map(|d| SharedWithSite {
                    at_unix: d.at.timestamp(),
                    site: l.pick(&d.site, &d.site_en).to_owned(),
                    audience: d.audience,
                    items: d.items.iter().map(|i| item_label(i, l)).collect(),
                    accepted: d.accepted,
                })
                .collect(),
        })
    }
}
