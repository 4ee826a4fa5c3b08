//! The museum's coupon, and a counter sending its redemptions.

use super::{World, json_of};
use techo_core::directory::coupon::Coupon;
use techo_core::directory::redemption::{RedemptionQueue, RedemptionResult};

pub const MUSEUM: &str = "example-museum";

pub fn http(w: &World) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(techo_core::portal::client::client_tls(&w.pki.ca_pem).unwrap())
        .build()
        .unwrap()
}

/// The museum's winter coupon, `per_holder` uses per holder (0: no limit).
pub fn coupon(per_holder: u32) -> Coupon {
    Coupon {
        id: "winter-2026".into(),
        title_ja: "冬の特別展 ご本人と付添1名 無料".into(),
        title_en: "Winter exhibition: holder and one companion free".into(),
        terms_ja: "1回限り。他の割引と併用できません。".into(),
        terms_en: "Once only; not with other discounts.".into(),
        valid_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        valid_until: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        kinds: vec![],
        per_holder,
        withdrawn: false,
    }
}

/// The museum's counter sends `queue` to the world's server.
pub async fn send(
    w: &World,
    token: &str,
    queue: &RedemptionQueue,
) -> Vec<(String, RedemptionResult)> {
    send_to(w, &w.server.url(), token, queue).await
}

/// The museum's counter sends `queue` to the server at `server_url`; the answers by key.
pub async fn send_to(
    w: &World,
    server_url: &str,
    token: &str,
    queue: &RedemptionQueue,
) -> Vec<(String, RedemptionResult)> {
    let body = json_of(
        http(w)
            .post(format!("{server_url}/v1/operators/{MUSEUM}/redemptions"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "redemptions": queue.pending })),
    )
    .await;
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                serde_json::from_value(r["result"].clone()).unwrap(),
            )
        })
        .collect()
}
