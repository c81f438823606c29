//! PAO40x: templates in action configs and bundle components — syntax and every reference,
//! checked statically by `pao_vars`'s resolve phase, without rendering anything.

use pao_schema::CatalogDocument;
use pao_source::Node;
use pao_vars::{Engine, ItemLookup, TemplateProblemKind, check_document};

use crate::checker::Checker;
use crate::declare_rule;
use crate::registry::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a template that is not valid MiniJinja: an unclosed `{{`, a stray `{% endif %}`,
    /// or a construct PAO does not allow (`{% include %}`, `{% import %}`, macros).
    ///
    /// ## Why is this bad?
    /// The action cannot be rendered, so every request for the item would fail.
    ///
    /// ## Example
    /// ```yaml
    /// url: "https://api/{{ fields.instanceName }"
    /// ```
    ///
    /// Use instead: `url: "https://api/{{ fields.instanceName }}"`.
    pub(crate) static TEMPLATE_SYNTAX = ("PAO401", "template-syntax-error", Error, "A template does not parse");
}

declare_rule! {
    /// ## What it does
    /// Flags a reference to a scope that does not exist. The scopes are `fields`, `metadata`,
    /// `request`, `system`, `environment`, `outputs` and `secrets`.
    ///
    /// ## Why is this bad?
    /// Rendering would fail (undefined values are errors, never empty strings).
    ///
    /// ## Example
    /// `{{ field.instanceName }}`.
    ///
    /// Use instead: `{{ fields.instanceName }}`.
    pub(crate) static UNKNOWN_SCOPE = ("PAO402", "unknown-template-scope", Error, "A template reads an unknown scope");
}

declare_rule! {
    /// ## What it does
    /// Flags `fields.<id>` where the item's form has no field `<id>` (for bundles: the bundle's
    /// own form).
    ///
    /// ## Why is this bad?
    /// Usually a typo or a field renamed in the form but not in the action.
    ///
    /// ## Example
    /// `{{ fields.instanceNme }}`.
    ///
    /// Use instead: `{{ fields.instanceName }}`.
    pub(crate) static UNKNOWN_FIELD = ("PAO403", "unknown-field-reference", Error, "A template reads a field the form does not define");
}

declare_rule! {
    /// ## What it does
    /// Flags `outputs.<action>.<name>` where no earlier action of the same list has that id, or
    /// that action does not produce that output (a `rest-api` action declares its `outputs`).
    ///
    /// ## Why is this bad?
    /// The value will not exist when the action runs.
    ///
    /// ## Example
    /// `{{ outputs.create_db.endpont }}` when `create_db` declares `endpoint`.
    ///
    /// Use instead: `{{ outputs.create_db.endpoint }}`.
    pub(crate) static UNKNOWN_OUTPUT = ("PAO404", "unknown-output-reference", Error, "A template reads an output no earlier action produces");
}

declare_rule! {
    /// ## What it does
    /// Flags `outputs.<action>` of an action that runs later (or is the same action).
    ///
    /// ## Why is this bad?
    /// Actions run in order; a later action's outputs do not exist yet.
    ///
    /// ## Example
    /// The first action reads `outputs.register_dns.fqdn` of the third.
    ///
    /// Use instead: reorder the actions so `register_dns` runs first.
    pub(crate) static LATER_OUTPUT = ("PAO405", "output-of-later-action", Error, "A template reads the output of a later action");
}

declare_rule! {
    /// ## What it does
    /// Flags a function or filter PAO does not provide. Available: `upper`, `lower`, `concat`,
    /// `replace`, `json`, `base64`, `uuid`, `timestamp`, `default`.
    ///
    /// ## Why is this bad?
    /// Rendering would fail.
    ///
    /// ## Example
    /// `{{ fields.name | title }}`.
    ///
    /// Use instead: `{{ fields.name | upper }}`.
    pub(crate) static UNKNOWN_FUNCTION = ("PAO406", "unknown-template-function", Error, "A template calls an unknown function or filter");
}

declare_rule! {
    /// ## What it does
    /// Flags `environment.<NAME>` when `NAME` is not allow-listed in `pao.toml`.
    ///
    /// ## Why is this bad?
    /// Templates must not read arbitrary orchestrator environment variables (credentials live
    /// there); only names the platform team allow-listed are available.
    ///
    /// ## Example
    /// `{{ environment.AWS_SECRET_ACCESS_KEY }}`.
    ///
    /// Use instead: a secret, `{{ secrets.aws_key }}`, or allow-list a harmless name.
    ///
    /// ## Configuration
    /// `[templates] environment = ["AWS_REGION"]` in `pao.toml`.
    pub(crate) static ENVIRONMENT_NOT_ALLOWED = ("PAO407", "environment-not-allowed", Error, "A template reads an environment variable that is not allow-listed");
}

declare_rule! {
    /// ## What it does
    /// Flags `metadata.<key>`, `request.<key>` or `system.<key>` where the scope has no such key.
    ///
    /// ## Why is this bad?
    /// Rendering would fail.
    ///
    /// ## Example
    /// `{{ request.user.mail }}`.
    ///
    /// Use instead: `{{ request.user.email }}`.
    pub(crate) static UNKNOWN_KEY = ("PAO408", "unknown-template-key", Error, "A template reads a key its scope does not have");
}

declare_rule! {
    /// ## What it does
    /// Flags bundle components whose field templates read the outputs of components that come
    /// later, including cycles (`db → dns → app → db`), with the chain.
    ///
    /// ## Why is this bad?
    /// Components are provisioned in order; a cycle can never be provisioned.
    ///
    /// ## Example
    /// Component `db` reads `outputs.app.url` and `app` reads `outputs.db.endpoint`.
    ///
    /// Use instead: break the cycle, and list components in provisioning order.
    pub(crate) static BUNDLE_CYCLE = ("PAO409", "bundle-component-cycle", Error, "Bundle components depend on later components or on each other in a cycle");
}

fn rule_for(kind: TemplateProblemKind) -> &'static Rule {
    match kind {
        TemplateProblemKind::Syntax => &TEMPLATE_SYNTAX,
        TemplateProblemKind::UnknownScope => &UNKNOWN_SCOPE,
        TemplateProblemKind::UnknownField => &UNKNOWN_FIELD,
        TemplateProblemKind::UnknownOutput => &UNKNOWN_OUTPUT,
        TemplateProblemKind::LaterOutput => &LATER_OUTPUT,
        TemplateProblemKind::UnknownFunction => &UNKNOWN_FUNCTION,
        TemplateProblemKind::EnvironmentNotAllowed => &ENVIRONMENT_NOT_ALLOWED,
        TemplateProblemKind::UnknownKey => &UNKNOWN_KEY,
        TemplateProblemKind::BundleCycle => &BUNDLE_CYCLE,
    }
}

const RULES: [&Rule; 9] = [
    &TEMPLATE_SYNTAX,
    &UNKNOWN_SCOPE,
    &UNKNOWN_FIELD,
    &UNKNOWN_OUTPUT,
    &LATER_OUTPUT,
    &UNKNOWN_FUNCTION,
    &ENVIRONMENT_NOT_ALLOWED,
    &UNKNOWN_KEY,
    &BUNDLE_CYCLE,
];

/// Checks every template of a document; `catalog` resolves bundle components' items.
pub(crate) fn check(
    engine: &Engine,
    source: &str,
    root: &Node,
    doc: &CatalogDocument,
    catalog: &dyn ItemLookup,
    file: &str,
    checker: &mut Checker<'_>,
) {
    if !RULES.iter().any(|rule| checker.enabled(rule)) {
        return;
    }
    for problem in check_document(engine, source, root, doc, catalog) {
        let help = problem.help.clone().unwrap_or_else(|| default_help(problem.kind).to_owned());
        checker.report(rule_for(problem.kind), file, problem.range, problem.message, help);
    }
}

fn default_help(kind: TemplateProblemKind) -> &'static str {
    match kind {
        TemplateProblemKind::Syntax => "fix the template syntax; `pao vars render` shows the result",
        TemplateProblemKind::UnknownScope => "use fields, metadata, request, system, environment, outputs or secrets",
        TemplateProblemKind::UnknownField => "use a field id defined in presentation.form",
        TemplateProblemKind::UnknownOutput | TemplateProblemKind::LaterOutput => {
            "read outputs only of earlier actions in the same list, by names they declare"
        }
        TemplateProblemKind::UnknownFunction => {
            "available: upper, lower, concat, replace, json, base64, uuid, timestamp, default"
        }
        TemplateProblemKind::EnvironmentNotAllowed => "allow-list the name in pao.toml [templates] environment",
        TemplateProblemKind::UnknownKey => "see SPEC section 4 for the keys of each scope",
        TemplateProblemKind::BundleCycle => "list components in provisioning order, without cycles",
    }
}
