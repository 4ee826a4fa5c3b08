//! The HTTP client behind the core's network calls (techo-server, the portal, booking sites):
//! rustls with the caller's roots, HTTPS only, a time limit, and no redirects unless asked.
//!
//! Compiled for a browser (`wasm32`, the web verifier) the same code builds on the browser's
//! `fetch`, which does TLS and redirects by its own rules; the web verifier works offline and
//! makes none of these calls.

/// A client trusting `tls`'s roots, giving up after `timeout`.
pub(crate) fn client(
    tls: rustls::ClientConfig,
    timeout: std::time::Duration,
    follow_redirects: bool,
) -> Result<reqwest::Client, reqwest::Error> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .timeout(timeout);
        let builder = if follow_redirects {
            builder
        } else {
            builder.redirect(reqwest::redirect::Policy::none())
        };
        builder.build()
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (tls, timeout, follow_redirects);
        reqwest::Client::builder().build()
    }
}
