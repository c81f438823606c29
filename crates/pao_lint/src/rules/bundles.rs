//! PAO70x: bundle components — the items they request and the version ranges they pin.

use pao_schema::{CatalogDocument, LifecycleStatus};
use rustc_hash::FxHashMap;
use semver::{Version, VersionReq};

use crate::Checked;
use crate::checker::{Checker, did_you_mean};
use crate::declare_rule;
use crate::rules::changes::REMOVED_ITEM_REFERENCED;
use crate::rules::lifecycle::{REPLACEMENT_NOT_FOUND, RETIRED_IN_BUNDLE, SUNSET_PASSED};

declare_rule! {
    /// ## What it does
    /// Flags a bundle component whose `item` is not in the catalog.
    ///
    /// ## Why is this bad?
    /// The bundle cannot be ordered.
    ///
    /// ## Example
    /// `item: postgres-standard` when the item is `postgresql-standard`.
    ///
    /// Use instead: `item: postgresql-standard`.
    pub(crate) static ITEM_NOT_FOUND = ("PAO701", "bundle-item-not-found", Error, "A bundle component requests an unknown item");
}

declare_rule! {
    /// ## What it does
    /// Flags a component whose `version` range does not match the item's current version.
    ///
    /// ## Why is this bad?
    /// The bundle was written against another version of the item; its field values may no
    /// longer fit the item's form.
    ///
    /// ## Example
    /// `version: "^1.2"` while the item is at `2.0.0`.
    ///
    /// Use instead: check the component's fields against 2.0.0, then `version: "^2.0"`.
    pub(crate) static VERSION_MISMATCH = ("PAO702", "bundle-version-mismatch", Error, "The item's current version is outside the component's range");
}

declare_rule! {
    /// ## What it does
    /// Flags a component `version` that is not a SemVer range (`^1.2`, `~1.4.0`, `=1.4.0`,
    /// `>=1.0, <2`, `1.x`, `*`).
    ///
    /// ## Why is this bad?
    /// The range cannot be checked, so the bundle could silently pick up a breaking version.
    ///
    /// ## Example
    /// `version: "1.2+"`.
    ///
    /// Use instead: `version: ">=1.2"`.
    pub(crate) static INVALID_RANGE = ("PAO703", "invalid-version-range", Error, "A component version is not a SemVer range");
}

declare_rule! {
    /// ## What it does
    /// Flags a component `fields` key that is not a field of the requested item.
    ///
    /// ## Why is this bad?
    /// The value is dropped or rejected when the bundle is ordered.
    ///
    /// ## Example
    /// `fields: { instanceNmae: ... }`.
    ///
    /// Use instead: `fields: { instanceName: ... }`.
    pub(crate) static UNKNOWN_COMPONENT_FIELD = ("PAO704", "unknown-component-field", Error, "A component sets a field the item does not have");
}

declare_rule! {
    /// ## What it does
    /// Flags a required field of a component's item (always shown, without a default) that the
    /// component does not set.
    ///
    /// ## Why is this bad?
    /// Bundle requesters fill in the bundle's form only; the item's required field would be empty.
    ///
    /// ## Example
    /// The item requires `instanceName`; the component's `fields` lack it.
    ///
    /// Use instead: `fields: { instanceName: "{{ fields.appName }}-db" }`.
    pub(crate) static MISSING_COMPONENT_FIELD = ("PAO705", "missing-component-field", Warning, "A component leaves a required item field unset");
}

declare_rule! {
    /// ## What it does
    /// Flags a component whose `item` is itself a bundle.
    ///
    /// ## Why is this bad?
    /// Bundles nest one level: a component is a catalog item.
    ///
    /// ## Example
    /// `item: web-service-stack` (a bundle).
    ///
    /// Use instead: list that bundle's components here.
    pub(crate) static NESTED_BUNDLE = ("PAO706", "nested-bundle", Error, "A bundle component is another bundle");
}

/// Cross-file checks over every parsed document: bundle references and deprecation replacements.
/// `removed` holds ids that existed at the `--changed-since` revision but are gone now.
pub(crate) fn check(files: &[Checked], removed: &[String], checker: &mut Checker<'_>) {
    // Files the cache answered have no parsed document, only its summary; the driver parses
    // every item a bundle reported on refers to (`incremental`), so `target.doc` below is only
    // `None` for bundles whose findings are not reported.
    let by_id: FxHashMap<&str, &Checked> = files.iter().filter_map(|f| Some((f.doc_id()?, f))).collect();
    // Every id that can be read, from documents too broken to read as a whole as well: a
    // reference to one is no error of the referring file (its own file's findings say what to fix).
    let readable: FxHashMap<&str, Option<&str>> =
        files.iter().filter_map(|f| Some((f.id.as_deref()?, f.kind.as_deref()))).collect();
    for file in files {
        let Some(own_id) = file.doc_id() else { continue };
        let span = |p: &str| file.span(p);
        if let Some(replacement) = file.replacement() {
            let at = span("/metadata/lifecycle/deprecation/replacement");
            if replacement == own_id {
                checker.report(
                    &REPLACEMENT_NOT_FOUND,
                    &file.path,
                    at,
                    format!("`{replacement}` names itself as its replacement"),
                    "name the item requesters should move to, or remove `replacement`".to_owned(),
                );
            } else if !by_id.contains_key(replacement) && !readable.contains_key(replacement) {
                let help = did_you_mean(replacement, readable.keys().copied().filter(|id| *id != own_id))
                    .unwrap_or_else(|| "name an existing catalog item".to_owned());
                let meant = crate::fix::one_edit_away(replacement, by_id.keys().copied().filter(|id| *id != own_id));
                let reported = checker.report(
                    &REPLACEMENT_NOT_FOUND,
                    &file.path,
                    at.clone(),
                    format!("replacement `{replacement}` is not an item of the catalog"),
                    help,
                );
                if let (Some(diagnostic), Some(id)) = (reported, meant)
                    && !at.is_empty()
                {
                    let title = format!("name `{id}` as the replacement");
                    diagnostic.fix = Some(crate::fix::replace_scalar(&file.source.text, at, id, title));
                }
            }
        }
        let (Some(CatalogDocument::Bundle(bundle)), Some(root)) = (&file.doc, &file.root) else { continue };
        for (i, component) in bundle.components.iter().enumerate() {
            let p = format!("/components/{i}");
            let Some(target) = by_id.get(component.item.as_str()) else {
                if let Some(kind) = readable.get(component.item.as_str()) {
                    if *kind == Some("CatalogBundle") {
                        checker.report(
                            &NESTED_BUNDLE,
                            &file.path,
                            span(&format!("{p}/item")),
                            format!("`{}` is a bundle; components must be catalog items", component.item),
                            "list that bundle's components here instead".to_owned(),
                        );
                    }
                } else if removed.contains(&component.item) {
                    checker.report(
                        &REMOVED_ITEM_REFERENCED,
                        &file.path,
                        span(&format!("{p}/item")),
                        format!("item `{}` was removed, but this bundle still requests it", component.item),
                        "remove the component, or point it at the item's replacement".to_owned(),
                    );
                } else {
                    let items = by_id.iter().filter(|(_, f)| !f.is_bundle()).map(|(id, _)| *id);
                    let meant = crate::fix::one_edit_away(&component.item, items);
                    let help = did_you_mean(&component.item, readable.keys().copied())
                        .unwrap_or_else(|| "name an existing catalog item".to_owned());
                    let at = span(&format!("{p}/item"));
                    let reported = checker.report(
                        &ITEM_NOT_FOUND,
                        &file.path,
                        span(&format!("{p}/item")),
                        format!(
                            "component `{}` requests `{}`, which is not in the catalog",
                            component.id, component.item
                        ),
                        help,
                    );
                    if let (Some(diagnostic), Some(id)) = (reported, meant)
                        && !at.is_empty()
                    {
                        let title = format!("request `{id}`");
                        diagnostic.fix = Some(crate::fix::replace_scalar(&file.source.text, at, id, title));
                    }
                }
                continue;
            };
            let Some(CatalogDocument::Item(item)) = &target.doc else {
                if !target.is_bundle() {
                    // A summarised item: this bundle is not reported on (see above).
                    continue;
                }
                checker.report(
                    &NESTED_BUNDLE,
                    &file.path,
                    span(&format!("{p}/item")),
                    format!("`{}` is a bundle; components must be catalog items", component.item),
                    "list that bundle's components here instead".to_owned(),
                );
                continue;
            };
            let status = item.metadata.lifecycle.status;
            if status == LifecycleStatus::Retired {
                checker.report(
                    &RETIRED_IN_BUNDLE,
                    &file.path,
                    span(&format!("{p}/item")),
                    format!("`{}` is retired and can no longer be ordered", component.item),
                    replacement_help(item),
                );
            } else if status == LifecycleStatus::Deprecated {
                checker.report(
                    &SUNSET_PASSED,
                    &file.path,
                    span(&format!("{p}/item")),
                    match item.metadata.lifecycle.deprecation.as_ref() {
                        Some(plan) => format!("`{}` is deprecated (sunset {})", component.item, plan.sunset),
                        None => format!("`{}` is deprecated", component.item),
                    },
                    replacement_help(item),
                );
            }
            match VersionReq::parse(&component.version) {
                Err(err) => {
                    checker.report(
                        &INVALID_RANGE,
                        &file.path,
                        span(&format!("{p}/version")),
                        format!("`{}` is not a SemVer range: {err}", component.version),
                        "write e.g. `^1.4`, `~1.4.0` or `>=1.4, <2`".to_owned(),
                    );
                }
                Ok(range) => {
                    if let Ok(current) = Version::parse(&item.metadata.version) {
                        if !range.matches(&current) {
                            checker.report(
                                &VERSION_MISMATCH,
                                &file.path,
                                span(&format!("{p}/version")),
                                format!(
                                    "`{}` is at version {current}, outside the range `{}`",
                                    component.item, component.version
                                ),
                                range_help(&current),
                            );
                        }
                    }
                }
            }
            let item_fields: Vec<&pao_schema::Field> = item.presentation.form.fields().collect();
            let set = component.fields.as_ref();
            for key in set.into_iter().flat_map(|m| m.keys()) {
                if !item_fields.iter().any(|f| &f.id == key) {
                    let at = root.key_span(&format!("{p}/fields/{key}")).unwrap_or(0..0);
                    let help = did_you_mean(key, item_fields.iter().map(|f| f.id.as_str())).unwrap_or_else(|| {
                        let ids: Vec<&str> = item_fields.iter().map(|f| f.id.as_str()).collect();
                        format!("remove it; the fields of `{}` are: {}", component.item, ids.join(", "))
                    });
                    checker.report(
                        &UNKNOWN_COMPONENT_FIELD,
                        &file.path,
                        at,
                        format!("`{}` has no field `{key}`", component.item),
                        help,
                    );
                }
            }
            for field in item_fields.iter().filter(|f| f.required && f.default.is_none() && f.conditional.is_none()) {
                if !set.is_some_and(|m| m.contains_key(&field.id)) {
                    let at = root.key_span(&format!("{p}/fields")).unwrap_or_else(|| span(&format!("{p}/id")));
                    checker.report(
                        &MISSING_COMPONENT_FIELD,
                        &file.path,
                        at,
                        format!(
                            "component `{}` does not set `{}`, a required field of `{}`",
                            component.id, field.id, component.item
                        ),
                        format!("add `{}: \"{{{{ fields.<bundle field> }}}}\"` to the component's fields", field.id),
                    );
                }
            }
        }
    }
}

/// How to fix a range that misses `current`. A pre-release matches only a range that names a
/// pre-release of the same MAJOR.MINOR.PATCH, so `^2.0` and `*` never match `2.0.0-rc.1`.
fn range_help(current: &Version) -> String {
    if current.pre.is_empty() {
        format!(
            "check the component's fields against {current}, then widen the range, e.g. `^{}.{}`",
            current.major, current.minor
        )
    } else {
        format!(
            "{current} is a pre-release, which only a range naming it matches: check the component's fields \
             against it and write `^{current}`, or wait for the release"
        )
    }
}

fn replacement_help(item: &pao_schema::CatalogItem) -> String {
    match item.metadata.lifecycle.deprecation.as_ref().and_then(|d| d.replacement.as_deref()) {
        Some(replacement) => format!("use its replacement `{replacement}`"),
        None => "use a supported item".to_owned(),
    }
}
