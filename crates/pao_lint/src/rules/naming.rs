//! PAO3xx: identifiers, file names, directories and versions.

use std::collections::HashMap;

use pao_source::Node;

use crate::checker::Checker;
use crate::declare_rule;
use crate::registry::Rule;
use crate::rules::schema::PATTERN_MISMATCH;
use crate::schema::DocKind;

declare_rule! {
    /// ## What it does
    /// Flags a `metadata.id` (or a bundle component's `item`) that is not 3-63 lowercase letters,
    /// digits and hyphens, starting with a letter and not ending with a hyphen.
    ///
    /// ## Why is this bad?
    /// The id is a file name, a URL segment (`/catalog/items/{id}`), a Git branch and path
    /// segment (`requests/<team>/<item-id>/`), and a Terraform/Kubernetes-friendly name.
    ///
    /// ## Example
    /// ```yaml
    /// id: PostgreSQL_DB
    /// ```
    ///
    /// Use instead: `id: postgresql-db`.
    pub(crate) static INVALID_ITEM_ID = ("PAO301", "invalid-item-id", Error, "An item or bundle id breaks the naming convention");
}

declare_rule! {
    /// ## What it does
    /// Flags a document whose `metadata.id` differs from its file name without `.yaml`.
    ///
    /// ## Why is this bad?
    /// People and tools find an item by its file; the two names drifting apart means one of
    /// them is stale.
    ///
    /// ## Example
    /// `catalog/databases/postgres.yaml` with `id: postgresql-standard`.
    ///
    /// Use instead: rename the file to `postgresql-standard.yaml`.
    pub(crate) static ID_FILE_MISMATCH = ("PAO302", "id-file-name-mismatch", Error, "`metadata.id` differs from the file name");
}

declare_rule! {
    /// ## What it does
    /// Flags an item whose `metadata.category` differs from its directory under `catalog/`
    /// (bundles: `bundles`).
    ///
    /// ## Why is this bad?
    /// The directory decides ownership in CODEOWNERS and where people look for the item.
    ///
    /// ## Example
    /// `catalog/databases/redis.yaml` with `category: caching`.
    ///
    /// Use instead: `category: databases`, or move the file to `catalog/caching/`.
    pub(crate) static CATEGORY_MISMATCH = ("PAO303", "category-directory-mismatch", Error, "`metadata.category` differs from the directory");
}

declare_rule! {
    /// ## What it does
    /// Flags a form field id (or group id) that is not lower camelCase (`^[a-z][a-zA-Z0-9]*$`).
    ///
    /// ## Why is this bad?
    /// Templates read fields as `fields.<id>`; a hyphen or dot would not parse there.
    ///
    /// ## Example
    /// ```yaml
    /// - id: Instance-Name
    /// ```
    ///
    /// Use instead: `id: instanceName`.
    pub(crate) static INVALID_FIELD_ID = ("PAO304", "invalid-field-id", Error, "A form field id is not lower camelCase");
}

declare_rule! {
    /// ## What it does
    /// Flags an action or bundle component id that is not snake_case (`^[a-z][a-z0-9_]*$`).
    ///
    /// ## Why is this bad?
    /// Later templates read outputs as `outputs.<id>.<name>`; `Create-DB` would not parse.
    ///
    /// ## Example
    /// ```yaml
    /// - id: Create-DB
    /// ```
    ///
    /// Use instead: `id: create_db`.
    pub(crate) static INVALID_ACTION_ID = ("PAO305", "invalid-action-id", Error, "An action or component id is not snake_case");
}

declare_rule! {
    /// ## What it does
    /// Flags two catalog documents with the same `metadata.id`.
    ///
    /// ## Why is this bad?
    /// Requests, bundles and replacements name items by id; two items with one id make every
    /// such reference ambiguous.
    ///
    /// ## Example
    /// `catalog/databases/pg.yaml` and `catalog/legacy/pg.yaml`, both `id: pg`.
    ///
    /// Use instead: give one of them a new id (and file name).
    pub(crate) static DUPLICATE_ITEM_ID = ("PAO306", "duplicate-item-id", Error, "Two catalog documents share an id");
}

declare_rule! {
    /// ## What it does
    /// Flags a form field id or group id used twice in one item.
    ///
    /// ## Why is this bad?
    /// Form values are keyed by field id: the second field would overwrite the first.
    ///
    /// ## Example
    /// Two fields `id: region` in different groups.
    ///
    /// Use instead: distinct ids such as `primaryRegion` and `replicaRegion`.
    pub(crate) static DUPLICATE_FIELD_ID = ("PAO307", "duplicate-field-id", Error, "A field or group id is used twice in one item");
}

declare_rule! {
    /// ## What it does
    /// Flags an action id used twice in one item (across the automated and manual lists) or a
    /// component id used twice in one bundle.
    ///
    /// ## Why is this bad?
    /// `outputs.<id>` and the request's logs name actions by id.
    ///
    /// ## Example
    /// Two actions `id: create_db`.
    ///
    /// Use instead: `create_db` and `create_db_replica`.
    pub(crate) static DUPLICATE_ACTION_ID = ("PAO308", "duplicate-action-id", Error, "An action or component id is used twice");
}

declare_rule! {
    /// ## What it does
    /// Flags a catalog document outside the layout `catalog/<category>/<id>.yaml`: too deep, at
    /// the top of `catalog/`, a bundle outside `catalog/bundles/`, or an item inside it.
    ///
    /// ## Why is this bad?
    /// The layout is what CODEOWNERS, the category rules and people rely on.
    ///
    /// ## Example
    /// `catalog/databases/postgres/standard.yaml`.
    ///
    /// Use instead: `catalog/databases/postgresql-standard.yaml`.
    pub(crate) static MISPLACED_DOCUMENT = ("PAO309", "misplaced-document", Error, "A document is not at catalog/<category>/<id>.yaml");
}

declare_rule! {
    /// ## What it does
    /// Flags a `metadata.version` that is not SemVer 2.0.0 (`MAJOR.MINOR.PATCH`, optional
    /// `-prerelease` and `+build`).
    ///
    /// ## Why is this bad?
    /// Bundles pin items with SemVer ranges, and `--changed-since` checks that breaking changes
    /// bump MAJOR; neither works without a real version.
    ///
    /// ## Example
    /// ```yaml
    /// version: v1.4
    /// ```
    ///
    /// Use instead: `version: 1.4.0`.
    pub(crate) static INVALID_SEMVER = ("PAO310", "invalid-semver", Error, "`metadata.version` is not SemVer 2.0.0");
}

/// Which rule a schema `pattern` error at `pointer` belongs to, with its message and help.
pub(crate) fn pattern_finding(
    pointer: &str,
    given: &str,
    pattern: &str,
    what: &str,
) -> (&'static Rule, String, String) {
    let last = pointer.rsplit('/').next().unwrap_or_default();
    let parent = pointer.rsplit('/').nth(2).unwrap_or_default();
    if pointer == "/metadata/id" || (last == "item" && parent == "components") || pointer.ends_with("/replacement") {
        let help = format!("use lowercase letters, digits and hyphens, e.g. `{}`", kebab(given));
        return (
            &INVALID_ITEM_ID,
            format!(
                "{what} `{given}` is not a valid item id (3-63 lowercase letters, digits and hyphens, starting with a letter)"
            ),
            help,
        );
    }
    if pointer == "/metadata/version" {
        let help = match semver_fix(given) {
            Some(fixed) => format!("write MAJOR.MINOR.PATCH: `{fixed}`"),
            None => "write MAJOR.MINOR.PATCH, e.g. `1.4.0`".to_owned(),
        };
        return (&INVALID_SEMVER, format!("{what} `{given}` is not a SemVer 2.0.0 version"), help);
    }
    if last == "id" && (parent == "fields" || parent == "groups") {
        return (
            &INVALID_FIELD_ID,
            format!("{what} `{given}` is not lower camelCase"),
            format!("e.g. `{}`", camel(given)),
        );
    }
    if last == "id" && (parent == "actions" || parent == "components") {
        return (&INVALID_ACTION_ID, format!("{what} `{given}` is not snake_case"), format!("e.g. `{}`", snake(given)));
    }
    let help = match pointer {
        "/metadata/owner/team" => {
            format!("use the team's slug: lowercase letters, digits, `-` and `_`, e.g. `{}`", words(given).join("-"))
        }
        "/metadata/owner/jiraProject" => {
            format!(
                "use the Jira project key: capital letters, digits and `_`, e.g. `{}`",
                words(given).join("_").to_uppercase()
            )
        }
        _ if last == "repository" => {
            "write the GitHub repository as `owner/name`, e.g. `acme/platform-infra`".to_owned()
        }
        _ => "change the value to match the pattern".to_owned(),
    };
    (&PATTERN_MISMATCH, format!("{what} `{given}` does not match the pattern `{pattern}`"), help)
}

/// The SemVer version an author most likely meant (`v1.2` → `1.2.0`), when there is one.
fn semver_fix(given: &str) -> Option<String> {
    let core = given.trim().trim_start_matches(['v', 'V']);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut numbers: Vec<String> = parts
        .iter()
        .map(|p| p.trim_start_matches('0'))
        .map(|p| if p.is_empty() { "0" } else { p }.to_owned())
        .collect();
    numbers.resize(3, "0".to_owned());
    let fixed = numbers.join(".");
    (fixed != given).then_some(fixed)
}

fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn kebab(text: &str) -> String {
    let joined = words(text).join("-");
    if joined.len() < 3 { format!("{joined}-item") } else { joined }
}

fn snake(text: &str) -> String {
    words(text).join("_")
}

fn camel(text: &str) -> String {
    words(text)
        .iter()
        .enumerate()
        .map(|(i, w)| if i == 0 { w.clone() } else { w[..1].to_uppercase() + &w[1..] })
        .collect()
}

/// Where a file sits: `catalog/<category>/<stem>.yaml` parts, when it is under `catalog/`.
pub(crate) struct Placement<'p> {
    pub(crate) stem: &'p str,
    /// The directories between `catalog/` and the file.
    pub(crate) dirs: Vec<&'p str>,
    pub(crate) in_catalog: bool,
}

impl<'p> Placement<'p> {
    pub(crate) fn of(path: &'p str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let stem = name.strip_suffix(".yaml").or_else(|| name.strip_suffix(".yml")).unwrap_or(name);
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        let in_catalog = parts.first() == Some(&"catalog");
        if in_catalog {
            parts.remove(0);
        }
        Self { stem, dirs: parts, in_catalog }
    }
}

/// Id vs. file name, category vs. directory, the layout, and duplicate ids inside a document.
pub(crate) fn check_document(root: &Node, kind: DocKind, file: &str, checker: &mut Checker<'_>) {
    let placement = Placement::of(file);
    if let Some(id) = root.pointer("/metadata/id") {
        if let Some(id_text) = id.as_str().filter(|id| *id != placement.stem) {
            checker.report(
                &ID_FILE_MISMATCH,
                file,
                id.span.clone(),
                format!(
                    "`metadata.id` is `{id_text}` but the file is named `{}`",
                    file.rsplit('/').next().unwrap_or(file)
                ),
                format!("rename the file to `{id_text}.yaml`, or set `id: {}`", placement.stem),
            );
        }
    }
    if placement.in_catalog {
        check_placement(root, kind, file, &placement, checker);
    }
    let field_ids = collect(root, &["/presentation/form/groups/*/fields/*/id"]);
    report_duplicates(&field_ids, &DUPLICATE_FIELD_ID, "field id", file, checker);
    let group_ids = collect(root, &["/presentation/form/groups/*/id"]);
    report_duplicates(&group_ids, &DUPLICATE_FIELD_ID, "group id", file, checker);
    let action_ids = collect(root, &["/fulfillment/automated/actions/*/id", "/fulfillment/manual/actions/*/id"]);
    report_duplicates(&action_ids, &DUPLICATE_ACTION_ID, "action id", file, checker);
    let component_ids = collect(root, &["/components/*/id"]);
    report_duplicates(&component_ids, &DUPLICATE_ACTION_ID, "component id", file, checker);
}

fn check_placement(root: &Node, kind: DocKind, file: &str, placement: &Placement<'_>, checker: &mut Checker<'_>) {
    let at = root.entries().first().map_or(0..0, |e| e.key_span.clone());
    let Some(&directory) = placement.dirs.first().filter(|_| placement.dirs.len() == 1) else {
        checker.report(
            &MISPLACED_DOCUMENT,
            file,
            at,
            format!("`{file}` is not at `catalog/<category>/<id>.yaml`"),
            "move the file directly into its category directory under catalog/".to_owned(),
        );
        return;
    };
    match (kind, directory == "bundles") {
        (DocKind::Bundle, false) => {
            checker.report(
                &MISPLACED_DOCUMENT,
                file,
                at.clone(),
                "a CatalogBundle must live in `catalog/bundles/`",
                "move the file to catalog/bundles/".to_owned(),
            );
        }
        (DocKind::Item, true) => {
            checker.report(
                &MISPLACED_DOCUMENT,
                file,
                at.clone(),
                "`catalog/bundles/` holds only CatalogBundle documents",
                "move the item into its category directory".to_owned(),
            );
        }
        _ => {}
    }
    if let Some(category) = root.pointer("/metadata/category") {
        if let Some(text) = category.as_str().filter(|c| *c != directory) {
            checker.report(
                &CATEGORY_MISMATCH,
                file,
                category.span.clone(),
                format!("`metadata.category` is `{text}` but the file is in `catalog/{directory}/`"),
                format!("set `category: {directory}`, or move the file to `catalog/{text}/`"),
            );
        }
    }
}

/// The string nodes at each pattern (`*` matches every item or key).
fn collect<'n>(root: &'n Node, patterns: &[&str]) -> Vec<&'n Node> {
    let mut out = Vec::new();
    let (mut nodes, mut next) = (Vec::new(), Vec::new());
    for pattern in patterns {
        nodes.clear();
        nodes.push(root);
        for segment in pattern.split('/').skip(1) {
            next.clear();
            for node in &nodes {
                if segment == "*" {
                    next.extend(node.items().iter().chain(node.entries().iter().map(|e| &e.value)));
                } else {
                    next.extend(node.get(segment));
                }
            }
            std::mem::swap(&mut nodes, &mut next);
        }
        out.extend(nodes.iter().filter(|n| n.as_str().is_some()));
    }
    out
}

fn report_duplicates(ids: &[&Node], rule: &'static Rule, what: &str, file: &str, checker: &mut Checker<'_>) {
    // Hashed, not scanned: a hostile 2 MiB file can hold tens of thousands of ids.
    let mut seen: HashMap<&str, &Node> = HashMap::with_capacity(ids.len());
    for node in ids {
        let id = node.as_str().unwrap_or_default();
        if let Some(first) = seen.get(id) {
            if let Some(d) = checker.report(
                rule,
                file,
                node.span.clone(),
                format!("{what} `{id}` is already used in this document"),
                format!("give this one a different {what}"),
            ) {
                d.labels.push(pao_diagnostics::Label { range: first.span.clone(), message: "first used here".into() });
            }
        } else {
            seen.insert(id, node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_the_conventions() {
        assert_eq!(kebab("PostgreSQL_DB"), "postgre-sql-db");
        assert_eq!(snake("Create-DB"), "create_db");
        assert_eq!(camel("Instance-Name"), "instanceName");
    }

    #[test]
    fn semver_fixes_are_plausible() {
        assert_eq!(semver_fix("v1.0.0").as_deref(), Some("1.0.0"));
        assert_eq!(semver_fix("1.4").as_deref(), Some("1.4.0"));
        assert_eq!(semver_fix("1.02.0").as_deref(), Some("1.2.0"));
        assert_eq!(semver_fix("1.0.0-"), None);
        assert_eq!(semver_fix("latest"), None);
    }

    #[test]
    fn placement_reads_category_and_stem() {
        let p = Placement::of("catalog/databases/pg.yaml");
        assert_eq!((p.stem, p.dirs.as_slice(), p.in_catalog), ("pg", &["databases"][..], true));
        let p = Placement::of("tests/valid/x.yml");
        assert_eq!((p.stem, p.in_catalog), ("x", false));
    }
}
