//! Completion: keys and enum values from the schemas; inside `{{ }}` the scopes, the item's
//! field ids, earlier actions' ids and outputs, `metadata.` keys, functions, filters and tests;
//! item ids and version ranges in bundle components; field ids in `dependsOn`.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent, MarkupKind, TextEdit,
};
use pao_vars::{FUNCTIONS, KeyTree, METADATA_KEYS, REQUEST_KEYS, SCOPES, SYSTEM_KEYS, TESTS};

use crate::analysis::Analysis;
use crate::describe;
use crate::template::{Site, TemplateCursor, template_cursor};
use crate::yaml_path::{Segment, Slot};

/// The completion items at the analysis' cursor.
pub fn complete(analysis: &Analysis<'_>) -> Vec<CompletionItem> {
    match &analysis.cursor.slot {
        Slot::Value { text, range, .. } => {
            if let Some(cursor) = template_cursor(text, analysis.offset) {
                return match analysis.site() {
                    Some(site) => template_items(analysis, site, &cursor),
                    None => Vec::new(),
                };
            }
            value_items(analysis, range.clone())
        }
        Slot::Entry { range, .. } => entry_items(analysis, range.clone()),
    }
}

/// An item replacing `range` with `insert`.
fn item(
    analysis: &Analysis<'_>,
    label: impl Into<String>,
    kind: CompletionItemKind,
    range: std::ops::Range<usize>,
    insert: impl Into<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.into(),
        kind: Some(kind),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range: analysis.index.range(analysis.text, &range),
            new_text: insert.into(),
        })),
        ..CompletionItem::default()
    }
}

fn markdown(value: String) -> Option<Documentation> {
    (!value.is_empty()).then_some(Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value }))
}

/// Keys of the mapping at the cursor (or values, for a list of enum values).
fn entry_items(analysis: &Analysis<'_>, range: std::ops::Range<usize>) -> Vec<CompletionItem> {
    let path = &analysis.cursor.path;
    let doc = analysis.root.as_deref();
    let keys = analysis.schemas.keys(analysis.kind, path, doc);
    if keys.is_empty() {
        // A list item: the values the items may take.
        return value_items(analysis, range);
    }
    let present: Vec<&str> = analysis
        .node_at(path)
        .map(|node| {
            node.entries()
                .iter()
                .filter(|e| !(e.key_span.start <= analysis.offset && analysis.offset <= e.key_span.end))
                .map(|e| e.key.as_str())
                .collect()
        })
        .unwrap_or_default();
    let line_start = analysis.index.line_start(analysis.index.line_of(range.start)).unwrap_or(0);
    let indent = " ".repeat(range.start - line_start + 2);
    keys.into_iter()
        .filter(|key| !present.contains(&key.name.as_str()))
        .enumerate()
        .map(|(n, key)| {
            let insert = if key.block { format!("{}:\n{indent}", key.name) } else { format!("{}: ", key.name) };
            let mut entry = item(analysis, key.name.clone(), CompletionItemKind::PROPERTY, range.clone(), insert);
            entry.detail = Some(if key.required { format!("{} (required)", key.kind) } else { key.kind.clone() });
            entry.documentation = key
                .description
                .map(|d| Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d }));
            // Required keys first, then schema order.
            entry.sort_text = Some(format!("{}{n:03}", if key.required { 0 } else { 1 }));
            entry
        })
        .collect()
}

/// Values for the value at the cursor: catalog references where PAO knows them, else the
/// schema's enum values.
fn value_items(analysis: &Analysis<'_>, range: std::ops::Range<usize>) -> Vec<CompletionItem> {
    let path = &analysis.cursor.path;
    let keys: Vec<Option<&str>> = path.iter().map(Segment::key).collect();
    let value_item = |label: String, detail: Option<String>, documentation: Option<String>| {
        let mut entry = item(analysis, label.clone(), CompletionItemKind::VALUE, range.clone(), label);
        entry.detail = detail;
        entry.documentation = documentation.and_then(markdown);
        entry
    };
    match keys.as_slice() {
        [Some("components"), None, Some("item")] => {
            return analysis
                .catalog
                .all()
                .into_iter()
                .filter(|e| e.outline.kind == crate::schema_nav::DocKind::Item)
                .filter_map(|e| {
                    let (id, _) = e.outline.id.as_ref()?;
                    let detail = format!(
                        "{} {}",
                        e.outline.name.as_deref().unwrap_or(""),
                        e.outline.version.as_deref().unwrap_or("")
                    );
                    let mut entry = value_item(id.clone(), Some(detail.trim().to_owned()), Some(describe::entry(&e)));
                    if matches!(e.outline.status.as_deref(), Some("deprecated" | "retired")) {
                        entry.tags = Some(vec![lsp_types::CompletionItemTag::DEPRECATED]);
                        entry.sort_text = Some(format!("1{id}"));
                    }
                    Some(entry)
                })
                .collect();
        }
        [Some("components"), None, Some("version")] => {
            let Some(Segment::Index(index)) = path.get(1) else { return Vec::new() };
            let item_id = analysis
                .node_at(&[Segment::Key("components".into()), Segment::Index(*index)])
                .and_then(|c| c.get("item"))
                .and_then(|n| n.as_str().map(str::to_owned));
            let Some(entry) = item_id.as_deref().and_then(|id| analysis.catalog.by_id(id)) else { return Vec::new() };
            let Some(version) = entry.outline.version.as_deref().and_then(semver_parts) else {
                return Vec::new();
            };
            let (major, minor, patch) = version;
            let current = format!("{major}.{minor}.{patch}");
            return [
                (
                    format!("^{major}.{minor}"),
                    format!("compatible with {current}: same MAJOR, at least {major}.{minor}"),
                ),
                (format!("~{major}.{minor}.{patch}"), format!("patch releases of {major}.{minor} from {current}")),
                (format!("={current}"), format!("exactly {current}")),
                (format!(">={current}, <{}", major + 1), format!("{current} up to the next MAJOR")),
            ]
            .into_iter()
            .enumerate()
            .map(|(n, (range_text, detail))| {
                // Quoted, as SPEC writes ranges: `>=` would otherwise start a block scalar.
                let quoted = format!("\"{range_text}\"");
                let mut entry = item(analysis, range_text, CompletionItemKind::VALUE, range.clone(), quoted.clone());
                entry.detail = Some(detail);
                entry.filter_text = Some(quoted);
                entry.sort_text = Some(format!("{n}"));
                entry
            })
            .collect();
        }
        [Some("metadata"), Some("lifecycle"), Some("deprecation"), Some("replacement")] => {
            let own = analysis.outline.as_ref().and_then(|o| o.id.as_ref().map(|(id, _)| id.clone()));
            return analysis
                .catalog
                .all()
                .into_iter()
                .filter(|e| e.outline.kind == crate::schema_nav::DocKind::Item)
                .filter_map(|e| e.outline.id.as_ref().map(|(id, _)| (id.clone(), e)))
                .filter(|(id, _)| Some(id) != own.as_ref())
                .map(|(id, e)| value_item(id, e.outline.name.clone(), Some(describe::entry(&e))))
                .collect();
        }
        [Some("metadata"), Some("id")] => {
            let stem = analysis
                .path
                .as_deref()
                .and_then(|p| p.rsplit('/').next())
                .and_then(|f| f.rsplit_once('.'))
                .map(|(s, _)| s.to_owned());
            return stem.map(|s| value_item(s, Some("the file name".into()), None)).into_iter().collect();
        }
        [Some("metadata"), Some("category")] => {
            let dir = analysis
                .path
                .as_deref()
                .and_then(|p| p.strip_prefix("catalog/"))
                .and_then(|p| p.split_once('/'))
                .map(|(d, _)| d.to_owned());
            return dir.map(|d| value_item(d, Some("the directory under catalog/".into()), None)).into_iter().collect();
        }
        [.., Some("conditional"), Some("dependsOn")] => {
            let current = analysis.field_index();
            return analysis
                .fields()
                .iter()
                .enumerate()
                .filter(|(i, _)| current.is_none_or(|c| *i < c))
                .map(|(_, f)| value_item(f.id.clone(), f.type_.clone(), Some(describe::field(f))))
                .collect();
        }
        _ => {}
    }
    analysis
        .schemas
        .values(analysis.kind, path, analysis.root.as_deref())
        .into_iter()
        .map(|v| value_item(v.value, None, v.description))
        .collect()
}

fn semver_parts(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// Completions inside a template.
fn template_items(analysis: &Analysis<'_>, site: Site, cursor: &TemplateCursor) -> Vec<CompletionItem> {
    match cursor {
        TemplateCursor::Filter { range, .. } => functions(analysis, range.clone(), false),
        TemplateCursor::Test { range, .. } => {
            TESTS.iter().map(|t| item(analysis, *t, CompletionItemKind::FUNCTION, range.clone(), *t)).collect()
        }
        TemplateCursor::Reference { chain, range, .. } => {
            let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
            reference_items(analysis, site, &chain, range.clone())
        }
    }
}

fn functions(analysis: &Analysis<'_>, range: std::ops::Range<usize>, call: bool) -> Vec<CompletionItem> {
    FUNCTIONS
        .iter()
        .map(|f| {
            let insert = if call { format!("{f}(") } else { (*f).to_owned() };
            let mut entry = item(analysis, *f, CompletionItemKind::FUNCTION, range.clone(), insert);
            entry.documentation = markdown(describe::function(f).to_owned());
            entry.sort_text = Some(format!("2{f}"));
            entry
        })
        .collect()
}

fn reference_items(
    analysis: &Analysis<'_>,
    site: Site,
    chain: &[&str],
    range: std::ops::Range<usize>,
) -> Vec<CompletionItem> {
    let named = |label: &str, kind: CompletionItemKind, detail: Option<String>, doc: Option<String>| {
        let mut entry = item(analysis, label, kind, range.clone(), label);
        entry.detail = detail;
        entry.documentation = doc.and_then(markdown);
        entry
    };
    match chain {
        [] => {
            let mut items: Vec<CompletionItem> = SCOPES
                .iter()
                .map(|s| {
                    let mut entry = named(s, CompletionItemKind::MODULE, None, Some(describe::scope(s).to_owned()));
                    entry.sort_text = Some(format!("1{s}"));
                    entry
                })
                .collect();
            items.extend(functions(analysis, range.clone(), true));
            items
        }
        ["fields"] => analysis
            .fields()
            .iter()
            .map(|f| named(&f.id, CompletionItemKind::FIELD, f.type_.clone(), Some(describe::field(f))))
            .collect(),
        ["outputs"] => earlier_units(analysis, site)
            .into_iter()
            .map(|(id, detail, doc)| named(&id, CompletionItemKind::MODULE, Some(detail), Some(doc)))
            .collect(),
        ["outputs", unit] => outputs_of(analysis, site, unit)
            .into_iter()
            .map(|name| named(&name, CompletionItemKind::FIELD, Some(format!("output of `{unit}`")), None))
            .collect(),
        ["metadata", rest @ ..] => tree_items(METADATA_KEYS, rest, &named),
        ["request", rest @ ..] => tree_items(REQUEST_KEYS, rest, &named),
        ["system", rest @ ..] => tree_items(SYSTEM_KEYS, rest, &named),
        ["environment"] => analysis
            .environment
            .iter()
            .map(|name| named(name, CompletionItemKind::CONSTANT, Some("allow-listed in pao.toml".into()), None))
            .collect(),
        _ => Vec::new(),
    }
}

/// Makes a completion item of a name: its kind, detail and documentation.
type Named<'a> = dyn Fn(&str, CompletionItemKind, Option<String>, Option<String>) -> CompletionItem + 'a;

fn tree_items(tree: &'static [KeyTree], path: &[&str], named: &Named<'_>) -> Vec<CompletionItem> {
    let mut level = tree;
    for segment in path {
        match level.iter().find(|k| k.name == *segment) {
            Some(key) => level = key.children,
            None => return Vec::new(),
        }
    }
    level
        .iter()
        .map(|k| {
            let kind = if k.children.is_empty() { CompletionItemKind::FIELD } else { CompletionItemKind::MODULE };
            named(k.name, kind, None, None)
        })
        .collect()
}

/// The actions (or components) whose outputs the site may read: id, detail, documentation.
pub(crate) fn earlier_units(analysis: &Analysis<'_>, site: Site) -> Vec<(String, String, String)> {
    let Some(outline) = analysis.outline.as_deref() else { return Vec::new() };
    match site {
        Site::Action { list, index } => outline
            .actions_of(list)
            .filter(|a| a.index < index)
            .map(|a| (a.id.clone(), action_type(a), describe::action(a)))
            .collect(),
        Site::Monitoring => outline
            .actions_of(pao_vars::ListKind::Automated)
            .map(|a| (a.id.clone(), action_type(a), describe::action(a)))
            .collect(),
        Site::Component { index } => outline
            .components
            .iter()
            .take(index)
            .map(|c| {
                let item = c.item.as_ref().map_or("?", |(i, _)| i.as_str());
                (c.id.clone(), format!("component: {item}"), format!("Component `{}`, item `{item}`.", c.id))
            })
            .collect(),
    }
}

fn action_type(action: &crate::outline::ActionInfo) -> String {
    action.type_.map_or_else(|| "action".to_owned(), |t| format!("{} action", describe::action_type(t)))
}

/// The outputs `outputs.<unit>.` may name at the site.
pub(crate) fn outputs_of(analysis: &Analysis<'_>, site: Site, unit: &str) -> Vec<String> {
    if !earlier_units(analysis, site).iter().any(|(id, _, _)| id == unit) {
        return Vec::new();
    }
    let Some(outline) = analysis.outline.as_deref() else { return Vec::new() };
    match site {
        Site::Action { list, .. } => outline
            .actions_of(list)
            .find(|a| a.id == unit)
            .map(|a| a.outputs.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default(),
        Site::Monitoring => outline
            .actions_of(pao_vars::ListKind::Automated)
            .find(|a| a.id == unit)
            .map(|a| a.outputs.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default(),
        Site::Component { .. } => {
            let item = outline.components.iter().find(|c| c.id == unit).and_then(|c| c.item.as_ref());
            item.and_then(|(id, _)| analysis.catalog.by_id(id))
                .map(|e| e.outline.all_outputs().into_iter().map(str::to_owned).collect())
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_parts_read_core_versions() {
        assert_eq!(semver_parts("1.4.0"), Some((1, 4, 0)));
        assert_eq!(semver_parts("2.0.0-rc.1"), Some((2, 0, 0)));
        assert_eq!(semver_parts("1.4"), None);
    }
}
