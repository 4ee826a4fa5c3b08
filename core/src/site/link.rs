//! The link a site shows as a QR code (cross-device) or opens on the same phone:
//! `techo://site?request_uri=<https URL of the request, percent-encoded>`.

use super::error::SiteError;
use reqwest::Url;

/// The link for a request served at `request_uri`.
pub fn request_link(request_uri: &str) -> Result<String, SiteError> {
    Url::parse_with_params("techo://site", &[("request_uri", request_uri)])
        .map(String::from)
        .map_err(|_| SiteError::NotASiteLink)
}

/// The request URL a link points to (https only). A bare https URL is accepted too, as typed
/// or pasted by a tester.
pub fn parse_link(link: &str) -> Result<Url, SiteError> {
    let url = Url::parse(link.trim()).map_err(|_| SiteError::NotASiteLink)?;
    let target = match url.scheme() {
        "techo" if url.host_str() == Some("site") => {
            let uri = url
                .query_pairs()
                .find(|(k, _)| k == "request_uri")
                .map(|(_, v)| v.into_owned())
                .ok_or(SiteError::NotASiteLink)?;
            Url::parse(&uri).map_err(|_| SiteError::NotASiteLink)?
        }
        "https" | "http" => url,
        _ => return Err(SiteError::NotASiteLink),
    };
    if target.scheme() != "https" {
        return Err(SiteError::NotHttps(target.to_string()));
    }
    Ok(target)
}

/// `host` or `host:port` of an https URL: what a site's audience must equal.
pub(crate) fn origin_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_only_https_requests_are_followed() {
        let uri = "https://127.0.0.1:8443/api/requests/ab12?x=1&y=2";
        let link = request_link(uri).unwrap_or_default();
        assert!(link.starts_with("techo://site?request_uri=https%3A%2F%2F127.0.0.1"));
        assert_eq!(parse_link(&link).map(|u| u.to_string()), Ok(uri.to_owned()));
        assert_eq!(parse_link(uri).map(|u| u.to_string()), Ok(uri.to_owned()));
        assert!(matches!(
            parse_link("techo://site?request_uri=http%3A%2F%2Fevil.example%2Fr"),
            Err(SiteError::NotHttps(_))
        ));
        for bad in [
            "",
            "techo://other?request_uri=x",
            "techo://site",
            "ftp://x/y",
            "TK1:ABC",
        ] {
            assert_eq!(parse_link(bad), Err(SiteError::NotASiteLink), "{bad:?}");
        }
        let url = Url::parse(uri).ok();
        assert_eq!(
            url.as_ref().and_then(origin_of).as_deref(),
            Some("127.0.0.1:8443")
        );
    }
}
