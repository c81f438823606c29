//! The cached lint run ([`Linter::lint_repository_cached`]): files the cache vouches for are
//! neither read nor parsed; their per-file diagnostics and [`Summary`] come from `.pao-cache/`,
//! and the cross-file rules run over summaries and parsed documents alike.
//!
//! ```text
//! stat each file ─► same stat as the entry (and not racy)? ─ yes ─► hit
//!                                  └ no ─► read, hash ─► same hash? ─ yes ─► hit (new stat)
//!                                                                    └ no ─► check the file
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

use pao_diagnostics::{Report, SourceFile};
use rayon::prelude::*;

use crate::cache::{CacheStats, Entry, Stat, Store, Summary, content_hash, now_ns};
use crate::{Checked, Input, LintError, Linter, Targets, free_later};

/// How a cached file is known to the run.
#[derive(Debug)]
pub(crate) struct CachedFile {
    /// What the cross-file rules read.
    pub(crate) summary: Summary,
    /// The file to read its text from, if a finding needs it.
    real: PathBuf,
    /// The hash its text must have.
    hash: String,
}

/// One file of a cached run.
struct Slot {
    checked: Checked,
    /// The file on disk, when it is one (files named but missing have no entry).
    real: Option<PathBuf>,
    /// The entry to write back, and whether it differs from the one read.
    entry: Option<(Entry, bool)>,
}

impl Linter {
    /// Lints the repository at `root` like [`Linter::lint_repository`], reading and writing the
    /// cache in `root/.pao-cache/`. The report is the one an uncached run gives, byte for byte;
    /// a cache that cannot be read or written only costs time (see [`CacheStats::notes`]).
    ///
    /// # Errors
    /// As [`Linter::lint_repository`].
    pub fn lint_repository_cached(&self, root: &Path, targets: &Targets) -> Result<(Report, CacheStats), LintError> {
        let prepared = self.prepare(root, targets)?;
        let today = self.today();
        let started_ns = now_ns();
        let store = Store::open(root, self.cache_key(&today, prepared.codeowners.as_ref()));
        let report_on = prepared.report_on.as_ref();
        let wanted = |path: &str| report_on.is_none_or(|set| set.contains(path));

        // 1. Which files the cache vouches for.
        let mut slots: Vec<Slot> = prepared
            .sources
            .into_par_iter()
            .map(|(path, input)| self.probe(&store, &today, started_ns, path, input))
            .collect();
        slots.sort_by(|a, b| a.checked.path.cmp(&b.checked.path));

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
                let needs_text =
                    cached.summary.suppressions || cached.summary.doc.as_ref().is_some_and(|d| d.replacement.is_some());
                (wanted(&c.path) && (c.is_bundle() || needs_text)) || compared.contains(c.path.as_str())
            })
            .collect();
        self.parse_again(&mut slots, &first, &today, started_ns);
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
        self.parse_again(&mut slots, &second, &today, started_ns);

        // 3. Cross-file rules and the report.
        let mut entries = Vec::with_capacity(slots.len());
        let mut checked = Vec::with_capacity(slots.len());
        let mut stats = CacheStats::default();
        for slot in slots {
            if slot.checked.cached.is_some() {
                stats.hits += 1;
            } else if slot.real.is_some() {
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
    fn cache_key(&self, today: &str, codeowners: Option<&crate::CodeOwnersFile>) -> String {
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
        hasher.finalize().to_hex().to_string()
    }

    /// Looks one file up: a hit when its stat or its hash matches the entry, else its checks.
    fn probe(&self, store: &Store, today: &str, started_ns: i128, path: String, input: Input) -> Slot {
        let Input::Read(real) = input else {
            let checked = self.check_input(&self.file_context(today), path, input.bytes());
            return Slot { checked, real: None, entry: None };
        };
        let stat = Stat::of(&real);
        let known = store.entries.get(&path);
        if let (Some(entry), Some(stat)) = (known, &stat)
            && entry.stat_matches(stat)
        {
            return Slot { checked: from_entry(entry, &real), real: Some(real), entry: Some((entry.clone(), false)) };
        }
        let bytes = Input::Read(real.clone()).bytes();
        if let (Some(entry), Some(stat), Ok(bytes)) = (known, stat, &bytes)
            && entry.hash == content_hash(bytes)
        {
            let entry = Entry { stat, seen_ns: started_ns, ..entry.clone() };
            return Slot { checked: from_entry(&entry, &real), real: Some(real), entry: Some((entry, true)) };
        }
        self.check_read(today, started_ns, path, real, stat, bytes)
    }

    /// Checks a file read from disk, and makes its entry.
    fn check_read(
        &self,
        today: &str,
        started_ns: i128,
        path: String,
        real: PathBuf,
        stat: Option<Stat>,
        bytes: Result<Vec<u8>, pao_source::ReadError>,
    ) -> Slot {
        let hash = bytes.as_ref().ok().map(|b| content_hash(b));
        let checked = self.check_input(&self.file_context(today), path, bytes);
        // Unreadable and oversized files are not cached: they are cheap to report again.
        let entry = match (hash, stat) {
            (Some(hash), Some(stat)) => Some((
                Entry {
                    path: checked.path.clone(),
                    hash,
                    stat,
                    seen_ns: started_ns,
                    summary: checked.summary(),
                    diagnostics: checked.diagnostics.clone(),
                },
                true,
            )),
            _ => None,
        };
        Slot { checked, real: Some(real), entry }
    }

    /// Parses the cached files at `indices` in full (their entries are replaced by fresh ones).
    fn parse_again(&self, slots: &mut [Slot], indices: &[usize], today: &str, started_ns: i128) {
        let mut picked: Vec<(usize, &mut Slot)> = Vec::with_capacity(indices.len());
        let mut wanted = indices.iter().copied().peekable();
        for (i, slot) in slots.iter_mut().enumerate() {
            if wanted.peek() == Some(&i) {
                wanted.next();
                picked.push((i, slot));
            }
        }
        picked.into_par_iter().for_each(|(_, slot)| {
            let Some(real) = slot.real.clone() else { return };
            let stat = Stat::of(&real);
            let bytes = Input::Read(real.clone()).bytes();
            let path = std::mem::take(&mut slot.checked.path);
            let old = slot.entry.take();
            *slot = self.check_read(today, started_ns, path, real, stat, bytes);
            // The same bytes give the same results: the entry read stays as it was.
            if let (Some((old, old_changed)), Some((new, _))) = (old, &slot.entry)
                && old.hash == new.hash
                && old.stat == new.stat
            {
                slot.entry = Some((old, old_changed));
            }
        });
    }
}

/// A file's results from its cache entry.
fn from_entry(entry: &Entry, real: &Path) -> Checked {
    let summary = entry.summary.clone();
    Checked {
        path: entry.path.clone(),
        source: Arc::new(SourceFile::new("", "")),
        root: None,
        anchors: summary.anchors.clone(),
        first_key: summary.first_key.clone(),
        id: summary.id.clone(),
        kind: summary.kind.clone(),
        doc: None,
        reading: summary.reading,
        diagnostics: entry.diagnostics.clone(),
        cached: Some(CachedFile { summary, real: real.to_owned(), hash: entry.hash.clone() }),
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
            if !cached.summary.has_text {
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
