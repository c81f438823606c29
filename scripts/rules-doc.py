"""Prints docs/rules.md from `pao-lint rules --format json` (build pao_cli first)."""
import json, os, subprocess, sys
rules = json.loads(subprocess.check_output([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "debug", "pao-lint"), "rules", "--format", "json"]))
TITLES = {
    "yaml": ("PAO1xx", "YAML and files", "The file itself: readable UTF-8 text, well-formed YAML, one mapping document."),
    "schema": ("PAO2xx", "Schema", "The document against the JSON Schemas in `schema/` (generated from the catalog types)."),
    "naming": ("PAO3xx", "Naming and placement", "Identifiers, file names, directories and versions."),
    "templates": ("PAO4xx", "Templates", "Template syntax and the variables templates refer to (SPEC section 4)."),
    "form": ("PAO5xx", "Form", "Consistency of `presentation.form`: conditionals, defaults, options, validation."),
    "lifecycle-and-ownership": ("PAO6xx", "Lifecycle, ownership and fulfilment", "Deprecation plans, CODEOWNERS, and the fulfilment strategy against the action lists."),
    "bundles": ("PAO7xx", "Bundles", "Bundle components: the items they request, version ranges, the fields they set."),
    "changes": ("PAO8xx", "Changes (`--changed-since`)", "Run only with `--changed-since <rev>`: version bumps and breaking changes against a Git revision."),
}
out = []
w = out.append
w("# pao-lint rules\n")
w("Every diagnostic carries a stable code: `PAO` and three digits, the hundreds naming the family. "
  "Codes are never reused. `pao-lint rules` prints this list, `pao-lint rule <CODE>` (or the rule's name) "
  "prints one rule's documentation: what it flags, why, and an example with its fix.\n")
w("This page is generated from `pao-lint rules --format json` (see the end of the page); "
  "edit the rule declarations in `crates/pao_lint/src/rules/`, not this table.\n")
families = []
for r in rules:
    if r["family"] not in families:
        families.append(r["family"])
for fam in families:
    prefix, title, blurb = TITLES.get(fam, (fam, fam, ""))
    w(f"## {prefix} {title}\n")
    if blurb:
        w(blurb + "\n")
    w("| code | name | default | summary |")
    w("| --- | --- | --- | --- |")
    for r in rules:
        if r["family"] == fam:
            summary = r["summary"].replace("|", "\\|")
            w(f"| {r['code']} | `{r['name']}` | {r['severity']} | {summary} |")
    w("")
w("""## Configuring rule levels

Each rule has a default severity (above). A repository changes it in `pao.toml` at its root
(or the file given with `--config`), in `[lint.rules]`: the key is a rule code or a rule name,
the value `"error"`, `"warning"` or `"off"`. A warning is printed but does not make pao-lint exit
with status 1; a rule that is `off` does not run at all. A key that names no rule, or a level
other than these three, is a configuration error (exit status 2), so a typo never silently
disables a check. `[lint] exclude` takes glob patterns of files not to lint at all.

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
cargo build -p pao_cli
python3 scripts/rules-doc.py > docs/rules.md
```
""")
sys.stdout.write("\n".join(out))
