//! PAO80x: with `--changed-since`, each changed item against its version at that revision.

use std::collections::HashMap;

use pao_schema::{CatalogDocument, Field};
use semver::Version;

use crate::Checked;
use crate::checker::Checker;
use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// With `--changed-since REV`: flags an item or bundle whose content changed since `REV`
    /// while `metadata.version` stayed the same. Formatting and comments do not count as change.
    ///
    /// ## Why is this bad?
    /// Requests record the version they were made against; two different definitions with one
    /// version make that record meaningless, and bundles cannot pin what they tested.
    ///
    /// ## Example
    /// A new field added, `version: 1.4.0` unchanged.
    ///
    /// Use instead: `version: 1.5.0`.
    pub(crate) static VERSION_NOT_BUMPED = ("PAO801", "version-not-bumped", Error, "A changed item keeps its version");
}

declare_rule! {
    /// ## What it does
    /// With `--changed-since REV`: flags a breaking form change without a MAJOR bump (for
    /// `0.y.z` versions, a MINOR bump). Breaking: a field removed, a field newly required, a
    /// field's type changed, options removed from a select or multiselect.
    ///
    /// ## Why is this bad?
    /// Bundles and automation that send the old values (`^1.4` ranges, saved requests) would
    /// start failing validation.
    ///
    /// ## Example
    /// `engineVersion` options `["15", "16"]` narrowed to `["16"]` with `1.4.0` → `1.5.0`.
    ///
    /// Use instead: `2.0.0`.
    pub(crate) static BREAKING_WITHOUT_MAJOR = ("PAO802", "breaking-change-without-major", Error, "A breaking form change without a MAJOR version bump");
}

declare_rule! {
    /// ## What it does
    /// With `--changed-since REV`: flags a bundle that still requests an item removed since `REV`.
    ///
    /// ## Why is this bad?
    /// The bundle can no longer be ordered.
    ///
    /// ## Example
    /// `catalog/databases/postgresql-legacy.yaml` deleted; a bundle still has `item: postgresql-legacy`.
    ///
    /// Use instead: point the component at the replacement.
    pub(crate) static REMOVED_ITEM_REFERENCED = ("PAO803", "removed-item-still-referenced", Error, "A bundle requests an item that was removed");
}

declare_rule! {
    /// ## What it does
    /// With `--changed-since REV`: flags a version lower than at `REV`.
    ///
    /// ## Why is this bad?
    /// Versions only move forward; going back makes two definitions share history's versions.
    ///
    /// ## Example
    /// `1.4.0` → `1.3.9`.
    ///
    /// Use instead: `1.4.1`.
    pub(crate) static VERSION_DECREASED = ("PAO804", "version-decreased", Error, "A version went down");
}

/// Compares each changed file's document with its previous version (by path).
pub(crate) fn check(files: &[Checked], previous: &HashMap<String, CatalogDocument>, checker: &mut Checker<'_>) {
    for file in files {
        let (Some(doc), Some(old)) = (&file.doc, previous.get(&file.path)) else { continue };
        // A value left out of a broken document would read as removed: compare it once it is fixed.
        if file.reading == crate::lenient::Reading::WithoutValues {
            continue;
        }
        let span = file.span("/metadata/version");
        let (Ok(new_v), Ok(old_v)) = (Version::parse(&doc.metadata().version), Version::parse(&old.metadata().version))
        else {
            continue;
        };
        if new_v < old_v {
            checker.report(
                &VERSION_DECREASED,
                &file.path,
                span,
                format!("version went down from {old_v} to {new_v}"),
                format!("use a version above {old_v}"),
            );
            continue;
        }
        if !content_changed(doc, old) {
            continue;
        }
        if new_v == old_v {
            checker.report(
                &VERSION_NOT_BUMPED,
                &file.path,
                span.clone(),
                format!("the definition changed but the version is still {old_v}"),
                format!("bump the version: {} for fixes, {} for additions", bump(&old_v, 2), bump(&old_v, 1)),
            );
            continue;
        }
        let breaking = breaking_changes(doc, old);
        let major_bumped =
            if old_v.major == 0 { new_v.major > 0 || new_v.minor > old_v.minor } else { new_v.major > old_v.major };
        if !breaking.is_empty() && !major_bumped {
            let needed = if old_v.major == 0 { bump(&old_v, 1) } else { bump(&old_v, 0) };
            checker.report(
                &BREAKING_WITHOUT_MAJOR,
                &file.path,
                span,
                format!("breaking form change since {old_v} ({}) needs a MAJOR version bump", breaking.join("; ")),
                format!("set the version to {needed}, or keep the form backwards compatible"),
            );
        }
    }
}

fn bump(v: &Version, part: usize) -> String {
    match part {
        0 => format!("{}.0.0", v.major + 1),
        1 => format!("{}.{}.0", v.major, v.minor + 1),
        _ => format!("{}.{}.{}", v.major, v.minor, v.patch + 1),
    }
}

fn to_json(doc: &CatalogDocument) -> serde_json::Value {
    let mut value = match doc {
        CatalogDocument::Item(item) => serde_json::to_value(item),
        CatalogDocument::Bundle(bundle) => serde_json::to_value(bundle),
    }
    .unwrap_or_default();
    if let Some(metadata) = value.get_mut("metadata").and_then(serde_json::Value::as_object_mut) {
        metadata.remove("version");
    }
    value
}

fn content_changed(new: &CatalogDocument, old: &CatalogDocument) -> bool {
    to_json(new) != to_json(old)
}

/// The breaking changes of the form from `old` to `new`, described for people.
pub(crate) fn breaking_changes(new: &CatalogDocument, old: &CatalogDocument) -> Vec<String> {
    let fields = |doc: &CatalogDocument| -> Vec<Field> {
        doc.presentation().map(|p| p.form.fields().cloned().collect()).unwrap_or_default()
    };
    let (new_fields, old_fields) = (fields(new), fields(old));
    let mut changes = Vec::new();
    for old_field in &old_fields {
        let Some(new_field) = new_fields.iter().find(|f| f.id == old_field.id) else {
            changes.push(format!("field `{}` removed", old_field.id));
            continue;
        };
        if new_field.field_type != old_field.field_type {
            changes.push(format!(
                "field `{}` changed type from {} to {}",
                old_field.id,
                old_field.field_type.as_str(),
                new_field.field_type.as_str()
            ));
        }
        if new_field.required && !old_field.required {
            changes.push(format!("field `{}` became required", old_field.id));
        }
        let values =
            |f: &Field| -> Vec<serde_json::Value> { f.options.iter().flatten().map(|o| o.value().to_json()).collect() };
        let removed: Vec<String> =
            values(old_field).into_iter().filter(|v| !values(new_field).contains(v)).map(|v| v.to_string()).collect();
        if !removed.is_empty() && new_field.field_type.has_options() {
            changes.push(format!("options {} removed from `{}`", removed.join(", "), old_field.id));
        }
    }
    for new_field in new_fields.iter().filter(|f| f.required && f.default.is_none() && f.conditional.is_none()) {
        if !old_fields.iter().any(|f| f.id == new_field.id) {
            changes.push(format!("new required field `{}`", new_field.id));
        }
    }
    changes
}
