//! `metadata`: identity, ownership, service levels and lifecycle, shared by items and bundles.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Who and what an item or bundle is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// Unique id in the catalog; equals the file name without `.yaml`. Lowercase letters, digits
    /// and hyphens, 3-63 characters, e.g. `postgresql-standard`.
    #[schemars(pattern(crate::patterns::ITEM_ID))]
    pub id: String,
    /// Display name shown in the catalog, e.g. `PostgreSQL Standard`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// One or two sentences on what the requester gets.
    #[schemars(length(min = 1))]
    pub description: String,
    /// SemVer 2.0.0 version of this definition, e.g. `1.4.0`. Bump MAJOR for breaking form changes.
    #[schemars(pattern(crate::patterns::SEMVER))]
    pub version: String,
    /// Catalog category; equals the directory under `catalog/` (`bundles` for bundles).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub category: String,
    /// The team that owns and fulfils this item.
    pub owner: Owner,
    /// Free-form search tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Service levels the owning team commits to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Sla>,
    /// Where the item stands in its life: experimental to retired.
    pub lifecycle: Lifecycle,
}

/// The owning team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Owner {
    /// Team slug; `.github/CODEOWNERS` must give this file to `@<org>/<team>`.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub team: String,
    /// E-mail address or chat channel of the team.
    #[schemars(length(min = 1))]
    pub contact: String,
    /// JIRA project key for manual fulfilment tickets, e.g. `DBA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9_]+$"))]
    pub jira_project: Option<String>,
}

/// Service levels, in hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sla {
    /// Hours until a request is picked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 8760))]
    pub response_hours: Option<u32>,
    /// Hours until a request is fulfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 8760))]
    pub fulfillment_hours: Option<u32>,
}

/// Lifecycle status and, when deprecated or retired, the deprecation plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Lifecycle {
    /// `experimental`, `beta`, `stable`, `deprecated` or `retired`.
    pub status: LifecycleStatus,
    /// Required when `status` is `deprecated` or `retired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation: Option<Deprecation>,
}

/// Lifecycle stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleStatus {
    /// Early access; may change without notice.
    Experimental,
    /// Feature complete, still being hardened.
    Beta,
    /// Supported for production use.
    Stable,
    /// Still orderable, with a sunset date and usually a replacement.
    Deprecated,
    /// No longer orderable.
    Retired,
}

impl LifecycleStatus {
    /// The status as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Experimental => "experimental",
            Self::Beta => "beta",
            Self::Stable => "stable",
            Self::Deprecated => "deprecated",
            Self::Retired => "retired",
        }
    }
}

/// The deprecation plan of a deprecated or retired item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Deprecation {
    /// Date the item was deprecated, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub since: String,
    /// Date after which the item is retired, `YYYY-MM-DD`; after `since`.
    #[schemars(extend("format" = "date"))]
    pub sunset: String,
    /// Id of the catalog item that replaces this one; it must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Message shown to requesters, e.g. `Use postgresql-v2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
