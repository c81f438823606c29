//! `validation.pattern`: ECMAScript regular expressions checked with the `regex` crate.
//!
//! Catalog patterns are written for browsers (ECMAScript, `u` flag). The HTML preview tests them
//! with `new RegExp("^(?:" + p + ")$", "u")`; this module makes the Rust side agree on the
//! common subset by rewriting the constructs whose meaning differs before compiling:
//!
//! | construct | ECMAScript | `regex` crate | rewritten to |
//! | --- | --- | --- | --- |
//! | `\d` `\D` | ASCII digits | Unicode digits | `[[:digit:]]`, `[[:^digit:]]` |
//! | `\w` `\W` | ASCII word characters | Unicode word characters | `[[:word:]]`, `[[:^word:]]` |
//! | `\b` `\B` | ASCII word boundary | Unicode word boundary | `(?-u:\b)`, `(?-u:\B)` |
//! | `.` | any code point but `\n \r U+2028 U+2029` | any but `\n` | `[^\n\r\u{2028}\u{2029}]` |
//! | `[\b]` | backspace | (error) | `\x08` |
//!
//! What stays different: lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) and backreferences (`\1`,
//! `\k<name>`) do not compile here, so a field with such a pattern reports that its pattern cannot
//! be checked (fail closed; `pao-lint` flags such patterns). `\s` follows Unicode `White_Space`
//! here and ECMAScript's list there (they differ on U+FEFF and U+0085 only).
//!
//! The whole value must match: both sides anchor the pattern as `^(?:pattern)$`, so `abc` and
//! `^abc$` mean the same.

use regex::Regex;

/// Largest compiled program accepted for one pattern, so a hostile catalog cannot exhaust memory.
const SIZE_LIMIT: usize = 1 << 20;

/// Compiles an ECMAScript pattern for whole-value matching.
///
/// # Errors
/// A message when the pattern uses syntax the `regex` crate does not support or is malformed.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern);
    regex::RegexBuilder::new(&format!("^(?:{translated})$")).size_limit(SIZE_LIMIT).build().map_err(|err| match err {
        regex::Error::Syntax(text) => {
            // The last line of a syntax error is the explanation ("error: ...").
            let reason = text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("invalid syntax");
            reason.trim().trim_start_matches("error: ").to_owned()
        }
        regex::Error::CompiledTooBig(_) => "pattern is too large".to_owned(),
        other => other.to_string(),
    })
}

/// [`compile`], remembered for the process: catalogs repeat a few patterns in many fields, and
/// building a regex costs more than checking a whole file. At most [`CACHE_LIMIT`] patterns are
/// kept (a long-running server reads many revisions); past that, patterns are compiled each time.
///
/// # Errors
/// As [`compile`].
pub fn compile_cached(pattern: &str) -> Result<Regex, String> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, PoisonError, RwLock};
    type Cache = RwLock<HashMap<String, Result<Regex, String>>>;
    static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);
    if let Some(hit) = CACHE.read().unwrap_or_else(PoisonError::into_inner).get(pattern) {
        return hit.clone();
    }
    let result = compile(pattern);
    let mut cache = CACHE.write().unwrap_or_else(PoisonError::into_inner);
    if cache.len() < CACHE_LIMIT {
        cache.insert(pattern.to_owned(), result.clone());
    }
    result
}

/// How many compiled patterns [`compile_cached`] keeps.
pub const CACHE_LIMIT: usize = 4096;

/// Rewrites the ECMAScript constructs listed in the module docs into their `regex` equivalents.
pub fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, in_class) {
                    ('d', false) => "[[:digit:]]",
                    ('d', true) => "[:digit:]",
                    ('D', false) => "[[:^digit:]]",
                    ('D', true) => "[:^digit:]",
                    ('w', false) => "[[:word:]]",
                    ('w', true) => "[:word:]",
                    ('W', false) => "[[:^word:]]",
                    ('W', true) => "[:^word:]",
                    ('b', false) => r"(?-u:\b)",
                    ('B', false) => r"(?-u:\B)",
                    ('b', true) => r"\x08",
                    _ => {
                        out.push('\\');
                        out.push(next);
                        continue;
                    }
                };
                out.push_str(replacement);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `^` and a leading `]` belong to the class syntax, not its end.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    // ECMAScript `[]` matches nothing and `[^]` anything; regex rejects both.
                    chars.next();
                    let negated = out.ends_with('^');
                    out.truncate(out.len() - if negated { 2 } else { 1 });
                    out.push_str(if negated { r"[\s\S]" } else { r"[^\s\S]" });
                    in_class = false;
                }
            }
            '[' => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str(r"[^\n\r\u{2028}\u{2029}]"),
            '&' | '~' | '-' if in_class => {
                // `regex` gives `&&`, `~~` and `--` set-operation meanings inside classes.
                if chars.peek() == Some(&c) {
                    out.push('\\');
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        compile(pattern).expect("pattern compiles").is_match(text)
    }

    #[test]
    fn ascii_shorthands_like_ecmascript() {
        assert!(matches(r"\d+", "123"));
        assert!(!matches(r"\d+", "١٢٣"), "Arabic-Indic digits are not \\d in ECMAScript");
        assert!(!matches(r"\w+", "é"));
        assert!(matches(r"[\w-]+", "a-b_c"));
        assert!(matches(r"[^\d]+", "abc"));
        assert!(matches(r"\D", "é"));
        assert!(matches(r".+", "😀é"));
        assert!(!matches(r".", "\r"));
        assert!(matches(r"a\bb|a b", "a b"));
    }

    #[test]
    fn whole_value_is_matched() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "xabcx"));
        assert!(matches("^abc$", "abc"));
        assert!(matches("a|b", "b"));
    }

    #[test]
    fn catalog_patterns_compile() {
        assert!(matches("^[a-z][a-z0-9-]{2,28}[a-z0-9]$", "orders-db"));
        assert!(matches("^[^/@\" ]+$", "abc"));
        assert!(matches(
            r"^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]{36}$",
            &format!("arn:aws:kms:eu-west-1:123456789012:key/{}", "a".repeat(36))
        ));
        assert!(matches(r"^[a-z&&]+$", "a&"));
    }

    #[test]
    fn unsupported_syntax_is_reported() {
        assert!(compile("(?=a)a").is_err());
        assert!(compile(r"(a)\1").is_err());
        assert!(compile("[").is_err());
        assert!(compile(r"a{99999}{99999}").is_err());
    }

    #[test]
    fn empty_classes() {
        assert!(!matches("a[]", "a"));
        assert!(matches("a[^]", "a\n"));
    }
}
