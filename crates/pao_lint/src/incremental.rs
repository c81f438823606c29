//! The cached lint run ([`Linter::lint_repository_cached`]): files the cache vouches for are
//! neither read nor parsed; their per-file diagnostics and [`Summary`] come from `.pao-cache/`,
//! and the cross-file rules run over summaries and parsed documents alike.
//!
//! ```text
//! walk, stat each file (beside it: read the shards)
//! each file ─► same stat as the entry (and not racy)? ─ yes ─► hit
//!                             └ no ─► read, hash ─► same hash? ─ yes ─► hit (new stat)
//!                                                               └ no ─► check the file
//! parse in full: cached bundles reported on, files compared by --changed-since,
//!                then every item those bundles name
//! cross-file rules ─► report ─► read the text of cached files with findings (hash checked)
//! ─► write the shards that changed
//! ```
//!
//! The cross-file rules need a parsed document only for bundles (their components are checked
//! against the items' forms, lifecycles and versions) and for `--changed-since` (old and new forms
//! are compared); for everything else the summary holds exactly what they read. So the driver
//! parses the bundles reported on, every item one of them names, and the files compared with
//! the revision; bundles not reported on may see summarised items, and their findings are
//! dropped by the report filter like every finding on a file not reported on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pao_diagnostics::{Diagnostic, Report, SourceFile};
use rayon::prelude::*;

use crate::cache::{
    CacheStats, ContentHash, DocSummary, EntryRef, Key, Record, Stat, Store, Summary, content_hash, now_ns,
};
use crate::{Checked, Input, LintError, Linter, Targets, free_later};

/// How a cached file is known to the run (the rest of its summary is in its [`Checked`]).
#[derive(Debug)]
pub(crate) struct CachedFile {
    /// What the cross-file rules read of its typed document.
    pub(crate) doc: Option<DocSummary>,
    /// Whether its text has `# pao-lint:` comments.
    pub(crate) suppressions: bool,
    /// Whether the report's source for it is its text.
    pub(crate) has_text: bool,
    /// The file to read its text from, if a finding needs it.
    real: PathBuf,
    /// The hash its text must have.
    hash: ContentHash,
}

/// One file of a cached run.
struct Slot {
    checked: Checked,
    /// The file on disk, when it was checked from one (a cached file's is in its
    /// [`CachedFile`]; files named but missing have none).
    real: Option<PathBuf>,
    /// The entry to write back (kept as read, or new).
    entry: Option<Record>,
}

impl Slot {
    /// The file on disk, if any.
    fn real(&self) -> Option<&Path> {
        self.checked.cached.as_ref().map(|c| c.real.as_path()).or(self.real.as_deref())
    }
}

impl Linter {
    /// Lints the repository at `root` like [`Linter::lint_repository`], reading and writing the
    /// cache in `root/.pao-cache/`. The report is the one an uncached run gives, byte for byte;
    /// a cache that cannot be read or written only costs time (see [`CacheStats::notes`]).
    ///
    /// # Errors
    /// As [`Linter::lint_repository`].
    pub fn lint_repository_cached(&self, root: &Path, targets: &Targets) -> Result<(Report, CacheStats), LintError> {
        // Taken before the walk, which takes most files' `stat`: an entry's `seen_ns` is never
        // later than its stat.
        let started_ns = now_ns();
        let today = self.today();
        // 1. Which files the cache vouches for (the walk takes their `stat`s).
        // The cache is read while the walk runs: its key needs only CODEOWNERS.
        let prepared = self.prepare(
            root,
            targets,
            true,
            |codeowners| Store::open(root, self.cache_key(&today, codeowners)),
            |store, sources| {
                let slots: Vec<Slot> = sources
                    .into_par_iter()
                    .map(|(path, input)| self.probe(&store, &today, started_ns, path, input))
                    .collect();
                (store, slots)
            },
        )?;
        let (store, mut slots) = prepared.files;
        // The walk's files come sorted: only files named but not found by it are out of place.
        if !slots.is_sorted_by(|a, b| a.checked.path <= b.checked.path) {
            slots.sort_by(|a, b| a.checked.path.cmp(&b.checked.path));
        }
        let report_on = prepared.report_on.as_ref();
        let wanted = |path: &str| report_on.is_none_or(|set| set.contains(path));

        // The diagnostics of the cached files reported on: the findings of other files are
        // dropped from the report, and the cross-file rules read summaries only. An entry whose
        // diagnostics do not read is checked again.
        let unread: Vec<usize> = slots
            .par_iter_mut()
            .enumerate()
            .filter(|(_, slot)| slot.checked.cached.is_some() && wanted(&slot.checked.path))
            .filter_map(|(i, slot)| {
                match slot.entry.as_ref().and_then(|record| store.diagnostics(record)) {
                    Some(diagnostics) => slot.checked.diagnostics = diagnostics,
                    None => {
                        slot.entry = None;
                        return Some(i);
                    }
                }
                None
            })
            .collect();
        self.parse_again(&store, &mut slots, &unread, &today, started_ns);

        // 2. Parse what the cross-file rules need in full: bundles reported on and files compared
        //    with the revision, then the items those bundles name.
        let compared: HashSet<&str> =
            prepared.changes.as_ref().map(|c| c.changed.iter().map(String::as_str).collect()).unwrap_or_default();
        let first: Vec<usize> = (0..slots.len())
            .filter(|&i| {
                let c = &slots[i].checked;
                let Some(cached) = &c.cached else { return false };
                // Suppression comments apply to cross-file findings too, and a replacement's
                // fix edits the text: both need the file's text and tree.
                let needs_text = cached.suppressions || cached.doc.as_ref().is_some_and(|d| d.replacement.is_some());
                (wanted(&c.path) && (c.is_bundle() || needs_text)) || compared.contains(c.path.as_str())
            })
            .collect();
        self.parse_again(&store, &mut slots, &first, &today, started_ns);
        let named: HashSet<String> = slots
            .iter()
            .filter(|s| wanted(&s.checked.path))
            .filter_map(|s| match &s.checked.doc {
                Some(pao_schema::CatalogDocument::Bundle(bundle)) => {
                    Some(bundle.components.iter().map(|c| c.item.clone()))
                }
                _ => None,
            })
            .flatten()
            .collect();
        let second: Vec<usize> = (0..slots.len())
            .filter(|&i| {
                let c = &slots[i].checked;
                c.cached.is_some() && c.doc_id().is_some_and(|id| named.contains(id))
            })
            .collect();
        self.parse_again(&store, &mut slots, &second, &today, started_ns);

        // 3. Cross-file rules and the report.
        let mut entries = Vec::with_capacity(slots.len());
        let mut checked = Vec::with_capacity(slots.len());
        let mut stats = CacheStats::default();
        for slot in slots {
            if slot.checked.cached.is_some() {
                stats.hits += 1;
            } else if slot.real().is_some() {
                stats.checked += 1;
            }
            entries.extend(slot.entry);
            checked.push(slot.checked);
        }
        let (mut report, checked) =
            self.finish(checked, prepared.codeowners.as_ref(), prepared.changes.as_ref(), report_on);
        let complete = add_cached_sources(&mut report, &checked);
        free_later(checked);
        if !complete {
            // A file changed while the run read it: lint again from scratch, without the cache.
            drop(store);
            stats.hits = 0;
            stats.notes.push("a file changed during the run; linted again without the cache".to_owned());
            return self.lint_repository(root, targets).map(|report| (report, stats));
        }
        let report = self.add_walk_errors(report, prepared.walk_errors, report_on);
        let saved = store.save(entries);
        stats.shards_written = saved.shards_written;
        stats.notes = saved.notes;
        Ok((report, stats))
    }

    /// What goes into every cache entry's key besides the file: the cache format, pao-lint's
    /// version and build (the JSON Schemas and rules are compiled into it), the resolved
    /// configuration, today's date (lifecycle rules compare dates with it) and the CODEOWNERS
    /// file.
    fn cache_key(&self, today: &str, codeowners: Option<&crate::CodeOwnersFile>) -> Key {
        let mut hasher = blake3::Hasher::new();
        let mut part = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        part(&crate::cache::FORMAT.to_le_bytes());
        part(env!("CARGO_PKG_VERSION").as_bytes());
        part(build_identity().as_bytes());
        part(self.config_hash.as_bytes());
        part(today.as_bytes());
        match codeowners {
            Some(file) => {
                part(file.path.as_bytes());
                part(file.text.as_bytes());
            }
            None => part(b"no CODEOWNERS"),
        }
        *hasher.finalize().as_bytes()
    }

    /// Looks one file up: a hit when its stat or its hash matches the entry, else its checks.
    /// A hit's diagnostics are not decoded here (see [`Store::diagnostics`]).
    fn probe(&self, store: &Store, today: &str, started_ns: i128, path: String, input: Input) -> Slot {
        let (real, stat) = match input {
            Input::Read(real) => {
                let stat = Stat::of(&real);
                (real, stat)
            }
            Input::Found(real, stat) => (real, stat),
            Input::Bytes(bytes) => {
                let checked = self.check_input(&self.file_context(today), path, Ok(bytes));
                return Slot { checked, real: None, entry: None };
            }
        };
        let known = store.get(&path);
        if let (Some(entry), Some(stat)) = (&known, &stat)
            && entry.stat_matches(stat)
            && let Some(results) = entry.results(false)
        {
            return Slot { checked: from_entry(entry, results, path, real), real: None, entry: Some(entry.kept()) };
        }
        let bytes = pao_source::read_bounded(&real, pao_source::MAX_FILE_BYTES as u64);
        let hash = bytes.as_ref().ok().map(|b| content_hash(b));
        if let (Some(entry), Some(stat), Some(hash)) = (&known, &stat, &hash)
            && entry.hash == *hash
            && let Some(results) = entry.results(false)
        {
            let record = entry.with_stat(stat, started_ns);
            return Slot { checked: from_entry(entry, results, path, real), real: None, entry: Some(record) };
        }
        self.check_read(today, started_ns, path, real, stat, bytes, hash)
    }

    /// Checks a file read from disk (`hash`: of its bytes, when they read), and makes its entry.
    #[allow(clippy::too_many_arguments)]
    fn check_read(
        &self,
        today: &str,
        started_ns: i128,
        path: String,
        real: PathBuf,
        stat: Option<Stat>,
        bytes: Result<Vec<u8>, pao_source::ReadError>,
        hash: Option<ContentHash>,
    ) -> Slot {
        let checked = self.check_input(&self.file_context(today), path, bytes);
        // Unreadable and oversized files are not cached: they are cheap to report again.
        let entry = match (hash, stat) {
            (Some(hash), Some(stat)) => crate::cache::encode_entry(&checked, &hash, &stat, started_ns),
            _ => None,
        };
        Slot { checked, real: Some(real), entry }
    }

    /// Parses the cached files at `indices` in full (their entries are replaced by fresh ones).
    fn parse_again(&self, store: &Store, slots: &mut [Slot], indices: &[usize], today: &str, started_ns: i128) {
        let mut picked: Vec<(usize, &mut Slot)> = Vec::with_capacity(indices.len());
        let mut wanted = indices.iter().copied().peekable();
        for (i, slot) in slots.iter_mut().enumerate() {
            if wanted.peek() == Some(&i) {
                wanted.next();
                picked.push((i, slot));
            }
        }
        picked.into_par_iter().for_each(|(_, slot)| {
            let Some(real) = slot.real().map(Path::to_path_buf) else { return };
            let stat = Stat::of(&real);
            let bytes = pao_source::read_bounded(&real, pao_source::MAX_FILE_BYTES as u64);
            let hash = bytes.as_ref().ok().map(|b| content_hash(b));
            let path = std::mem::take(&mut slot.checked.path);
            let old = slot.entry.take();
            *slot = self.check_read(today, started_ns, path, real, stat, bytes, hash);
            // The same bytes give the same results: the entry read stays as it was.
            if let (Some(old), Some(new)) = (old, &slot.entry)
                && store.same_file(&old, new)
            {
                slot.entry = Some(old);
            }
        });
    }
}

/// The placeholder source of a file the run did not read.
fn unread_source() -> Arc<SourceFile> {
    static UNREAD: std::sync::LazyLock<Arc<SourceFile>> =
        std::sync::LazyLock::new(|| Arc::new(SourceFile::new("", "")));
    Arc::clone(&UNREAD)
}

/// A file's results from its cache entry ([`EntryRef::results`]).
fn from_entry(entry: &EntryRef<'_>, results: (Summary, Vec<Diagnostic>), path: String, real: PathBuf) -> Checked {
    let (summary, diagnostics) = results;
    Checked {
        path,
        source: unread_source(),
        root: None,
        anchors: summary.anchors,
        first_key: summary.first_key,
        id: summary.id,
        kind: summary.kind,
        doc: None,
        reading: summary.reading,
        diagnostics,
        cached: Some(Box::new(CachedFile {
            doc: summary.doc,
            suppressions: summary.suppressions,
            has_text: summary.has_text,
            real,
            hash: entry.hash,
        })),
    }
}

/// Reads the text of each cached file the report has findings in. `false` when one is not the
/// text the entry was made from any more (it changed during the run).
fn add_cached_sources(report: &mut Report, checked: &[Checked]) -> bool {
    let needed: HashSet<&str> = report.diagnostics.iter().map(|d| d.file.as_str()).collect();
    let loaded: Vec<Option<(String, Arc<SourceFile>)>> = checked
        .par_iter()
        .filter(|c| needed.contains(c.path.as_str()))
        .filter_map(|c| Some((c, c.cached.as_ref()?)))
        .map(|(c, cached)| {
            if !cached.has_text {
                return Some((c.path.clone(), Arc::new(SourceFile::new("", ""))));
            }
            let bytes = pao_source::read_bounded(&cached.real, pao_source::MAX_FILE_BYTES as u64).ok()?;
            if content_hash(&bytes) != cached.hash {
                return None;
            }
            let text = pao_source::decode(&bytes).ok()?;
            Some((c.path.clone(), Arc::new(SourceFile::new(c.path.clone(), text))))
        })
        .collect();
    let mut complete = true;
    for item in loaded {
        match item {
            Some((path, source)) => {
                report.sources.insert(path, source);
            }
            None => complete = false,
        }
    }
    complete
}

/// The running executable's size and modification time: a rebuilt pao-lint (a developer's, with
/// the same version number) starts a fresh cache.
fn build_identity() -> String {
    let Some(metadata) = std::env::current_exe().ok().and_then(|exe| std::fs::metadata(exe).ok()) else {
        return "unknown build".to_owned();
    };
    let modified =
        metadata.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    format!("{} {modified}", metadata.len())
}
