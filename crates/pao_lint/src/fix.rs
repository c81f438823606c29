//! Safe fixes: what rules offer (a [`Fix`] on the diagnostic) and how `--fix` applies them.
//!
//! A fix is offered only where it cannot change what the author meant: a key one or two typos
//! away from the one allowed key that is not already there, a reference one edit away from
//! exactly one existing id, a `dependsOn` that names a field by its display name. Edits replace
//! byte ranges of the file's text, so comments, quoting style and formatting elsewhere stay as
//! they are.

use std::ops::Range;

use pao_diagnostics::{Diagnostic, Edit, Fix};

/// The text with the fixes applied, and how many were applied. Fixes are applied in the order
/// of their first edit (its start, then its end); one that overlaps an edit already applied is skipped (run `--fix`
/// again for it).
pub fn apply(text: &str, fixes: &[&Fix]) -> (String, usize) {
    let mut ordered: Vec<&Fix> = fixes.iter().copied().filter(|f| !f.edits.is_empty()).collect();
    // By first edit, the narrower first when two start together: the same fixes always give
    // the same text, whatever order they come in.
    ordered.sort_by_key(|f| f.edits.iter().map(|e| (e.range.start, e.range.end)).min().unwrap_or((0, 0)));
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in ordered {
        let fits = fix.edits.iter().all(|edit| {
            text.is_char_boundary(edit.range.start)
                && text.is_char_boundary(edit.range.end)
                && edit.range.start <= edit.range.end
                && edit.range.end <= text.len()
                && taken.iter().all(|t| !overlaps(&t.range, &edit.range))
        });
        if fits {
            taken.extend(&fix.edits);
            applied += 1;
        }
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in taken {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    (out, applied)
}

/// A unified diff of one file's fix, `--- a/<path>` / `+++ b/<path>`, three lines of context;
/// empty when nothing changes.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Whether two edits touch the same bytes (two insertions at one place count as touching).
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end || a.start == b.start
}

/// The fixes of `diagnostics` that are in `file` and not suppressed.
pub fn fixes_of<'d>(diagnostics: &'d [Diagnostic], file: &str) -> Vec<&'d Fix> {
    diagnostics.iter().filter(|d| d.file == file && d.suppression.is_none()).filter_map(|d| d.fix.as_ref()).collect()
}

/// The one candidate exactly one edit (insert, delete, substitute, swap) away from `name`, when
/// there is exactly one: a reference fixed to it cannot mean anything else.
pub(crate) fn one_edit_away<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut found = None;
    for candidate in candidates {
        if candidate != name && strsim::damerau_levenshtein(name, candidate) == 1 {
            if found.is_some_and(|f| f != candidate) {
                return None;
            }
            found = Some(candidate);
        }
    }
    found
}

/// The allowed key a misspelt key stands for: at most two edits away (one for short keys),
/// and the only allowed key that close.
pub(crate) fn misspelt_key<'c>(key: &str, allowed: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = if key.chars().count() <= 4 { 1 } else { 2 };
    let mut found = None;
    for candidate in allowed {
        let distance = strsim::damerau_levenshtein(&key.to_lowercase(), &candidate.to_lowercase());
        if candidate != key && distance <= limit {
            if found.is_some_and(|f| f != candidate) {
                return None;
            }
            found = Some(candidate);
        }
    }
    found
}

/// Replaces a scalar written at `span` of `text` with `value`, keeping its quotes; a plain
/// scalar stays plain when the value needs no quotes (ids never do), else it is double-quoted.
pub(crate) fn replace_scalar(text: &str, span: Range<usize>, value: &str, title: String) -> Fix {
    let written = text.get(span.clone()).unwrap_or_default();
    let quoted = written.len() >= 2 && ['"', '\''].iter().any(|q| written.starts_with(*q) && written.ends_with(*q));
    if quoted && !value.contains(['"', '\'', '\\']) {
        return Fix::replace(title, span.start + 1..span.end - 1, value);
    }
    let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let replacement =
        if plain { value.to_owned() } else { format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")) };
    Fix::replace(title, span, replacement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_place_and_overlaps_wait() {
        let text = "a: 1 # keep\nbb: 2\n";
        let first = Fix::replace("a", 0..1, "alpha");
        let second = Fix::replace("b", 12..14, "beta");
        let overlapping = Fix::replace("x", 0..4, "zzz");
        let (out, applied) = apply(text, &[&second, &overlapping, &first]);
        assert_eq!(out, "alpha: 1 # keep\nbeta: 2\n");
        assert_eq!(applied, 2);
    }

    #[test]
    fn one_edit_away_must_be_unique() {
        assert_eq!(one_edit_away("postgres-standrad", ["postgres-standard", "redis"]), Some("postgres-standard"));
        assert_eq!(one_edit_away("redis-clustr", ["redis-cluster", "redis"]), Some("redis-cluster"));
        assert_eq!(one_edit_away("ab", ["ac", "bb"]), None);
    }

    #[test]
    fn misspelt_keys() {
        assert_eq!(misspelt_key("descripton", ["description", "name"]), Some("description"));
        assert_eq!(misspelt_key("summary", ["description", "name"]), None);
        assert_eq!(misspelt_key("nam", ["name", "nan"]), None);
    }

    #[test]
    fn scalars_keep_their_quotes() {
        let text = "item: \"redis-clustr\"\nother: redis-clustr\n";
        let quoted = replace_scalar(text, 6..20, "redis-cluster", String::new());
        assert_eq!(apply(text, &[&quoted]).0, "item: \"redis-cluster\"\nother: redis-clustr\n");
        let plain = replace_scalar(text, 28..40, "redis-cluster", String::new());
        assert_eq!(apply(text, &[&plain]).0, "item: \"redis-clustr\"\nother: redis-cluster\n");
    }
}
