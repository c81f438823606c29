//! The main loop: LSP messages in, responses and diagnostics out.
//!
//! One thread reads messages and answers requests (completion, hover, code actions, go to
//! definition) from the document store and the repository snapshots; lints run on the lint
//! thread ([`crate::scheduler`]) and come back as outcomes to publish.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, GotoDefinition, HoverRequest, RegisterCapability, Request as _,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions, Diagnostic as LspDiagnostic,
    DiagnosticSeverity, DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern,
    GotoDefinitionResponse, HoverProviderCapability, InitializeParams, Location, OneOf, Position,
    PublishDiagnosticsParams, Registration, RegistrationParams, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentPositionParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Url,
};
use serde::Deserialize;
use serde_json::Value;

use crate::analysis::{Analysis, CatalogView, kind_of, refine_in_flow};
use crate::document::{Document, DocumentStore};
use crate::lint::{LintJob, Overlay};
use crate::outline::Outline;
use crate::position::LineIndex16;
use crate::scheduler::{Outcome, Scheduled};
use crate::schema_nav::Schemas;
use crate::workspace::{CODEOWNERS_PATHS, CONFIG_FILE, CodeOwners, Settings, Workspace};
use crate::yaml_path::cursor_path;
use crate::{ServerError, code_action, completion, convert, definition, hover};

/// Settings a client passes as `initializationOptions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Options {
    /// How long edits must pause before a lint starts, in milliseconds.
    pub debounce_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { debounce_ms: DEFAULT_DEBOUNCE_MS }
    }
}

/// The default debounce: long enough to take a burst of changes (a paste, a multi-cursor edit,
/// fast typing) as one, short enough not to be noticed.
pub const DEFAULT_DEBOUNCE_MS: u64 = 10;

/// A repository and what its open `pao.toml` says, if it is open.
struct Repository {
    workspace: Workspace,
    /// Settings from the open, unsaved `pao.toml` (its text and what it gives).
    config_overlay: Option<(Arc<str>, Arc<Settings>)>,
}

struct Server<'c> {
    connection: &'c Connection,
    documents: DocumentStore,
    repositories: BTreeMap<PathBuf, Repository>,
    /// A repository-less place for documents outside any catalog repository.
    detached: Option<Workspace>,
    schemas: Schemas,
    /// What was last published, for hover.
    published: HashMap<Url, Vec<LspDiagnostic>>,
    jobs: Sender<Scheduled>,
    next_request: i32,
}

/// Runs the server on `connection` until the client shuts it down.
///
/// # Errors
/// When the connection breaks or the client does not follow the protocol.
pub fn run(connection: &Connection) -> Result<(), ServerError> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params).map_err(|e| ServerError::Params(e.to_string()))?;
    let options: Options =
        params.initialization_options.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo { name: "pao-lint".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    connection.initialize_finish(id, result)?;

    let (jobs, outcomes) = crate::scheduler::spawn(Duration::from_millis(options.debounce_ms));
    let mut server = Server {
        connection,
        documents: DocumentStore::default(),
        repositories: BTreeMap::new(),
        detached: None,
        schemas: Schemas::new(),
        published: HashMap::new(),
        jobs,
        next_request: 1,
    };
    for root in workspace_roots(&params) {
        server.repository(&root);
    }
    let watches = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false);
    if watches {
        server.register_watchers()?;
    }
    server.main_loop(&outcomes)
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..TextDocumentSyncOptions::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some([".", "|", " ", ":", "-"].map(str::to_owned).to_vec()),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// The roots the client opened: its workspace folders, else its root URI.
fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> =
        params.workspace_folders.iter().flatten().filter_map(|f| f.uri.to_file_path().ok()).collect();
    if !folders.is_empty() {
        return folders;
    }
    #[allow(deprecated)]
    params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()).into_iter().collect()
}

/// A path with symbolic links resolved as far as it exists.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical(parent).join(name),
        _ => path.to_owned(),
    }
}

impl Server<'_> {
    fn main_loop(&mut self, outcomes: &Receiver<Outcome>) -> Result<(), ServerError> {
        loop {
            select! {
                recv(self.connection.receiver) -> message => {
                    let Ok(message) = message else { return Ok(()) };
                    match message {
                        Message::Request(request) => {
                            if self.connection.handle_shutdown(&request)? {
                                return Ok(());
                            }
                            self.request(request)?;
                        }
                        Message::Notification(notification) => {
                            if notification.method == "exit" {
                                return Ok(());
                            }
                            self.notification(notification)?;
                        }
                        Message::Response(_) => {}
                    }
                }
                recv(outcomes) -> outcome => {
                    if let Ok(outcome) = outcome {
                        self.publish(outcome)?;
                    }
                }
            }
        }
    }

    fn send(&self, message: impl Into<Message>) -> Result<(), ServerError> {
        self.connection.sender.send(message.into()).map_err(|_| ServerError::Disconnected)
    }

    fn register_watchers(&mut self) -> Result<(), ServerError> {
        let watchers = ["**/catalog/**/*.{yaml,yml}", "**/pao.toml", "**/CODEOWNERS"]
            .into_iter()
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.to_owned()), kind: None })
            .collect();
        let registration = Registration {
            id: "pao-lint-watched-files".into(),
            method: DidChangeWatchedFiles::METHOD.into(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers }).ok(),
        };
        let id = RequestId::from(self.next_request);
        self.next_request += 1;
        self.send(Request::new(
            id,
            RegisterCapability::METHOD.into(),
            RegistrationParams { registrations: vec![registration] },
        ))
    }

    // ---- repositories -------------------------------------------------------------------

    /// The repository at `root`, loaded on first use.
    fn repository(&mut self, root: &Path) -> &mut Repository {
        let root = canonical(root);
        self.repositories
            .entry(root.clone())
            .or_insert_with(|| Repository { workspace: Workspace::load(&root), config_overlay: None })
    }

    /// The repository root of a file: a loaded repository holding it, else the root
    /// pao-lint would find (`.git` or `pao.toml`), else the directory holding its `catalog/`.
    fn root_of(&mut self, path: &Path) -> Option<PathBuf> {
        let path = canonical(path);
        if let Some(root) =
            self.repositories.keys().filter(|root| path.starts_with(root)).max_by_key(|r| r.as_os_str().len())
        {
            return Some(root.clone());
        }
        let root = pao_config::find_repository_root(&path).or_else(|| {
            path.ancestors()
                .find(|dir| dir.file_name().is_some_and(|n| n == "catalog"))
                .and_then(Path::parent)
                .map(Path::to_path_buf)
        })?;
        let root = canonical(&root);
        self.repository(&root);
        Some(root)
    }

    /// The root and repository-relative path of a document.
    fn locate(&mut self, uri: &Url) -> Option<(PathBuf, String)> {
        let path = uri.to_file_path().ok()?;
        let root = self.root_of(&path)?;
        let relative = self.repositories.get(&root)?.workspace.relative(&canonical(&path))?;
        Some((root, relative))
    }

    /// The settings in force for a repository.
    fn settings(&self, root: &Path) -> Option<Arc<Settings>> {
        let repository = self.repositories.get(root)?;
        Some(
            repository
                .config_overlay
                .as_ref()
                .map_or_else(|| Arc::clone(repository.workspace.settings()), |(_, s)| Arc::clone(s)),
        )
    }

    // ---- notifications ------------------------------------------------------------------

    fn notification(&mut self, notification: Notification) -> Result<(), ServerError> {
        match self.handle_notification(notification) {
            // A malformed notification cannot be answered; the client's log says what was wrong.
            Err(ServerError::Params(message)) => self.send(Notification::new(
                lsp_types::notification::LogMessage::METHOD.into(),
                lsp_types::LogMessageParams {
                    typ: lsp_types::MessageType::ERROR,
                    message: format!("pao-lint: invalid parameters: {message}"),
                },
            )),
            other => other,
        }
    }

    fn handle_notification(&mut self, notification: Notification) -> Result<(), ServerError> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams = extract(notification)?;
                let item = params.text_document;
                self.documents.open(item.uri.clone(), Document::new(item.version, item.language_id, item.text));
                self.changed(&item.uri)?;
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams = extract(notification)?;
                let uri = params.text_document.uri;
                if self.documents.change(&uri, params.text_document.version, params.content_changes) {
                    self.changed(&uri)?;
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams = extract(notification)?;
                let uri = params.text_document.uri;
                self.documents.close(&uri);
                self.published.remove(&uri);
                self.send(publish_params(uri.clone(), Vec::new(), None))?;
                if let Some((root, relative)) = self.locate(&uri) {
                    // The disk version is in force again.
                    self.disk_changed(&root, &relative);
                    self.schedule(&root)?;
                }
            }
            DidSaveTextDocument::METHOD => {
                let params: lsp_types::DidSaveTextDocumentParams = extract(notification)?;
                if let Some((root, relative)) = self.locate(&params.text_document.uri) {
                    self.disk_changed(&root, &relative);
                    self.schedule(&root)?;
                }
            }
            DidChangeWatchedFiles::METHOD => {
                let params: lsp_types::DidChangeWatchedFilesParams = extract(notification)?;
                let mut roots = Vec::new();
                for change in params.changes {
                    if let Some((root, relative)) = self.locate(&change.uri) {
                        self.disk_changed(&root, &relative);
                        if !roots.contains(&root) {
                            roots.push(root);
                        }
                    }
                }
                for root in roots {
                    self.schedule(&root)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A file of a repository changed on disk: read it again.
    fn disk_changed(&mut self, root: &Path, relative: &str) {
        let Some(repository) = self.repositories.get_mut(root) else { return };
        if relative == CONFIG_FILE {
            repository.workspace.reload_config();
        } else if CODEOWNERS_PATHS.contains(&relative) {
            repository.workspace.reload_codeowners();
        } else {
            repository.workspace.reload_file(relative);
        }
    }

    /// An open document changed (or was opened): lint what depends on it.
    fn changed(&mut self, uri: &Url) -> Result<(), ServerError> {
        let Some((root, relative)) = self.locate(uri) else { return Ok(()) };
        if relative == CONFIG_FILE {
            self.config_changed(&root, uri)?;
        }
        self.schedule(&root)
    }

    /// The open `pao.toml` changed: its settings are in force, its problem is shown on it.
    fn config_changed(&mut self, root: &Path, uri: &Url) -> Result<(), ServerError> {
        let Some(document) = self.documents.get(uri) else { return Ok(()) };
        let text = Arc::clone(&document.text);
        let version = document.version;
        let Some(repository) = self.repositories.get_mut(root) else { return Ok(()) };
        let unchanged = repository.config_overlay.as_ref().is_some_and(|(t, _)| *t == text);
        if !unchanged {
            let settings = Arc::new(Settings::from_text(Some(&text)));
            repository.config_overlay = Some((Arc::clone(&text), settings));
        }
        let Some((_, settings)) = &repository.config_overlay else { return Ok(()) };
        let diagnostics: Vec<LspDiagnostic> = settings
            .problem
            .iter()
            .map(|problem| {
                let index = LineIndex16::new(&text);
                let line = problem.line.saturating_sub(1);
                let start = index.line_start(line).unwrap_or(text.len());
                let line_text = index.line_text(&text, line);
                let column: usize = line_text.chars().take(problem.column.saturating_sub(1)).map(char::len_utf8).sum();
                let position = index.position(&text, start + column);
                LspDiagnostic {
                    range: lsp_types::Range {
                        start: position,
                        end: Position { line: position.line, character: position.character + 1 },
                    },
                    severity: Some(DiagnosticSeverity::ERROR),
                    source: Some(convert::SOURCE.into()),
                    message: format!(
                        "{}\nhelp: until this is fixed pao-lint uses the default configuration",
                        problem.message
                    ),
                    ..LspDiagnostic::default()
                }
            })
            .collect();
        self.published.insert(uri.clone(), diagnostics.clone());
        self.send(publish_params(uri.clone(), diagnostics, Some(version)))
    }

    /// Sends a lint job for the open documents of a repository.
    fn schedule(&mut self, root: &Path) -> Result<(), ServerError> {
        let Some(settings) = self.settings(root) else { return Ok(()) };
        let Some(repository) = self.repositories.get(root) else { return Ok(()) };
        let workspace = repository.workspace.clone();
        if repository.config_overlay.is_some() && !self.is_open_relative(root, CONFIG_FILE) {
            // The open pao.toml was closed: the disk version is in force again.
            if let Some(repository) = self.repositories.get_mut(root) {
                repository.config_overlay = None;
            }
            return self.schedule(root);
        }
        let mut overlays = Vec::new();
        let mut codeowners_open: Option<(usize, Url, i32, Arc<str>)> = None;
        let mut clear = Vec::new();
        for (uri, document) in self.documents.iter() {
            let Ok(path) = uri.to_file_path() else { continue };
            let path = canonical(&path);
            if !path.starts_with(root) {
                continue;
            }
            let Some(relative) = workspace.relative(&path) else { continue };
            if settings.is_catalog_file(&relative) {
                overlays.push(Overlay {
                    uri: uri.clone(),
                    path: relative,
                    version: document.version,
                    text: Arc::clone(&document.text),
                });
            } else if let Some(rank) = CODEOWNERS_PATHS.iter().position(|p| *p == relative) {
                if codeowners_open.as_ref().is_none_or(|(r, ..)| rank < *r) {
                    codeowners_open = Some((rank, uri.clone(), document.version, Arc::clone(&document.text)));
                }
            } else if relative != CONFIG_FILE && self.published.get(uri).is_some_and(|d| !d.is_empty()) {
                clear.push(uri.clone());
            }
        }
        for uri in clear {
            self.published.remove(&uri);
            self.send(publish_params(uri, Vec::new(), None))?;
        }
        // CODEOWNERS in force: the first of GitHub's places that exists, open or on disk.
        let disk = workspace.codeowners().cloned();
        let disk_rank = disk.as_ref().and_then(|c| CODEOWNERS_PATHS.iter().position(|p| *p == c.path));
        let (codeowners, codeowners_document) = match codeowners_open {
            Some((rank, uri, version, text)) if disk_rank.is_none_or(|d| rank <= d) => {
                (Some(CodeOwners { path: CODEOWNERS_PATHS[rank].to_owned(), text }), Some((uri, version)))
            }
            _ => (disk, None),
        };
        if overlays.is_empty() && codeowners_document.is_none() {
            return Ok(());
        }
        let job = LintJob { workspace, settings, codeowners, overlays, whole_catalog: false };
        self.jobs
            .send(Scheduled { root: root.to_owned(), job, codeowners_document })
            .map_err(|_| ServerError::Disconnected)
    }

    fn is_open_relative(&self, root: &Path, relative: &str) -> bool {
        let target = root.join(relative);
        self.documents.iter().any(|(uri, _)| uri.to_file_path().is_ok_and(|p| canonical(&p) == target))
    }

    fn publish(&mut self, outcome: Outcome) -> Result<(), ServerError> {
        for (uri, version, diagnostics) in outcome.publish {
            if self.documents.get(&uri).is_none() {
                continue;
            }
            self.published.insert(uri.clone(), diagnostics.clone());
            self.send(publish_params(uri, diagnostics, Some(version)))?;
        }
        Ok(())
    }

    // ---- requests -----------------------------------------------------------------------

    fn request(&mut self, request: Request) -> Result<(), ServerError> {
        let id = request.id.clone();
        match self.answer(request) {
            Ok(value) => self.send(Response::new_ok(id, value)),
            Err(ServerError::Params(message)) => {
                self.send(Response::new_err(id, ErrorCode::InvalidParams as i32, message))
            }
            Err(ServerError::MethodNotFound(method)) => self.send(Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("pao-lint does not implement `{method}`"),
            )),
            Err(other) => Err(other),
        }
    }

    fn answer(&mut self, request: Request) -> Result<Value, ServerError> {
        match request.method.as_str() {
            Completion::METHOD => {
                let params: lsp_types::CompletionParams = extract_request(request)?;
                let items =
                    self.with_analysis(&params.text_document_position, completion::complete).unwrap_or_default();
                Ok(serde_json::to_value(lsp_types::CompletionResponse::Array(items)).unwrap_or(Value::Null))
            }
            HoverRequest::METHOD => {
                let params: lsp_types::HoverParams = extract_request(request)?;
                let uri = params.text_document_position_params.text_document.uri.clone();
                let diagnostics = self.published.get(&uri).cloned().unwrap_or_default();
                let hover = self
                    .with_analysis(&params.text_document_position_params, |a| hover::hover(a, &diagnostics))
                    .flatten();
                Ok(serde_json::to_value(hover).unwrap_or(Value::Null))
            }
            GotoDefinition::METHOD => {
                let params: lsp_types::GotoDefinitionParams = extract_request(request)?;
                let uri = params.text_document_position_params.text_document.uri.clone();
                let target = self.with_analysis(&params.text_document_position_params, |a| {
                    definition::definition(a).map(|t| (t, a.catalog.workspace.root.clone()))
                });
                let location = target.flatten().and_then(|(target, root)| self.location(&uri, &root, target));
                Ok(serde_json::to_value(location.map(GotoDefinitionResponse::Scalar)).unwrap_or(Value::Null))
            }
            CodeActionRequest::METHOD => {
                let params: lsp_types::CodeActionParams = extract_request(request)?;
                let uri = params.text_document.uri;
                let actions = match self.documents.get_mut(&uri) {
                    Some(document) => {
                        let parsed = document.parse().filter(|p| p.current);
                        code_action::suppressions(
                            &uri,
                            &document.text,
                            &document.index,
                            parsed.as_ref().map(|p| p.root.as_ref()),
                            &params.context.diagnostics,
                        )
                    }
                    None => Vec::new(),
                };
                Ok(serde_json::to_value(actions).unwrap_or(Value::Null))
            }
            _ => Err(ServerError::MethodNotFound(request.method)),
        }
    }

    /// Runs `f` on the analysis of a position, if the document is open.
    fn with_analysis<T>(&mut self, at: &TextDocumentPositionParams, f: impl FnOnce(&Analysis<'_>) -> T) -> Option<T> {
        let uri = &at.text_document.uri;
        let located = self.locate(uri);
        // Outlines of the repository's open documents, in their editor version.
        let mut open: Vec<(String, Arc<Outline>)> = Vec::new();
        if let Some((root, _)) = &located {
            let uris: Vec<Url> = self.documents.iter().map(|(u, _)| u.clone()).collect();
            for other in uris {
                let Ok(path) = other.to_file_path() else { continue };
                let path = canonical(&path);
                let Some(relative) = self.repositories.get(root).and_then(|r| r.workspace.relative(&path)) else {
                    continue;
                };
                if let Some(parsed) = self.documents.get_mut(&other).and_then(Document::parse) {
                    open.push((relative, parsed.outline));
                }
            }
        }
        let document = self.documents.get_mut(uri)?;
        let parsed = document.parse();
        let text = Arc::clone(&document.text);
        let index = Arc::clone(&document.index);
        let offset = index.offset(&text, at.position);
        let (workspace, environment) = match &located {
            Some((root, _)) => {
                let settings = self.settings(root)?;
                (&self.repositories.get(root)?.workspace, settings.config.templates.environment.clone())
            }
            None => (&*self.detached.get_or_insert_with(Workspace::empty), Vec::new()),
        };
        let path = located.as_ref().map(|(_, relative)| relative.clone());
        let analysis = Analysis {
            text: &text,
            index: &index,
            offset,
            cursor: refine_in_flow(
                cursor_path(&text, offset),
                &text,
                parsed.as_ref().filter(|p| p.current).map(|p| p.root.as_ref()),
                offset,
            ),
            kind: parsed.as_ref().map_or_else(|| kind_of(&text, path.as_deref()), |p| p.outline.kind),
            root: parsed.as_ref().map(|p| Arc::clone(&p.root)),
            outline: parsed.as_ref().map(|p| Arc::clone(&p.outline)),
            path,
            schemas: &self.schemas,
            catalog: CatalogView { workspace, open },
            environment,
        };
        Some(f(&analysis))
    }

    /// An LSP location for a definition target.
    fn location(&self, uri: &Url, root: &Path, target: definition::Target) -> Option<Location> {
        let (uri, range, text): (Url, std::ops::Range<usize>, Arc<str>) = match target {
            definition::Target::Here(range) => (uri.clone(), range, Arc::clone(&self.documents.get(uri)?.text)),
            definition::Target::Elsewhere { path, range } => {
                let absolute = root.join(&path);
                let target_uri = Url::from_file_path(&absolute).ok()?;
                let open =
                    self.documents.iter().find(|(u, _)| u.to_file_path().is_ok_and(|p| canonical(&p) == absolute));
                let text: Arc<str> = match open {
                    Some((_, document)) => Arc::clone(&document.text),
                    None => {
                        let bytes = self.repositories.get(root)?.workspace.files().get(&path)?.bytes.clone();
                        Arc::from(String::from_utf8_lossy(&bytes).as_ref())
                    }
                };
                (open.map_or(target_uri, |(u, _)| u.clone()), range, text)
            }
        };
        let index = LineIndex16::new(&text);
        Some(Location { uri, range: index.range(&text, &range) })
    }
}

fn publish_params(uri: Url, diagnostics: Vec<LspDiagnostic>, version: Option<i32>) -> Notification {
    Notification::new(PublishDiagnostics::METHOD.into(), PublishDiagnosticsParams { uri, diagnostics, version })
}

fn extract<P: serde::de::DeserializeOwned>(notification: Notification) -> Result<P, ServerError> {
    serde_json::from_value(notification.params)
        .map_err(|e| ServerError::Params(format!("{}: {e}", notification.method)))
}

fn extract_request<P: serde::de::DeserializeOwned>(request: Request) -> Result<P, ServerError> {
    serde_json::from_value(request.params).map_err(|e| ServerError::Params(format!("{}: {e}", request.method)))
}
