//! The identifier and version patterns of `SPEC.md`, shared by the schema and the linter.

/// `metadata.id` of items and bundles: lowercase, digits and hyphens, 3 to 63 characters.
pub const ITEM_ID: &str = r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$";
/// Form field ids: lower camelCase, so `fields.instanceName` reads naturally in templates.
pub const FIELD_ID: &str = r"^[a-z][a-zA-Z0-9]*$";
/// Action ids: snake_case, so `outputs.create_db.endpoint` parses as a template path.
pub const ACTION_ID: &str = r"^[a-z][a-z0-9_]*$";
/// Bundle component ids: snake_case, like action ids.
pub const COMPONENT_ID: &str = r"^[a-z][a-z0-9_]*$";
/// SemVer 2.0.0, the regular expression suggested by semver.org.
pub const SEMVER: &str = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$";
