//! Differential tests: wherever the fast path answers, its answer is saphyr-parser's.

use std::path::{Path, PathBuf};

use super::parse;
use crate::node::{Node, Value};
use crate::parse::parse_with_saphyr;

/// Checks one text; returns whether the fast path took it.
#[track_caller]
fn agrees(text: &str, what: &str) -> bool {
    let Some(fast) = parse(text) else { return false };
    let reference = parse_with_saphyr(text);
    if format!("{fast:?}") != format!("{reference:?}") {
        let at = match (&fast.root, &reference.root) {
            (Some(a), Some(b)) => first_difference(a, b, String::new()),
            _ => "the root".to_owned(),
        };
        let _ = std::fs::write(std::env::temp_dir().join("pao-fast-path-failure.yaml"), text);
        panic!(
            "the fast path differs from saphyr-parser on {what}, at {at}\nerrors: {:?}\nvs {:?}\nnear: {:?}",
            fast.errors,
            reference.errors,
            reference
                .errors
                .first()
                .map(|e| &text[text.floor_char_boundary(e.span.start.saturating_sub(60))..e.span.start])
        );
    }
    true
}

/// Where two trees first differ, for a readable failure.
fn first_difference(a: &Node, b: &Node, path: String) -> String {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) if x.len() == y.len() => {
            for (e, f) in x.iter().zip(y) {
                if e.key != f.key || e.key_span != f.key_span {
                    return format!("{path}: key {:?}@{:?} vs {:?}@{:?}", e.key, e.key_span, f.key, f.key_span);
                }
                if e.value != f.value {
                    return first_difference(&e.value, &f.value, format!("{path}/{}", e.key));
                }
            }
            format!("{path}: span {:?} vs {:?}", a.span, b.span)
        }
        (Value::Seq(x), Value::Seq(y)) if x.len() == y.len() => {
            for (i, (e, f)) in x.iter().zip(y).enumerate() {
                if e != f {
                    return first_difference(e, f, format!("{path}/{i}"));
                }
            }
            format!("{path}: span {:?} vs {:?}", a.span, b.span)
        }
        _ => format!("{path}: {:?}@{:?} vs {:?}@{:?}", a.value, a.span, b.value, b.span),
    }
}

/// Every YAML file of the repository, but build output and benchmark corpora.
fn repository_yaml() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && !matches!(name.as_str(), "target" | ".git" | ".pao-bench" | "node_modules") {
                dirs.push(path);
            } else if kind.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    files.push((path.strip_prefix(&root).unwrap_or(&path).to_owned(), text));
                }
            }
        }
    }
    files.sort();
    assert!(files.len() > 100, "expected the repository's YAML files, found {}", files.len());
    files
}

#[test]
fn every_repository_file_parses_alike() {
    let mut fast = 0;
    for (path, text) in repository_yaml() {
        let took = agrees(&text, &path.display().to_string());
        if path.starts_with("catalog") {
            assert!(took, "{} should take the fast path", path.display());
        }
        fast += usize::from(took);
    }
    assert!(fast > 100, "only {fast} files took the fast path");
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

const SNIPPETS: &[&str] = &[
    ": ",
    "- ",
    "-",
    "#",
    " #",
    "'",
    "\"",
    "''",
    "\\\"",
    "\\n",
    "\\x41",
    "[",
    "]",
    "{",
    "}",
    ",",
    ", ",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    ">2",
    "\n",
    "\n\n",
    "  ",
    " ",
    "  \n",
    "&a ",
    "*a",
    "!x ",
    "!!str ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\t",
    "\r\n",
    "é",
    "\u{2028}",
    "k: v",
    "- k: v",
    "[a, b]",
    "{a: b}",
    "[]",
    "{}",
    "\"x\"",
    "'y'",
    ":",
    "x:",
    "- - ",
    "|\n  a\n",
    ">\n  a\n\n  b\n",
    "@",
    "`",
    "~",
    "null",
    "1.5",
    "0x1F",
    ".inf",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for _ in 0..=rng.below(2) {
        let i = rng.below(lines.len());
        match rng.below(8) {
            0 => {
                lines.remove(i);
            }
            1 => lines.insert(i, lines[i].clone()),
            2 if i + 1 < lines.len() => lines.swap(i, i + 1),
            3 => lines[i].insert_str(0, if rng.below(2) == 0 { " " } else { "  " }),
            4 => {
                let spaces = lines[i].len() - lines[i].trim_start_matches(' ').len();
                lines[i].drain(..spaces.min(1 + rng.below(2)));
            }
            5 => lines[i].push_str(SNIPPETS[rng.below(SNIPPETS.len())]),
            _ => {
                let line = &mut lines[i];
                let mut at = rng.below(line.len() + 1);
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                if rng.below(3) == 0 && at < line.len() {
                    let mut end = at + 1 + rng.below(3);
                    while end < line.len() && !line.is_char_boundary(end) {
                        end += 1;
                    }
                    line.replace_range(at..end.min(line.len()), "");
                } else {
                    line.insert_str(at, SNIPPETS[rng.below(SNIPPETS.len())]);
                }
            }
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
    }
    lines.join("\n")
}

#[test]
fn mutations_parse_alike_or_fall_back() {
    let files = repository_yaml();
    // PAO_FAST_PATH_ROUNDS=2000 for a deeper local run; PAO_FAST_PATH_SEED to vary it.
    let rounds = std::env::var("PAO_FAST_PATH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(40);
    let seed = std::env::var("PAO_FAST_PATH_SEED").ok().and_then(|r| r.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed);
    let (mut tried, mut fast) = (0, 0);
    for (path, text) in &files {
        for round in 0..rounds {
            let mutated = mutate(text, &mut rng);
            tried += 1;
            fast += usize::from(agrees(&mutated, &format!("mutation {round} of {}", path.display())));
        }
    }
    #[allow(clippy::print_stderr, reason = "how much the comparison covered, shown with --nocapture")]
    {
        eprintln!("{fast} of {tried} mutations took the fast path");
    }
    // Most single edits leave a document in the subset; the comparison must have had work to do.
    assert!(fast * 4 > tried, "only {fast} of {tried} mutations took the fast path");
}

#[test]
fn edge_cases_parse_alike() {
    let cases = [
        "a: b\n",
        "a: b",
        "---\na: b\n",
        "--- # doc\na: b\n",
        "# c\na:   # c\n  b: c\n",
        "a:\nb:\n",
        "a:\n- \n-   # c\n-\n- x\n",
        "a:\n  - a\n  -\n  - b\n",
        "a:\n  -\n  - c\n",
        "a:\n- - x\n  - y\n- z\n",
        "a:\n- k: v\n  k2: v2\n-\n  k: v\n",
        "a: [a, b , \"c\"]\n",
        "a: []\nb: []   \nc: [] # x\nd: {}\ne: [ ]\nf: [x, []]\ng: [x, [] ]\n",
        "d: [a, ]\ne: {a: b, }\nf: [a:b, \"x\" ]\n",
        "a: { x: 1, y: [] }\n",
        "a: {x: [1, {y: z}], w: 'q'}\n",
        "a: 'it''s'\nb: \"q\\\"x\\\\y\\n\"\nc: \"é\"\n",
        "a: >-\n  folded one\n  two\n\n  three\nb: |\n  a\n   b\n\n  c\n\n\n# c\nc: |-\n  x\n",
        "a: >\n  x\n  # not a comment\nb: 1\n",
        "a:\n  - |\n    lit\n  - >-\n    fold\n",
        "- a\n",
        "a: b: c\n",
        "a: b:\n",
        "a: -1\nb: - x\n",
        "a: 1\n  b: 2\n",
        "a: x\n  # deeper comment\nb: y\n",
        "a: x\n  continued\n",
        "a: x #c\nb: x#c\nc: 'x' #c\n",
        "a: http://x.example/y\nb: ^[a-z]{2,3}$\n",
        "a: [http://x, y]\n",
        "a: [x, y]\n  b: 1\n",
        "key with spaces: v\n\"quoted\": v\n",
        "a: 1\na: 2\n",
        "? a\n: b\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a:\n\tb: 1\n",
        "a: b\r\nc: d\r\n",
        "\u{feff}a: b\n",
        "a: b\n...\n",
        "a: b\n---\nc: d\n",
        "...: x\n",
        "a: x\n...: y\n",
        "a: |\n  x\n---\nb: 1\n",
        "a:\n---\n",
        "---: x\n",
        "a: |+\n  x\n\n",
        "a: |2\n   x\n",
        "a: |\n\n  x\n",
        "a: |\n  x",
        "a: >\n  x\n    y\n",
        "a: >\n  x \n  y\n",
        "a: |\n  x  \n  y\n",
        "a:\n  b:\n    c:\n      d: [1, 2.5, true, null, ~, 0x1F, .inf, -.inf, .nan, 1e3, \"1\"]\n",
        "",
        "# only a comment\n",
        "- a\n- b\n",
        "a\n",
        "[a, b]\n",
        "a: [a, b\n  c]\n",
        "a: \"x\n  y\"\n",
    ];
    for case in cases {
        agrees(case, &format!("{case:?}"));
    }
}

#[test]
fn the_catalog_style_takes_the_fast_path() {
    let text = "apiVersion: pao/v1\nkind: CatalogItem\nmetadata:\n  id: x\n  tags: [a, b]\n  sla: { a: 1 }\n\
                presentation:\n  form:\n    groups:\n      - id: g\n        fields:\n          - id: f\n\
                \x20           help: >-\n              Text\n              more\n";
    assert!(agrees(text, "a catalog-style document"));
}
