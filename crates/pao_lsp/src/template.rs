//! Templates at the cursor: whether the cursor is inside `{{ }}` or `{% %}`, which reference
//! chain (`outputs.create_db.`) it is writing or pointing at, and which template site
//! (action, component, health check) owns the string — that decides what `fields` and
//! `outputs` may name.

use std::ops::Range;

use pao_vars::ListKind;

use crate::yaml_path::Segment;

/// The owner of a template string, from its path in the document (`pao_vars::SiteOwner`
/// without needing a parsed document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// The `config` of action `index` of a list.
    Action {
        /// The list.
        list: ListKind,
        /// The action's position.
        index: usize,
    },
    /// The `fields` of bundle component `index`.
    Component {
        /// The component's position.
        index: usize,
    },
    /// `monitoring.healthCheck.url`.
    Monitoring,
}

impl Site {
    /// The site of the string at `path`, if strings there are templates.
    pub fn of(path: &[Segment]) -> Option<Self> {
        let key = |i: usize| path.get(i).and_then(Segment::key);
        match (key(0), key(1), key(2), path.get(3), key(4)) {
            (Some("fulfillment"), Some(list), Some("actions"), Some(Segment::Index(index)), Some("config")) => {
                let list = match list {
                    "automated" => ListKind::Automated,
                    "manual" => ListKind::Manual,
                    _ => return None,
                };
                (path.len() > 5).then_some(Self::Action { list, index: *index })
            }
            (Some("components"), _, Some("fields"), _, _) if path.len() > 3 => match path.get(1) {
                Some(Segment::Index(index)) => Some(Self::Component { index: *index }),
                _ => None,
            },
            (Some("monitoring"), Some("healthCheck"), Some("url"), _, _) => Some(Self::Monitoring),
            _ => None,
        }
    }
}

/// What is being written inside a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateCursor {
    /// A reference: the complete segments before the last `.` and the partial last one.
    Reference {
        /// `["outputs", "create_db"]` for `outputs.create_db.ar`.
        chain: Vec<String>,
        /// `ar`.
        partial: String,
        /// The partial segment's byte range in the document (what a completion replaces).
        range: Range<usize>,
    },
    /// A filter name after `|`.
    Filter {
        /// Written so far.
        partial: String,
        /// Its byte range.
        range: Range<usize>,
    },
    /// A test name after `is` / `is not`.
    Test {
        /// Written so far.
        partial: String,
        /// Its byte range.
        range: Range<usize>,
    },
}

fn is_chain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Whether `before` (the value text up to the cursor) ends inside an open `{{` or `{%`.
/// Returns the expression text written so far.
fn open_expression(before: &str) -> Option<&str> {
    let open = before.rfind("{{").into_iter().chain(before.rfind("{%")).max()?;
    let inside = &before[open + 2..];
    (!inside.contains("}}") && !inside.contains("%}")).then_some(inside)
}

/// The template cursor at `offset`, given the value text up to it.
pub fn template_cursor(before: &str, offset: usize) -> Option<TemplateCursor> {
    let expression = open_expression(before)?;
    let chain_start = expression.rfind(|c: char| !is_chain_char(c)).map_or(0, |i| i + 1);
    let chain_text = &expression[chain_start..];
    let lead = expression[..chain_start].trim_end();
    let partial_start = chain_text.rfind('.').map_or(0, |i| i + 1);
    let partial = chain_text[partial_start..].to_owned();
    let range = offset - partial.len()..offset;
    if chain_text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if lead.ends_with('|') && !lead.ends_with("||") && partial_start == 0 {
        return Some(TemplateCursor::Filter { partial, range });
    }
    let words: Vec<&str> = lead.split_whitespace().collect();
    if partial_start == 0 && (words.last() == Some(&"is") || words.ends_with(&["is", "not"])) {
        return Some(TemplateCursor::Test { partial, range });
    }
    let chain: Vec<String> = if partial_start == 0 {
        Vec::new()
    } else {
        chain_text[..partial_start - 1].split('.').map(str::to_owned).collect()
    };
    if chain.iter().any(String::is_empty) {
        return None;
    }
    Some(TemplateCursor::Reference { chain, partial, range })
}

/// The reference chain under the cursor in `text` (for hover and go to definition): its
/// segments up to and including the one at the cursor, and that segment's byte range. Only
/// inside an open `{{`/`{%` of the same line or block (`before` is the value up to `offset`).
pub fn reference_at(text: &str, before: &str, offset: usize) -> Option<(Vec<String>, Range<usize>)> {
    open_expression(before)?;
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let after = &text[offset..line_end];
    let end = offset + after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
    let start_of_chain = before.rfind(|c: char| !is_chain_char(c)).map_or(0, |i| i + 1);
    let chain_before = &before[start_of_chain..];
    let segment_start = chain_before.rfind('.').map_or(0, |i| i + 1);
    let mut segments: Vec<String> =
        chain_before[..segment_start].split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let current = format!("{}{}", &chain_before[segment_start..], &text[offset..end]);
    if current.is_empty() || current.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let range = offset - (chain_before.len() - segment_start)..end;
    segments.push(current);
    Some((segments, range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(before: &str) -> Option<TemplateCursor> {
        template_cursor(before, before.len())
    }

    #[test]
    fn references_filters_and_tests() {
        assert_eq!(
            cursor("\"{{ outputs.create_db.ar"),
            Some(TemplateCursor::Reference {
                chain: vec!["outputs".into(), "create_db".into()],
                partial: "ar".into(),
                range: 22..24,
            })
        );
        assert_eq!(
            cursor("{{ fields."),
            Some(TemplateCursor::Reference { chain: vec!["fields".into()], partial: String::new(), range: 10..10 })
        );
        assert_eq!(
            cursor("{{ fi"),
            Some(TemplateCursor::Reference { chain: vec![], partial: "fi".into(), range: 3..5 })
        );
        assert_eq!(cursor("{{ fields.x | up"), Some(TemplateCursor::Filter { partial: "up".into(), range: 14..16 }));
        assert_eq!(
            cursor("{% if fields.x is not "),
            Some(TemplateCursor::Test { partial: String::new(), range: 22..22 })
        );
        assert_eq!(
            cursor("{{ upper(metadata.owner."),
            Some(TemplateCursor::Reference {
                chain: vec!["metadata".into(), "owner".into()],
                partial: String::new(),
                range: 24..24
            })
        );
    }

    #[test]
    fn outside_templates_nothing() {
        assert_eq!(cursor("plain fields."), None);
        assert_eq!(cursor("{{ fields.a }} and fields."), None);
        assert_eq!(cursor("{{ 12."), None);
    }

    #[test]
    fn reference_under_the_cursor() {
        let text = "url: \"{{ outputs.create_db.arn }}\"";
        let offset = text.find("create_db").unwrap() + 3;
        let (segments, range) = reference_at(text, &text[..offset], offset).unwrap();
        assert_eq!(segments, ["outputs", "create_db"]);
        assert_eq!(&text[range], "create_db");
        let offset = text.find("arn").unwrap() + 1;
        let (segments, range) = reference_at(text, &text[..offset], offset).unwrap();
        assert_eq!(segments, ["outputs", "create_db", "arn"]);
        assert_eq!(&text[range], "arn");
    }

    #[test]
    fn sites_from_paths() {
        let p = |keys: &[&str]| -> Vec<Segment> {
            keys.iter().map(|k| k.parse().map_or_else(|_| Segment::Key((*k).to_owned()), Segment::Index)).collect()
        };
        assert_eq!(
            Site::of(&p(&["fulfillment", "manual", "actions", "2", "config", "summary"])),
            Some(Site::Action { list: ListKind::Manual, index: 2 })
        );
        assert_eq!(Site::of(&p(&["components", "1", "fields", "instanceName"])), Some(Site::Component { index: 1 }));
        assert_eq!(Site::of(&p(&["monitoring", "healthCheck", "url"])), Some(Site::Monitoring));
        assert_eq!(Site::of(&p(&["metadata", "name"])), None);
        assert_eq!(Site::of(&p(&["fulfillment", "manual", "actions", "2", "name"])), None);
    }
}
