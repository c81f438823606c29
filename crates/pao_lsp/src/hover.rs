//! Hover: the schema description of a key (and of an enum value), a field's name, type and
//! help on a `fields.x` reference, an action's on `outputs.a`, and the explanation of the rule
//! of each diagnostic under the cursor.

use lsp_types::{Diagnostic, Hover, HoverContents, MarkupContent, MarkupKind};
use pao_vars::{FUNCTIONS, SCOPES};

use crate::analysis::Analysis;
use crate::completion::earlier_units;
use crate::convert::code_of;
use crate::describe;
use crate::template::{Site, reference_at};
use crate::yaml_path::{Segment, Slot};

/// The hover at the analysis' cursor; `diagnostics` are those published for the document.
pub fn hover(analysis: &Analysis<'_>, diagnostics: &[Diagnostic]) -> Option<Hover> {
    let mut sections: Vec<String> = Vec::new();
    let mut range = None;
    if let Some((text, r)) = template_hover(analysis) {
        sections.push(text);
        range = Some(r);
    } else if let Some((text, r)) = yaml_hover(analysis) {
        sections.push(text);
        range = Some(r);
    }
    let position = analysis.index.position(analysis.text, analysis.offset);
    let mut seen: Vec<&str> = Vec::new();
    for diagnostic in diagnostics {
        let inside = diagnostic.range.start <= position && position <= diagnostic.range.end;
        let Some(code) = code_of(diagnostic).filter(|_| inside) else { continue };
        if seen.contains(&code) {
            continue;
        }
        seen.push(code);
        if let Some(text) = describe::rule(code) {
            sections.push(text);
        }
    }
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: range.map(|r| analysis.index.range(analysis.text, &r)),
    })
}

/// A reference inside a template.
fn template_hover(analysis: &Analysis<'_>) -> Option<(String, std::ops::Range<usize>)> {
    let before = analysis.value_before()?;
    let (segments, range) = reference_at(analysis.text, before, analysis.offset)?;
    let site = analysis.site()?;
    let names: Vec<&str> = segments.iter().map(String::as_str).collect();
    let text = match names.as_slice() {
        [name] if SCOPES.contains(name) => format!("**{name}** (scope)\n\n{}", describe::scope(name)),
        [name] if FUNCTIONS.contains(name) => {
            format!("**{name}** (function and filter)\n\n{}", describe::function(name))
        }
        ["fields", id, ..] => match analysis.fields().iter().find(|f| f.id == *id) {
            Some(field) => describe::field(field),
            None => format!("`{id}` is not a field of this document"),
        },
        ["outputs", unit] => unit_hover(analysis, site, unit)?,
        ["outputs", unit, name] => {
            let outputs = crate::completion::outputs_of(analysis, site, unit);
            if outputs.iter().any(|o| o == name) {
                format!("Output `{name}` of `{unit}`\n\n{}", unit_hover(analysis, site, unit).unwrap_or_default())
            } else {
                format!("`{unit}` has no output `{name}` readable here")
            }
        }
        _ => return None,
    };
    Some((text, range))
}

fn unit_hover(analysis: &Analysis<'_>, site: Site, unit: &str) -> Option<String> {
    earlier_units(analysis, site)
        .into_iter()
        .find(|(id, _, _)| id == unit)
        .map(|(_, _, doc)| doc)
        .or_else(|| Some(format!("`{unit}` is not an action (or component) that runs before this one")))
}

/// A key, or a value, of the YAML structure.
fn yaml_hover(analysis: &Analysis<'_>) -> Option<(String, std::ops::Range<usize>)> {
    let doc = analysis.root.as_deref();
    match &analysis.cursor.slot {
        Slot::Entry { range, .. } => {
            let key = analysis.text.get(range.clone())?.trim_end_matches(':');
            if key.is_empty() {
                return None;
            }
            let description = analysis.schemas.key_description(analysis.kind, &analysis.cursor.path, key, doc)?;
            Some((format!("**{key}**\n\n{description}"), range.clone()))
        }
        Slot::Value { range, block: false, .. } => {
            let (last, parent) = analysis.cursor.path.split_last()?;
            let key = last.key()?;
            let mut text = String::new();
            if let Some(description) = analysis.schemas.key_description(analysis.kind, parent, key, doc) {
                text = format!("**{key}**\n\n{description}");
            }
            let value = analysis.text.get(range.clone())?.trim().trim_matches('"').trim_matches('\'');
            let values = analysis.schemas.values(analysis.kind, &analysis.cursor.path, doc);
            if let Some(described) =
                values.iter().find(|v| v.value.trim_matches('"') == value).and_then(|v| v.description.as_ref())
            {
                text.push_str(&format!("\n\n`{value}`: {described}"));
            }
            if let Some(reference) = reference_hover(analysis, value) {
                text.push_str(&format!("\n\n{reference}"));
            }
            (!text.is_empty()).then(|| (text.trim_start().to_owned(), range.clone()))
        }
        Slot::Value { block: true, .. } => None,
    }
}

/// A value that names another document or a field: what it names.
fn reference_hover(analysis: &Analysis<'_>, value: &str) -> Option<String> {
    let keys: Vec<Option<&str>> = analysis.cursor.path.iter().map(Segment::key).collect();
    match keys.as_slice() {
        [Some("components"), None, Some("item")]
        | [Some("metadata"), Some("lifecycle"), Some("deprecation"), Some("replacement")] => Some(
            analysis
                .catalog
                .by_id(value)
                .map_or_else(|| format!("`{value}` is not in the catalog"), |e| describe::entry(&e)),
        ),
        [.., Some("conditional"), Some("dependsOn")] => {
            analysis.fields().iter().find(|f| f.id == value).map(describe::field)
        }
        _ => None,
    }
}
