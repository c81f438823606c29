//! `CatalogBundle`: several items ordered together, wired by templates.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::document::{ApiVersion, BundleKind};
use crate::form::Presentation;
use crate::metadata::Metadata;

/// Several catalog items requested together, e.g. an application with its database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "PAO CatalogBundle")]
pub struct CatalogBundle {
    /// Catalog format version; always `pao/v1`.
    pub api_version: ApiVersion,
    /// Document kind; always `CatalogBundle` for bundles.
    pub kind: BundleKind,
    /// Identity, ownership and lifecycle; `category` is `bundles`.
    pub metadata: Metadata,
    /// Bundle-level form fields, shared by the components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
    /// The items the bundle requests, in order.
    #[schemars(length(min = 1))]
    pub components: Vec<BundleComponent>,
}

/// One item of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BundleComponent {
    /// Component id, unique within the bundle; snake_case so later components can read
    /// `outputs.<id>.<name>`.
    #[schemars(pattern(crate::patterns::COMPONENT_ID))]
    pub id: String,
    /// Id of the catalog item requested.
    #[schemars(pattern(crate::patterns::ITEM_ID))]
    pub item: String,
    /// SemVer range the item's current version must match, e.g. `^1.2`, `>=1.0, <2`.
    #[schemars(length(min = 1))]
    pub version: String,
    /// The item's form values: templates over the bundle's `fields` and earlier components'
    /// `outputs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}
