//! Idle and slow clients cannot hold a server: connections are capped, and a client that does not
//! finish its TLS handshake or its request headers in time is dropped. With more connections open
//! than the cap, a normal request still gets through.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use techo_server::TestPki;
use techo_server::tls::{ConnectionLimits, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: ConnectionLimits = ConnectionLimits {
    max_connections: 8,
    handshake: Duration::from_millis(500),
    headers: Duration::from_millis(500),
};

fn router() -> axum::Router {
    axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }))
}

/// Reads until the server closes the connection (Ok) or `within` passes (Err).
async fn closed_within(stream: &mut (impl AsyncReadExt + Unpin), within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn more_idle_connections_than_the_cap_do_not_keep_a_request_out() {
    let pki = TestPki::generate().unwrap();
    let running = serve_with(router(), pki.server_config().unwrap(), 0, LIMITS)
        .await
        .unwrap();
    // Five times the cap in silent TCP connections: none starts a handshake.
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(TcpStream::connect(running.addr).await.unwrap());
    }
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(techo_core::portal::client::client_tls(&pki.ca_pem).unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let body = http
        .get(format!("{}/ping", running.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "pong");
    // The queue drains cap by cap, one handshake limit each: 40 / 8 × 0.5 s, with room for CI.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Every silent connection was dropped by the server, not left open.
    for mut c in idle {
        assert!(closed_within(&mut c, Duration::from_secs(10)).await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_mid_headers_or_idles_after_a_reply_is_dropped() {
    let pki = TestPki::generate().unwrap();
    let running = serve_with(router(), pki.server_config().unwrap(), 0, LIMITS)
        .await
        .unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(pki.client_config(false).unwrap()));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();

    // Half a request line, then nothing.
    let tcp = TcpStream::connect(running.addr).await.unwrap();
    let mut slow = connector.connect(name.clone(), tcp).await.unwrap();
    slow.write_all(b"GET /ping HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await);

    // A full request and its reply, then a kept-alive connection that never asks again.
    let tcp = TcpStream::connect(running.addr).await.unwrap();
    let mut kept = connector.connect(name, tcp).await.unwrap();
    kept.write_all(b"GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut reply = [0u8; 512];
    let n = kept.read(&mut reply).await.unwrap();
    assert!(String::from_utf8_lossy(&reply[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
}
