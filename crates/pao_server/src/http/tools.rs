//! The platform-team tools: validate values or a catalog document, preview a form, test an
//! item's variable substitution. The same libraries as `pao form` and `pao vars` (pao_form,
//! pao_vars) and `pao-lint` (pao_lint), so the API and the command line agree.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use pao_schema::CatalogDocument;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::Identity;
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::http::catalog::{item_id, snapshot};

/// Which document a tool works on: a catalog item by id (and version), or a document posted
/// as YAML or JSON text.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolBody {
    /// Catalog item id (with `version`), or...
    #[serde(default)]
    pub item: Option<String>,
    /// ... an item version (default: the current one).
    #[serde(default)]
    pub version: Option<String>,
    /// ... the text of a catalog document (YAML or JSON).
    #[serde(default)]
    pub document: Option<String>,
    /// Form values.
    #[serde(default)]
    pub values: Map<String, Value>,
    /// Request context for `/test/variables` (`id`, `correlationId`, `timestamp`, `resource`, `user`).
    #[serde(default)]
    pub request: Map<String, Value>,
    /// Stubbed outputs of earlier actions for `/test/variables`: action id → name → value.
    #[serde(default)]
    pub outputs: Map<String, Value>,
}

/// `POST /validate/catalog-item` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintBody {
    /// Where the file would live, e.g. `catalog/databases/pgsql.yaml` (rules check the path).
    pub path: String,
    /// The file's text.
    pub content: String,
}

/// The document a tool body names.
async fn document(ctx: &ApiContext, body: &ToolBody) -> Result<CatalogDocument, ApiError> {
    match (&body.item, &body.document) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "invalid_body",
            "give either `item` (a catalog item id) or `document` (its text), not both",
        )),
        (None, None) => Err(ApiError::bad_request(
            "invalid_body",
            "give `item` (a catalog item id, optionally with `version`) or `document` (the text of a catalog document)",
        )),
        (None, Some(text)) => pao_form::parse_document(text.as_bytes())
            .map_err(|err| ApiError::new(pao_git::ErrorKind::Unprocessable, "invalid_document", err.to_string())),
        (Some(id), None) => {
            let id = item_id(id)?;
            let snapshot = snapshot(ctx)?;
            match (&body.version, snapshot.catalog.entry(id.as_str())) {
                (None, Some(entry)) => Ok(entry.document.clone()),
                (version, _) => {
                    let reader = std::sync::Arc::clone(ctx.catalog().reader());
                    let version = version.clone();
                    let (item, _) = tokio::task::spawn_blocking(move || {
                        reader.item_at(&snapshot.commit, id.as_str(), version.as_deref())
                    })
                    .await??;
                    Ok(CatalogDocument::Item(Box::new(item)))
                }
            }
        }
    }
}

/// `POST /validate/request`: checks values against the item's form, as `pao form validate`
/// does. Always 200 with `valid` and the field errors; password values are never echoed.
pub async fn validate_request(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiJson(body): ApiJson<ToolBody>,
) -> Result<Json<Value>, ApiError> {
    let document = document(&ctx, &body).await?;
    let description = pao_form::FormDescription::from_document(&document);
    let outcome = pao_form::Validator::from_description(&description).validate(&body.values);
    Ok(Json(json!({ "valid": outcome.valid, "errors": outcome.errors, "hidden": outcome.hidden })))
}

/// `POST /validate/catalog-item`: lints one catalog document with the rules of `pao-lint`
/// (the configuration in force applies); the report is `pao-lint --format json`'s.
pub async fn validate_catalog_item(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiJson(body): ApiJson<LintBody>,
) -> Result<Json<Value>, ApiError> {
    let path = body.path.trim_start_matches("./").to_owned();
    let safe = !path.is_empty()
        && path.len() <= 512
        && !path.starts_with('/')
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    if !safe {
        return Err(ApiError::bad_request(
            "invalid_path",
            "`path` must be a relative path inside the repository without `..`, such as catalog/databases/pgsql.yaml",
        ));
    }
    let config = ctx.config().clone();
    let snapshot = snapshot(&ctx)?;
    let git_dir = ctx.catalog().reader().git_dir().to_owned();
    let report = tokio::task::spawn_blocking(move || {
        let codeowners = codeowners_at(&git_dir, &snapshot.commit);
        let linter = pao_lint::Linter::new(&config).map_err(ApiError::internal)?;
        Ok::<_, ApiError>(
            linter
                .lint_sources(vec![pao_lint::SourceInput { path, bytes: body.content.into_bytes() }], codeowners)
                .report,
        )
    })
    .await??;
    let mut out = pao_diagnostics::render::to_json(&report);
    if let Value::Object(map) = &mut out {
        map.insert("valid".into(), Value::Bool(!report.has_errors()));
    }
    Ok(Json(out))
}

/// The CODEOWNERS text of the catalog repository at `commit`, when it has one (ownership rules
/// check a posted document against the repository it would join).
fn codeowners_at(git_dir: &std::path::Path, commit: &str) -> Option<pao_lint::SourceInput> {
    let repo = git2::Repository::open(git_dir).ok()?;
    let tree = repo.find_commit(git2::Oid::from_str(commit).ok()?).ok()?.tree().ok()?;
    pao_git::CODEOWNERS_PATHS.iter().find_map(|path| {
        let entry = tree.get_path(std::path::Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        (blob.size() <= 1 << 20)
            .then(|| pao_lint::SourceInput { path: (*path).to_owned(), bytes: blob.content().to_vec() })
    })
}

/// `POST /preview/form`: the form description and the self-contained HTML preview page,
/// optionally filled with `values` (passwords masked).
pub async fn preview_form(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiJson(body): ApiJson<ToolBody>,
) -> Result<Json<Value>, ApiError> {
    let document = document(&ctx, &body).await?;
    let description = pao_form::FormDescription::from_document(&document);
    let values = (!body.values.is_empty()).then_some(&body.values);
    let html = pao_form::render_html(&description, values);
    Ok(Json(json!({ "description": description, "html": html })))
}

/// `POST /test/variables`: renders every action of the item with the values (secrets and
/// passwords masked), as `pao vars render` prints it; 422 with every failing template.
pub async fn test_variables(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiJson(body): ApiJson<ToolBody>,
) -> Result<Json<Value>, ApiError> {
    let document = document(&ctx, &body).await?;
    let outputs = pao_vars::outputs_from_json(&body.outputs)
        .map_err(|message| ApiError::bad_request("invalid_body", format!("outputs: {message}")))?;
    let input = pao_vars::RenderInput {
        values: body.values,
        request: body.request,
        outputs,
        environment: BTreeMap::new(),
        deterministic: true,
        failure: Default::default(),
    };
    let items: BTreeMap<String, pao_schema::CatalogItem> = ctx
        .catalog()
        .snapshot()
        .map(|s| {
            s.catalog
                .entries()
                .filter_map(|e| s.catalog.item(&e.document.metadata().id).cloned())
                .map(|i| (i.metadata.id.clone(), i))
                .collect()
        })
        .unwrap_or_default();
    let engine = pao_vars::Engine::new(ctx.config().templates.environment.iter().cloned());
    match pao_vars::render_document(&engine, &document, &items, &input) {
        Ok(rendered) => Ok(Json(rendered)),
        Err(failure) => Err(ApiError::new(
            pao_git::ErrorKind::Unprocessable,
            "render_failed",
            format!("the templates cannot be rendered with these inputs: {failure}"),
        )
        .with_details(json!({ "errors": failure.errors.iter().map(ToString::to_string).collect::<Vec<_>>() }))),
    }
}
