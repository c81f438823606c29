//! Validated names: request ids, teams, item ids and resource names.
//!
//! Every name that becomes part of a ref name or a path under `requests/` goes through one of
//! these types, so no input can escape `requests/` (`../`, `/`), forge a ref (`refs/heads/main`,
//! `..`, `@{`, `.lock`) or smuggle control characters. The patterns are ASCII-only on purpose.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// A name that does not match its pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{value}`: must match {pattern}")]
pub struct NameError {
    /// Which kind of name (`team`, `item id`, `resource name`, `request id`).
    pub kind: &'static str,
    /// The rejected input, with control characters escaped.
    pub value: String,
    /// The pattern it must match.
    pub pattern: &'static str,
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The pattern every value matches.
            pub const PATTERN: &'static str = $pattern;

            /// Checks `value` against [`Self::PATTERN`].
            ///
            /// # Errors
            /// When it does not match.
            pub fn parse(value: &str) -> Result<Self, NameError> {
                static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new($pattern).expect("valid name pattern"));
                if RE.is_match(value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(NameError { kind: $kind, value: value.escape_debug().to_string(), pattern: $pattern })
                }
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// A team slug, as in `metadata.owner.team`: lowercase letters, digits, `-` and `_`.
    Team,
    "team",
    r"^[a-z0-9][a-z0-9_-]{0,62}$"
);
name_type!(
    /// A catalog item id (SPEC: `^[a-z][a-z0-9-]{1,61}[a-z0-9]$`).
    ItemId,
    "item id",
    r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$"
);
name_type!(
    /// The name of the resource a request provisions, e.g. `orders-db`.
    ResourceName,
    "resource name",
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
);
name_type!(
    /// A request id, e.g. `req-20260501-3f9a0c1be2d47a10`.
    RequestId,
    "request id",
    r"^[a-z0-9][a-z0-9-]{2,62}[a-z0-9]$"
);

/// Which resource a request is about: `requests/<team>/<item>/<resource>.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ResourceKey {
    /// The requesting team.
    pub team: Team,
    /// The catalog item.
    pub item: ItemId,
    /// The resource name.
    pub resource: ResourceName,
}

impl ResourceKey {
    /// Validates the three names.
    ///
    /// # Errors
    /// When any of them does not match its pattern.
    pub fn parse(team: &str, item: &str, resource: &str) -> Result<Self, NameError> {
        Ok(Self { team: Team::parse(team)?, item: ItemId::parse(item)?, resource: ResourceName::parse(resource)? })
    }

    /// The desired-state file: `requests/<team>/<item>/<resource>.yaml`.
    pub fn path(&self) -> String {
        format!("requests/{}/{}/{}.yaml", self.team, self.item, self.resource)
    }

    /// Parses a path of the form [`Self::path`] returns.
    pub fn from_path(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("requests/")?;
        let mut parts = rest.split('/');
        let (team, item, file) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Self::parse(team, item, file.strip_suffix(".yaml")?).ok()
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.team, self.item, self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_rejected() {
        for bad in [
            "",
            "../x",
            "a/b",
            "..",
            "refs/heads/main",
            "a\nb",
            "a b",
            "équipe",
            "a..b/",
            "UPPER",
            "x.lock",
            "-x",
            "a@{1}",
            "a\u{0}b",
            "\u{202e}abc",
        ] {
            assert!(Team::parse(bad).is_err(), "team {bad:?}");
            assert!(ItemId::parse(bad).is_err(), "item {bad:?}");
            assert!(ResourceName::parse(bad).is_err(), "resource {bad:?}");
            assert!(RequestId::parse(bad).is_err(), "request id {bad:?}");
        }
        assert!(Team::parse("payments").is_ok());
        assert!(ResourceName::parse("orders-db").is_ok());
        assert!(RequestId::parse("req-0123abcd").is_ok());
        // `$` must not match before a trailing newline.
        assert!(Team::parse("payments\n").is_err());
    }

    #[test]
    fn key_paths_round_trip() {
        let key = ResourceKey::parse("payments", "postgresql-standard", "orders-db").unwrap();
        assert_eq!(key.path(), "requests/payments/postgresql-standard/orders-db.yaml");
        assert_eq!(ResourceKey::from_path(&key.path()), Some(key));
        assert_eq!(ResourceKey::from_path("requests/../x/y.yaml"), None);
    }
}
