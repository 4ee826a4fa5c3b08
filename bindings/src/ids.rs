//! Handbook ids cross the FFI as their own type (a string underneath: `typealias HandbookId =
//! String` in Kotlin and Swift), so a phone hands back exactly the id it was given.

use techo_core::model::HandbookId;

uniffi::custom_type!(HandbookId, String, {
    remote,
    lower: |id| id.as_str().to_owned(),
    try_lift: |text| Ok(HandbookId::from_string(text)),
});
