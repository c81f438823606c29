//! The top-level documents: `CatalogItem`, and the enum that tells items and bundles apart.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::bundle::CatalogBundle;
use crate::form::Presentation;
use crate::fulfillment::Fulfillment;
use crate::metadata::Metadata;

/// The only `apiVersion` this release reads.
pub const API_VERSION: &str = "pao/v1";

/// The catalog format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    /// Version 1 of the PAO catalog format.
    #[serde(rename = "pao/v1")]
    V1,
}

/// The `kind` of a catalog item document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ItemKind {
    /// A single orderable service.
    CatalogItem,
}

/// The `kind` of a catalog bundle document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BundleKind {
    /// Several items ordered together.
    CatalogBundle,
}

/// A service a team can request: its description, its request form and how it is fulfilled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "PAO CatalogItem")]
pub struct CatalogItem {
    /// Catalog format version; always `pao/v1`.
    pub api_version: ApiVersion,
    /// Document kind; always `CatalogItem` for items.
    pub kind: ItemKind,
    /// Identity, ownership and lifecycle of the item.
    pub metadata: Metadata,
    /// How the request form looks.
    pub presentation: Presentation,
    /// What happens when a request is approved: automated actions, manual actions, or both.
    pub fulfillment: Fulfillment,
    /// Optional health check of provisioned resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
}

/// Monitoring of a provisioned resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// An HTTP endpoint polled to tell whether the resource is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
}

/// An HTTP health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthCheck {
    /// URL to poll; a template, e.g. `https://{{ fields.instanceName }}.internal/health`.
    #[schemars(length(min = 1))]
    pub url: String,
    /// Seconds between two checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 86400))]
    pub interval_seconds: Option<u32>,
}

/// Any catalog document, told apart by its `kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogDocument {
    /// A `kind: CatalogItem` document.
    Item(Box<CatalogItem>),
    /// A `kind: CatalogBundle` document.
    Bundle(Box<CatalogBundle>),
}

impl CatalogDocument {
    /// The document's metadata, whatever its kind.
    pub fn metadata(&self) -> &Metadata {
        match self {
            Self::Item(item) => &item.metadata,
            Self::Bundle(bundle) => &bundle.metadata,
        }
    }

    /// The document's request form, if it has one.
    pub fn presentation(&self) -> Option<&Presentation> {
        match self {
            Self::Item(item) => Some(&item.presentation),
            Self::Bundle(bundle) => bundle.presentation.as_ref(),
        }
    }

    /// Reads a document from a JSON value, choosing the type by its `kind`.
    ///
    /// # Errors
    /// When `kind` is missing or unknown, or the value does not fit that kind's type.
    pub fn from_value(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        let kind = value.get("kind").and_then(serde_json::Value::as_str).map(str::to_owned);
        Self::from_deserializer(kind.as_deref(), value)
    }

    /// Reads a document from any serde deserializer (a JSON value, or the YAML tree itself as
    /// `&pao_source::Node`), choosing the type by `kind`, the document's `kind` as the caller read it.
    ///
    /// # Errors
    /// When `kind` is missing or unknown, or the input does not fit that kind's type.
    pub fn from_deserializer<'de, D: Deserializer<'de>>(kind: Option<&str>, deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match kind {
            Some("CatalogItem") => Ok(Self::Item(Box::new(CatalogItem::deserialize(deserializer)?))),
            Some("CatalogBundle") => Ok(Self::Bundle(Box::new(CatalogBundle::deserialize(deserializer)?))),
            Some(other) => {
                Err(D::Error::custom(format!("unknown kind `{other}`, expected `CatalogItem` or `CatalogBundle`")))
            }
            None => Err(D::Error::custom("missing `kind`")),
        }
    }
}
