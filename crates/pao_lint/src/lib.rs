//! pao-lint's engine: finds the catalog documents of a repository, checks each file in parallel,
//! then runs the cross-file rules over per-file summaries, and returns a sorted [`Report`].
//!
//! ```text
//! discover (walkdir) ─► read + check_file (rayon, one parse per file, schemas compiled once)
//!                   ─► cross-file rules (ids, CODEOWNERS, bundles, --changed-since)
//!                   ─► filter to the files asked about ─► sort ─► Report
//! ```
//!
//! Rules are declared with their documentation in `rules/<family>.rs` and listed in
//! [`codes::RULES`]. Library users: [`Linter::lint_repository`] for a work tree,
//! [`Linter::lint_sources`] for files held in memory (the orchestrator reads them from Git).

#![deny(missing_docs)]

mod checker;
pub mod codes;
mod document;
mod git;
pub mod registry;
mod rules;
mod schema;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use pao_config::Config;
pub use pao_diagnostics::{Diagnostic, Report, Severity, SourceFile};
use pao_schema::CatalogDocument;
use pao_source::Node;
use rayon::prelude::*;

use crate::checker::{Checker, RuleLevels};
use crate::document::{FileContext, check_file};
use crate::rules::ownership::{CODEOWNERS_PATHS, CodeOwnersFile};
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
    /// `metadata.id`, when it is text.
    pub(crate) id: Option<String>,
    pub(crate) doc: Option<CatalogDocument>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// The places in a document that cross-file rules point at.
pub(crate) const ANCHORED: [&str; 4] =
    ["/metadata/id", "/metadata/version", "/metadata/owner/team", "/metadata/lifecycle/deprecation/replacement"];

impl Checked {
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

/// What to lint in a repository.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Report only on these files (relative to the root); empty means every catalog file.
    pub files: Vec<String>,
    /// Report only on catalog files changed since this Git revision, and compare them with it.
    pub changed_since: Option<String>,
}

/// A configured linter: schemas compiled, rule levels and exclusions resolved. Build it once,
/// use it for any number of runs.
pub struct Linter {
    schemas: schema::Schemas,
    levels: RuleLevels,
    exclude: GlobSet,
    github_org: Option<String>,
    engine: pao_vars::Engine,
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
            schemas: schema::Schemas::compile(),
            levels: RuleLevels::new(overrides),
            exclude,
            github_org: config.catalog.github_org.clone(),
            engine: pao_vars::Engine::new(config.templates.environment.iter().cloned()),
        })
    }

    /// Lints the repository at `root` (the directory holding `catalog/`).
    ///
    /// # Errors
    /// When `root` cannot be walked, or `--changed-since` names no revision of its repository.
    pub fn lint_repository(&self, root: &Path, targets: &Targets) -> Result<Report, LintError> {
        if !root.is_dir() {
            return Err(LintError::Path { path: root.to_owned(), message: "not a directory".into() });
        }
        let (mut paths, walk_errors) = discover(root);
        paths.retain(|p| !self.exclude.is_match(p));
        let discovered: std::collections::HashSet<String> = paths.iter().cloned().collect();
        for file in &targets.files {
            if !discovered.contains(file) && !self.exclude.is_match(file) {
                paths.push(file.clone());
            }
        }
        let changes = match &targets.changed_since {
            Some(rev) => Some(git::changes_since(root, rev)?),
            None => None,
        };
        let sources: Vec<(String, Input)> = paths
            .into_iter()
            .map(|p| {
                let path = root.join(&p);
                (p, Input::Read(path))
            })
            .collect();
        let codeowners = CODEOWNERS_PATHS.iter().find_map(|p| {
            std::fs::read_to_string(root.join(p)).ok().map(|text| CodeOwnersFile { path: (*p).to_owned(), text })
        });
        let mut report_on: Option<BTreeSet<String>> =
            (!targets.files.is_empty()).then(|| targets.files.iter().cloned().collect());
        if let Some(changes) = &changes {
            report_on = Some(match report_on {
                Some(files) => files.intersection(&changes.changed).cloned().collect(),
                None => changes.changed.clone(),
            });
        }
        let mut report = self.run(sources, codeowners.as_ref(), changes.as_ref(), report_on.as_ref());
        let mut checker = Checker::new(&self.levels);
        for (path, message) in walk_errors {
            if report_on.as_ref().is_none_or(|set| set.contains(&path)) {
                checker.report(
                    &yaml::UNREADABLE_FILE,
                    &path,
                    0..0,
                    message,
                    "replace the link with a regular file, or remove it".to_owned(),
                );
            }
        }
        report.diagnostics.extend(checker.diagnostics);
        report.sort();
        Ok(report)
    }

    /// Lints files held in memory as one catalog (cross-file rules see exactly these files).
    /// `codeowners` is the CODEOWNERS text, if the repository has one.
    pub fn lint_sources(&self, files: Vec<SourceInput>, codeowners: Option<String>) -> Report {
        let sources = files.into_iter().map(|f| (f.path, Input::Bytes(f.bytes))).collect();
        let codeowners = codeowners.map(|text| CodeOwnersFile { path: CODEOWNERS_PATHS[0].to_owned(), text });
        let mut report = self.run(sources, codeowners.as_ref(), None, None);
        report.sort();
        report
    }

    fn run(
        &self,
        sources: Vec<(String, Input)>,
        codeowners: Option<&CodeOwnersFile>,
        changes: Option<&git::Changes>,
        report_on: Option<&BTreeSet<String>>,
    ) -> Report {
        let today = rules::lifecycle::today();
        let cx = FileContext { schemas: &self.schemas, levels: &self.levels, today: &today, engine: &self.engine };
        let mut checked: Vec<Checked> = sources
            .into_par_iter()
            .map(|(path, input)| match input.bytes() {
                Ok(bytes) => check_file(&cx, path, &bytes),
                Err(message) => {
                    let mut checker = Checker::new(&self.levels);
                    checker.report(
                        &yaml::UNREADABLE_FILE,
                        &path,
                        0..0,
                        message,
                        "check the file's permissions and that it is a regular file".to_owned(),
                    );
                    Checked {
                        path,
                        source: Arc::new(SourceFile::new("", "")),
                        root: None,
                        anchors: vec![None; ANCHORED.len()],
                        first_key: 0..0,
                        id: None,
                        doc: None,
                        diagnostics: checker.diagnostics,
                    }
                }
            })
            .collect();
        checked.sort_by(|a, b| a.path.cmp(&b.path));

        let mut cross = Checker::new(&self.levels);
        duplicate_ids(&checked, &mut cross);
        ownership::check(&checked, codeowners, self.github_org.as_deref(), &mut cross);
        let removed: &[String] = changes.map_or(&[], |c| c.removed_ids.as_slice());
        bundles::check(&checked, removed, &mut cross);
        self.check_bundle_templates(&checked, &mut cross);
        if let Some(changes) = changes {
            changes::check(&checked, &changes.previous, &mut cross);
        }

        let mut report = Report::default();
        let wanted = |path: &str| report_on.is_none_or(|set| set.contains(path));
        report.files = checked.iter().filter(|c| wanted(&c.path)).count();
        let all: Vec<Diagnostic> =
            checked.iter_mut().flat_map(|c| std::mem::take(&mut c.diagnostics)).chain(cross.diagnostics).collect();
        let sources: HashMap<&str, &Arc<SourceFile>> = checked.iter().map(|c| (c.path.as_str(), &c.source)).collect();
        for diagnostic in all.into_iter().filter(|d| wanted(&d.file)) {
            if let Some(source) = sources.get(diagnostic.file.as_str()) {
                report.sources.entry(diagnostic.file.clone()).or_insert_with(|| Arc::clone(source));
            } else if let Some(file) = codeowners.filter(|c| c.path == diagnostic.file) {
                report
                    .sources
                    .entry(file.path.clone())
                    .or_insert_with(|| Arc::new(SourceFile::new(file.path.clone(), file.text.as_str())));
            }
            report.diagnostics.push(diagnostic);
        }
        drop(sources);
        // Freeing ten thousand documents takes a while; the report does not wait for it.
        rayon::spawn(move || drop(checked));
        report
    }
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
    Bytes(Vec<u8>),
}

impl Input {
    fn bytes(self) -> Result<Vec<u8>, String> {
        match self {
            Self::Read(path) => read_bounded(&path),
            Self::Bytes(bytes) => Ok(bytes),
        }
    }
}

/// Reads a file, but never more than one byte past the size a catalog document may have: that
/// byte is enough for `decode` to report the file as too large, and a huge file costs nothing.
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let limit = u64::try_from(pao_source::MAX_FILE_BYTES).unwrap_or(u64::MAX) + 1;
    // Sized from the file's length: reading through `Take` would otherwise grow the buffer in
    // steps, one `read` call each.
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    file.take(limit).read_to_end(&mut bytes).map_err(|e| format!("cannot read the file: {e}"))?;
    Ok(bytes)
}

/// Every `.yaml`/`.yml` file under `root/catalog`, relative, sorted; and the entries that could
/// not be walked (symlink loops, unreadable directories) with their messages.
fn discover(root: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let catalog = root.join("catalog");
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if !catalog.is_dir() {
        return (files, errors);
    }
    let relative = |path: &Path| path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
    // Sorted once at the end, as strings: walkdir's per-directory sort compares paths component
    // by component, which costs more than the walk.
    let walker = walkdir::WalkDir::new(&catalog)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(entry) => {
                let name = entry.file_name().to_string_lossy();
                if entry.file_type().is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                    files.push(relative(entry.path()));
                }
            }
            Err(err) => {
                let path = err.path().map_or_else(|| "catalog".to_owned(), relative);
                let message = if err.loop_ancestor().is_some() {
                    "symbolic link loop: this link points at one of its own parent directories".to_owned()
                } else {
                    format!("cannot read: {}", err.io_error().map_or_else(|| err.to_string(), ToString::to_string))
                };
                errors.push((path, message));
            }
        }
    }
    files.sort_unstable();
    (files, errors)
}

/// PAO306: the same `metadata.id` in two documents.
fn duplicate_ids(files: &[Checked], checker: &mut Checker<'_>) {
    let mut first: HashMap<&str, &str> = HashMap::new();
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
