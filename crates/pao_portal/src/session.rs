//! The browser session: the bearer token in an HttpOnly cookie, and CSRF protection.
//!
//! The server keeps no session state (several instances may serve one portal), so the cookie
//! `pao_session` carries the API token itself: `HttpOnly` (no script can read it),
//! `SameSite=Strict` (no other site's page can send it), `Secure` unless the portal is served
//! over plain HTTP on loopback. Every form carries a CSRF token that must equal the browser's
//! `pao_csrf` cookie (the double-submit pattern, with a random value per browser), compared in
//! constant time; a cross-site page can neither read the cookie nor guess the value. Behind an
//! authenticating gateway no session cookie is needed; the CSRF check applies all the same.

use http::HeaderMap;
use http::header::COOKIE;
use subtle::ConstantTimeEq;

/// The cookie holding the API token.
pub const SESSION_COOKIE: &str = "pao_session";
/// The cookie holding the CSRF value.
pub const CSRF_COOKIE: &str = "pao_csrf";

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, http_only: bool, secure: bool, max_age: Option<u64>) -> String {
    let encoded = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC);
    let mut text = format!("{name}={encoded}; Path=/; SameSite=Strict");
    if http_only {
        text.push_str("; HttpOnly");
    }
    if secure {
        text.push_str("; Secure");
    }
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    text
}

/// A fresh CSRF value: 32 random bytes, hex.
pub fn new_csrf() -> String {
    let mut bytes = [0_u8; 32];
    // The OS generator does not fail on supported platforms; a failure leaves a value no
    // form can match, so posts are refused rather than accepted.
    if getrandom::getrandom(&mut bytes).is_err() {
        return String::from("unavailable");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a form's CSRF value matches the browser's cookie.
pub fn csrf_ok(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    match (cookie(headers, CSRF_COOKIE), submitted) {
        (Some(expected), Some(given)) if expected.len() == 64 => {
            bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_round_trip_and_csrf_must_match() {
        let mut headers = HeaderMap::new();
        let csrf = new_csrf();
        assert_eq!(csrf.len(), 64);
        headers.insert(COOKIE, format!("a=1; {CSRF_COOKIE}={csrf}; {SESSION_COOKIE}=to%20ken").parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("to ken"));
        assert!(csrf_ok(&headers, Some(&csrf)));
        assert!(!csrf_ok(&headers, Some("0000")));
        assert!(!csrf_ok(&headers, None));
        assert!(!csrf_ok(&HeaderMap::new(), Some(&csrf)));
        let set = set_cookie(SESSION_COOKIE, "a b", true, true, Some(60));
        assert_eq!(set, "pao_session=a%20b; Path=/; SameSite=Strict; HttpOnly; Secure; Max-Age=60");
    }
}
