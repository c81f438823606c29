//! `docs/rules.md`, generated from the registry: one table per family, then how rule levels are
//! configured. `tests/rules_page.rs` fails when the committed page differs, and rewrites it with
//! `PAO_UPDATE_DOCS=1`.

use crate::codes::RULES;

/// Heading, title and introduction of each family, in code order.
const FAMILIES: &[(&str, &str, &str, &str)] = &[
    (
        "yaml",
        "PAO1xx",
        "YAML and files",
        "The file itself: readable UTF-8 text, well-formed YAML, one mapping document.",
    ),
    (
        "schema",
        "PAO2xx",
        "Schema",
        "The document against the JSON Schemas in `schema/` (generated from the catalog types).",
    ),
    ("naming", "PAO3xx", "Naming and placement", "Identifiers, file names, directories and versions."),
    ("templates", "PAO4xx", "Templates", "Template syntax and the variables templates refer to (SPEC section 4)."),
    (
        "form",
        "PAO5xx",
        "Form",
        "Consistency of `presentation.form`: conditionals, defaults, options, validation. Whether a value \
         (a default, a conditional's value) is valid for a field is decided by request validation itself \
         (`pao_form`), so lint and `pao form validate` never disagree.",
    ),
    (
        "lifecycle-and-ownership",
        "PAO6xx",
        "Lifecycle, ownership and fulfilment",
        "Deprecation plans, CODEOWNERS, and the fulfilment strategy against the action lists.",
    ),
    ("bundles", "PAO7xx", "Bundles", "Bundle components: the items they request, version ranges, the fields they set."),
    (
        "changes",
        "PAO8xx",
        "Changes (`--changed-since`)",
        "Run only with `--changed-since <rev>`: version bumps and breaking changes against a Git revision.",
    ),
    (
        "suppressions",
        "PAO9xx",
        "Suppression comments",
        "The `# pao-lint: disable` comments themselves (see [suppressions](suppressions.md)): a missing \
         reason, a passed `until` date, a code that suppresses nothing, a comment that cannot be read. \
         These findings cannot be suppressed.",
    ),
];

const INTRO: &str = "# pao-lint rules

Every diagnostic carries a stable code: `PAO` and three digits, the hundreds naming the family. \
Codes are never reused. `pao-lint rules` prints this list, `pao-lint rule <CODE>` (or the rule's \
name) prints one rule's documentation: what it flags, why, and an example with its fix.

This page is generated from the rule declarations in `crates/pao_lint/src/rules/` (see the end of \
the page); edit those, not this table.
";

const CONFIGURING: &str = r#"## Configuring rule levels

Each rule has a default severity (above). A repository changes it in `pao.toml` at its root
(or the file given with `--config`), in `[lint.rules]`: the key is a rule code or a rule name,
the value `"error"`, `"warning"` or `"off"`. A warning is printed but does not make pao-lint exit
with status 1; a rule that is `off` does not run at all. A key that names no rule, or a level
other than these three, is a configuration error (exit status 2), so a typo never silently
disables a check. `[lint] exclude` takes glob patterns of files not to lint at all.

The served catalog (`pao_git`, the REST API) applies the same levels to each revision's own
`pao.toml`: a document is left out exactly when it has an error-level diagnostic, so a rule turned
off never excludes one. Two exceptions, because the catalog cannot serve such a document at all: a
document that does not fit the catalog types, and a second document with an id already served.

```toml
[lint]
exclude = ["catalog/experimental/**"]

[lint.rules]
PAO508 = "error"                  # validation keys that do not apply are errors here
deprecated-item-in-use = "off"    # by name: PAO605
PAO705 = "warning"
```

## Regenerating this page

```sh
PAO_UPDATE_DOCS=1 cargo test -p pao_lint --test rules_page
```

Without `PAO_UPDATE_DOCS` the same test fails when this page is out of date.
"#;

/// The Markdown of `docs/rules.md`.
pub fn rules_page() -> String {
    let mut out = String::from(INTRO);
    for (family, prefix, title, blurb) in FAMILIES {
        out.push_str(&format!("\n## {prefix} {title}\n\n{blurb}\n\n"));
        out.push_str("| code | name | default | summary |\n| --- | --- | --- | --- |\n");
        for rule in RULES.iter().filter(|r| r.family() == *family) {
            let summary = rule.summary.replace('|', "\\|");
            out.push_str(&format!(
                "| {} | `{}` | {} | {summary} |\n",
                rule.code,
                rule.name,
                rule.default_severity.as_str()
            ));
        }
    }
    out.push('\n');
    out.push_str(CONFIGURING);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_family_has_a_heading() {
        for rule in crate::codes::RULES {
            assert!(super::FAMILIES.iter().any(|f| f.0 == rule.family()), "{} has no family heading", rule.code);
        }
    }
}
