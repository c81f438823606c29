//! One notion of "the same finding" across edits: SARIF's `partialFingerprints` and pao-lint's
//! baseline both use [`fingerprints`].
//!
//! A fingerprint is computed from the rule, the file, the text of the finding's first line with
//! spaces squeezed, and the text it points at — never the line number — so a finding keeps its
//! fingerprint when lines are added or removed elsewhere in the file. The n-th finding with the
//! same key in a file gets occurrence `n` (`<16 hex digits>:<n>`), as GitHub's own hashes do.

use std::collections::HashMap;

use crate::{Located, Report};

/// 64-bit FNV-1a: small, stable across versions and platforms, enough to tell findings apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// What identifies a finding across edits elsewhere in its file: the rule, the file, the text of
/// its first line with spaces squeezed, and the text it points at. Not the line number.
fn fingerprint_key(report: &Report, located: &Located<'_>) -> String {
    let d = located.diagnostic;
    let (line, span) = match report.sources.get(&d.file) {
        Some(source) => {
            let text = &*source.text;
            let start = floor_char_boundary(text, d.range.start.min(text.len()));
            let end = floor_char_boundary(text, d.range.end.clamp(start, text.len()));
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            let span = text.get(start..end).unwrap_or_default();
            (text.get(line_start..line_end).unwrap_or_default(), span)
        }
        None => ("", ""),
    };
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{}\0{}\0{}\0{}", d.code, d.file, squeeze(line), squeeze(span))
}

/// The largest char boundary at or before `index` (ranges come from the parser and are
/// boundaries; this keeps slicing safe whatever a range says).
fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The fingerprint of each diagnostic of `report`, in the report's order: `<hash>:<occurrence>`.
pub fn fingerprints(report: &Report) -> Vec<String> {
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    report
        .located()
        .map(|located| {
            let hash = fnv1a(fingerprint_key(report, &located).as_bytes());
            let n = occurrences.entry(hash).or_insert(0);
            *n += 1;
            format!("{hash:016x}:{n}")
        })
        .collect()
}
