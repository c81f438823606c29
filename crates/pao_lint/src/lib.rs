//! pao-lint's engine: finds the catalog documents of a repository, checks each file in parallel,
//! then runs the cross-file rules over per-file summaries, and returns a sorted [`Report`].
//!
//! ```text
//! discover (walk) ──► read + check_file (rayon, one parse per file, schemas compiled once)
//!                   ─► cross-file rules (ids, CODEOWNERS, bundles, --changed-since)
//!                   ─► filter to the files asked about ─► sort ─► Report
//! ```
//!
//! Rules are declared with their documentation in `rules/<family>.rs` and listed in
//! [`codes::RULES`]. Library users: [`Linter::lint_repository`] for a work tree,
//! [`Linter::lint_sources`] for files held in memory, which also hands back the typed documents
//! (the served catalog reads the files from Git and never parses them a second time).

#![deny(missing_docs)]

pub mod baseline;
pub mod cache;
mod checker;
pub mod codes;
mod document;
pub mod fix;
mod git;
mod incremental;
mod lenient;
pub mod registry;
mod rules;
pub mod rules_page;
mod schema;
mod suppress;
pub mod walk;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use pao_config::Config;
pub use pao_diagnostics::{Diagnostic, Report, Severity, SourceFile};
use pao_schema::CatalogDocument;
use pao_source::Node;
use rayon::prelude::*;

pub use crate::cache::CacheStats;
use crate::checker::{Checker, RuleLevels};
use crate::document::{FileContext, check_file};
pub use crate::rules::ownership::CODEOWNERS_PATHS;
use crate::rules::ownership::CodeOwnersFile;
use crate::rules::{bundles, changes, naming, ownership, templates, yaml};

/// Why a lint run could not happen at all (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// `pao.toml` is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] pao_config::ConfigError),
    /// `[lint.rules]` names a code that is no rule.
    #[error("pao.toml: `[lint.rules]` names unknown rule `{code}`; `pao-lint rules` lists them")]
    UnknownRule {
        /// The code given.
        code: String,
    },
    /// `[lint] exclude` has an invalid glob.
    #[error("pao.toml: invalid `[lint] exclude` pattern `{pattern}`: {message}")]
    BadExclude {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// A path given does not exist or cannot be read.
    #[error("{}: {message}", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A Git operation for `--changed-since` failed.
    #[error("{message}")]
    Git {
        /// What failed.
        message: String,
    },
}

/// Whether the linter would offer `candidate` as "did you mean" for a misspelt `name` (an id,
/// a key). The language server uses it to know which other files the help of a broken
/// reference depends on.
pub fn suggests(name: &str, candidate: &str) -> bool {
    checker::closest(name, [candidate]).is_some()
}

/// One file's results, kept for the cross-file rules.
pub(crate) struct Checked {
    pub(crate) path: String,
    pub(crate) source: Arc<SourceFile>,
    /// The YAML tree, kept only where cross-file rules walk it: bundles, and documents that did
    /// not deserialise. Items keep just their [`ANCHORED`] places, which bounds memory on large
    /// catalogs.
    pub(crate) root: Option<Node>,
    /// The span of each [`ANCHORED`] pointer, in order, when the document has it.
    pub(crate) anchors: Vec<Option<std::ops::Range<usize>>>,
    /// The first key of the document: where file-level findings point.
    pub(crate) first_key: std::ops::Range<usize>,
    /// `metadata.id`, when it is text, read from the tree whatever else is wrong.
    pub(crate) id: Option<String>,
    /// `kind`, when it is text, read from the tree whatever else is wrong.
    pub(crate) kind: Option<String>,
    pub(crate) doc: Option<CatalogDocument>,
    /// How faithfully `doc` was read: with schema faults left out ([`lenient`]), the cross-file
    /// rules use it, but it is not handed out as a document of the catalog.
    pub(crate) reading: lenient::Reading,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Set when the results came from the cache: the file was not parsed, `doc` and `root` are
    /// `None` and `source` is a placeholder; the cross-file rules read the summary instead.
    pub(crate) cached: Option<Box<incremental::CachedFile>>,
}

/// The places in a document that cross-file rules point at.
pub(crate) const ANCHORED: [&str; 4] =
    ["/metadata/id", "/metadata/version", "/metadata/owner/team", "/metadata/lifecycle/deprecation/replacement"];

impl Checked {
    /// A result without a document, e.g. for a file that could not be read.
    pub(crate) fn without_document(path: String, diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            path,
            source: Arc::new(SourceFile::new("", "")),
            root: None,
            anchors: vec![None; ANCHORED.len()],
            first_key: 0..0,
            id: None,
            kind: None,
            doc: None,
            reading: lenient::Reading::Exact,
            diagnostics,
            cached: None,
        }
    }

    fn doc_summary(&self) -> Option<&cache::DocSummary> {
        self.cached.as_ref()?.doc.as_ref()
    }

    /// `metadata.id` of the typed document (parsed or summarised).
    pub(crate) fn doc_id(&self) -> Option<&str> {
        match &self.doc {
            Some(doc) => Some(&doc.metadata().id),
            None => self.doc_summary().map(|d| d.id.as_str()),
        }
    }

    /// `metadata.owner.team` of the typed document.
    pub(crate) fn team(&self) -> Option<&str> {
        match &self.doc {
            Some(doc) => Some(&doc.metadata().owner.team),
            None => self.doc_summary().map(|d| d.team.as_str()),
        }
    }

    /// `metadata.lifecycle.deprecation.replacement` of the typed document.
    pub(crate) fn replacement(&self) -> Option<&str> {
        match &self.doc {
            Some(doc) => doc.metadata().lifecycle.deprecation.as_ref().and_then(|d| d.replacement.as_deref()),
            None => self.doc_summary().and_then(|d| d.replacement.as_deref()),
        }
    }

    /// Whether the typed document is a bundle.
    pub(crate) fn is_bundle(&self) -> bool {
        match &self.doc {
            Some(doc) => matches!(doc, CatalogDocument::Bundle(_)),
            None => self.doc_summary().is_some_and(|d| d.bundle),
        }
    }

    /// The span of the `i`-th [`ANCHORED`] pointer, as [`Checked::span`] finds it.
    pub(crate) fn span_of(&self, i: usize) -> Option<std::ops::Range<usize>> {
        match &self.root {
            Some(root) => root.pointer(ANCHORED[i]).map(|n| n.span.clone()),
            None => self.anchors.get(i).cloned().flatten(),
        }
    }

    /// Byte range of the value at `pointer`, or an empty range at the start of the file.
    pub(crate) fn span(&self, pointer: &str) -> std::ops::Range<usize> {
        match &self.root {
            Some(root) => root.pointer(pointer).map(|n| n.span.clone()),
            None => ANCHORED.iter().position(|p| *p == pointer).and_then(|i| self.anchors[i].clone()),
        }
        .unwrap_or(0..0)
    }
}

/// A file handed over in memory.
#[derive(Debug, Clone)]
pub struct SourceInput {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// What [`Linter::lint_sources`] found: the report, and the typed documents it read on the way,
/// so a caller that needs them (the served catalog) never reads a file twice.
#[derive(Debug)]
pub struct LintedSources {
    /// The diagnostics, sorted, with the sources they point into.
    pub report: Report,
    /// Every file that read as a catalog document, in path order, whatever its diagnostics say;
    /// a file that does not fit the catalog types has none.
    pub documents: Vec<LintedDocument>,
}

/// A file that read as a catalog document.
#[derive(Debug, Clone)]
pub struct LintedDocument {
    /// Path relative to the repository root, as given.
    pub path: String,
    /// The typed document.
    pub document: CatalogDocument,
}

/// What to lint in a repository.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Report only on these files (relative to the root); empty means every catalog file.
    pub files: Vec<String>,
    /// Report only on catalog files changed since this Git revision, and compare them with it.
    pub changed_since: Option<String>,
}

/// A configured linter: rule levels and exclusions resolved. Build it once, use it for any
/// number of runs. The JSON Schemas are compiled once per process and shared by every linter
/// ([`schema::Schemas::shared`]), so building one per configuration (the served catalog does, per
/// revision) costs little.
pub struct Linter {
    levels: RuleLevels,
    exclude: GlobSet,
    github_org: Option<String>,
    engine: pao_vars::Engine,
    /// BLAKE3 of the whole resolved configuration (its `Debug` form: every setting, in a fixed
    /// order), for the cache key.
    config_hash: String,
    /// The date lifecycle rules and `until` dates are checked against; today (UTC) unless set.
    today: Option<String>,
}

impl Linter {
    /// Prepares a linter for a configuration.
    ///
    /// # Errors
    /// When `[lint.rules]` names an unknown rule or `[lint] exclude` has a bad glob.
    pub fn new(config: &Config) -> Result<Self, LintError> {
        let mut overrides = HashMap::new();
        for (code, level) in &config.lint.rules {
            let rule = codes::rule(code).ok_or_else(|| LintError::UnknownRule { code: code.clone() })?;
            overrides.insert(rule.code.to_owned(), *level);
        }
        let mut exclude = GlobSetBuilder::new();
        for pattern in &config.lint.exclude {
            let glob = Glob::new(pattern)
                .map_err(|err| LintError::BadExclude { pattern: pattern.clone(), message: err.kind().to_string() })?;
            exclude.add(glob);
        }
        let exclude = exclude
            .build()
            .map_err(|err| LintError::BadExclude { pattern: String::new(), message: err.to_string() })?;
        Ok(Self {
            levels: RuleLevels::new(overrides),
            exclude,
            github_org: config.catalog.github_org.clone(),
            engine: pao_vars::Engine::new(config.templates.environment.iter().cloned()),
            config_hash: blake3::hash(format!("{config:?}").as_bytes()).to_hex().to_string(),
            today: None,
        })
    }

    /// Checks dates (sunsets, suppression `until`s) against `date` (`YYYY-MM-DD`) instead of
    /// today, so a run can be reproduced and tested on any day.
    #[must_use]
    pub fn with_today(mut self, date: impl Into<String>) -> Self {
        self.today = Some(date.into());
        self
    }

    /// The date lifecycle rules and `until` dates are checked against.
    fn today(&self) -> String {
        self.today.clone().unwrap_or_else(rules::lifecycle::today)
    }

    /// Lints the repository at `root` (the directory holding `catalog/`), without the cache.
    ///
    /// # Errors
    /// When `root` cannot be walked, or `--changed-since` names no revision of its repository.
    pub fn lint_repository(&self, root: &Path, targets: &Targets) -> Result<Report, LintError> {
        let prepared = self.prepare(root, targets, false, |_| (), |(), sources| self.check_all(sources))?;
        let (report, checked) = self.finish(
            prepared.files,
            prepared.codeowners.as_ref(),
            prepared.changes.as_ref(),
            prepared.report_on.as_ref(),
        );
        free_later(checked);
        Ok(self.add_walk_errors(report, prepared.walk_errors, prepared.report_on.as_ref()))
    }

    /// What a run over a repository works on: the files found (with their `stat` when `stat` is
    /// set), handed to `during` with what `setup` made of the CODEOWNERS file while the walk ran;
    /// `--changed-since` compares the work tree with the revision meanwhile. Also the problems of
    /// the walk, the CODEOWNERS file, what changed, and the files reported on.
    fn prepare<S: Send, T: Send>(
        &self,
        root: &Path,
        targets: &Targets,
        stat: bool,
        setup: impl FnOnce(Option<&CodeOwnersFile>) -> S + Send,
        during: impl FnOnce(S, Vec<(String, Input)>) -> T + Send,
    ) -> Result<Prepared<T>, LintError> {
        if !root.is_dir() {
            return Err(LintError::Path { path: root.to_owned(), message: "not a directory".into() });
        }
        let codeowners = CODEOWNERS_PATHS.iter().find_map(|p| {
            // CODEOWNERS is read by the same link rule and size limit as the documents.
            let Some(walk::Found::File(real)) = walk::classify(root, p) else { return None };
            let text = pao_source::read_to_string_bounded(&real, pao_source::MAX_INPUT_BYTES).ok()?;
            Some(CodeOwnersFile { path: (*p).to_owned(), text })
        });
        // The revision of `--changed-since` and the index are read beside the walk; the work
        // tree is compared with them by the `stat`s the walk takes (see `git`).
        let stat = stat || targets.changed_since.is_some();
        let ((sources, walk_errors), (set, revision)) = rayon::join(
            || self.sources(root, targets, stat),
            || {
                let revision = targets.changed_since.as_ref().map(|rev| git::Revision::read(root, rev));
                (setup(codeowners.as_ref()), revision)
            },
        );
        let changes = revision.transpose()?.map(|revision| {
            let files: Vec<git::WorkFile<'_>> = sources
                .iter()
                .filter_map(|(path, input)| {
                    let (real, stat) = match input {
                        Input::Read(real) => (real, None),
                        Input::Found(real, stat) => (real, stat.as_ref()),
                        Input::Bytes(_) => return None,
                    };
                    Some(git::WorkFile { path, real, stat })
                })
                .collect();
            revision.changes(root, &files)
        });
        let files = during(set, sources);
        let mut report_on: Option<BTreeSet<String>> =
            (!targets.files.is_empty()).then(|| targets.files.iter().cloned().collect());
        if let Some(changes) = &changes {
            report_on = Some(match report_on {
                Some(files) => files.intersection(&changes.changed).cloned().collect(),
                None => changes.changed.clone(),
            });
        }
        Ok(Prepared { files, walk_errors, changes, codeowners, report_on })
    }

    /// The files of a run: those the walk finds, then those named that it does not; and the
    /// problems of the walk.
    fn sources(&self, root: &Path, targets: &Targets, stat: bool) -> (Vec<(String, Input)>, WalkErrors) {
        let mut walk_errors = Vec::new();
        let found = walk::walk_entries(root, &root.join("catalog"), false, stat);
        let mut named = Vec::new();
        if !targets.files.is_empty() {
            // The walk's paths, sorted (it sorts them), to tell the files named that it found.
            let discovered: Vec<&str> = found.iter().map(|(path, _, _)| path.as_str()).collect();
            for file in &targets.files {
                if discovered.binary_search(&file.as_str()).is_ok() || self.exclude.is_match(file) {
                    continue;
                }
                match walk::classify(root, file) {
                    Some(walk::Found::File(real)) => named.push((file.clone(), Input::Read(real))),
                    Some(walk::Found::Problem(message)) => walk_errors.push((file.clone(), message)),
                    None => named.push((file.clone(), Input::Read(root.join(file)))),
                }
            }
        }
        let mut sources: Vec<(String, Input)> = Vec::with_capacity(found.len() + named.len());
        for (path, found, entry) in found {
            if self.exclude.is_match(&path) {
                continue;
            }
            match (found, entry) {
                (walk::Found::File(real), Some(stat)) => sources.push((path, Input::Found(real, stat))),
                (walk::Found::File(real), None) => sources.push((path, Input::Read(real))),
                (walk::Found::Problem(message), _) => walk_errors.push((path, message)),
            }
        }
        sources.extend(named);
        (sources, walk_errors)
    }

    /// Adds the findings of the walk itself (links not followed) and sorts the report.
    fn add_walk_errors(
        &self,
        mut report: Report,
        walk_errors: Vec<(String, String)>,
        report_on: Option<&BTreeSet<String>>,
    ) -> Report {
        let mut checker = Checker::new(&self.levels);
        for (path, message) in walk_errors {
            if report_on.is_none_or(|set| set.contains(&path)) {
                checker.report(
                    &yaml::UNREADABLE_FILE,
                    &path,
                    0..0,
                    message,
                    "replace the link with a regular file inside the repository, or remove it".to_owned(),
                );
            }
        }
        report.diagnostics.extend(checker.diagnostics);
        report.sort();
        report
    }

    /// Lints files held in memory as one catalog (cross-file rules see exactly these files), and
    /// hands back the typed documents with the report. `codeowners` is the repository's
    /// CODEOWNERS file (at one of [`CODEOWNERS_PATHS`]), if it has one.
    pub fn lint_sources(&self, files: Vec<SourceInput>, codeowners: Option<SourceInput>) -> LintedSources {
        let sources = files.into_iter().map(|f| (f.path, Input::Bytes(f.bytes))).collect();
        let codeowners = codeowners
            .map(|file| CodeOwnersFile { path: file.path, text: String::from_utf8_lossy(&file.bytes).into_owned() });
        let checked = self.check_all(sources);
        let (mut report, mut checked) = self.finish(checked, codeowners.as_ref(), None, None);
        report.sort();
        let documents = checked
            .iter_mut()
            .filter(|c| c.reading == lenient::Reading::Exact)
            .filter_map(|c| Some(LintedDocument { path: c.path.clone(), document: c.doc.take()? }))
            .collect();
        free_later(checked);
        LintedSources { report, documents }
    }

    /// The per-file checks of every source, in parallel, sorted by path.
    fn check_all(&self, sources: Vec<(String, Input)>) -> Vec<Checked> {
        let today = self.today();
        let cx = self.file_context(&today);
        let mut checked: Vec<Checked> =
            sources.into_par_iter().map(|(path, input)| self.check_input(&cx, path, input.bytes())).collect();
        // The walk's files come sorted: only files named but not found by it are out of place.
        if !checked.is_sorted_by(|a, b| a.path <= b.path) {
            checked.sort_by(|a, b| a.path.cmp(&b.path));
        }
        checked
    }

    fn file_context<'a>(&'a self, today: &'a str) -> FileContext<'a> {
        FileContext { schemas: schema::Schemas::shared(), levels: &self.levels, today, engine: &self.engine }
    }

    /// The per-file checks of one file, or the finding that it could not be read.
    fn check_input(
        &self,
        cx: &FileContext<'_>,
        path: String,
        bytes: Result<Vec<u8>, pao_source::ReadError>,
    ) -> Checked {
        match bytes {
            Ok(bytes) => check_file(cx, path, &bytes),
            Err(pao_source::ReadError::TooLarge { limit, .. }) => {
                // Reported as `decode` reports a large file held in memory.
                let size = usize::try_from(limit).unwrap_or(usize::MAX).saturating_add(1);
                check_too_large(&self.levels, path, size)
            }
            Err(err) => {
                let message = match err {
                    pao_source::ReadError::Io { source, .. } => format!("cannot read the file: {source}"),
                    other => other.to_string(),
                };
                let mut checker = Checker::new(&self.levels);
                checker.report(
                    &yaml::UNREADABLE_FILE,
                    &path,
                    0..0,
                    message,
                    "check the file's permissions and that it is a regular file".to_owned(),
                );
                Checked::without_document(path, checker.diagnostics)
            }
        }
    }

    /// The cross-file rules over every file's results, then the report of the files asked about.
    /// A cached file's source is left out of `report.sources` (it was not read); the caller adds
    /// it.
    fn finish(
        &self,
        mut checked: Vec<Checked>,
        codeowners: Option<&CodeOwnersFile>,
        changes: Option<&git::Changes>,
        report_on: Option<&BTreeSet<String>>,
    ) -> (Report, Vec<Checked>) {
        let wanted = |path: &str| report_on.is_none_or(|set| set.contains(path));
        let today = self.today();
        let mut cross = Checker::new(&self.levels);
        duplicate_ids(&checked, &mut cross);
        // What the ownership rules say of a file depends on that file and CODEOWNERS alone, and
        // what they say of CODEOWNERS on CODEOWNERS alone: unless CODEOWNERS is reported on,
        // only the files reported on need matching.
        if report_on.is_none_or(|set| CODEOWNERS_PATHS.iter().any(|p| set.contains(*p))) {
            ownership::check(&checked.iter().collect::<Vec<_>>(), codeowners, self.github_org.as_deref(), &mut cross);
        } else {
            let some: Vec<&Checked> = checked.iter().filter(|c| wanted(&c.path)).collect();
            ownership::check(&some, codeowners, self.github_org.as_deref(), &mut cross);
        }
        let removed: &[String] = changes.map_or(&[], |c| c.removed_ids.as_slice());
        bundles::check(&checked, removed, &mut cross);
        self.check_bundle_templates(&checked, &mut cross);
        if let Some(changes) = changes {
            changes::check(&checked, &changes.previous, &mut cross);
        }

        let mut report = Report { files: checked.iter().filter(|c| wanted(&c.path)).count(), ..Report::default() };
        let mut all: Vec<Diagnostic> =
            checked.iter_mut().flat_map(|c| std::mem::take(&mut c.diagnostics)).chain(cross.diagnostics).collect();
        self.apply_suppressions(&checked, &mut all, &today);
        // `checked` is sorted by path.
        let file_of = |path: &str| checked.binary_search_by(|c| c.path.as_str().cmp(path)).ok().map(|i| &checked[i]);
        for diagnostic in all.into_iter().filter(|d| wanted(&d.file)) {
            if let Some(file) = file_of(&diagnostic.file) {
                let unread = file.cached.as_ref().is_some_and(|c| c.has_text);
                if !unread {
                    report.sources.entry(diagnostic.file.clone()).or_insert_with(|| Arc::clone(&file.source));
                }
            } else if let Some(file) = codeowners.filter(|c| c.path == diagnostic.file) {
                report
                    .sources
                    .entry(file.path.clone())
                    .or_insert_with(|| Arc::new(SourceFile::new(file.path.clone(), file.text.as_str())));
            }
            report.diagnostics.push(diagnostic);
        }
        (report, checked)
    }
}

/// Entries the walk does not read, each with the message of its finding.
type WalkErrors = Vec<(String, String)>;

/// See [`Linter::prepare`].
struct Prepared<T> {
    /// What `during` made of the files.
    files: T,
    walk_errors: Vec<(String, String)>,
    changes: Option<git::Changes>,
    codeowners: Option<CodeOwnersFile>,
    report_on: Option<BTreeSet<String>>,
}

impl Linter {
    /// Applies each file's `# pao-lint:` comments to that file's findings, cross-file ones
    /// included, and adds the comments' own findings (PAO90x).
    fn apply_suppressions(&self, checked: &[Checked], all: &mut Vec<Diagnostic>, today: &str) {
        let mut by_file: HashMap<String, Vec<&mut Diagnostic>> = HashMap::new();
        for diagnostic in all.iter_mut() {
            by_file.entry(diagnostic.file.clone()).or_default().push(diagnostic);
        }
        let mut own = Checker::new(&self.levels);
        // A cached file with `pao-lint:` comments is parsed again by the cached run (see
        // `incremental`), so its text is here.
        for file in checked.iter().filter(|c| has_suppressions(&c.source.text)) {
            let mut diagnostics = by_file.remove(file.path.as_str()).unwrap_or_default();
            suppress::apply(&file.source.text, &file.path, &mut diagnostics, today, &mut own);
        }
        drop(by_file);
        all.extend(own.diagnostics);
    }
}

/// Whether a file's text may hold `# pao-lint:` comments (suppressions apply to it).
pub(crate) fn has_suppressions(text: &str) -> bool {
    text.contains("pao-lint:")
}

/// Frees the per-file results on a rayon task: freeing ten thousand documents takes a while, and
/// the report does not wait for it.
fn free_later(checked: Vec<Checked>) {
    rayon::spawn(move || drop(checked));
}

impl Linter {
    /// PAO40x for bundles: component templates may read earlier components' outputs, so they
    /// are checked once every item is known.
    fn check_bundle_templates(&self, checked: &[Checked], checker: &mut Checker<'_>) {
        let bundles = checked.iter().filter(|c| matches!(c.doc, Some(CatalogDocument::Bundle(_))));
        let mut bundles = bundles.peekable();
        if bundles.peek().is_none() {
            return;
        }
        let items = ItemsById(
            checked
                .iter()
                .filter_map(|c| match &c.doc {
                    Some(CatalogDocument::Item(item)) => Some((item.metadata.id.as_str(), &**item)),
                    _ => None,
                })
                .collect(),
        );
        for file in bundles {
            if let (Some(doc), Some(root)) = (&file.doc, &file.root) {
                templates::check(&self.engine, &file.source.text, root, doc, &items, &file.path, checker);
            }
        }
    }
}

/// The catalog's items by id, borrowed from the per-file results.
struct ItemsById<'a>(HashMap<&'a str, &'a pao_schema::CatalogItem>);

impl pao_vars::ItemLookup for ItemsById<'_> {
    fn item(&self, id: &str) -> Option<&pao_schema::CatalogItem> {
        self.0.get(id).copied()
    }
}

/// A file to check: read in the parallel pass that checks it, so the bytes of a large catalog
/// are never all in memory at once.
enum Input {
    Read(PathBuf),
    /// A regular file the walk found, with the `stat` it took (`None`: it failed).
    Found(PathBuf, Option<cache::Stat>),
    Bytes(Vec<u8>),
}

impl Input {
    /// The bytes, never more than a catalog document may have (the one bounded reader).
    fn bytes(self) -> Result<Vec<u8>, pao_source::ReadError> {
        match self {
            Self::Read(path) | Self::Found(path, _) => {
                pao_source::read_bounded(&path, pao_source::MAX_FILE_BYTES as u64)
            }
            Self::Bytes(bytes) => Ok(bytes),
        }
    }
}

/// The finding for a file larger than a catalog document may be, read no further than that.
fn check_too_large(levels: &RuleLevels, path: String, size: usize) -> Checked {
    let mut checker = Checker::new(levels);
    let error = pao_source::DecodeError::TooLarge { size, limit: pao_source::MAX_FILE_BYTES };
    yaml::report_decode(&error, &path, &mut checker);
    Checked::without_document(path, checker.diagnostics)
}

/// PAO306: the same `metadata.id` in two documents.
fn duplicate_ids(files: &[Checked], checker: &mut Checker<'_>) {
    let mut first: rustc_hash::FxHashMap<&str, &str> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(files.len(), rustc_hash::FxBuildHasher);
    for file in files {
        let Some(id) = file.id.as_deref() else { continue };
        if let Some(other) = first.get(id) {
            checker.report(
                &naming::DUPLICATE_ITEM_ID,
                &file.path,
                file.span("/metadata/id"),
                format!("id `{id}` is already used by {other}"),
                "ids are unique across the catalog; rename one of the two".to_owned(),
            );
        } else {
            first.insert(id, &file.path);
        }
    }
}
