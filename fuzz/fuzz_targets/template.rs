//! One template string, checked statically and rendered: against the scope of an action of
//! `catalog/databases/postgresql-standard.yaml` (its third action, so earlier outputs, the
//! current action and later ones all exist) and a context with every scope filled.
//!
//! Checks: neither phase panics or runs away (fuel, recursion limit; libFuzzer's `-timeout`
//! catches a hang); every range either phase reports slices the template; a render is
//! deterministic; a string without template syntax renders to itself.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pao_vars::{Engine, ListKind, RenderContext, ScopeInfo};
use serde_json::json;

struct Fixture {
    engine: Engine,
    scope: ScopeInfo,
    context: RenderContext,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let engine = Engine::new(["AWS_REGION"]);
    let item = pao_fuzz::postgres_item();
    let scope = pao_vars::action_scope(&engine, &item, ListKind::Automated, 2);
    let fields = json!({
        "instanceName": "orders-db", "environment": "production", "engineVersion": "16",
        "instanceClass": "db.t4g.medium", "allocatedStorageGb": 50, "multiAz": false,
        "backupRetentionDays": 7, "extensions": ["pgcrypto", "postgis"], "enableEncryption": true,
        "encryptionKey": "example-key",
        // Masked, as in every dry run: the real value never reaches the context.
        "masterPassword": pao_vars::MASK,
    });
    let context = RenderContext {
        fields: fields.as_object().cloned().unwrap_or_default(),
        metadata: serde_json::to_value(&item.metadata).unwrap_or_default(),
        request: json!({
            "id": "req-0042", "correlationId": "corr-7f3a", "resource": "orders-db",
            "timestamp": "2026-11-22T10:00:00Z",
            "user": { "id": "alice", "email": "alice@acme.example", "teams": ["dba"] },
        }),
        environment: [("AWS_REGION".to_owned(), "eu-west-1".to_owned())].into(),
        outputs: [(
            "create_db".to_owned(),
            json!({ "instanceArn": "arn:aws:rds:x", "endpoint": "db.internal", "port": 5432 })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )]
        .into(),
        ..RenderContext::default()
    };
    Fixture { engine, scope, context }
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fixture = &*FIXTURE;
    for problem in pao_vars::check_template(&fixture.engine, &text, &fixture.scope) {
        pao_fuzz::assert_range(&text, &problem.range, "template problem");
        assert!(!problem.message.is_empty(), "a problem without a message");
    }
    let first = fixture.engine.render_str(&text, &fixture.context);
    let second = fixture.engine.render_str(&text, &fixture.context);
    assert_eq!(first, second, "a deterministic render differs between two runs");
    match first {
        Ok(value) => {
            if !Engine::is_template(&text) {
                assert_eq!(value, serde_json::Value::String(text.to_string()), "a literal changed");
            }
        }
        Err(error) => {
            assert!(!error.message.is_empty(), "a render error without a message");
            if let Some(range) = &error.range {
                pao_fuzz::assert_range(&text, range, "render error");
            }
        }
    }
});
