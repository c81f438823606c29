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

/// Which part of a requester's identity a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityField {
    /// The user id (`--user`, `$PAO_USER`, `$USER`, a token's `user`, a gateway header).
    User,
    /// The e-mail address (`--email`, a token's `email`).
    Email,
}

impl IdentityField {
    /// The field as people call it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user id",
            Self::Email => "e-mail address",
        }
    }
}

impl fmt::Display for IdentityField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A requester's user id or e-mail address that cannot become a Git author.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid requester {field} `{value}`: {problem}; {RULE}")]
pub struct IdentityError {
    /// Which field.
    pub field: IdentityField,
    /// The rejected input, with control characters escaped.
    pub value: String,
    /// What is wrong with it (`it contains U+000A (line feed) at character 6`).
    pub problem: String,
}

/// What every identity value must be, as error messages say it.
const RULE: &str = "user ids and e-mail addresses are one line of printable text without `<` or `>` \
     (e-mail addresses also without spaces, and with one `@`)";

/// The longest user id or e-mail address accepted, in characters.
pub const IDENTITY_MAX_CHARS: usize = 256;

/// Checks one identity value: non-empty, at most [`IDENTITY_MAX_CHARS`] characters, no
/// leading or trailing white space, no control characters (newlines, NUL, DEL, C1), no line or
/// paragraph separators, no bidirectional-text controls or zero-width characters, no `<` or
/// `>` (Git's author line `Name <email> time zone` cannot hold them); an e-mail address
/// additionally has no white space and exactly one `@` with text on both sides.
///
/// This is the single check every writer of a Git author or `Pao-Requester` trailer relies
/// on (through [`Identity::parse`]); it is public for fuzzing.
///
/// # Errors
/// The first problem found, naming the field and the character.
pub fn validate_identity_value(field: IdentityField, value: &str) -> Result<(), IdentityError> {
    let fail = |problem: String| IdentityError { field, value: value.escape_debug().to_string(), problem };
    if value.trim().is_empty() {
        return Err(fail("it is empty".to_owned()));
    }
    let count = value.chars().count();
    if count > IDENTITY_MAX_CHARS {
        return Err(fail(format!("it is {count} characters long, more than {IDENTITY_MAX_CHARS}")));
    }
    for (index, c) in value.chars().enumerate() {
        let position = index + 1;
        if let Some(what) = forbidden_char(c) {
            return Err(fail(format!("it contains U+{:04X} ({what}) at character {position}", u32::from(c))));
        }
        if field == IdentityField::Email && c.is_whitespace() {
            return Err(fail(format!("it contains white space (U+{:04X}) at character {position}", u32::from(c))));
        }
    }
    if value.trim() != value {
        return Err(fail("it starts or ends with white space".to_owned()));
    }
    if field == IdentityField::Email {
        let mut parts = value.split('@');
        let (local, domain) = (parts.next().unwrap_or_default(), parts.next());
        match domain {
            None => return Err(fail("it has no `@`".to_owned())),
            Some(_) if parts.next().is_some() => return Err(fail("it has more than one `@`".to_owned())),
            Some(domain) if local.is_empty() || domain.is_empty() => {
                return Err(fail("it needs text on both sides of the `@`".to_owned()));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Why `c` may not appear in an identity, if it may not.
fn forbidden_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\n' => "line feed",
        '\r' => "carriage return",
        '\0' => "NUL",
        '\t' => "tab",
        '<' => "less-than sign",
        '>' => "greater-than sign",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => "zero-width or direction mark",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "bidirectional text control",
        c if c.is_control() => "control character",
        _ => return None,
    })
}

/// Who asks, validated: the user id and e-mail address that become a request commit's author
/// and its `Pao-Requester` / `Pao-Requester-Email` trailers. Constructed only through
/// [`Identity::parse`], so every value makes a commit `git fsck --strict` accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Identity {
    user: String,
    email: Option<String>,
}

impl Identity {
    /// Validates a user id and an optional e-mail address with [`validate_identity_value`].
    ///
    /// # Errors
    /// The first invalid value, naming the field and the character.
    pub fn parse(user: &str, email: Option<&str>) -> Result<Self, IdentityError> {
        validate_identity_value(IdentityField::User, user)?;
        if let Some(email) = email {
            validate_identity_value(IdentityField::Email, email)?;
        }
        Ok(Self { user: user.to_owned(), email: email.map(str::to_owned) })
    }

    /// The user id.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The e-mail address, when known.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The e-mail address for the commit author: the real one, or `<user>@pao.invalid` (the
    /// user id with everything but letters, digits, `-`, `_` and `.` replaced by `-`; the
    /// `.invalid` top-level domain can never be delivered to).
    pub fn author_email(&self) -> String {
        self.email.clone().unwrap_or_else(|| {
            let local: String = self
                .user
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
                .collect();
            format!("{local}@pao.invalid")
        })
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
    fn identities_that_would_break_a_git_author_line_are_rejected() {
        for (user, character) in [
            ("ali\nce", "U+000A (line feed) at character 4"),
            ("alice\r", "U+000D (carriage return) at character 6"),
            ("a<b", "U+003C (less-than sign)"),
            ("a>b", "U+003E (greater-than sign)"),
            ("a\u{0}b", "U+0000 (NUL)"),
            ("a\u{7f}b", "U+007F (control character)"),
            ("a\u{85}b", "U+0085 (control character)"),
            ("a\u{2028}b", "U+2028 (line separator)"),
            ("\u{202e}alice", "U+202E (bidirectional text control) at character 1"),
        ] {
            let err = Identity::parse(user, None).unwrap_err();
            assert_eq!(err.field, IdentityField::User);
            assert!(err.problem.contains(character), "{user:?}: {err}");
            assert!(!err.to_string().contains('\n'), "the message is one line: {err}");
        }
        for bad in ["", "  ", " alice", "alice "] {
            assert!(Identity::parse(bad, None).is_err(), "{bad:?}");
        }
        assert!(Identity::parse(&"a".repeat(IDENTITY_MAX_CHARS + 1), None).is_err());
        for bad in ["alice", "a@b@c", "@example.com", "alice@", "al ice@example.com", "alice@ex\nample.com", "<a@b>"] {
            let err = Identity::parse("alice", Some(bad)).unwrap_err();
            assert_eq!(err.field, IdentityField::Email, "{bad:?}");
        }
        let ok = Identity::parse("Zoë O'Brien (platform)", Some("zoe@example.com")).unwrap();
        assert_eq!((ok.user(), ok.email()), ("Zoë O'Brien (platform)", Some("zoe@example.com")));
        assert_eq!(Identity::parse("svc/ci bot", None).unwrap().author_email(), "svc-ci-bot@pao.invalid");
        let err = Identity::parse("ali\nce", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid requester user id `ali\\nce`: it contains U+000A (line feed) at character 4; user ids and \
             e-mail addresses are one line of printable text without `<` or `>` (e-mail addresses also without \
             spaces, and with one `@`)"
        );
    }

    #[test]
    fn key_paths_round_trip() {
        let key = ResourceKey::parse("payments", "postgresql-standard", "orders-db").unwrap();
        assert_eq!(key.path(), "requests/payments/postgresql-standard/orders-db.yaml");
        assert_eq!(ResourceKey::from_path(&key.path()), Some(key));
        assert_eq!(ResourceKey::from_path("requests/../x/y.yaml"), None);
    }
}
