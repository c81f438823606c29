//! The HTML preview in a real browser (headless Chromium): the page's verdicts must equal the
//! Rust validator's, catalog text must never execute, and the PostgreSQL page is screenshotted to
//! `target/form-preview/` for people to look at.
//!
//! Without Chromium these tests print why and pass, unless `CI` is set: there `.ci/run` installs
//! Chromium, so its absence is a failure.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pao_form::{FormDescription, Validator, parse_document, render_html};
use pao_testutil::workspace_root;
use serde_json::{Map, Value, json};

/// The Chromium binary, or `None` (after saying why) when the tests should be skipped.
fn chromium() -> Option<PathBuf> {
    let candidates = [std::env::var_os("PAO_CHROMIUM").map(PathBuf::from), Some(PathBuf::from("/usr/bin/chromium"))];
    if let Some(found) = candidates.into_iter().flatten().find(|path| path.exists()) {
        return Some(found);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)"
    );
    eprintln!("SKIPPED: browser test needs Chromium at /usr/bin/chromium (apt-get install -y chromium); CI unset");
    None
}

/// Runs headless Chromium with a fresh profile and the given extra arguments; returns stdout.
fn run_chromium(chromium: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let stderr = child.stderr.take().expect("stderr");
    let err_reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            let out = reader.join().expect("stdout reader");
            let err = err_reader.join().expect("stderr reader");
            assert!(status.success(), "chromium failed ({status}): {err}");
            return out;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn load(relative: &str) -> FormDescription {
    let path = if relative.starts_with("fixtures/") {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(relative)
    } else {
        workspace_root().join(relative)
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    FormDescription::from_document(&parse_document(&bytes).expect("catalog document"))
}

fn write_page(dir: &Path, name: &str, html: &str) -> PathBuf {
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, html).expect("write page");
    path
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' | b'-' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|c| c.is_ascii_alphanumeric() || b"+/-_".contains(c)).collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &c)| acc | (value(c) << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push(((n >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    out
}

/// Loads the page with `#values=` and returns the verdicts its script wrote into the DOM.
fn page_verdicts(chromium: &Path, page: &Path, values: &Value) -> Value {
    page_verdicts_with(chromium, page, values, "")
}

/// As [`page_verdicts`], with more fragment parameters (`&typed=1`).
fn page_verdicts_with(chromium: &Path, page: &Path, values: &Value, extra: &str) -> Value {
    let url = format!("file://{}#values={}{extra}", page.display(), base64url(values.to_string().as_bytes()));
    let dom = run_chromium(chromium, &["--dump-dom".to_owned(), url]);
    let start = dom.find("<pre id=\"pao-verdicts\"").unwrap_or_else(|| panic!("no verdicts element in:\n{dom}"));
    let body = &dom[start..];
    let open = body.find('>').expect("tag end") + 1;
    let close = body.find("</pre>").expect("pre end");
    let encoded = &body[open..close];
    assert!(!encoded.is_empty(), "the page's script wrote no verdicts:\n{dom}");
    let verdicts: Value = serde_json::from_slice(&base64_decode(encoded)).expect("verdicts JSON");
    assert!(verdicts.get("failure").is_none(), "page script failed: {}", verdicts["failure"]);
    verdicts
}

/// JSON equality with numbers compared as numbers (JavaScript has no `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().expect("values are an object").clone()
}

/// Checks one set of values in the page and in Rust; returns the page's verdicts.
fn compare(chromium: &Path, page: &Path, validator: &Validator, values: &Value) -> Value {
    let verdicts = page_verdicts(chromium, page, values);
    let rust = serde_json::to_value(validator.validate(&object(values))).expect("outcome JSON");
    assert!(
        same(&verdicts["raw"], &rust),
        "page and library disagree on {values}\npage: {:#}\nrust: {rust:#}",
        verdicts["raw"]
    );
    // What the page would submit, read back from its inputs, gets the same verdict from Rust.
    let submitted = serde_json::to_value(validator.validate(&object(&verdicts["domValues"]))).expect("outcome JSON");
    assert!(
        same(&verdicts["dom"], &submitted),
        "page and library disagree on the page's own submission {}\npage: {:#}\nrust: {submitted:#}",
        verdicts["domValues"],
        verdicts["dom"]
    );
    verdicts
}

fn messages(outcome: &Value) -> Vec<String> {
    outcome["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| format!("{}: {}", e["field"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
        .collect()
}

#[test]
fn page_and_library_agree() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: Vec<(&str, Vec<Value>)> = vec![
        (
            "catalog/databases/postgresql-standard.yaml",
            vec![
                json!({}),
                json!({ "instanceName": "orders-db" }),
                json!({ "instanceName": "Orders DB", "allocatedStorageGb": 55, "backupRetentionDays": 40 }),
                json!({ "instanceName": "orders-db", "enableEncryption": false, "encryptionKey": "arn:bad" }),
                json!({ "instanceName": "orders-db", "encryptionKey": "arn:bad", "masterPassword": "short" }),
                json!({ "instanceName": "orders-db", "engineVersion": 16, "extensions": ["pgvector", "postgis"],
                        "allocatedStorageGb": 100.0, "masterPassword": "a-very-long-password" }),
                json!({ "instanceName": "orders-db", "extensions": ["nope"], "environment": "qa", "bogus": 1 }),
                json!({ "instanceName": 42, "multiAz": "yes", "allocatedStorageGb": 20.5, "extensions": "pgvector" }),
            ],
        ),
        (
            "fixtures/all-types.yaml",
            vec![
                json!({ "name": "ok-name", "tier": "gold" }),
                json!({ "name": "x", "code": "١٢٣٤-abc", "notes": "ünïcödé 日本語 🚀🚀", "secret": "1234567" }),
                json!({ "name": "ok-name", "tier": "gold", "code": "1234-ab_c", "notes": "🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀" }),
                json!({ "name": "ok-name", "tier": "gold", "storage": 35, "ratio": 0.30000000000000004, "offset": 8 }),
                json!({ "name": "ok-name", "tier": "gold", "storage": 110, "ratio": 0.7, "offset": 9, "replicas": 0 }),
                json!({ "name": "ok-name", "tier": "gold", "zones": [], "ports": [443, "80"], "start": "2026-02-29" }),
                json!({ "name": "ok-name", "tier": "gold", "zones": ["a", "b", "c"], "start": "2025-12-31" }),
                json!({ "name": "ok-name", "tier": "gold", "zones": ["a", "a"], "ports": [81], "start": "2028-02-29" }),
                json!({ "name": "ok-name", "tier": "platinum", "version": 15, "enabled": false, "start": "2026-06-01" }),
            ],
        ),
        (
            "fixtures/conditional-chain.yaml",
            vec![
                json!({}),
                json!({ "useCache": true }),
                json!({ "useCache": true, "cacheEngine": "redis" }),
                json!({ "useCache": true, "cacheEngine": "valkey", "redisVersion": "7.2", "clusterMode": true }),
                json!({ "useCache": true, "cacheEngine": "memcached", "redisVersion": "7.2", "clusterMode": true }),
                json!({ "useCache": false, "cacheEngine": "redis", "redisVersion": "7.2" }),
                json!({ "environment": "production" }),
                json!({ "environment": "staging", "costCenter": "CC-1", "ttlDays": 3 }),
                json!({ "environment": "dev", "ttlDays": 3, "comment": "hi", "reason": "because" }),
                json!({ "environment": "dev", "ttlDays": 3, "reason": "no comment" }),
            ],
        ),
        (
            "fixtures/duplicate-ids.yaml",
            vec![
                json!({}),
                json!({ "replicas": 60 }),
                json!({ "replicas": 7, "enableAqtoscaling": false, "token": "label" }),
            ],
        ),
    ];
    for (item, value_sets) in cases {
        let description = load(item);
        let validator = Validator::from_description(&description);
        let page = write_page(dir.path(), &description.catalog_item_id, &render_html(&description, None));
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                value_sets.iter().map(|values| scope.spawn(|| compare(&chromium, &page, &validator, values))).collect();
            for handle in handles {
                handle.join().expect("comparison thread");
            }
        });
    }
}

#[test]
fn conditional_fields_show_and_hide_live() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let description = load("fixtures/conditional-chain.yaml");
    let validator = Validator::from_description(&description);
    let page = write_page(dir.path(), "chain", &render_html(&description, None));

    let verdicts = compare(&chromium, &page, &validator, &json!({}));
    assert_eq!(verdicts["shown"], json!(["useCache", "environment", "ttlDays", "comment", "reason"]));
    assert_eq!(messages(&verdicts["dom"]), ["ttlDays: TTL (days) is required"]);

    let verdicts = compare(&chromium, &page, &validator, &json!({ "useCache": true, "cacheEngine": "redis" }));
    assert_eq!(
        verdicts["shown"],
        json!(["useCache", "cacheEngine", "redisVersion", "environment", "ttlDays", "comment", "reason"])
    );
    assert_eq!(
        verdicts["shownErrors"],
        json!(["redisVersion: Redis Version is required", "ttlDays: TTL (days) is required"])
    );
    assert_eq!(verdicts["invalidInputs"], json!(["in-redisVersion", "in-ttlDays"]));

    // Switching the first link off hides the whole chain; the stale values are not submitted.
    let verdicts = compare(
        &chromium,
        &page,
        &validator,
        &json!({ "useCache": false, "cacheEngine": "redis", "redisVersion": "7", "clusterMode": true, "ttlDays": 1 }),
    );
    assert_eq!(verdicts["shown"], json!(["useCache", "environment", "ttlDays", "comment", "reason"]));
    assert_eq!(verdicts["submission"], json!({ "useCache": false, "environment": "dev", "ttlDays": 1 }));
    assert_eq!(verdicts["dom"]["valid"], json!(true));
    // ... while the same values sent straight to the library are rejected (see docs/forms.md).
    assert_eq!(
        messages(&verdicts["raw"]),
        [
            "cacheEngine: Cache Engine is hidden because Use Cache is not true; remove this value",
            "redisVersion: Redis Version is hidden because Cache Engine is hidden; remove this value",
            "clusterMode: Cluster Mode is hidden because Redis Version is hidden; remove this value",
        ]
    );
}

#[test]
fn errors_show_as_the_user_types() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let description = load("fixtures/all-types.yaml");
    let page = write_page(dir.path(), "types", &render_html(&description, None));
    // Typing: only the fields typed into show errors; the summary counts every problem.
    let typed = json!({ "name": "x", "storage": 25 });
    let verdicts = page_verdicts_with(&chromium, &page, &typed, "&typed=1");
    assert_eq!(
        verdicts["shownErrors"],
        json!(["name: 3-20 lowercase letters, digits, hyphens", "storage: 20 to 100 in steps of 10"])
    );
    assert_eq!(verdicts["invalidInputs"], json!(["in-name", "in-storage"]));
    assert_eq!(verdicts["status"], "3 fields need attention: Name, Storage, Tier");
    // Pressing "Check request": every error shows and focus moves to the first invalid field.
    let verdicts = page_verdicts(&chromium, &page, &typed);
    assert_eq!(verdicts["shownErrors"].as_array().expect("errors").len(), 3);
    assert_eq!(verdicts["focused"], "in-name");
    let verdicts = page_verdicts(&chromium, &page, &json!({ "name": "good-name", "tier": "gold" }));
    assert_eq!(verdicts["status"], "Ready to submit: every visible field is valid.");
    assert_eq!(verdicts["shownErrors"], json!([]));
}

#[test]
fn passwords_are_masked_and_values_prefilled() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let description = load("catalog/databases/postgresql-standard.yaml");
    let validator = Validator::from_description(&description);
    let prefill = object(&json!({ "instanceName": "prefilled-db", "masterPassword": "never-in-the-page-123" }));
    let html = render_html(&description, Some(&prefill));
    assert!(!html.contains("never-in-the-page-123"), "password values are never written into the page");
    let page = write_page(dir.path(), "pg", &html);
    let verdicts = compare(&chromium, &page, &validator, &json!({ "masterPassword": "s3cret-s3cret-s3cret" }));
    assert_eq!(verdicts["submission"]["instanceName"], "prefilled-db");
    assert_eq!(verdicts["submission"]["masterPassword"], "***");
    assert_eq!(verdicts["domValues"]["masterPassword"], "s3cret-s3cret-s3cret");
    assert_eq!(verdicts["dom"]["valid"], json!(true));
}

#[test]
fn catalog_text_never_executes() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let description = load("fixtures/hostile.yaml");
    let validator = Validator::from_description(&description);
    let page = write_page(dir.path(), "hostile", &render_html(&description, None));

    let dom = run_chromium(&chromium, &["--dump-dom".to_owned(), format!("file://{}", page.display())]);
    let title_start = dom.find("<title>").expect("title") + "<title>".len();
    let title = &dom[title_start..title_start + dom[title_start..].find("</title>").expect("title end")];
    assert!(
        title.ends_with(" · request form preview") && !title.starts_with("PWNED"),
        "an injected script ran: {title}"
    );
    assert!(!dom.contains("id=\"injected\""), "catalog HTML became markup");
    assert!(dom.contains("&lt;script&gt;document.title='PWNED-help'&lt;/script&gt;"), "help text shown as text");
    assert!(!dom.contains("<img src=\"x\""), "catalog HTML became an element");
    // The page still works: the script ran and validates with the item's own unicode messages.
    let verdicts = compare(&chromium, &page, &validator, &json!({ "nom": "日本語です", "label": "<b>" }));
    assert_eq!(messages(&verdicts["dom"]), ["label: No <angle> brackets & no </script> please", "nom: 2〜3文字"]);
    let verdicts = compare(&chromium, &page, &validator, &json!({ "flavour": "</script>", "nom": "名前" }));
    assert_eq!(verdicts["dom"]["values"]["flavour"], "</script>");
}

#[test]
fn screenshot_postgresql_standard() {
    let Some(chromium) = chromium() else { return };
    let description = load("catalog/databases/postgresql-standard.yaml");
    let out_dir = workspace_root().join("target/form-preview");
    std::fs::create_dir_all(&out_dir).expect("target/form-preview");
    let values = object(&json!({ "instanceName": "orders-db", "multiAz": true }));
    let page = write_page(&out_dir, "postgresql-standard", &render_html(&description, Some(&values)));
    let png = out_dir.join("postgresql-standard.png");
    let _ = std::fs::remove_file(&png);
    run_chromium(
        &chromium,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,1600".to_owned(),
            format!("file://{}", page.display()),
        ],
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "suspiciously small screenshot ({} bytes)", bytes.len());
    eprintln!("screenshot: {}", png.display());

    // The same page with mistakes, to show how errors look.
    let bad = json!({ "instanceName": "Orders DB", "allocatedStorageGb": 55, "encryptionKey": "arn:aws:kms:bad",
                      "masterPassword": "short", "extensions": ["pgvector", "postgis"] });
    let png = out_dir.join("postgresql-standard-errors.png");
    let _ = std::fs::remove_file(&png);
    run_chromium(
        &chromium,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,1600".to_owned(),
            format!("file://{}#values={}", page.display(), base64url(bad.to_string().as_bytes())),
        ],
    );
    assert!(std::fs::read(&png).expect("screenshot written").starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}

#[test]
fn hundreds_of_fields_in_the_page() {
    use std::fmt::Write as _;
    let Some(chromium) = chromium() else { return };
    let types = ["string", "integer", "number", "boolean", "select", "multiselect", "date", "textarea", "password"];
    let mut fields = String::new();
    for i in 0..450 {
        let kind = types[i % types.len()];
        let extra = match kind {
            "string" | "textarea" | "password" => ", validation: { minLength: 2, pattern: \"^[a-zé🚀]+$\" }".to_owned(),
            "integer" | "number" => format!(", validation: {{ min: 0, max: {i}, step: 3 }}"),
            "select" | "multiselect" => ", options: [x, y, { value: 7, label: \"<i>seven</i>\" }]".to_owned(),
            "date" => ", validation: { min: \"2026-01-01\" }".to_owned(),
            _ => String::new(),
        };
        let conditional = if i % 10 == 9 {
            format!(", conditional: {{ dependsOn: f{}, condition: truthy }}", i - 1)
        } else {
            String::new()
        };
        let _ = writeln!(
            fields,
            "          - {{ id: f{i}, name: \"F{i} <script>document.title='PWNED'</script>\", type: {kind}{extra}{conditional} }}"
        );
    }
    let yaml = format!(
        "apiVersion: pao/v1\nkind: CatalogItem\nmetadata:\n  id: big-form\n  name: Big\n  description: Big form\n  \
         version: 1.0.0\n  category: testing\n  owner: {{ team: platform, contact: p@acme.example }}\n  \
         lifecycle: {{ status: stable }}\npresentation:\n  form:\n    groups:\n      - id: main\n        name: Main\n        \
         fields:\n{fields}fulfillment: {{ strategy: manual, manual: {{ actions: [] }} }}\n"
    );
    let description = FormDescription::from_document(&parse_document(yaml.as_bytes()).expect("big item"));
    assert_eq!(description.fields().count(), 450);
    let validator = Validator::from_description(&description);
    let dir = tempfile::tempdir().expect("temp dir");
    let page = write_page(dir.path(), "big", &render_html(&description, None));
    let mut good = Map::new();
    let mut bad = Map::new();
    for (i, field) in description.fields().enumerate() {
        let (ok, wrong) = match field.field_type.as_str() {
            "string" | "textarea" | "password" => (json!("é🚀a"), json!("A")),
            "integer" => (json!(0), json!(1.5)),
            "number" => (json!(0), json!(i + 1)),
            "boolean" => (json!(true), json!("true")),
            "select" => (json!("7"), json!("z")),
            "multiselect" => (json!([7, "x"]), json!(["x", "x"])),
            _ => (json!("2026-05-05"), json!("2025-12-31")),
        };
        good.insert(field.id.clone(), ok);
        bad.insert(field.id.clone(), wrong);
    }
    let started = Instant::now();
    let verdicts = compare(&chromium, &page, &validator, &Value::Object(good));
    assert_eq!(verdicts["dom"]["valid"], json!(true), "{:#}", verdicts["dom"]["errors"]);
    let verdicts = compare(&chromium, &page, &validator, &Value::Object(bad));
    assert!(verdicts["raw"]["errors"].as_array().expect("errors").len() > 300);
    assert!(started.elapsed() < Duration::from_secs(60), "slow page: {:?}", started.elapsed());
}
