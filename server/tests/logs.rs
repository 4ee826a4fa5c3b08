//! What techo-server and the portal simulator write to their logs during a linkage, a pending
//! retry, a revocation and a withdrawal, at the most verbose level: session ids and reasons,
//! never the handbook's facts, the holder's name, the portal's access token, the one-time code
//! or a device key.
#![allow(clippy::unwrap_used)]

mod common;

use common::world;
use std::io::Write;
use std::sync::{Arc, Mutex};
use techo_server::issuer::store::{ServerStore, SessionState};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_carry_no_personal_data_or_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let w = world("2026-11-25T13:30:00Z").await;
    w.link_while_closed().await;
    let session = w.server.state.sessions().await.pop().unwrap();
    let SessionState::Pending { access_token, .. } = &session.state else {
        panic!("{:?}", session.state)
    };
    let access_token = w
        .server
        .state
        .keys
        .sealer()
        .open(access_token, &session.id)
        .unwrap();
    let device_key = session.device_keys[0].public_hex.clone();
    w.advance_to("2026-11-25T23:00:05Z");
    assert_eq!(w.server.state.retry_due().await, 1);
    w.wallet
        .refresh_linkage(&w.client, &w.handbook)
        .await
        .unwrap();
    w.admin(&w.handbook, "suspend", "lost phone").await;
    w.admin(&w.handbook, "reinstate", "found").await;
    w.wallet.unlink(&w.client, &w.handbook).await.unwrap();
    assert!(w.server.state.store.indices_in_use().await.unwrap() > 0);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(&session.id),
        "the logs say nothing useful:\n{logs}"
    );
    for (what, secret) in [
        ("holder's name", "山田"),
        ("municipality code", "131016"),
        ("handbook number", "第12345号"),
        ("access token", access_token.as_str()),
        ("device key", device_key.as_str()),
        ("PIN", "\"1234\""),
    ] {
        assert!(
            !logs.contains(secret),
            "the logs contain the {what}:\n{logs}"
        );
    }
}
