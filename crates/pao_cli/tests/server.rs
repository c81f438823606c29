//! `pao-lint server` end to end: a real LSP exchange over the binary's stdin/stdout, on a Git
//! repository holding a copy of the example catalog, which the test then breaks — in unsaved
//! buffers (didChange), on disk (didChangeWatchedFiles), in CODEOWNERS and in pao.toml.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one answer may take before the test fails (generous: CI machines are shared).
const PATIENCE: Duration = Duration::from_secs(60);

/// A language client speaking to `pao-lint server` over its stdio.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for something else.
    backlog: Vec<Value>,
}

impl Client {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pao-lint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("pao-lint starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("every message has a Content-Length")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).expect("messages are JSON");
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Self { child, stdin, messages, next_id: 1, backlog: Vec::new() }
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a notification. Diagnostics published before it are forgotten, so what is
    /// waited for next answers this notification (or a later one).
    fn notify(&mut self, method: &str, params: Value) {
        self.backlog.retain(|m| m["method"] != "textDocument/publishDiagnostics");
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn next(&mut self, deadline: Instant) -> Value {
        match self.messages.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in time; seen: {:#?}", self.backlog),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed stdout"),
        }
    }

    /// Sends a request and returns its result, answering the server's own requests on the way.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let message = self.next(deadline);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
            self.other(message);
        }
    }

    fn other(&mut self, message: Value) {
        if message.get("method").is_some() && message.get("id").is_some() {
            // A request from the server (client/registerCapability): accept it.
            let id = message["id"].clone();
            self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": null }));
        }
        self.backlog.push(message);
    }

    /// Waits for diagnostics of `uri` at `version` (or any version when `None`).
    fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        self.wait_for(uri, version, |_| true)
    }

    /// Waits for diagnostics of `uri` (at `version`, if given) that satisfy `wanted`: a lint
    /// started before the last notification may still publish the state before it.
    fn wait_for(&mut self, uri: &str, version: Option<i64>, wanted: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == v)
                && wanted(m["params"]["diagnostics"].as_array().map_or(&[], Vec::as_slice))
        };
        if let Some(at) = self.backlog.iter().position(matches) {
            let message = self.backlog.remove(at);
            return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let message = self.next(deadline);
            if matches(&message) {
                return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            self.other(message);
        }
    }

    /// Waits for diagnostics of `uri` published without a version (as on close).
    fn wait_unversioned(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let message = self.next(deadline);
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["version"].is_null()
            {
                return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            self.other(message);
        }
    }

    fn shutdown(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "pao-lint server exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "pao-lint server did not exit after `exit`");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A Git repository with a copy of the example catalog, CODEOWNERS and pao.toml.
fn example_repository() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let source = pao_testutil::workspace_root();
    for entry in walkdir::WalkDir::new(source.join("catalog")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(&source).unwrap();
            pao_testutil::write(&root, &relative.to_string_lossy(), &std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    for file in [".github/CODEOWNERS", "pao.toml"] {
        pao_testutil::write(&root, file, &std::fs::read_to_string(source.join(file)).unwrap());
    }
    pao_testutil::git(&root, &["init", "-q"]);
    pao_testutil::commit(&root, "catalog", 1_700_000_000);
    (dir, root)
}

fn uri(root: &Path, path: &str) -> String {
    format!("file://{}", root.join(path).display())
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap_or("").to_owned()).collect()
}

/// The 0-based line and UTF-16 column of the first occurrence of `needle` (plus `shift`).
fn position_of(text: &str, needle: &str, shift: usize) -> Value {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text")) + shift;
    let line = text[..offset].matches('\n').count();
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

fn labels(completion: &Value) -> Vec<String> {
    completion.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_owned()).collect()
}

fn open(client: &mut Client, root: &Path, path: &str) -> (String, String) {
    let text = std::fs::read_to_string(root.join(path)).unwrap();
    let uri = uri(root, path);
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
    );
    (uri, text)
}

fn replace_all(client: &mut Client, uri: &str, version: i64, text: &str) {
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
    );
}

const ITEM: &str = "catalog/databases/postgresql-standard.yaml";
const BUNDLE: &str = "catalog/bundles/web-service-stack.yaml";

#[test]
fn exchange_over_stdio() {
    let (_dir, root) = example_repository();
    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": format!("file://{}", root.display()),
            "workspaceFolders": [{ "uri": format!("file://{}", root.display()), "name": "catalog" }],
            "capabilities": { "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } },
            "initializationOptions": { "debounceMs": 0 }
        }),
    );
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["textDocumentSync"]["change"], 2, "incremental sync: {capabilities}");
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(init["serverInfo"]["name"], "pao-lint");
    client.notify("initialized", json!({}));

    // The example item is clean.
    let (item_uri, item_text) = open(&mut client, &root, ITEM);
    assert_eq!(client.diagnostics(&item_uri, Some(1)), Vec::<Value>::new());

    // An unsaved edit: a misspelt field reference, reported with its rule, link and help.
    let broken = item_text.replacen("{{ fields.instanceName }}", "{{ fields.instanceNme }}", 1);
    assert_ne!(broken, item_text, "the example item reads fields.instanceName");
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": item_uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": position_of(&item_text, "{{ fields.instanceName }}", 13), "end": position_of(&item_text, "{{ fields.instanceName }}", 14) },
                "text": ""
            }]
        }),
    );
    let diagnostics = client.diagnostics(&item_uri, Some(2));
    assert_eq!(codes(&diagnostics), ["PAO403"], "{diagnostics:#?}");
    let d = &diagnostics[0];
    // The range pao-lint underlines: the whole reference.
    assert_eq!(d["range"]["start"], position_of(&broken, "fields.instanceNme", 0), "{d}");
    assert_eq!(d["range"]["end"], position_of(&broken, "fields.instanceNme", "fields.instanceNme".len()), "{d}");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "pao-lint");
    assert!(d["codeDescription"]["href"].as_str().unwrap().ends_with("docs/rules/PAO403.md"));
    assert!(d["message"].as_str().unwrap().contains("instanceName"), "{d}");

    // Hover on the diagnostic: the rule's explanation.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&broken, "instanceNme", 2) }),
    );
    let hover_text = hover["contents"]["value"].as_str().unwrap();
    assert!(hover_text.contains("PAO403") && hover_text.contains("## What it does"), "{hover_text}");

    // Code action: suppress with a reason.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": item_uri },
            "range": d["range"],
            "context": { "diagnostics": [d] }
        }),
    );
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Suppress PAO403 in this file (with a reason)"), "{titles:?}");
    let file_action =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("in this file")).unwrap();
    let edit = &file_action["edit"]["changes"][&item_uri][0];
    assert_eq!(edit["newText"], "# pao-lint: disable-file PAO403 -- <reason>\n");
    assert_eq!(edit["range"]["start"], json!({ "line": 0, "character": 0 }));

    // Completion inside `{{ fields.`: the item's field ids.
    let text = broken.replacen("{{ fields.instanceNme }}", "{{ fields. }}", 1);
    replace_all(&mut client, &item_uri, 3, &text);
    let completion = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&text, "{{ fields. }}", 10) }),
    );
    let fields = labels(&completion);
    for id in ["instanceName", "engineVersion", "enableEncryption"] {
        assert!(fields.iter().any(|f| f == id), "{id} missing from {fields:?}");
    }
    // Scopes and functions after `{{ `.
    let completion = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&text, "{{ fields. }}", 3) }),
    );
    let names = labels(&completion);
    for name in ["fields", "metadata", "outputs", "secrets", "upper", "default"] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }

    // Keys from the schema, under `metadata.owner` (whose keys are team, contact, jiraProject):
    // the two taken out are offered, the one present is not.
    let owner_rest = "    contact: dba@acme.example\n    jiraProject: DBA\n";
    assert!(item_text.contains(owner_rest));
    let text = item_text.replacen(owner_rest, "    \n", 1);
    replace_all(&mut client, &item_uri, 4, &text);
    let completion = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&text, "    team: dba\n    \n", "    team: dba\n    ".len()) }),
    );
    let keys = labels(&completion);
    assert!(keys.contains(&"contact".to_owned()) && keys.contains(&"jiraProject".to_owned()), "{keys:?}");
    assert!(!keys.contains(&"team".to_owned()), "present keys are not offered again: {keys:?}");

    // Hover on a key: the schema description.
    replace_all(&mut client, &item_uri, 5, &item_text);
    assert_eq!(client.diagnostics(&item_uri, Some(5)), Vec::<Value>::new());
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&item_text, "  lifecycle:", 4) }),
    );
    assert!(hover["contents"]["value"].as_str().unwrap().contains("**lifecycle**"), "{hover}");
    // Hover on `fields.instanceName`: the field's name, type and help.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&item_text, "fields.instanceName", 10) }),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("field `instanceName`") && value.contains("type `string`"), "{value}");
    // Go to definition from `fields.instanceName` to the field's id.
    let location = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&item_text, "fields.instanceName", 10) }),
    );
    assert_eq!(location["uri"], item_uri);
    assert_eq!(location["range"]["start"], position_of(&item_text, "id: instanceName", 4));

    // Cross-file: the open bundle sees the item's unsaved version.
    let (bundle_uri, bundle_text) = open(&mut client, &root, BUNDLE);
    assert_eq!(client.diagnostics(&bundle_uri, Some(1)), Vec::<Value>::new());
    let bumped = item_text.replacen("version: 1.", "version: 9.", 1);
    replace_all(&mut client, &item_uri, 6, &bumped);
    let has = |code: &'static str| move |d: &[Value]| codes(d).iter().any(|c| c == code);
    let diagnostics = client.wait_for(&bundle_uri, Some(1), has("PAO702"));
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("9.4.0"), "{diagnostics:#?}");
    replace_all(&mut client, &item_uri, 7, &item_text);
    client.wait_for(&bundle_uri, Some(1), <[Value]>::is_empty);

    // Completion of a component's item, and go to definition of it.
    let completion = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": bundle_uri }, "position": position_of(&bundle_text, "item: postgresql-standard", 6) }),
    );
    assert!(labels(&completion).contains(&"redis-cache".to_owned()), "{completion}");
    let location = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": bundle_uri }, "position": position_of(&bundle_text, "item: postgresql-standard", 8) }),
    );
    assert_eq!(location["uri"], item_uri);
    assert_eq!(location["range"]["start"], position_of(&item_text, "id: postgresql-standard", 4));

    // CODEOWNERS edited in the editor: the item's team no longer owns it (`*` gives it to
    // @acme/platform).
    let (owners_uri, owners_text) = open(&mut client, &root, ".github/CODEOWNERS");
    assert_eq!(client.diagnostics(&owners_uri, Some(1)), Vec::<Value>::new());
    let without = owners_text.lines().filter(|l| !l.contains("/catalog/databases/")).collect::<Vec<_>>().join("\n");
    replace_all(&mut client, &owners_uri, 2, &without);
    let diagnostics = client.wait_for(&item_uri, Some(7), has("PAO611"));
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("platform"), "{diagnostics:#?}");
    replace_all(&mut client, &owners_uri, 3, &owners_text);
    client.wait_for(&item_uri, Some(7), <[Value]>::is_empty);

    // pao.toml edited in the editor: a rule turned off applies at once; an invalid file is
    // reported on it.
    replace_all(&mut client, &item_uri, 8, &broken);
    assert_eq!(codes(&client.diagnostics(&item_uri, Some(8))), ["PAO403"]);
    let (config_uri, config_text) = open(&mut client, &root, "pao.toml");
    replace_all(&mut client, &config_uri, 2, &format!("{config_text}\n[lint.rules]\nPAO403 = \"off\"\n"));
    assert_eq!(client.diagnostics(&config_uri, Some(2)), Vec::<Value>::new());
    client.wait_for(&item_uri, Some(8), <[Value]>::is_empty);
    replace_all(&mut client, &config_uri, 3, &format!("{config_text}\n[lint]\nexclud = []\n"));
    let diagnostics = client.diagnostics(&config_uri, Some(3));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("exclud"), "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["range"]["start"]["line"], config_text.lines().count() + 2);
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": config_uri } }));
    client.wait_for(&item_uri, Some(8), has("PAO403"));

    // A file changed on disk (watched files): an item the bundle requests is gone.
    let gone = "catalog/security/parameterstore-standard.yaml";
    std::fs::remove_file(root.join(gone)).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&root, gone), "type": 3 }] }));
    let diagnostics = client.wait_for(&bundle_uri, Some(1), has("PAO701"));
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("parameterstore-standard"), "{diagnostics:#?}");

    // Closing clears the document's diagnostics: a publish without a version (a lint's carry
    // the version linted, and one still under way may publish just before the close).
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": item_uri } }));
    let cleared = client.wait_unversioned(&item_uri);
    assert_eq!(cleared, Vec::<Value>::new());

    client.shutdown();
}

/// The 0-based position just after the first occurrence of `needle`.
fn after(text: &str, needle: &str) -> Value {
    position_of(text, needle, needle.len())
}

fn complete(client: &mut Client, uri: &str, position: Value) -> Vec<Value> {
    let result =
        client.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position }));
    result.as_array().cloned().unwrap_or_else(|| panic!("completion answers a list: {result}"))
}

fn label_list(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["label"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn completion_hover_and_definition_over_stdio() {
    let (_dir, root) = example_repository();
    let mut client = Client::start();
    client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": format!("file://{}", root.display()),
            "capabilities": {},
            "initializationOptions": { "debounceMs": 0 }
        }),
    );
    client.notify("initialized", json!({}));
    let (item_uri, item_text) = open(&mut client, &root, ITEM);
    assert_eq!(client.diagnostics(&item_uri, Some(1)), Vec::<Value>::new());

    // `outputs.` in the second action: the first action only (not itself, not later ones).
    let reference = "db_instance_arn: \"{{ outputs.create_db.instanceArn }}\"";
    let text = item_text.replacen(reference, "db_instance_arn: \"{{ outputs. }}\"", 1);
    replace_all(&mut client, &item_uri, 2, &text);
    let labels = label_list(&complete(&mut client, &item_uri, after(&text, "db_instance_arn: \"{{ outputs.")));
    assert_eq!(labels, ["create_db"], "earlier actions only");
    // `outputs.create_db.`: the rest-api action's declared outputs.
    let text = item_text.replacen(reference, "db_instance_arn: \"{{ outputs.create_db. }}\"", 1);
    replace_all(&mut client, &item_uri, 3, &text);
    let labels = label_list(&complete(&mut client, &item_uri, after(&text, "{{ outputs.create_db.")));
    for output in ["instanceArn", "endpoint", "port", "credentialsSecretArn"] {
        assert!(labels.iter().any(|l| l == output), "{output} missing from {labels:?}");
    }
    // `metadata.` keys, and filters after `|`.
    let text = item_text.replacen("\"{{ metadata.owner.team }}\"", "\"{{ metadata. }}\"", 1);
    replace_all(&mut client, &item_uri, 4, &text);
    let labels = label_list(&complete(&mut client, &item_uri, after(&text, "{{ metadata.")));
    for key in ["id", "owner", "version"] {
        assert!(labels.iter().any(|l| l == key), "{key} missing from {labels:?}");
    }
    let labels = label_list(&complete(&mut client, &item_uri, after(&item_text, "{{ fields.extensions | ")));
    assert!(labels.iter().any(|l| l == "json"), "{labels:?}");

    // An enum value from the schema, with its description: a field's `type`.
    let items = complete(
        &mut client,
        &item_uri,
        after(&item_text, "- id: instanceName\n            name: Instance Name\n            type: "),
    );
    let password = items.iter().find(|i| i["label"] == "password").unwrap_or_else(|| panic!("{items:#?}"));
    assert!(password.to_string().contains("never written to Git"), "{password}");

    // `dependsOn` (block style): the fields before this one.
    let flow = "conditional: { dependsOn: enableEncryption, condition: equals, value: true }";
    let block = "conditional:\n              dependsOn: \n              condition: equals\n              value: true";
    let text = item_text.replacen(flow, block, 1);
    replace_all(&mut client, &item_uri, 5, &text);
    let labels = label_list(&complete(&mut client, &item_uri, after(&text, "dependsOn: ")));
    assert!(labels.iter().any(|l| l == "enableEncryption") && labels.iter().any(|l| l == "instanceName"), "{labels:?}");
    assert!(!labels.iter().any(|l| l == "masterPassword" || l == "encryptionKey"), "later fields: {labels:?}");

    // Hover and definition of `outputs.create_db.instanceArn`: the rest-api output.
    replace_all(&mut client, &item_uri, 6, &item_text);
    assert_eq!(client.diagnostics(&item_uri, Some(6)), Vec::<Value>::new());
    let at = position_of(&item_text, "{{ outputs.create_db.instanceArn", "{{ outputs.create_db.inst".len());
    let hover = client.request("textDocument/hover", json!({ "textDocument": { "uri": item_uri }, "position": at }));
    let value = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(value.contains("create_db") && value.contains("instanceArn"), "{value}");
    let location =
        client.request("textDocument/definition", json!({ "textDocument": { "uri": item_uri }, "position": at }));
    assert_eq!(location["range"]["start"], position_of(&item_text, "instanceArn: /instance/arn", 0), "{location}");
    // Definition from `dependsOn` (flow style, as the example writes it) to the field.
    let location = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": item_uri }, "position": position_of(&item_text, "dependsOn: enableEncryption", 13) }),
    );
    assert_eq!(location["range"]["start"], position_of(&item_text, "id: enableEncryption", 4), "{location}");

    // A bundle component's version: ranges from the item's current version (1.4.0).
    let (bundle_uri, bundle_text) = open(&mut client, &root, BUNDLE);
    assert_eq!(client.diagnostics(&bundle_uri, Some(1)), Vec::<Value>::new());
    let text = bundle_text.replacen("version: \"^1.4\"", "version: ", 1);
    replace_all(&mut client, &bundle_uri, 2, &text);
    let labels =
        label_list(&complete(&mut client, &bundle_uri, after(&text, "item: postgresql-standard\n    version: ")));
    for range in ["^1.4", "~1.4.0", "=1.4.0"] {
        assert!(labels.iter().any(|l| l.contains(range)), "{range} missing from {labels:?}");
    }

    client.shutdown();
}
