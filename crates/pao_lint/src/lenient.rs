//! The lenient read: a document with schema errors is still read, as far as it can be, so the
//! other rules (form, lifecycle, templates, and the cross-file rules) run on it and a user fixes
//! every finding in one round instead of one layer per run.
//!
//! The schema errors have already been reported. The read then leaves out what is at fault and
//! tries the catalog types again, in two steps:
//!
//! 1. **Unknown keys only.** A key the schema does not allow means nothing to PAO, so a reading
//!    without it is exactly what PAO reads once the key is fixed: every rule runs, and nothing it
//!    reports can be caused by the omission.
//! 2. **Values at fault too** (a mapping entry whose value has the wrong type, is not an allowed
//!    value, ...). Leaving out a value can look like a missing one (`options` of a select, a
//!    deprecation plan), so findings inside a mapping that lost an entry are dropped: the schema
//!    error there is the one to fix first. Rules still run on the rest of the document.
//!
//! A fault that is not a mapping entry (a list item, the document itself) or a missing required
//! key can not be left out: the typed document is then not read, and only the rules that work on
//! the YAML tree itself (naming, ids, ownership by id) run.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use pao_source::{Node, Value};

use crate::schema::Faults;

/// How faithfully a document was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) enum Reading {
    /// As written: it fits the schema.
    #[default]
    Exact,
    /// Without the keys the schema does not allow; otherwise as written.
    WithoutUnknownKeys,
    /// Without values at fault as well: what depends on them is not known.
    WithoutValues,
}

/// A reading of a document with its schema faults left out.
#[derive(Debug)]
pub(crate) struct Pruned {
    /// The tree without the entries at fault; spans still point into the original text.
    pub(crate) root: Node,
    /// Spans of the mappings that lost an entry whose value was at fault (not an unknown key):
    /// findings inside them may stem from the omission and are dropped.
    pub(crate) doubtful: Vec<Range<usize>>,
    /// Which step produced it.
    pub(crate) reading: Reading,
}

impl Pruned {
    /// Whether a finding at `range` may stem from a left-out value.
    pub(crate) fn is_doubtful(&self, range: &Range<usize>) -> bool {
        self.doubtful.iter().any(|span| span.start <= range.start && range.end <= span.end)
    }
}

/// The readings to try, most faithful first: without the unknown keys, then also without the
/// values at fault. A reading is left out when a fault cannot be removed.
pub(crate) fn readings(root: &Node, faults: &Faults) -> Vec<Pruned> {
    let mut readings = Vec::new();
    let Some(known) = without(root, &faults.unknown, &mut Vec::new()) else { return readings };
    if !faults.values.is_empty() {
        let mut doubtful = Vec::new();
        if let Some(tree) = without(&known, &faults.values, &mut doubtful) {
            readings.push(Pruned { root: tree, doubtful, reading: Reading::WithoutValues });
        }
    }
    if !faults.unknown.is_empty() {
        readings.insert(0, Pruned { root: known, doubtful: Vec::new(), reading: Reading::WithoutUnknownKeys });
    }
    readings
}

/// A copy of `root` without the mapping entries `pointers` name; `None` when one of them is not
/// a mapping entry. The span of each mapping that lost an entry goes to `parents`. Pointers that
/// name nothing (already removed with an enclosing entry) are skipped.
fn without(root: &Node, pointers: &[String], parents: &mut Vec<Range<usize>>) -> Option<Node> {
    // The keys to remove, by the mapping that holds them: each mapping is filtered once, so a
    // generated file with a hundred thousand unknown keys costs one pass, not one per key.
    let mut by_parent: HashMap<&str, HashSet<String>> = HashMap::new();
    for pointer in pointers {
        let (parent, key) = pointer.rsplit_once('/')?;
        by_parent.entry(parent).or_default().insert(key.replace("~1", "/").replace("~0", "~"));
    }
    // Deepest first, so removing an entry never invalidates a later pointer below it.
    let mut parents_sorted: Vec<(&str, HashSet<String>)> = by_parent.into_iter().collect();
    parents_sorted.sort_by(|a, b| b.0.matches('/').count().cmp(&a.0.matches('/').count()).then(a.0.cmp(b.0)));
    let mut tree = root.clone();
    for (parent, keys) in parents_sorted {
        let Some(node) = pointer_mut(&mut tree, parent) else { continue };
        match &mut node.value {
            Value::Map(entries) => {
                let before = entries.len();
                entries.retain(|entry| !keys.contains(&entry.key));
                if entries.len() != before {
                    parents.push(node.span.clone());
                }
            }
            // A list item or scalar: leaving it out would shift or change what the rest means.
            _ => return None,
        }
    }
    Some(tree)
}

/// The node a JSON Pointer names, mutably.
fn pointer_mut<'n>(node: &'n mut Node, pointer: &str) -> Option<&'n mut Node> {
    if pointer.is_empty() {
        return Some(node);
    }
    let mut node = node;
    for raw in pointer.strip_prefix('/')?.split('/') {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        node = match &mut node.value {
            Value::Map(entries) => &mut entries.iter_mut().find(|entry| entry.key == segment)?.value,
            Value::Seq(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use pao_source::parse_yaml;

    use super::*;

    fn faults(unknown: &[&str], values: &[&str]) -> Faults {
        Faults {
            unknown: unknown.iter().map(|s| (*s).to_owned()).collect(),
            values: values.iter().map(|s| (*s).to_owned()).collect(),
            missing: false,
        }
    }

    #[test]
    fn unknown_keys_are_left_out_first() {
        let root = parse_yaml("a:\n  b: 1\n  typo: 2\nc: [1, 2]\nd: x\n").root.unwrap();
        let readings = readings(&root, &faults(&["/a/typo"], &["/d"]));
        assert_eq!(readings.len(), 2);
        assert_eq!(readings[0].root.to_json(), serde_json::json!({"a": {"b": 1}, "c": [1, 2], "d": "x"}));
        assert!(readings[0].doubtful.is_empty());
        assert_eq!(readings[1].root.to_json(), serde_json::json!({"a": {"b": 1}, "c": [1, 2]}));
        assert_eq!(readings[1].doubtful, vec![root.span.clone()]);
        assert!(readings[1].is_doubtful(&root.pointer("/a/b").unwrap().span));
    }

    #[test]
    fn a_list_item_at_fault_cannot_be_left_out() {
        let root = parse_yaml("c: [1, x]\n").root.unwrap();
        assert!(readings(&root, &faults(&[], &["/c/1"])).is_empty());
        assert!(readings(&root, &faults(&[], &[""])).is_empty());
    }

    #[test]
    fn faults_below_a_removed_entry_are_skipped() {
        let root = parse_yaml("a:\n  b:\n    c: 1\n").root.unwrap();
        let readings = readings(&root, &faults(&["/a/b/c"], &["/a/b"]));
        assert_eq!(readings[1].root.to_json(), serde_json::json!({"a": {}}));
    }
}
