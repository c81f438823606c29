//! The values a render reads: one [`RenderContext`] per render, turned into the template
//! context with the scopes `fields`, `metadata`, `request`, `system`, `environment`, `outputs`
//! and `secrets`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use crate::convert::from_json;

/// What every secret shows as in previews, test output, Git and logs.
pub const MASK: &str = "***";

/// The `system` scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SystemValues {
    /// Today, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Now, RFC 3339 UTC (`2026-11-22T13:45:00Z`).
    pub timestamp: String,
    /// A UUID v4 made for this render.
    pub uuid: String,
    /// The host name of the machine rendering.
    pub hostname: String,
}

impl SystemValues {
    /// The real values, now.
    pub fn now() -> Self {
        let seconds =
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let timestamp = rfc3339(seconds);
        Self {
            date: timestamp[..10].to_owned(),
            timestamp,
            uuid: uuid::Uuid::new_v4().to_string(),
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        }
    }

    /// Fixed values for reproducible output (`--deterministic`, the test harness).
    pub fn deterministic() -> Self {
        Self {
            date: "2000-01-01".into(),
            timestamp: "2000-01-01T00:00:00Z".into(),
            uuid: "00000000-0000-4000-8000-000000000000".into(),
            hostname: "pao-deterministic".into(),
        }
    }

    fn to_value(&self) -> Value {
        Value::from_pairs([
            ("date", self.date.as_str()),
            ("timestamp", self.timestamp.as_str()),
            ("uuid", self.uuid.as_str()),
            ("hostname", self.hostname.as_str()),
        ])
    }
}

/// Unix seconds as RFC 3339 UTC, e.g. `2026-11-22T13:45:00Z`.
pub(crate) fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// How `secrets.*` resolve.
#[derive(Debug, Clone, Default)]
pub enum Secrets {
    /// Every name shows as `***` (previews, `pao vars render`, tests, Git).
    #[default]
    Masked,
    /// Real values, only for [`crate::render_action_for_execution`].
    Real(BTreeMap<String, String>),
}

/// `secrets` in previews: any name reads as `***`; the real values are never in the context.
#[derive(Debug)]
struct MaskedSecrets;

impl Object for MaskedSecrets {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        key.as_str().map(|_| Value::from(MASK))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }
}

/// A context ready to render with: the template value, and which clock to use.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) value: Value,
    pub(crate) deterministic: bool,
}

/// Everything one render reads.
#[derive(Debug, Clone)]
pub struct RenderContext {
    /// `fields`: the form values.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// `metadata`: the item's (or bundle's) metadata.
    pub metadata: serde_json::Value,
    /// `request`: request id, correlation id, user, ...
    pub request: serde_json::Value,
    /// `system`.
    pub system: SystemValues,
    /// `environment`: only the names the engine allow-lists are passed on.
    pub environment: BTreeMap<String, String>,
    /// `outputs`: `action id → name → value` of the actions that ran before.
    pub outputs: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// `failure.action`, `failure.error`, `failure.timestamp` (manual actions after failover).
    pub failure: BTreeMap<String, String>,
    /// `secrets`.
    pub secrets: Secrets,
    /// Whether `uuid()` and `timestamp()` return the fixed `system` values.
    pub deterministic: bool,
}

impl Default for RenderContext {
    fn default() -> Self {
        Self {
            fields: serde_json::Map::new(),
            metadata: serde_json::Value::Object(serde_json::Map::new()),
            request: serde_json::Value::Object(serde_json::Map::new()),
            system: SystemValues::deterministic(),
            environment: BTreeMap::new(),
            outputs: BTreeMap::new(),
            failure: BTreeMap::new(),
            secrets: Secrets::Masked,
            deterministic: true,
        }
    }
}

impl RenderContext {
    /// The template context; `environment` is cut down to `allowed`.
    pub(crate) fn to_value(&self, allowed: &BTreeSet<String>) -> Prepared {
        let environment = Value::from_pairs(
            self.environment.iter().filter(|(name, _)| allowed.contains(*name)).map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let outputs = Value::from_pairs(self.outputs.iter().map(|(action, values)| {
            (action.as_str(), Value::from_pairs(values.iter().map(|(k, v)| (k.as_str(), from_json(v)))))
        }));
        let secrets = match &self.secrets {
            Secrets::Masked => Value::from_object(MaskedSecrets),
            Secrets::Real(values) => Value::from_pairs(values.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        };
        let value = Value::from_pairs([
            ("fields", Value::from_pairs(self.fields.iter().map(|(k, v)| (k.as_str(), from_json(v))))),
            ("metadata", from_json(&self.metadata)),
            ("request", from_json(&self.request)),
            ("system", self.system.to_value()),
            ("environment", environment),
            ("outputs", outputs),
            ("secrets", secrets),
            ("failure", Value::from_pairs(self.failure.iter().map(|(k, v)| (k.as_str(), v.as_str())))),
        ]);
        Prepared { value, deterministic: self.deterministic }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn system_now_is_well_formed() {
        let now = SystemValues::now();
        assert_eq!(now.date.len(), 10);
        assert!(now.timestamp.starts_with(&now.date));
        assert_eq!(now.uuid.len(), 36);
    }
}
