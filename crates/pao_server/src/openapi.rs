//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, built from the route table and the
//! types the handlers answer with (schemars, JSON Schema 2020-12, the dialect of OpenAPI 3.1).

use axum::Json;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::http::{PREFIX, routes};

/// The document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let mut paths: Map<String, Value> = Map::new();
    for (doc, _) in routes() {
        let mut operation = Map::new();
        operation.insert("summary".into(), doc.summary.into());
        operation.insert("operationId".into(), format!("{} {}", doc.method, doc.path).into());
        let params: Vec<Value> = doc
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            operation.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = doc.body {
            let schema = body(&mut generator);
            operation.insert(
                "requestBody".into(),
                json!({ "required": !doc.path.contains("{id}"), "content": { "application/json": { "schema": schema } } }),
            );
        }
        let content_type = if doc.text { "text/plain" } else { "application/json" };
        let success = (doc.response)(&mut generator);
        let mut responses = Map::new();
        responses.insert(
            doc.status.as_u16().to_string(),
            json!({ "description": "success", "content": { content_type: { "schema": success } } }),
        );
        responses.insert(
            "default".into(),
            json!({ "description": "the error envelope", "content": { "application/json": { "schema": error } } }),
        );
        operation.insert("responses".into(), Value::Object(responses));
        if !doc.public {
            operation.insert("security".into(), json!([{ "bearer": [] }, { "gateway": [] }]));
        }
        let path = format!("{PREFIX}{}", doc.path);
        let entry = paths.entry(path).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(doc.method.as_str().to_lowercase(), Value::Object(operation));
        }
    }
    let mut schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "additionalProperties": false,
            "properties": { "error": {
                "type": "object",
                "required": ["code", "message", "details", "correlationId"],
                "additionalProperties": false,
                "properties": {
                    "code": { "type": "string" },
                    "message": { "type": "string" },
                    "details": {},
                    "correlationId": { "type": "string" }
                }
            } }
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": { "title": "PAO REST API", "version": env!("CARGO_PKG_VERSION") },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "a token of [[auth.tokens]] (stored as SHA-256)" },
                "gateway": { "type": "apiKey", "in": "header", "name": "X-Pao-User", "description": "identity headers of [auth.gateway], from trusted proxies only" }
            }
        }
    })
}

/// `GET /openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}
