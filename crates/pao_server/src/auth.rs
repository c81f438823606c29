//! Who is calling (SPEC section 8 `[auth]`).
//!
//! Two sources of identity, checked in this order:
//! 1. `Authorization: Bearer <token>`: the token's SHA-256 is compared in constant time with
//!    every `[[auth.tokens]]` entry (all of them, so timing does not reveal which one
//!    matched). A bearer token that matches none is a 401, whatever else the request carries.
//! 2. The `[auth.gateway]` headers, honoured only when the TCP peer is inside one of
//!    `trusted-proxies` (an API gateway that authenticated the caller, e.g. with AWS SigV4/IAM).
//!    From any other peer those headers are ignored.
//!
//! A caller is an administrator when one of their teams is in `admin-teams`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use pao_config::AuthConfig;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::context::ApiContext;
use crate::error::ApiError;

/// Where an identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A bearer token from `[[auth.tokens]]`.
    Token,
    /// Headers set by a trusted gateway.
    Gateway,
    /// A command of the same process (`pao catalog` without `--api`): set as an
    /// [`InProcessIdentity`] request extension, which no HTTP client can send.
    InProcess,
}

/// The caller of an in-process call ([`crate::Server::call_as`]). A request extension, never
/// read from the wire: whoever can set it already runs this process with the repository's
/// access, so the API treats it as that identity without a token.
#[derive(Debug, Clone)]
pub struct InProcessIdentity(pub Identity);

impl Identity {
    /// The local user of a command-line call: an administrator (whoever runs `pao` on the
    /// repository can read and write it directly anyway).
    pub fn local_user(user: &str) -> Self {
        Self { user: user.to_owned(), email: None, teams: Vec::new(), admin: true, source: Source::InProcess }
    }
}

/// The caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// User id.
    pub user: String,
    /// E-mail address, when known.
    pub email: Option<String>,
    /// The caller's teams.
    pub teams: Vec<String>,
    /// Whether one of the teams is an admin team.
    pub admin: bool,
    /// Where the identity came from.
    pub source: Source,
}

impl Identity {
    /// Whether the caller may see and act on `team`'s requests.
    pub fn may_act_for(&self, team: &str) -> bool {
        self.admin || self.teams.iter().any(|t| t == team)
    }

    /// A 403 unless the caller may act for `team`.
    ///
    /// # Errors
    /// [`ApiError::forbidden`] naming the team and the caller's teams.
    pub fn require_team(&self, team: &str) -> Result<(), ApiError> {
        if self.may_act_for(team) {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "user `{}` is not a member of team `{team}` (member of: {}); ask an administrator of team `{team}`, or act for one of your own teams",
            self.user,
            if self.teams.is_empty() { "no team".to_owned() } else { self.teams.join(", ") }
        )))
    }
}

struct Token {
    digest: [u8; 32],
    user: String,
    email: Option<String>,
    teams: Vec<String>,
}

struct Gateway {
    user_header: String,
    teams_header: String,
    trusted: Vec<IpNet>,
}

/// Resolves identities from the `[auth]` configuration. Holds only token digests.
pub struct Authenticator {
    tokens: Vec<Token>,
    gateway: Option<Gateway>,
    admin_teams: Vec<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("tokens", &self.tokens.len())
            .field("gateway", &self.gateway.is_some())
            .field("admin_teams", &self.admin_teams)
            .finish()
    }
}

/// Why the `[auth]` table cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// A token digest is not 64 hex digits.
    #[error(
        "[[auth.tokens]] entry {index} (user `{user}`): sha256 must be 64 hex digits, the SHA-256 of the token (for example `printf %s \"$TOKEN\" | sha256sum`)"
    )]
    BadDigest {
        /// 1-based entry number.
        index: usize,
        /// The entry's user.
        user: String,
    },
    /// A trusted proxy is not a CIDR range or an address.
    #[error("[auth.gateway] trusted-proxies: `{value}` is not an IP address or CIDR range (such as 10.0.0.0/8)")]
    BadProxy {
        /// The value.
        value: String,
    },
    /// A gateway header name is not a valid HTTP header name.
    #[error("[auth.gateway] {key}: `{value}` is not a valid HTTP header name")]
    BadHeader {
        /// The key.
        key: &'static str,
        /// The value.
        value: String,
    },
}

impl Authenticator {
    /// Checks and keeps the configuration.
    ///
    /// # Errors
    /// A malformed digest, proxy range or header name.
    pub fn new(config: &AuthConfig) -> Result<Self, AuthConfigError> {
        let mut tokens = Vec::new();
        for (index, token) in config.tokens.iter().enumerate() {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(token.sha256.trim(), &mut digest)
                .map_err(|_| AuthConfigError::BadDigest { index: index + 1, user: token.user.clone() })?;
            tokens.push(Token {
                digest,
                user: token.user.clone(),
                email: token.email.clone(),
                teams: token.teams.clone(),
            });
        }
        let gateway = match &config.gateway {
            None => None,
            Some(gateway) => {
                for (key, value) in [("user-header", &gateway.user_header), ("teams-header", &gateway.teams_header)] {
                    if axum::http::HeaderName::from_bytes(value.as_bytes()).is_err() {
                        return Err(AuthConfigError::BadHeader { key, value: value.clone() });
                    }
                }
                let trusted = gateway
                    .trusted_proxies
                    .iter()
                    .map(|value| {
                        value
                            .parse::<IpNet>()
                            .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
                            .map_err(|_| AuthConfigError::BadProxy { value: value.clone() })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some(Gateway {
                    user_header: gateway.user_header.clone(),
                    teams_header: gateway.teams_header.clone(),
                    trusted,
                })
            }
        };
        Ok(Self { tokens, gateway, admin_teams: config.admin_teams.clone() })
    }

    /// The caller of a request with these headers from `peer`.
    ///
    /// # Errors
    /// 401 without an identity or with a bearer token that matches none.
    pub fn identify(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<Identity, ApiError> {
        if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be `Bearer <token>`"))?;
            return self.by_token(token).ok_or_else(|| {
                ApiError::unauthenticated(
                    "the bearer token is not known; use a token listed (as its SHA-256) in [[auth.tokens]] of pao.toml",
                )
            });
        }
        if let (Some(gateway), Some(peer)) = (&self.gateway, peer)
            && gateway.trusted.iter().any(|net| net.contains(&peer))
            && let Some(user) = header_text(headers, &gateway.user_header)
        {
            let teams = header_text(headers, &gateway.teams_header)
                .map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            return Ok(self.identity(user.to_owned(), None, teams, Source::Gateway));
        }
        Err(ApiError::unauthenticated(
            "no identity: send `Authorization: Bearer <token>` (a token of [[auth.tokens]] in pao.toml), or call through the authenticating gateway of [auth.gateway]",
        ))
    }

    fn by_token(&self, token: &str) -> Option<Identity> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for entry in &self.tokens {
            // Every entry is compared, so the time taken does not depend on which one matches.
            if bool::from(entry.digest.ct_eq(&digest)) && found.is_none() {
                found = Some(entry);
            }
        }
        found.map(|e| self.identity(e.user.clone(), e.email.clone(), e.teams.clone(), Source::Token))
    }

    fn identity(&self, user: String, email: Option<String>, teams: Vec<String>, source: Source) -> Identity {
        let admin = teams.iter().any(|t| self.admin_teams.contains(t));
        Identity { user, email, teams, admin, source }
    }
}

/// A header's value as text, when present, valid UTF-8 and not blank.
fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim).filter(|v| !v.is_empty())
}

impl FromRequestParts<ApiContext> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiContext) -> Result<Self, Self::Rejection> {
        if let Some(InProcessIdentity(who)) = parts.extensions.get::<InProcessIdentity>() {
            return Ok(who.clone());
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        state.auth().identify(&parts.headers, peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use pao_config::{GatewayConfig, TokenConfig};

    fn config() -> AuthConfig {
        AuthConfig {
            admin_teams: vec!["platform".into()],
            tokens: vec![TokenConfig {
                // sha256("test")
                sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                user: "alice".into(),
                email: None,
                teams: vec!["streaming".into()],
            }],
            gateway: Some(GatewayConfig {
                user_header: "X-Pao-User".into(),
                teams_header: "X-Pao-Teams".into(),
                trusted_proxies: vec!["10.0.0.0/8".into()],
            }),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn tokens_and_gateway_headers() {
        let auth = Authenticator::new(&config()).unwrap();
        let alice = auth.identify(&headers(&[("authorization", "Bearer test")]), None).unwrap();
        assert_eq!((alice.user.as_str(), alice.admin), ("alice", false));
        assert!(auth.identify(&headers(&[("authorization", "Bearer nope")]), None).is_err());
        let gw = headers(&[("x-pao-user", "bob"), ("x-pao-teams", "platform, web")]);
        let bob = auth.identify(&gw, Some("10.1.2.3".parse().unwrap())).unwrap();
        assert_eq!(bob.teams, ["platform", "web"]);
        assert!(bob.admin);
        assert!(auth.identify(&gw, Some("192.168.1.1".parse().unwrap())).is_err(), "untrusted peer");
        assert!(auth.identify(&gw, None).is_err());
    }

    #[test]
    fn bad_configuration_is_refused() {
        let mut bad = config();
        bad.tokens[0].sha256 = "abc".into();
        assert!(Authenticator::new(&bad).unwrap_err().to_string().contains("64 hex digits"));
        let mut bad = config();
        bad.gateway.as_mut().unwrap().trusted_proxies = vec!["everyone".into()];
        assert!(Authenticator::new(&bad).unwrap_err().to_string().contains("`everyone`"));
    }
}
