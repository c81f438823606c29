//! The incremental cache never changes a result: a differential test applies random edits to a
//! copy of the example catalog (a real Git repository) and compares cached and uncached runs
//! after every edit — the JSON report, the human report and the SARIF fingerprints — with file
//! arguments and `--changed-since` as well as whole-catalog runs. The edits include schema errors
//! in items bundles name and `# pao-lint:` comments added and removed. Also: a corrupt, truncated or
//! foreign cache, a cache directory that cannot be written, and concurrent runs.
//!
//! `PAO_CACHE_ROUNDS=<n>` runs the differential test longer (default 80 rounds); a failure
//! prints the seed and round.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use pao_config::Config;
use pao_diagnostics::Report;
use pao_diagnostics::fingerprint::fingerprints;
use pao_diagnostics::render::{HumanOptions, render_human, render_json};
use pao_lint::{Linter, Targets};
use pao_testutil::{git, workspace_root};

/// A small deterministic generator (xorshift64*): the test needs no `rand`, and a seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Copies the example catalog, `pao.toml` and a CODEOWNERS into a new Git repository.
fn example_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace_root();
    copy_tree(&root.join("catalog"), &dir.path().join("catalog"));
    std::fs::copy(root.join("pao.toml"), dir.path().join("pao.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join(".github")).unwrap();
    std::fs::write(
        dir.path().join(".github/CODEOWNERS"),
        "/catalog/databases/ @acme/dba\n/catalog/compute/ @acme/platform\n/catalog/ @acme/platform\n",
    )
    .unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "catalog"]);
    age_all(dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The catalog files, relative to the root, sorted.
fn catalog_files(root: &Path) -> Vec<String> {
    let mut files: Vec<String> =
        pao_lint::walk::walk(root, &root.join("catalog")).into_iter().map(|(p, _)| p).collect();
    files.sort();
    files
}

/// Sets every file's mtime an hour back, so the cache may trust `stat` (files written within
/// two seconds of a run are always hashed, see `cache::RACY_MARGIN_NS`).
fn age_all(root: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    for file in catalog_files(root) {
        set_mtime(&root.join(file), old);
    }
}

fn set_mtime(path: &Path, time: SystemTime) {
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        file.set_modified(time).unwrap();
    }
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Everything a user can see of a report, and what `--fix` would do.
fn seen(report: &Report) -> String {
    let fixes: Vec<_> = report.diagnostics.iter().map(|d| (&d.fix, &d.suppression)).collect();
    format!(
        "{}\n{}\n{:?}\n{fixes:?}",
        render_json(report),
        render_human(report, HumanOptions { color: false, width: 100 }),
        fingerprints(report)
    )
}

fn linter(root: &Path) -> Linter {
    Linter::new(&Config::discover(root).unwrap()).unwrap()
}

/// Runs uncached and cached; asserts they agree; returns the cache's hits.
fn compare(root: &Path, targets: &Targets, context: &str) -> usize {
    let linter = linter(root);
    let uncached = linter.lint_repository(root, targets);
    let cached = linter.lint_repository_cached(root, targets);
    match (uncached, cached) {
        (Ok(uncached), Ok((cached, stats))) => {
            assert_eq!(seen(&uncached), seen(&cached), "{context}: cached and uncached runs differ");
            assert!(stats.notes.is_empty(), "{context}: {:?}", stats.notes);
            stats.hits
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{context}");
            0
        }
        (a, b) => panic!("{context}: uncached {:?} / cached {:?}", a.map(|r| r.diagnostics.len()), b.map(|r| r.1)),
    }
}

/// Values an edit may put in place of a line's value.
const VALUES: &[&str] = &[
    "x",
    "1.0.0",
    "2.0.0",
    "\"{{ fields.nope }}\"",
    "\"{{ fields.size }}\"",
    "",
    "[",
    "postgres-database",
    "deprecated",
    "retired",
    "2020-01-01",
    "dba",
    "platform",
    "^1.0",
    "^9",
    "{ status: stable }",
];

/// An edit to an item a bundle names, of what bundle checks read: its version, its lifecycle,
/// its field ids. Only a run that sees the item in full can report what follows in the bundle.
fn edit_component_item(root: &Path, rng: &mut Rng) -> Option<String> {
    let files = catalog_files(root);
    let mut named = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        if text.contains("kind: CatalogBundle") {
            named.extend(text.lines().filter_map(|l| l.trim().strip_prefix("item: ")).map(str::to_owned));
        }
    }
    let targets: Vec<&String> =
        files.iter().filter(|f| named.iter().any(|id| f.ends_with(&format!("/{id}.yaml")))).collect();
    if targets.is_empty() {
        // Long runs can delete or break every bundle, or every item they name.
        return None;
    }
    let file = (*rng.pick(&targets)).clone();
    let path = root.join(&file);
    let text = std::fs::read_to_string(&path).ok()?;
    let (from, to): (&str, String) = match rng.below(5) {
        0 => {
            let line = text.lines().find(|l| l.starts_with("  version: "))?;
            (line, format!("  version: {}", rng.pick(&["9.0.0", "1.2.0", "0.5.1", "2.0.0-rc.1", "1.9.9"])))
        }
        1 => {
            let line = text.lines().find(|l| l.trim_start().starts_with("status: "))?;
            (line, format!("    status: {}", rng.pick(&["deprecated", "retired", "stable", "beta"])))
        }
        // Schema errors: the item is read leniently (an unknown key), without a value (a
        // status of the wrong type), or not at all (no `metadata.owner`); the bundle's findings
        // follow what is still read of it.
        2 => {
            let line = text.lines().find(|l| l.starts_with("  version: "))?;
            (line, format!("{line}\n  unknownKey: {}", rng.pick(&["1", "[x]"])))
        }
        3 => {
            let line = text.lines().find(|l| l.trim_start().starts_with("status: "))?;
            (line, format!("    status: {}", rng.pick(&["[stable]", "7", "{ x: 1 }"])))
        }
        _ if rng.below(2) == 0 => {
            let line = text.lines().find(|l| l.starts_with("  owner:"))?;
            (line, "  ownr:".to_owned())
        }
        _ => {
            let fields: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("- id: ")).collect();
            let line = *fields.get(rng.below(fields.len()))?;
            (line, format!("{line}X"))
        }
    };
    let edited = text.replacen(from, &to, 1);
    std::fs::write(&path, edited).unwrap();
    Some(format!("{file}: component item `{from}` -> `{to}`"))
}

/// Codes the suppression edits name: findings the edits cause (schema, YAML, lifecycle, bundle
/// and cross-file ones), and one no file has.
const SUPPRESSED: &[&str] = &[
    "PAO201",
    "PAO202",
    "PAO306",
    "PAO601",
    "PAO602",
    "PAO603",
    "PAO604",
    "PAO605",
    "PAO701",
    "PAO702",
    "PAO703",
    "PAO705",
    "PAO706",
    "PAO999",
    "unknown-key",
];

/// Adds a `# pao-lint:` comment (file-wide, above a line or at a line's end, with or without a
/// reason and an `until` date, passed or not) or removes every one of a file.
fn edit_suppressions(root: &Path, rng: &mut Rng) -> String {
    let files = catalog_files(root);
    let file = rng.pick(&files).clone();
    let path = root.join(&file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if rng.below(4) == 0 {
        lines.retain(|l| !l.contains("pao-lint:"));
        write_lines(&path, &lines);
        return format!("{file}: suppressions removed");
    }
    let codes = format!("{},{}", rng.pick(SUPPRESSED), rng.pick(SUPPRESSED));
    let until = rng.pick(&["", " until 2020-01-01", " until 2999-12-31"]);
    let reason = rng.pick(&[" -- accepted for now", ""]);
    let directive = if rng.below(3) == 0 { "disable-file" } else { "disable" };
    let comment = format!("# pao-lint: {directive} {codes}{until}{reason}");
    let line = rng.below(lines.len() + 1);
    if rng.below(2) == 0 && line < lines.len() && !lines[line].contains('#') {
        lines[line] = format!("{}  {comment}", lines[line]);
    } else {
        lines.insert(line, comment.clone());
    }
    write_lines(&path, &lines);
    format!("{file}:{line}: {comment}")
}

/// Applies one random edit; returns what it did.
fn edit(root: &Path, rng: &mut Rng) -> String {
    if rng.below(3) == 0
        && let Some(done) = edit_component_item(root, rng)
    {
        return done;
    }
    if rng.below(4) == 0 {
        return edit_suppressions(root, rng);
    }
    let files = catalog_files(root);
    let file = rng.pick(&files).clone();
    let path = root.join(&file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = rng.below(lines.len());
    match rng.below(12) {
        0..=3 if !lines.is_empty() => {
            let value = rng.pick(VALUES);
            if let Some((key, _)) = lines[line].split_once(": ") {
                lines[line] = format!("{key}: {value}");
            } else {
                lines[line] = format!("{}{value}", lines[line]);
            }
            write_lines(&path, &lines);
            format!("{file}:{line}: value {value:?}")
        }
        4 if !lines.is_empty() => {
            lines.remove(line);
            write_lines(&path, &lines);
            format!("{file}:{line}: removed")
        }
        5 if !lines.is_empty() => {
            lines.insert(line, lines[line].clone());
            write_lines(&path, &lines);
            format!("{file}:{line}: duplicated")
        }
        6 => {
            let other = rng.pick(&files).clone();
            let copy = root.join(format!("{}-copy{}.yaml", other.trim_end_matches(".yaml"), rng.below(3)));
            std::fs::copy(root.join(&other), &copy).unwrap();
            format!("copied {other}")
        }
        7 if files.len() > 3 => {
            std::fs::remove_file(&path).unwrap();
            format!("{file}: deleted")
        }
        8 => {
            // Same length, new bytes, and the old mtime put back: only ctime tells.
            let before = mtime(&path);
            let mut bytes = std::fs::read(&path).unwrap();
            if let Some(i) = bytes.iter().position(|b| b.is_ascii_lowercase()) {
                bytes[i] = if bytes[i] == b'z' { b'y' } else { bytes[i] + 1 };
            }
            std::fs::write(&path, bytes).unwrap();
            set_mtime(&path, before);
            format!("{file}: one byte changed, mtime kept")
        }
        9 => {
            let owners = root.join(".github/CODEOWNERS");
            let mut text = std::fs::read_to_string(&owners).unwrap_or_default();
            if rng.below(2) == 0 {
                text.push_str("/catalog/security/ @acme/security\n");
            } else {
                text = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
            }
            std::fs::write(owners, text).unwrap();
            "CODEOWNERS edited".to_owned()
        }
        10 => {
            let level = rng.pick(&["off", "warning", "error"]);
            let code = rng.pick(&["PAO601", "PAO602", "PAO306", "PAO701", "PAO201"]);
            std::fs::write(
                root.join("pao.toml"),
                format!("[catalog]\ngithub-org = \"acme\"\n\n[lint.rules]\n{code} = \"{level}\"\n"),
            )
            .unwrap();
            format!("pao.toml: {code} = {level}")
        }
        _ => {
            let mut bytes = std::fs::read(&path).unwrap_or_default();
            let at = rng.below(bytes.len());
            if rng.below(2) == 0 && !bytes.is_empty() {
                bytes[at] = 0xff;
            } else {
                bytes.truncate(at);
            }
            std::fs::write(&path, bytes).unwrap();
            format!("{file}: bytes broken at {at}")
        }
    }
}

fn write_lines(path: &PathBuf, lines: &[String]) {
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

#[test]
fn cached_and_uncached_runs_agree_under_random_edits() {
    let rounds: usize = std::env::var("PAO_CACHE_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(80);
    for seed in [0x5eed_u64, 0xcafe_f00d] {
        let repo = example_repository();
        let root = repo.path();
        let mut rng = Rng(seed);
        let mut hits = 0;
        compare(root, &Targets::default(), "first run");
        for round in 0..rounds {
            let what = edit(root, &mut rng);
            // Half the rounds age the files, so unchanged files are found by `stat` alone.
            if rng.below(2) == 0 {
                age_all(root);
            }
            let context = format!("seed {seed:#x}, round {round}, after {what}");
            hits += compare(root, &Targets::default(), &context);
            let files = catalog_files(root);
            let named: Vec<String> = (0..1 + rng.below(3)).map(|_| rng.pick(&files).clone()).collect();
            let targets = Targets { files: named, changed_since: None };
            hits += compare(root, &targets, &format!("{context}, files {:?}", targets.files));
            let since = Targets { files: Vec::new(), changed_since: Some("HEAD".to_owned()) };
            hits += compare(root, &since, &format!("{context}, --changed-since HEAD"));
        }
        assert!(hits > rounds * 10, "seed {seed:#x}: the cache answered only {hits} times");
    }
}

#[test]
fn a_warm_cache_answers_for_every_unchanged_item() {
    let repo = example_repository();
    let root = repo.path();
    let linter = linter(root);
    let (_, cold) = linter.lint_repository_cached(root, &Targets::default()).unwrap();
    assert_eq!(cold.hits, 0);
    assert!(root.join(".pao-cache/.gitignore").is_file());
    assert!(root.join(".pao-cache/CACHEDIR.TAG").is_file());
    let file = catalog_files(root).into_iter().find(|f| f.contains("databases")).unwrap();
    let targets = Targets { files: vec![file], changed_since: None };
    let (_, warm) = linter.lint_repository_cached(root, &targets).unwrap();
    let total = catalog_files(root).len();
    assert!(warm.hits >= total - 2, "{warm:?} of {total}");
    assert_eq!(warm.shards_written, 0, "nothing changed, nothing written");
    // `git status` stays clean: the cache ignores itself.
    assert_eq!(git(root, &["status", "--porcelain"]).trim(), "");
}

/// A way to break a shard's bytes.
type Breakage = fn(&[u8]) -> Vec<u8>;

#[test]
fn a_broken_cache_is_ignored_and_rewritten() {
    let repo = example_repository();
    let root = repo.path();
    compare(root, &Targets::default(), "first run");
    let shards: Vec<PathBuf> = std::fs::read_dir(root.join(".pao-cache/lint"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    assert_eq!(shards.len(), 64);
    let linter = linter(root);
    let expected = seen(&linter.lint_repository(root, &Targets::default()).unwrap());
    // A shard: magic (8 bytes), format (4), run key (32), BLAKE3 of the body (32), body.
    const BODY: usize = 8 + 4 + 32 + 32;
    let breakages: [(&str, Breakage); 9] = [
        ("truncated", |b| b[..b.len() / 2].to_vec()),
        ("truncated in the header", |b| b[..20].to_vec()),
        ("empty", |_| Vec::new()),
        ("garbage", |_| b"\x00\xff not a shard".to_vec()),
        ("a flipped byte in the body", |b| {
            let mut b = b.to_vec();
            // Shards without entries have no body to damage.
            if b.len() > BODY {
                let at = BODY + (b.len() - BODY) / 3;
                b[at] ^= 0x20;
            }
            b
        }),
        ("a flipped byte in the key", |b| {
            let mut b = b.to_vec();
            b[20] ^= 1;
            b
        }),
        ("another format version", |b| {
            let mut b = b.to_vec();
            b[8..12].copy_from_slice(&2u32.to_le_bytes());
            b
        }),
        ("an old JSON shard", |_| br#"{"format":2,"key":"x","entries":[]}"#.to_vec()),
        // Entries that lie with a valid checksum: each entry's first byte after its path and
        // hash (the stat's size) made 0, so every range it holds is past the file's end.
        ("lying entries", |b| {
            let mut b = b.to_vec();
            let mut at = BODY;
            while at + 6 <= b.len() {
                let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
                let path = u16::from_le_bytes(b[at + 4..at + 6].try_into().unwrap()) as usize;
                let size = at + 6 + path + 32;
                b[size..size + 8].copy_from_slice(&0u64.to_le_bytes());
                at += 4 + len;
            }
            let checksum = blake3::hash(&b[BODY..]);
            b[44..76].copy_from_slice(checksum.as_bytes());
            b
        }),
    ];
    for (what, break_it) in breakages {
        for shard in &shards {
            let bytes = std::fs::read(shard).unwrap();
            std::fs::write(shard, break_it(&bytes)).unwrap();
        }
        let (report, stats) = linter.lint_repository_cached(root, &Targets::default()).unwrap();
        assert_eq!(seen(&report), expected, "{what}");
        assert!(stats.shards_written > 0, "{what}: the cache is rewritten");
        let (report, stats) = linter.lint_repository_cached(root, &Targets::default()).unwrap();
        assert_eq!(seen(&report), expected, "{what}, rewritten");
        assert!(stats.hits > 0, "{what}: the rewritten cache answers");
    }
}

#[test]
fn a_cache_that_cannot_be_written_only_costs_time() {
    let repo = example_repository();
    let root = repo.path();
    // A file where the directory should be: creating it fails, whoever runs the test (root
    // ignores permission bits, so a read-only directory would not do).
    std::fs::write(root.join(".pao-cache"), "not a directory").unwrap();
    let linter = linter(root);
    let expected = seen(&linter.lint_repository(root, &Targets::default()).unwrap());
    let (report, stats) = linter.lint_repository_cached(root, &Targets::default()).unwrap();
    assert_eq!(seen(&report), expected);
    assert_eq!(stats.hits, 0);
    assert!(stats.notes.iter().any(|n| n.contains("not writing the cache")), "{:?}", stats.notes);
}

#[test]
fn concurrent_runs_agree() {
    let repo = example_repository();
    let root = repo.path().to_owned();
    let expected = seen(&linter(&root).lint_repository(&root, &Targets::default()).unwrap());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let linter = linter(&root);
                for _ in 0..5 {
                    let (report, _) = linter.lint_repository_cached(&root, &Targets::default()).unwrap();
                    assert_eq!(seen(&report), expected);
                }
            });
        }
    });
}

#[test]
fn a_cached_bundle_too_broken_to_read_is_still_known_as_a_bundle() {
    let repo = example_repository();
    let root = repo.path();
    // A bundle whose schema error keeps it from being read as a whole: only its id and kind are
    // read, and they are what its cache entry says of it.
    let broken = root.join("catalog/bundles/event-driven-worker.yaml");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(&broken, text.replacen("  owner:", "  ownr:", 1)).unwrap();
    age_all(root);
    compare(root, &Targets::default(), "the bundle broken");
    // Another bundle now names it: the broken bundle's results come from the cache.
    let naming = root.join("catalog/bundles/web-service-stack.yaml");
    let text = std::fs::read_to_string(&naming).unwrap();
    let component = "  - id: worker\n    item: event-driven-worker\n    version: \"^1\"\n";
    std::fs::write(&naming, text.replacen("components:\n", &format!("components:\n{component}"), 1)).unwrap();
    let hits = compare(root, &Targets::default(), "a bundle names the broken one");
    assert!(hits > 0);
    let (report, _) = linter(root).lint_repository_cached(root, &Targets::default()).unwrap();
    assert!(
        report.diagnostics.iter().any(|d| d.code == "PAO706" && d.file == "catalog/bundles/web-service-stack.yaml"),
        "{:?}",
        report.diagnostics.iter().map(|d| (d.code, &d.file, &d.message)).collect::<Vec<_>>()
    );
}
