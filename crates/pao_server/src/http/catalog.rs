//! `/catalog`: the catalog in service, an item's versions and form schema, refresh and the
//! files left out as invalid.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use pao_git::{CatalogEntry, CatalogSnapshot, ItemId};
use pao_schema::{CatalogDocument, LifecycleStatus};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Identity;
use crate::cache::PageKey;
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::model::{CatalogEntryDto, CatalogSummary, RefreshDto, ValidationErrorDto};
use crate::pagination::{Page, paginate};

/// `GET /catalog` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    category: Option<String>,
    q: Option<String>,
    lifecycle: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /catalog/items/{id}` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    version: Option<String>,
}

/// The catalog in service, or 503 before the first load.
pub fn snapshot(ctx: &ApiContext) -> Result<Arc<CatalogSnapshot>, ApiError> {
    ctx.catalog().snapshot().ok_or_else(|| {
        ApiError::unavailable(
            "catalog_not_loaded",
            format!(
                "the catalog has not been loaded yet{}; retry shortly",
                ctx.catalog().last_error().map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            5,
        )
    })
}

/// A valid item id, or 400.
pub fn item_id(id: &str) -> Result<ItemId, ApiError> {
    ItemId::parse(id).map_err(|err| ApiError::bad_request("invalid_name", err.to_string()))
}

fn kind_of(document: &CatalogDocument) -> &'static str {
    match document {
        CatalogDocument::Item(_) => "item",
        CatalogDocument::Bundle(_) => "bundle",
    }
}

fn document_json(document: &CatalogDocument) -> Value {
    let value = match document {
        CatalogDocument::Item(item) => serde_json::to_value(item),
        CatalogDocument::Bundle(bundle) => serde_json::to_value(bundle),
    };
    value.unwrap_or(Value::Null)
}

fn summary(entry: &CatalogEntry) -> CatalogSummary {
    let meta = entry.document.metadata();
    CatalogSummary {
        id: meta.id.clone(),
        kind: kind_of(&entry.document).to_owned(),
        name: meta.name.clone(),
        description: meta.description.clone(),
        version: meta.version.clone(),
        category: meta.category.clone(),
        tags: meta.tags.clone().unwrap_or_default(),
        lifecycle: meta.lifecycle.status,
        owner: meta.owner.team.clone(),
        sla: meta.sla.clone(),
        deprecation: meta.lifecycle.deprecation.clone(),
        path: entry.path.clone(),
    }
}

fn lifecycle(text: &str) -> Result<LifecycleStatus, ApiError> {
    serde_json::from_value(Value::String(text.to_owned())).map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            format!(
                "lifecycle `{}` is not one of experimental, beta, stable, deprecated, retired",
                text.escape_debug()
            ),
        )
    })
}

/// `GET /catalog`: entries by id, filtered by `category`, `lifecycle` and the words of `q`
/// (each must appear, case-insensitively, in the id, name, description or tags). A page is
/// built once per catalog snapshot and query, then answered from its serialised bytes
/// ([`crate::cache::CatalogPages`]).
pub async fn list(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiQuery(query): ApiQuery<CatalogQuery>,
) -> Result<Response, ApiError> {
    let snapshot = snapshot(&ctx)?;
    let key = PageKey {
        category: query.category,
        q: query.q,
        lifecycle: query.lifecycle,
        limit: query.limit,
        cursor: query.cursor,
    };
    if let Some(body) = ctx.catalog_pages().get(&snapshot, &key) {
        return Ok(super::json_bytes(body));
    }
    let page = page(&snapshot, &key)?;
    let body = Bytes::from(serde_json::to_vec(&page).map_err(ApiError::internal)?);
    ctx.catalog_pages().put(&snapshot, key, body.clone());
    Ok(super::json_bytes(body))
}

/// One page of the catalog for the query in `key`.
fn page(snapshot: &CatalogSnapshot, key: &PageKey) -> Result<Page<CatalogSummary>, ApiError> {
    let lifecycle = key.lifecycle.as_deref().map(lifecycle).transpose()?;
    let words: Vec<String> = key.q.as_deref().unwrap_or_default().split_whitespace().map(str::to_lowercase).collect();
    let items: Vec<CatalogSummary> = snapshot
        .catalog
        .entries()
        .map(summary)
        .filter(|s| key.category.as_ref().is_none_or(|c| *c == s.category))
        .filter(|s| lifecycle.is_none_or(|l| l == s.lifecycle))
        .filter(|s| {
            words.iter().all(|word| {
                s.id.to_lowercase().contains(word)
                    || s.name.to_lowercase().contains(word)
                    || s.description.to_lowercase().contains(word)
                    || s.tags.iter().any(|t| t.to_lowercase().contains(word))
            })
        })
        .collect();
    paginate(items, "catalog", key.cursor.as_deref(), key.limit, |s| s.id.clone(), |a, b| a > b)
}

/// The entry at the default version (the current one when it is a stable release, else the
/// highest stable release in history) or at `version`.
async fn entry(ctx: &ApiContext, id: &str, version: Option<String>) -> Result<CatalogEntryDto, ApiError> {
    let id = item_id(id)?;
    let snapshot = snapshot(ctx)?;
    let current = snapshot.catalog.entry(id.as_str()).cloned();
    let reader = Arc::clone(ctx.catalog().reader());
    let commit = snapshot.commit.clone();
    let stable = current.as_ref().is_some_and(|e| {
        let meta = e.document.metadata();
        meta.lifecycle.status != LifecycleStatus::Experimental
            && meta.lifecycle.status != LifecycleStatus::Beta
            && !meta.version.contains('-')
    });
    if let Some(entry) = &current
        && (version.as_deref() == Some(entry.document.metadata().version.as_str())
            || (version.is_none() && (stable || matches!(entry.document, CatalogDocument::Bundle(_)))))
    {
        return Ok(CatalogEntryDto {
            kind: kind_of(&entry.document).to_owned(),
            item: document_json(&entry.document),
            path: entry.path.clone(),
            commit,
        });
    }
    let item = id.to_string();
    let (found, at) = tokio::task::spawn_blocking(move || {
        let version = match version {
            Some(v) => Some(v),
            None => reader.versions(&commit, &item)?.default,
        };
        reader.item_at(&commit, &item, version.as_deref())
    })
    .await??;
    let path = current.map(|e| e.path).unwrap_or_default();
    Ok(CatalogEntryDto {
        kind: "item".to_owned(),
        item: serde_json::to_value(&found).unwrap_or(Value::Null),
        path,
        commit: at,
    })
}

/// `GET /catalog/items/{id}`.
pub async fn get(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> Result<Json<CatalogEntryDto>, ApiError> {
    Ok(Json(entry(&ctx, &id, query.version).await?))
}

/// `GET /catalog/items/{id}/schema`: the form description every UI renders.
pub async fn schema(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> Result<Json<Value>, ApiError> {
    let entry = entry(&ctx, &id, query.version).await?;
    let document = CatalogDocument::from_value(entry.item).map_err(ApiError::internal)?;
    let description = pao_form::FormDescription::from_document(&document);
    Ok(Json(serde_json::to_value(description).map_err(ApiError::internal)?))
}

/// `GET /catalog/items/{id}/versions`: every version in history and the default one.
pub async fn versions(
    State(ctx): State<ApiContext>,
    _who: Identity,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = item_id(&id)?;
    let snapshot = snapshot(&ctx)?;
    let reader = Arc::clone(ctx.catalog().reader());
    let versions = tokio::task::spawn_blocking(move || reader.versions(&snapshot.commit, id.as_str())).await??;
    Ok(Json(serde_json::to_value(versions).map_err(ApiError::internal)?))
}

/// `POST /catalog/refresh`: reload from the revision's current commit.
pub async fn refresh(State(ctx): State<ApiContext>, _who: Identity) -> Result<Json<RefreshDto>, ApiError> {
    let done = ctx
        .refresh_catalog("POST /catalog/refresh")
        .await
        .map_err(|err| ApiError::unavailable("catalog_unavailable", err, 5))?;
    Ok(Json(RefreshDto {
        commit: done.commit,
        changed: done.changed,
        items: done.items,
        validation_errors: done.validation_errors,
        cache_hit: done.cache_hit,
    }))
}

/// `GET /catalog/validation-errors`: the files left out of the catalog and why.
pub async fn validation_errors(
    State(ctx): State<ApiContext>,
    _who: Identity,
) -> Result<Json<Page<ValidationErrorDto>>, ApiError> {
    let snapshot = snapshot(&ctx)?;
    let data: Vec<ValidationErrorDto> = snapshot.validation_errors().iter().map(Into::into).collect();
    Ok(Json(Page { data, pagination: crate::pagination::Pagination { has_more: false, next_cursor: None } }))
}
