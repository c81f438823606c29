//! The incremental cache under `.pao-cache/` at the repository root: per-file results (the
//! diagnostics of the single-file rules and the [`Summary`] the cross-file rules read), keyed by
//! the file's content hash, pao-lint's build and everything else that affects a file's result.
//!
//! Layout (see docs/lint-cache.md):
//!
//! ```text
//! .pao-cache/.gitignore        "*": the directory is never committed
//! .pao-cache/CACHEDIR.TAG      the standard cache-directory tag (backup tools skip it)
//! .pao-cache/lint/00.bin … 3f.bin   64 shards; a file's shard is the top 6 bits of the
//!                                   FNV-1a hash of its path
//! ```
//!
//! A shard is a header — magic, [`FORMAT`], the run key, the BLAKE3 hash of the body — and a
//! body of binary entries (little-endian, length-prefixed; see [`encode_entry`]). Reading one
//! builds no owned data: the body is kept as read, each entry's path is indexed by its hash,
//! and an entry is decoded only when the run looks its file up — its diagnostics only when the
//! file is reported on. A shard whose magic, format, key or checksum differs from the run's, or
//! whose entries do not read, is ignored as a whole (and rewritten). Shards are written to a
//! temporary file and renamed into place, so a reader sees a whole shard or none, and
//! concurrent runs cannot tear one.
//!
//! **Why a hit cannot change a result.** The single-file rules are a pure function of the path,
//! the bytes and the [`run key`](crate::Linter) (pao-lint's build, the resolved configuration,
//! the CODEOWNERS text and today's date). A hit needs the same path, the same key and the same
//! bytes: either their hash, or a `stat` identical in size, mtime, ctime, inode and device to the
//! one taken before the bytes were hashed, with an mtime older than [`RACY_MARGIN_NS`] before that
//! run began (a write in the same clock tick as the `stat` could otherwise keep the mtime).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use pao_diagnostics::{Diagnostic, Edit, Fix, Label, Severity, Suppression};
use rayon::prelude::*;

use crate::Checked;
use crate::lenient::Reading;

/// Bumped whenever the layout or the meaning of an entry changes; part of the run key too.
/// Format 2 was JSON (`lint/NN.json`); format 3 is the binary layout of this module.
pub const FORMAT: u32 = 3;

/// The cache directory's name, at the repository root.
pub const DIR: &str = ".pao-cache";

/// Number of shard files.
const SHARDS: usize = 64;

/// The first bytes of every shard file.
const MAGIC: &[u8; 8] = b"PAOLINT\x1a";

/// Magic, format, run key, BLAKE3 of the body.
const HEADER: usize = MAGIC.len() + 4 + 32 + 32;

/// A `stat` is trusted only for files last modified this long before the run that hashed them
/// began: a write within one timestamp tick of the `stat` may leave mtime and ctime unchanged
/// (Linux stamps files from a coarse clock; some file systems keep seconds only).
pub(crate) const RACY_MARGIN_NS: i128 = 2_000_000_000;

/// The run key: BLAKE3 of everything besides the file that affects its results.
pub(crate) type Key = [u8; 32];

/// BLAKE3 of a file's bytes.
pub(crate) type ContentHash = [u8; 32];

/// What the cross-file rules read of a cached file, so it needs no parse.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub(crate) reading: Reading,
    /// Whether the text has `# pao-lint:` comments: such a file is parsed again by a cached run,
    /// as the comments also apply to cross-file findings.
    pub(crate) suppressions: bool,
    /// Whether the report's source for this file is its text (false: the file did not decode and
    /// is reported with an empty, unnamed source, as the per-file pipeline does).
    pub(crate) has_text: bool,
}

/// What the cross-file rules read of a typed document.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) size: u64,
    pub(crate) mtime_ns: i128,
    pub(crate) ctime_ns: i128,
    pub(crate) ino: u64,
    pub(crate) dev: u64,
}

/// The bytes a [`Stat`] takes in an entry.
const STAT_BYTES: usize = 8 + 16 + 16 + 8 + 8;

impl Stat {
    /// The `stat` of `path` (following links, as the file is read).
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self::from_metadata(&metadata))
    }

    /// The `stat` of a regular file the walk found (taken relative to its directory).
    pub(crate) fn of_entry(entry: &std::fs::DirEntry) -> Option<Self> {
        let metadata = entry.metadata().ok()?;
        Some(Self::from_metadata(&metadata))
    }

    #[cfg(unix)]
    pub(crate) fn from_metadata(m: &std::fs::Metadata) -> Self {
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
    pub(crate) fn from_metadata(m: &std::fs::Metadata) -> Self {
        Self { size: m.len(), mtime_ns: i128::MAX, ctime_ns: 0, ino: 0, dev: 0 }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.mtime_ns.to_le_bytes());
        out.extend_from_slice(&self.ctime_ns.to_le_bytes());
        out.extend_from_slice(&self.ino.to_le_bytes());
        out.extend_from_slice(&self.dev.to_le_bytes());
    }

    fn decode(r: &mut Reader<'_>) -> Option<Self> {
        Some(Self { size: r.u64()?, mtime_ns: r.i128()?, ctime_ns: r.i128()?, ino: r.u64()?, dev: r.u64()? })
    }
}

/// The BLAKE3 hash of a file's bytes.
pub(crate) fn content_hash(bytes: &[u8]) -> ContentHash {
    *blake3::hash(bytes).as_bytes()
}

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// FNV-1a (64 bits) of a path: the index's key, and (its top bits) the path's shard. Stable
/// across builds and platforms, and cheap for the short strings paths are.
fn path_hash(path: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn shard_of_hash(hash: u64) -> usize {
    // 64 shards: the top 6 bits, which depend on every byte of the path.
    usize::try_from(hash >> 58).unwrap_or(0)
}

/// The index's keys are [`path_hash`]es already: they are used as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; anything else is folded in, to stay a correct hasher.
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Where an entry lies in the shards read: shard, byte range in its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loc {
    shard: u8,
    start: u32,
    end: u32,
}

impl Loc {
    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// An entry as read, borrowed from its shard: the fields every lookup needs are decoded, the
/// results ([`EntryRef::results`]) only on demand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryRef<'a> {
    loc: Loc,
    /// The whole encoded entry, its length prefix included.
    raw: &'a [u8],
    pub(crate) path: &'a str,
    pub(crate) hash: ContentHash,
    pub(crate) stat: Stat,
    seen_ns: i128,
    /// Summary and diagnostics, encoded.
    results: &'a [u8],
}

impl<'a> EntryRef<'a> {
    fn decode(raw: &'a [u8], loc: Loc) -> Option<Self> {
        let mut r = Reader(raw);
        let len = r.u32()? as usize;
        if len != r.0.len() {
            return None;
        }
        let path = r.short_str()?;
        let hash = r.array()?;
        let stat = Stat::decode(&mut r)?;
        let seen_ns = r.i128()?;
        Some(Self { loc, raw, path, hash, stat, seen_ns, results: r.0 })
    }

    /// Whether `stat` proves the file unchanged since the entry was made.
    pub(crate) fn stat_matches(&self, stat: &Stat) -> bool {
        self.stat == *stat && self.stat.mtime_ns < self.seen_ns - RACY_MARGIN_NS
    }

    /// The summary, and the diagnostics when `diagnostics` is set (else none). `None` when what
    /// the entry says does not fit its file or pao-lint's rules (a corrupt or foreign entry).
    pub(crate) fn results(&self, diagnostics: bool) -> Option<(Summary, Vec<Diagnostic>)> {
        let size = usize::try_from(self.stat.size).ok()?;
        let mut r = Reader(self.results);
        let summary = decode_summary(&mut r, size)?;
        let count = r.u32()? as usize;
        if !diagnostics {
            return Some((summary, Vec::new()));
        }
        // Every diagnostic takes more than 16 bytes: a count past that is a lie.
        if count > r.0.len() / 16 {
            return None;
        }
        let mut list = Vec::with_capacity(count);
        for _ in 0..count {
            list.push(decode_diagnostic(&mut r, self.path, size)?);
        }
        r.0.is_empty().then_some((summary, list))
    }

    /// The entry with a new `stat`, taken by a run that began at `seen_ns` (the bytes hashed the
    /// same): the rest is copied as it is.
    pub(crate) fn with_stat(&self, stat: &Stat, seen_ns: i128) -> Record {
        let mut bytes = Vec::with_capacity(self.raw.len());
        let at = self.raw.len() - self.results.len() - STAT_BYTES - 16;
        bytes.extend_from_slice(&self.raw[..at]);
        stat.encode(&mut bytes);
        bytes.extend_from_slice(&seen_ns.to_le_bytes());
        bytes.extend_from_slice(self.results);
        Record::New { shard: shard_of_hash(path_hash(self.path)), bytes }
    }

    /// The entry as it was read, to be written back unchanged.
    pub(crate) fn kept(&self) -> Record {
        Record::Kept(self.loc)
    }
}

/// An entry of the run, to be written back: one read and unchanged, or a new encoding.
#[derive(Debug)]
pub(crate) enum Record {
    /// As read (its shard and place there).
    Kept(Loc),
    /// New or updated.
    New {
        /// Its shard.
        shard: usize,
        /// The encoded entry.
        bytes: Vec<u8>,
    },
}

impl Record {
    fn shard(&self) -> usize {
        match self {
            Self::Kept(loc) => usize::from(loc.shard),
            Self::New { shard, .. } => *shard,
        }
    }

    /// Whether it differs from what was read.
    pub(crate) fn changed(&self) -> bool {
        matches!(self, Self::New { .. })
    }
}

/// Encodes a checked file's entry: its path, `hash`, `stat`, the start of the run that took the
/// stat, its [`Summary`] and its diagnostics. `None` when the results cannot be kept (a finding
/// in another file, a rule code pao-lint does not know, a range past 4 GiB): such a file is
/// checked again by the next run, as a corrupt entry would be.
pub(crate) fn encode_entry(checked: &Checked, hash: &ContentHash, stat: &Stat, seen_ns: i128) -> Option<Record> {
    let path = checked.path.as_str();
    let mut out = Vec::with_capacity(256 + 128 * checked.diagnostics.len());
    out.extend_from_slice(&[0; 4]);
    put_short_str(&mut out, path)?;
    out.extend_from_slice(hash);
    stat.encode(&mut out);
    out.extend_from_slice(&seen_ns.to_le_bytes());
    encode_summary(&mut out, checked)?;
    put_u32(&mut out, checked.diagnostics.len())?;
    for diagnostic in &checked.diagnostics {
        encode_diagnostic(&mut out, diagnostic, path)?;
    }
    let len = u32::try_from(out.len() - 4).ok()?;
    out[..4].copy_from_slice(&len.to_le_bytes());
    Some(Record::New { shard: shard_of_hash(path_hash(path)), bytes: out })
}

/// Bits of the summary's flag byte.
const HAS_ID: u8 = 1;
const HAS_KIND: u8 = 2;
const HAS_DOC: u8 = 4;
const SUPPRESSIONS: u8 = 8;
const HAS_TEXT: u8 = 16;

fn encode_summary(out: &mut Vec<u8>, checked: &Checked) -> Option<()> {
    let mut flags = 0;
    for (set, bit) in [
        (checked.id.is_some(), HAS_ID),
        (checked.kind.is_some(), HAS_KIND),
        (checked.doc.is_some(), HAS_DOC),
        (crate::has_suppressions(&checked.source.text), SUPPRESSIONS),
        (checked.source.path == checked.path, HAS_TEXT),
    ] {
        if set {
            flags |= bit;
        }
    }
    out.push(flags);
    out.push(match checked.reading {
        Reading::Exact => 0,
        Reading::WithoutUnknownKeys => 1,
        Reading::WithoutValues => 2,
    });
    for text in [&checked.id, &checked.kind].into_iter().flatten() {
        put_str(out, text)?;
    }
    for i in 0..crate::ANCHORED.len() {
        put_opt_range(out, checked.span_of(i).as_ref())?;
    }
    put_range(out, &checked.first_key)?;
    if let Some(doc) = &checked.doc {
        let metadata = doc.metadata();
        let components: Vec<&str> = match doc {
            pao_schema::CatalogDocument::Bundle(bundle) => bundle.components.iter().map(|c| c.item.as_str()).collect(),
            pao_schema::CatalogDocument::Item(_) => Vec::new(),
        };
        out.push(u8::from(matches!(doc, pao_schema::CatalogDocument::Bundle(_))));
        put_str(out, &metadata.id)?;
        put_str(out, &metadata.owner.team)?;
        put_opt_str(out, metadata.lifecycle.deprecation.as_ref().and_then(|d| d.replacement.as_deref()))?;
        put_u32(out, components.len())?;
        for component in components {
            put_str(out, component)?;
        }
    }
    Some(())
}

fn decode_summary(r: &mut Reader<'_>, size: usize) -> Option<Summary> {
    let flags = r.u8()?;
    if flags & !(HAS_ID | HAS_KIND | HAS_DOC | SUPPRESSIONS | HAS_TEXT) != 0 {
        return None;
    }
    let reading = match r.u8()? {
        0 => Reading::Exact,
        1 => Reading::WithoutUnknownKeys,
        2 => Reading::WithoutValues,
        _ => return None,
    };
    let id = if flags & HAS_ID != 0 { Some(r.string()?) } else { None };
    let kind = if flags & HAS_KIND != 0 { Some(r.string()?) } else { None };
    let mut anchors = Vec::with_capacity(crate::ANCHORED.len());
    for _ in 0..crate::ANCHORED.len() {
        anchors.push(r.opt_range(size)?);
    }
    let first_key = r.range(size)?;
    let doc = if flags & HAS_DOC != 0 {
        let bundle = r.bool()?;
        let id = r.string()?;
        let team = r.string()?;
        let replacement = r.opt_string()?;
        let count = r.u32()? as usize;
        // Every component takes at least its 4-byte length.
        if count > r.0.len() / 4 {
            return None;
        }
        let mut components = Vec::with_capacity(count);
        for _ in 0..count {
            components.push(r.string()?);
        }
        Some(DocSummary { bundle, id, team, replacement, components })
    } else {
        None
    };
    Some(Summary {
        id,
        kind,
        anchors,
        first_key,
        doc,
        reading,
        suppressions: flags & SUPPRESSIONS != 0,
        has_text: flags & HAS_TEXT != 0,
    })
}

/// A diagnostic of the file at `path`: its `file` is not stored (it must be `path`), its rule
/// code is stored as the rule's place in [`crate::codes::RULES`] (the run key includes the
/// build, so the table is the same when read). Every field is destructured, so a field added to
/// [`Diagnostic`] does not compile here until the cache keeps it.
fn encode_diagnostic(out: &mut Vec<u8>, diagnostic: &Diagnostic, path: &str) -> Option<()> {
    let Diagnostic { code, severity, message, help, file, range, labels, suppression, fix } = diagnostic;
    if file != path {
        return None;
    }
    let rule = crate::codes::RULES.iter().position(|r| r.code == *code)?;
    out.extend_from_slice(&u16::try_from(rule).ok()?.to_le_bytes());
    out.push(match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
    });
    put_str(out, message)?;
    put_opt_str(out, help.as_deref())?;
    put_range(out, range)?;
    put_u32(out, labels.len())?;
    for Label { range, message } in labels {
        put_range(out, range)?;
        put_str(out, message)?;
    }
    match suppression {
        Some(Suppression { justification, range, until }) => {
            out.push(1);
            put_str(out, justification)?;
            put_range(out, range)?;
            put_opt_str(out, until.as_deref())?;
        }
        None => out.push(0),
    }
    match fix {
        Some(Fix { title, edits }) => {
            out.push(1);
            put_str(out, title)?;
            put_u32(out, edits.len())?;
            for Edit { range, replacement } in edits {
                put_range(out, range)?;
                put_str(out, replacement)?;
            }
        }
        None => out.push(0),
    }
    Some(())
}

fn decode_diagnostic(r: &mut Reader<'_>, path: &str, size: usize) -> Option<Diagnostic> {
    let rule = crate::codes::RULES.get(usize::from(r.u16()?))?;
    let severity = match r.u8()? {
        0 => Severity::Error,
        1 => Severity::Warning,
        _ => return None,
    };
    let message = r.string()?;
    let help = r.opt_string()?;
    let range = r.range(size)?;
    let count = r.u32()? as usize;
    if count > r.0.len() / 12 {
        return None;
    }
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        labels.push(Label { range: r.range(size)?, message: r.string()? });
    }
    let suppression = if r.bool()? {
        Some(Suppression { justification: r.string()?, range: r.range(size)?, until: r.opt_string()? })
    } else {
        None
    };
    let fix = if r.bool()? {
        let title = r.string()?;
        let count = r.u32()? as usize;
        if count > r.0.len() / 12 {
            return None;
        }
        let mut edits = Vec::with_capacity(count);
        for _ in 0..count {
            edits.push(Edit { range: r.range(size)?, replacement: r.string()? });
        }
        Some(Fix { title, edits })
    } else {
        None
    };
    Some(Diagnostic {
        code: rule.code,
        severity,
        message,
        help,
        file: path.to_owned(),
        range,
        labels,
        suppression,
        fix,
    })
}

fn put_u32(out: &mut Vec<u8>, value: usize) -> Option<()> {
    out.extend_from_slice(&u32::try_from(value).ok()?.to_le_bytes());
    Some(())
}

fn put_short_str(out: &mut Vec<u8>, text: &str) -> Option<()> {
    out.extend_from_slice(&u16::try_from(text.len()).ok()?.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    Some(())
}

fn put_str(out: &mut Vec<u8>, text: &str) -> Option<()> {
    put_u32(out, text.len())?;
    out.extend_from_slice(text.as_bytes());
    Some(())
}

fn put_opt_str(out: &mut Vec<u8>, text: Option<&str>) -> Option<()> {
    match text {
        Some(text) => {
            out.push(1);
            put_str(out, text)
        }
        None => {
            out.push(0);
            Some(())
        }
    }
}

fn put_range(out: &mut Vec<u8>, range: &Range<usize>) -> Option<()> {
    put_u32(out, range.start)?;
    put_u32(out, range.end)
}

fn put_opt_range(out: &mut Vec<u8>, range: Option<&Range<usize>>) -> Option<()> {
    match range {
        Some(range) => {
            out.push(1);
            put_range(out, range)
        }
        None => {
            out.push(0);
            Some(())
        }
    }
}

/// Reads an entry's fields; every read is bounds-checked, so corrupt bytes give `None`, never a
/// panic.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    fn i128(&mut self) -> Option<i128> {
        Some(i128::from_le_bytes(self.array()?))
    }

    fn short_str(&mut self) -> Option<&'a str> {
        let len = usize::from(self.u16()?);
        std::str::from_utf8(self.take(len)?).ok()
    }

    fn str(&mut self) -> Option<&'a str> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        Some(if self.bool()? { Some(self.string()?) } else { None })
    }

    /// A range within a file of `size` bytes.
    fn range(&mut self, size: usize) -> Option<Range<usize>> {
        let start = self.u32()? as usize;
        let end = self.u32()? as usize;
        (start <= end && end <= size).then_some(start..end)
    }

    fn opt_range(&mut self, size: usize) -> Option<Option<Range<usize>>> {
        Some(if self.bool()? { Some(self.range(size)?) } else { None })
    }
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

/// One shard as read.
enum ShardRead {
    /// No such file: a cache not written yet.
    Missing,
    /// Not usable; with a note when that is not expected (another build's shard is).
    Unusable(Option<String>),
    /// Its bytes, where each entry is (path hash, place), and whether every entry read belongs
    /// in this shard.
    Read { body: Vec<u8>, entries: Vec<(u64, Loc)>, sound: bool },
}

/// The cache of one run: the shards read, indexed by path, and what the run will write back.
pub(crate) struct Store {
    dir: PathBuf,
    key: Key,
    /// Each shard as read (header included; empty when not read).
    bodies: Vec<Vec<u8>>,
    /// Each entry read, by [`path_hash`] of its path.
    index: HashMap<u64, Loc, BuildHasherDefault<Prehashed>>,
    /// Shards that must be written (not read, stale, or holding a file no longer there).
    stale: [bool; SHARDS],
    /// How many entries each shard held when read.
    read_counts: [usize; SHARDS],
    pub(crate) stats: CacheStats,
}

impl Store {
    /// Reads the cache of the repository at `root` for runs with `key`. Never fails: what does
    /// not read is noted and ignored.
    pub(crate) fn open(root: &Path, key: Key) -> Self {
        let dir = root.join(DIR).join("lint");
        let read: Vec<ShardRead> = (0..SHARDS).into_par_iter().map(|shard| read_shard(&dir, shard, &key)).collect();
        let total = read.iter().map(|r| if let ShardRead::Read { entries, .. } = r { entries.len() } else { 0 }).sum();
        let mut store = Self {
            dir,
            key,
            bodies: Vec::with_capacity(SHARDS),
            index: HashMap::with_capacity_and_hasher(total, BuildHasherDefault::default()),
            stale: [false; SHARDS],
            read_counts: [0; SHARDS],
            stats: CacheStats::default(),
        };
        for (shard, read) in read.into_iter().enumerate() {
            match read {
                ShardRead::Missing => {
                    store.stale[shard] = true;
                    store.bodies.push(Vec::new());
                }
                ShardRead::Unusable(note) => {
                    store.stats.notes.extend(note);
                    store.stale[shard] = true;
                    store.bodies.push(Vec::new());
                }
                ShardRead::Read { body, entries, sound } => {
                    store.stale[shard] |= !sound;
                    store.read_counts[shard] = entries.len();
                    store.index.extend(entries);
                    store.bodies.push(body);
                }
            }
        }
        store
    }

    /// The entry read for `path`, if any.
    pub(crate) fn get(&self, path: &str) -> Option<EntryRef<'_>> {
        let loc = *self.index.get(&path_hash(path))?;
        let entry = self.at(loc)?;
        (entry.path == path).then_some(entry)
    }

    fn at(&self, loc: Loc) -> Option<EntryRef<'_>> {
        EntryRef::decode(self.bodies.get(usize::from(loc.shard))?.get(loc.range())?, loc)
    }

    /// The diagnostics a record holds; `None` when they do not read or do not fit the file.
    pub(crate) fn diagnostics(&self, record: &Record) -> Option<Vec<Diagnostic>> {
        let raw = self.raw(record);
        let entry = EntryRef::decode(raw, Loc { shard: 0, start: 0, end: u32::try_from(raw.len()).ok()? })?;
        entry.results(true).map(|(_, diagnostics)| diagnostics)
    }

    /// Whether two records are of the same path, bytes and `stat`.
    pub(crate) fn same_file(&self, a: &Record, b: &Record) -> bool {
        match (self.identity(a), self.identity(b)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// A record's path, hash and stat, encoded.
    fn identity<'a>(&'a self, record: &'a Record) -> Option<&'a [u8]> {
        let raw = match record {
            Record::Kept(loc) => self.bodies.get(usize::from(loc.shard))?.get(loc.range())?,
            Record::New { bytes, .. } => bytes,
        };
        let path_len = usize::from(u16::from_le_bytes(raw.get(4..6)?.try_into().ok()?));
        raw.get(4..6 + path_len + 32 + STAT_BYTES)
    }

    fn shard_path(&self, shard: usize) -> PathBuf {
        self.dir.join(format!("{shard:02x}.bin"))
    }

    fn note(&mut self, note: String) {
        self.stats.notes.push(note);
    }

    /// Writes the shards whose entries differ from what was read. `fresh` holds every file of
    /// the run that has an entry, in path order: reused ones and new or updated ones.
    pub(crate) fn save(mut self, fresh: Vec<Record>) -> CacheStats {
        let mut shards: Vec<Vec<Record>> = (0..SHARDS).map(|_| Vec::new()).collect();
        let mut dirty = self.stale;
        let mut reused = [0usize; SHARDS];
        for record in fresh {
            let shard = record.shard();
            if record.changed() {
                dirty[shard] = true;
            } else {
                reused[shard] += 1;
            }
            shards[shard].push(record);
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
        let written: Vec<(usize, std::io::Result<()>)> = shards
            .par_iter()
            .enumerate()
            .filter(|(shard, _)| dirty[*shard])
            .map(|(shard, records)| (shard, self.write_shard(shard, records)))
            .collect();
        for (shard, result) in written {
            match result {
                Ok(()) => self.stats.shards_written += 1,
                Err(err) => {
                    self.note(format!("cannot write {}: {err}", self.shard_path(shard).display()));
                    return self.stats;
                }
            }
        }
        self.stats
    }

    /// Creates the directory with its `.gitignore` and cache tag, and removes the shards of the
    /// JSON format (2) an older pao-lint wrote, which this one never reads.
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
        if self.dir.join("00.json").exists() {
            for shard in 0..SHARDS {
                // Best effort: a shard left behind only takes room.
                let _ = std::fs::remove_file(self.dir.join(format!("{shard:02x}.json")));
            }
        }
        Ok(())
    }

    fn write_shard(&self, shard: usize, records: &[Record]) -> std::io::Result<()> {
        let mut body = Vec::with_capacity(records.iter().map(|r| self.raw(r).len()).sum());
        for record in records {
            body.extend_from_slice(self.raw(record));
        }
        let mut bytes = Vec::with_capacity(HEADER + body.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        bytes.extend_from_slice(&self.key);
        bytes.extend_from_slice(blake3::hash(&body).as_bytes());
        bytes.extend_from_slice(&body);
        write_atomically(&self.dir, &self.shard_path(shard), &bytes)
    }

    /// A record's encoded bytes.
    fn raw<'a>(&'a self, record: &'a Record) -> &'a [u8] {
        match record {
            Record::Kept(loc) => {
                self.bodies.get(usize::from(loc.shard)).and_then(|b| b.get(loc.range())).unwrap_or(&[])
            }
            Record::New { bytes, .. } => bytes,
        }
    }
}

/// Reads and checks one shard file: its header, its checksum, and where each entry lies.
fn read_shard(dir: &Path, shard: usize, key: &Key) -> ShardRead {
    let path = dir.join(format!("{shard:02x}.bin"));
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return ShardRead::Missing,
        Err(err) => return ShardRead::Unusable(Some(format!("cannot read {}: {err}", path.display()))),
    };
    let foreign = |why: &str| ShardRead::Unusable(Some(format!("ignoring {}: {why}", path.display())));
    if bytes.len() < HEADER || !bytes.starts_with(MAGIC) {
        return foreign("not a pao-lint cache shard");
    }
    let mut header = Reader(&bytes[MAGIC.len()..HEADER]);
    let (Some(format), Some(shard_key), Some(checksum)) = (header.u32(), header.array::<32>(), header.array::<32>())
    else {
        return foreign("not a pao-lint cache shard");
    };
    // Another pao-lint build, configuration or day: expected, and silent.
    if format != FORMAT || shard_key != *key {
        return ShardRead::Unusable(None);
    }
    // Entries are placed by their offset in the whole file, header included.
    let body = bytes;
    if *blake3::hash(&body[HEADER..]).as_bytes() != checksum {
        return foreign("its checksum does not match (a truncated or damaged file)");
    }
    let mut entries = Vec::new();
    let mut sound = true;
    let mut at = HEADER;
    while at < body.len() {
        let Some(loc) = entry_at(&body, at, shard) else {
            return foreign("an entry does not read");
        };
        let Some(entry) = EntryRef::decode(&body[loc.range()], loc) else {
            return foreign("an entry does not read");
        };
        let hash = path_hash(entry.path);
        // An entry in another shard than its path's is left out (and the shard rewritten).
        if shard_of_hash(hash) == shard {
            entries.push((hash, loc));
        } else {
            sound = false;
        }
        at = loc.end as usize;
    }
    ShardRead::Read { body, entries, sound }
}

/// The place of the entry starting at `at` in a shard's body.
fn entry_at(body: &[u8], at: usize, shard: usize) -> Option<Loc> {
    let len = u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?) as usize;
    let end = at.checked_add(4)?.checked_add(len)?;
    if end > body.len() {
        return None;
    }
    Some(Loc { shard: u8::try_from(shard).ok()?, start: u32::try_from(at).ok()?, end: u32::try_from(end).ok()? })
}

/// Writes `bytes` to a temporary file in `dir` and renames it to `path`: readers see the old file
/// or the new one, never a part.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries made by checking real files: one clean, one with findings (fixes, labels).
    fn records() -> Vec<(Checked, Vec<u8>)> {
        let linter = crate::Linter::new(&pao_config::Config::default()).unwrap();
        let today = "2026-01-01".to_owned();
        let cx = linter.file_context(&today);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(root.join("databases")).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let clean = std::fs::read(&files[0]).unwrap();
        let broken =
            String::from_utf8(clean.clone()).unwrap().replacen("  owner:", "  ownr:", 1).replacen("name:", "nmae:", 1);
        let mut out = Vec::new();
        for bytes in [clean, broken.into_bytes(), b"{ not: [yaml".to_vec()] {
            let checked = crate::document::check_file(&cx, "catalog/databases/x.yaml".to_owned(), &bytes);
            let stat = Stat { size: bytes.len() as u64, mtime_ns: 1, ctime_ns: 2, ino: 3, dev: 4 };
            let Some(Record::New { bytes: encoded, .. }) = encode_entry(&checked, &content_hash(&bytes), &stat, 10)
            else {
                panic!("not encoded")
            };
            out.push((checked, encoded));
        }
        assert!(out.iter().any(|(c, _)| !c.diagnostics.is_empty()), "a file with findings");
        out
    }

    fn loc(raw: &[u8]) -> Loc {
        Loc { shard: 0, start: 0, end: u32::try_from(raw.len()).unwrap() }
    }

    #[test]
    fn entries_read_back_as_written() {
        for (checked, raw) in records() {
            let entry = EntryRef::decode(&raw, loc(&raw)).unwrap();
            assert_eq!(entry.path, checked.path);
            let (summary, diagnostics) = entry.results(true).unwrap();
            assert_eq!(diagnostics, checked.diagnostics);
            assert_eq!(summary.id, checked.id);
            assert_eq!(summary.kind, checked.kind);
            assert_eq!(summary.first_key, checked.first_key);
            let anchors: Vec<_> = (0..crate::ANCHORED.len()).map(|i| checked.span_of(i)).collect();
            assert_eq!(summary.anchors, anchors);
            assert_eq!(summary.doc.is_some(), checked.doc.is_some());
            // Without diagnostics, the same summary and none decoded.
            assert_eq!(entry.results(false).unwrap(), (summary, Vec::new()));
            // A new stat keeps the rest.
            let Record::New { bytes, .. } = entry.with_stat(&Stat { size: 7, ..entry.stat }, 99) else { panic!() };
            let moved = EntryRef::decode(&bytes, loc(&bytes)).unwrap();
            assert_eq!(moved.stat.size, 7);
            assert_eq!(moved.hash, entry.hash);
            assert_eq!(moved.results, entry.results);
        }
    }

    /// Every truncation and every flipped bit of an entry reads as `None` or as some entry,
    /// never a panic (the shard's checksum is what tells a damaged entry; this is the decoder's
    /// own guard).
    #[test]
    fn damaged_entries_never_panic() {
        for (_, raw) in records() {
            for len in 0..raw.len() {
                let cut = &raw[..len];
                if let Some(entry) = EntryRef::decode(cut, loc(cut)) {
                    let _ = entry.results(true);
                }
            }
            for at in 0..raw.len() {
                for bit in [0x01, 0x80] {
                    let mut flipped = raw.clone();
                    flipped[at] ^= bit;
                    if let Some(entry) = EntryRef::decode(&flipped, loc(&flipped)) {
                        let _ = entry.results(true);
                        let _ = entry.results(false);
                    }
                }
            }
        }
    }

    #[test]
    fn shards_with_a_bad_header_or_checksum_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let key = [7; 32];
        let write = |bytes: &[u8]| std::fs::write(dir.path().join("00.bin"), bytes).unwrap();
        let mut good = Vec::new();
        good.extend_from_slice(MAGIC);
        good.extend_from_slice(&FORMAT.to_le_bytes());
        good.extend_from_slice(&key);
        good.extend_from_slice(blake3::hash(b"").as_bytes());
        write(&good);
        assert!(matches!(read_shard(dir.path(), 0, &key), ShardRead::Read { .. }));
        // Another key or format: ignored without a note.
        assert!(matches!(read_shard(dir.path(), 0, &[8; 32]), ShardRead::Unusable(None)));
        let mut old = good.clone();
        old[8..12].copy_from_slice(&(FORMAT - 1).to_le_bytes());
        write(&old);
        assert!(matches!(read_shard(dir.path(), 0, &key), ShardRead::Unusable(None)));
        // A body that does not match its checksum, a truncated header, no magic: noted.
        let mut extra = good.clone();
        extra.push(0);
        for bytes in [extra, good[..HEADER - 1].to_vec(), b"{\"format\":2}".to_vec()] {
            write(&bytes);
            assert!(matches!(read_shard(dir.path(), 0, &key), ShardRead::Unusable(Some(_))));
        }
        // A body with a valid checksum whose entry lengths run past its end.
        let mut lying = good[..HEADER - 32].to_vec();
        let body = 1000u32.to_le_bytes();
        lying.extend_from_slice(blake3::hash(&body).as_bytes());
        lying.extend_from_slice(&body);
        write(&lying);
        assert!(matches!(read_shard(dir.path(), 0, &key), ShardRead::Unusable(Some(_))));
    }
}
