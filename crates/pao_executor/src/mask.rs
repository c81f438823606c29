//! The secret masker: every secret value the executor resolves is registered here, and every
//! text or JSON value is passed through it before it is written to Git, logged, sent in a
//! notification or returned by the API.

use std::sync::{Arc, RwLock};

use base64::Engine as _;

/// What a masked secret shows as.
pub use pao_vars::MASK;

/// The values to hide. Cloning shares the set.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    values: Arc<RwLock<Vec<String>>>,
}

impl Masker {
    /// An empty masker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret value, with the encodings it commonly travels in (Base64, as in a
    /// basic-auth header, and percent-encoding, as in a URL).
    pub fn add(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mut forms = vec![secret.to_owned()];
        forms.push(base64::engine::general_purpose::STANDARD.encode(secret));
        let encoded: String = secret
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        forms.push(encoded);
        let mut values = self.values.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for form in forms {
            if !values.contains(&form) {
                values.push(form);
            }
        }
        // Longest first, so a secret containing another is masked whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// `text` with every registered value replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        let values = self.values.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        values.iter().fold(text.to_owned(), |text, secret| text.replace(secret.as_str(), MASK))
    }

    /// A copy of `value` with every registered value masked in every string and key.
    pub fn mask_json(&self, value: &serde_json::Value) -> serde_json::Value {
        let values = self.values.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        pao_vars::redact(value, values.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_and_their_encodings() {
        let masker = Masker::new();
        masker.add("s3cr3t/value");
        masker.add("");
        let b64 = base64::engine::general_purpose::STANDARD.encode("s3cr3t/value");
        assert_eq!(masker.mask("a s3cr3t/value b"), "a *** b");
        assert_eq!(masker.mask(&format!("Basic {b64}")), "Basic ***");
        assert_eq!(masker.mask("?t=s3cr3t%2Fvalue"), "?t=***");
        let json = masker.mask_json(&serde_json::json!({ "k": ["x s3cr3t/value"] }));
        assert_eq!(json, serde_json::json!({ "k": ["x ***"] }));
    }
}
