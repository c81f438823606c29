//! Go to definition: from `fields.x` to the field's `id`, from `outputs.a` / `outputs.a.b` to
//! the action (and the `rest-api` output) or bundle component that defines it, from a
//! component's `item`, a deprecation's `replacement` to that document, and from `dependsOn`
//! to the field.

use std::ops::Range;

use crate::analysis::Analysis;
use crate::template::{Site, reference_at};
use crate::yaml_path::{Segment, Slot};

/// Where something is defined: in this document, or in another of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A byte range of the current document.
    Here(Range<usize>),
    /// A byte range of another document (repository-relative path).
    Elsewhere {
        /// The document.
        path: String,
        /// The range in it.
        range: Range<usize>,
    },
}

/// The definition of what is at the analysis' cursor.
pub fn definition(analysis: &Analysis<'_>) -> Option<Target> {
    let before = analysis.value_before()?;
    if let Some((segments, _)) = reference_at(analysis.text, before, analysis.offset) {
        let site = analysis.site()?;
        let names: Vec<&str> = segments.iter().map(String::as_str).collect();
        return template_definition(analysis, site, &names);
    }
    let Slot::Value { range, block: false, .. } = &analysis.cursor.slot else { return None };
    let value = analysis.text.get(range.clone())?.trim().trim_matches('"').trim_matches('\'');
    let keys: Vec<Option<&str>> = analysis.cursor.path.iter().map(Segment::key).collect();
    match keys.as_slice() {
        [Some("components"), None, Some("item")]
        | [Some("metadata"), Some("lifecycle"), Some("deprecation"), Some("replacement")] => document(analysis, value),
        [.., Some("conditional"), Some("dependsOn")] => {
            analysis.fields().iter().find(|f| f.id == value).map(|f| Target::Here(f.span.clone()))
        }
        _ => None,
    }
}

/// The `metadata.id` of the document with this id.
fn document(analysis: &Analysis<'_>, id: &str) -> Option<Target> {
    let entry = analysis.catalog.by_id(id)?;
    let (_, range) = entry.outline.id.as_ref()?;
    if analysis.path.as_deref() == Some(entry.path) {
        return Some(Target::Here(range.clone()));
    }
    Some(Target::Elsewhere { path: entry.path.to_owned(), range: range.clone() })
}

fn template_definition(analysis: &Analysis<'_>, site: Site, names: &[&str]) -> Option<Target> {
    let outline = analysis.outline.as_deref()?;
    match names {
        ["fields", id, ..] => outline.field(id).map(|f| Target::Here(f.span.clone())),
        ["outputs", unit, rest @ ..] => {
            // Only units the site may read: the definition of a later action is not where
            // this reference's value comes from.
            if !crate::completion::earlier_units(analysis, site).iter().any(|(id, _, _)| id == unit) {
                return None;
            }
            match site {
                Site::Action { .. } | Site::Monitoring => {
                    let list = if let Site::Action { list, .. } = site { list } else { pao_vars::ListKind::Automated };
                    let action = outline.actions_of(list).find(|a| a.id == *unit)?;
                    let output = rest.first().and_then(|name| action.outputs.iter().find(|o| o.name == *name));
                    Some(Target::Here(output.and_then(|o| o.span.clone()).unwrap_or_else(|| action.span.clone())))
                }
                Site::Component { .. } => {
                    let component = outline.components.iter().find(|c| c.id == *unit)?;
                    let Some(name) = rest.first() else { return Some(Target::Here(component.span.clone())) };
                    let (item_id, _) = component.item.as_ref()?;
                    let entry = analysis.catalog.by_id(item_id)?;
                    let action = entry.outline.actions.iter().find(|a| a.outputs.iter().any(|o| o.name == *name))?;
                    let output = action.outputs.iter().find(|o| o.name == *name)?;
                    let range = output.span.clone().unwrap_or_else(|| action.span.clone());
                    Some(Target::Elsewhere { path: entry.path.to_owned(), range })
                }
            }
        }
        _ => None,
    }
}
