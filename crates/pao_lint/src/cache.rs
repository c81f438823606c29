//! The incremental cache under `.pao-cache/` at the repository root: per-file results (the
//! diagnostics of the single-file rules and the [`Summary`] the cross-file rules read), keyed by
//! the file's content hash, pao-lint's build and everything else that affects a file's result.
//!
//! Layout (see docs/lint-cache.md):
//!
//! ```text
//! .pao-cache/.gitignore        "*": the directory is never committed
//! .pao-cache/CACHEDIR.TAG      the standard cache-directory tag (backup tools skip it)
//! .pao-cache/lint/00.json … 3f.json   64 shards; a file's shard is the first byte of
//!                                     BLAKE3(path) modulo 64
//! ```
//!
//! Each shard is one JSON object `{ "format": FORMAT, "key": <run key>, "entries": [...] }`. An
//! entry holds the path, the BLAKE3 hash of the file's bytes, the file's `stat` when it was hashed
//! and the results. A shard whose format or key differs from the run's, or that does not read, is
//! ignored as a whole (and rewritten). Shards are written to a temporary file and renamed into
//! place, so a reader sees a whole shard or none, and concurrent runs cannot tear one.
//!
//! **Why a hit cannot change a result.** The single-file rules are a pure function of the path,
//! the bytes and the [`run key`](Linter::cache_key) (pao-lint's build, the resolved configuration,
//! the CODEOWNERS text and today's date). A hit needs the same path, the same key and the same
//! bytes: either their hash, or a `stat` identical in size, mtime, ctime, inode and device to the
//! one taken before the bytes were hashed, with an mtime older than [`RACY_MARGIN_NS`] before that
//! run began (a write in the same clock tick as the `stat` could otherwise keep the mtime).

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use pao_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

/// Bumped whenever the layout or the meaning of an entry changes; part of the run key too.
pub const FORMAT: u32 = 2;

/// The cache directory's name, at the repository root.
pub const DIR: &str = ".pao-cache";

/// Number of shard files.
const SHARDS: usize = 64;

/// A `stat` is trusted only for files last modified this long before the run that hashed them
/// began: a write within one timestamp tick of the `stat` may leave mtime and ctime unchanged
/// (Linux stamps files from a coarse clock; some file systems keep seconds only).
pub(crate) const RACY_MARGIN_NS: i128 = 2_000_000_000;

/// What the cross-file rules read of a file, so a cached file needs no parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Summary {
    /// `metadata.id` when it is text (the duplicate-id rule).
    pub(crate) id: Option<String>,
    /// `kind` when it is text, whatever else is wrong (bundle rules tell a broken bundle from a
    /// broken item by it).
    pub(crate) kind: Option<String>,
    /// The spans of [`crate::ANCHORED`], in order.
    pub(crate) anchors: Vec<Option<Range<usize>>>,
    /// The first key of the document.
    pub(crate) first_key: Range<usize>,
    /// Set when the file read as a catalog document.
    pub(crate) doc: Option<DocSummary>,
    /// How faithfully `doc` was read ([`crate::lenient`]).
    pub(crate) reading: crate::lenient::Reading,
    /// Whether the text has `# pao-lint:` comments: such a file is parsed again by a cached run,
    /// as the comments also apply to cross-file findings.
    pub(crate) suppressions: bool,
    /// Whether the report's source for this file is its text (false: the file did not decode and
    /// is reported with an empty, unnamed source, as the per-file pipeline does).
    pub(crate) has_text: bool,
}

/// What the cross-file rules read of a typed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DocSummary {
    /// A bundle (else an item).
    pub(crate) bundle: bool,
    /// `metadata.id`.
    pub(crate) id: String,
    /// `metadata.owner.team`.
    pub(crate) team: String,
    /// `metadata.lifecycle.deprecation.replacement`.
    pub(crate) replacement: Option<String>,
    /// For a bundle: the item of each component, in order.
    pub(crate) components: Vec<String>,
}

/// A file's `stat`, compared to tell an unchanged file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stat {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

impl Stat {
    /// The `stat` of `path` (following links, as the file is read).
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self::from_metadata(&metadata))
    }

    #[cfg(unix)]
    fn from_metadata(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            size: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        }
    }

    /// Without ctime and inode numbers a `stat` proves too little: every file is hashed.
    #[cfg(not(unix))]
    fn from_metadata(m: &std::fs::Metadata) -> Self {
        Self { size: m.len(), mtime_ns: i128::MAX, ctime_ns: 0, ino: 0, dev: 0 }
    }
}

/// One file's cached results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) path: String,
    /// BLAKE3 of the bytes, hex.
    pub(crate) hash: String,
    pub(crate) stat: Stat,
    /// When the run that took `stat` began (ns since the Unix epoch).
    pub(crate) seen_ns: i128,
    pub(crate) summary: Summary,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Entry {
    /// Whether `stat` proves the file unchanged since the entry was made.
    pub(crate) fn stat_matches(&self, stat: &Stat) -> bool {
        self.stat == *stat && self.stat.mtime_ns < self.seen_ns - RACY_MARGIN_NS
    }

    /// Whether what the entry says fits its file and pao-lint's rules; an entry that does not
    /// (a corrupt or foreign file that still parsed) is dropped.
    fn is_sound(&self) -> bool {
        let size = usize::try_from(self.stat.size).unwrap_or(usize::MAX);
        let fits = |r: &Range<usize>| r.start <= r.end && r.end <= size;
        self.hash.len() == 64
            && self.summary.anchors.len() == crate::ANCHORED.len()
            && self.summary.anchors.iter().flatten().all(fits)
            && fits(&self.summary.first_key)
            && self.diagnostics.iter().all(|d| {
                d.file == self.path
                    && crate::codes::rule(d.code).is_some_and(|r| r.code == d.code)
                    && fits(&d.range)
                    && d.labels.iter().all(|l| fits(&l.range))
            })
    }
}

/// The hex BLAKE3 hash of a file's bytes.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

#[derive(Serialize, Deserialize)]
struct Shard {
    format: u32,
    key: String,
    entries: Vec<Entry>,
}

fn shard_of(path: &str) -> usize {
    usize::from(blake3::hash(path.as_bytes()).as_bytes()[0]) % SHARDS
}

/// What a cached run did, for `PAO_LINT_DEBUG` and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files whose results came from the cache.
    pub hits: usize,
    /// Files checked (not in the cache, changed, or needed in full by a cross-file rule).
    pub checked: usize,
    /// Shard files written.
    pub shards_written: usize,
    /// Why the cache was not (fully) used: a shard that did not read, a directory that could not
    /// be written. Never an error: the run lints without the cache where it must.
    pub notes: Vec<String>,
}

/// The cache of one run: the entries read, and what the run will write back.
pub(crate) struct Store {
    dir: PathBuf,
    key: String,
    /// Entries read, by path.
    pub(crate) entries: HashMap<String, Entry>,
    /// Shards that must be written (not read, stale, or holding a file no longer there).
    stale: [bool; SHARDS],
    /// How many entries each shard held when read.
    read_counts: [usize; SHARDS],
    pub(crate) stats: CacheStats,
}

impl Store {
    /// Reads the cache of the repository at `root` for runs with `key`. Never fails: what does
    /// not read is noted and ignored.
    pub(crate) fn open(root: &Path, key: String) -> Self {
        let dir = root.join(DIR).join("lint");
        let mut store = Self {
            dir,
            key,
            entries: HashMap::new(),
            stale: [false; SHARDS],
            read_counts: [0; SHARDS],
            stats: CacheStats::default(),
        };
        for shard in 0..SHARDS {
            let path = store.shard_path(shard);
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    store.stale[shard] = true;
                    continue;
                }
                Err(err) => {
                    store.note(format!("cannot read {}: {err}", path.display()));
                    store.stale[shard] = true;
                    continue;
                }
            };
            match serde_json::from_slice::<Shard>(&bytes) {
                Ok(read) if read.format == FORMAT && read.key == store.key => {
                    for entry in read.entries {
                        if entry.is_sound() && shard_of(&entry.path) == shard {
                            store.read_counts[shard] += 1;
                            store.entries.insert(entry.path.clone(), entry);
                        } else {
                            store.stale[shard] = true;
                        }
                    }
                }
                // Another pao-lint build, configuration or day: expected, and silent.
                Ok(_) => store.stale[shard] = true,
                Err(err) => {
                    store.note(format!("ignoring {}: not a pao-lint cache shard ({err})", path.display()));
                    store.stale[shard] = true;
                }
            }
        }
        store
    }

    fn shard_path(&self, shard: usize) -> PathBuf {
        self.dir.join(format!("{shard:02x}.json"))
    }

    fn note(&mut self, note: String) {
        self.stats.notes.push(note);
    }

    /// Writes the shards whose entries differ from what was read. `fresh` holds every file of
    /// the run that has an entry: reused ones (`changed == false`) and new or updated ones.
    pub(crate) fn save(mut self, fresh: Vec<(Entry, bool)>) -> CacheStats {
        let mut shards: Vec<Vec<Entry>> = (0..SHARDS).map(|_| Vec::new()).collect();
        let mut dirty = self.stale;
        let mut reused = [0usize; SHARDS];
        for (entry, changed) in fresh {
            let shard = shard_of(&entry.path);
            if changed {
                dirty[shard] = true;
            } else {
                reused[shard] += 1;
            }
            shards[shard].push(entry);
        }
        for shard in 0..SHARDS {
            // A file gone since the shard was written leaves it with fewer entries.
            if reused[shard] != self.read_counts[shard] {
                dirty[shard] = true;
            }
        }
        if !dirty.iter().any(|d| *d) {
            return self.stats;
        }
        if let Err(err) = self.prepare() {
            self.note(format!("not writing the cache in {}: {err}", self.dir.display()));
            return self.stats;
        }
        for (shard, mut entries) in shards.into_iter().enumerate() {
            if !dirty[shard] {
                continue;
            }
            entries.sort_by(|a, b| a.path.cmp(&b.path));
            let content = Shard { format: FORMAT, key: self.key.clone(), entries };
            match self.write_shard(shard, &content) {
                Ok(()) => self.stats.shards_written += 1,
                Err(err) => {
                    self.note(format!("cannot write {}: {err}", self.shard_path(shard).display()));
                    return self.stats;
                }
            }
        }
        self.stats
    }

    /// Creates the directory with its `.gitignore` and cache tag.
    fn prepare(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let top = self.dir.parent().unwrap_or(&self.dir);
        for (name, content) in [
            (".gitignore", "# Written by pao-lint: its cache is never committed.\n*\n"),
            (
                "CACHEDIR.TAG",
                "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by pao-lint.\n",
            ),
        ] {
            let path = top.join(name);
            if !path.exists() {
                write_atomically(top, &path, content.as_bytes())?;
            }
        }
        Ok(())
    }

    fn write_shard(&self, shard: usize, content: &Shard) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(content).map_err(std::io::Error::other)?;
        write_atomically(&self.dir, &self.shard_path(shard), &bytes)
    }
}

/// Writes `bytes` to a temporary file in `dir` and renames it to `path`: readers see the old file
/// or the new one, never a part.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.persist(path).map_err(|err| err.error)?;
    Ok(())
}
