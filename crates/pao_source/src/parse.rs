//! The YAML event stream to a [`Node`] tree, with positions, in one pass and without recursion.

use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use crate::node::{Entry, Node, Value};

/// Deepest nesting of mappings and sequences accepted. Catalog documents nest about ten deep.
pub const MAX_DEPTH: usize = 64;

/// Most nodes that aliases may add by expansion, so an alias bomb fails fast.
pub const MAX_NODES: usize = 100_000;

/// Mappings with this many keys get a hash index for duplicate detection; smaller ones (nearly
/// all of a catalog document) are scanned, which allocates nothing.
const INDEX_KEYS_FROM: usize = 16;

/// The result of parsing one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedYaml {
    /// The first document, unless the file has none or could not be parsed.
    pub root: Option<Node>,
    /// Problems found; a fatal one (syntax, nesting, alias expansion) leaves `root` empty.
    pub errors: Vec<YamlError>,
}

/// A problem in the YAML itself.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// What kind of problem.
    pub kind: YamlErrorKind,
    /// What is wrong, for people.
    pub message: String,
    /// The bytes at fault.
    pub span: Range<usize>,
    /// Another place involved (the first occurrence of a duplicate key).
    pub related: Option<Range<usize>>,
}

/// Kinds of YAML problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// Not well-formed YAML.
    Syntax,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Aliases expand to more than [`MAX_NODES`] nodes.
    AliasBudget,
    /// A `---` starts a second document.
    MultipleDocuments,
    /// A mapping key that is itself a mapping or sequence.
    ComplexKey,
    /// A tag such as `!Ref` that PAO does not interpret.
    UnsupportedTag,
}

/// Parses YAML text into a node tree. Never panics and never recurses, whatever the input.
pub fn parse_yaml(text: &str) -> ParsedYaml {
    let mut builder = Builder::new(text);
    let fatal = builder.run();
    let mut errors = builder.errors;
    match fatal {
        Some(error) => {
            errors.push(error);
            ParsedYaml { root: None, errors }
        }
        None => ParsedYaml { root: builder.root, errors },
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        /// Index of every key, built once the mapping is large enough for it to pay off.
        seen: Option<HashMap<String, usize>>,
        key: Option<(String, Range<usize>)>,
    },
}

struct Builder<'t> {
    text: &'t str,
    offsets: CharOffsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    aliased_nodes: usize,
    documents: usize,
    root: Option<Node>,
    errors: Vec<YamlError>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            offsets: CharOffsets::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            aliased_nodes: 0,
            documents: 0,
            root: None,
            errors: Vec::new(),
        }
    }

    /// Feeds every event to the tree; returns the fatal error that stopped it, if any.
    fn run(&mut self) -> Option<YamlError> {
        for result in Parser::new_from_str(self.text) {
            let (event, span) = match result {
                Ok(pair) => pair,
                Err(err) => {
                    let at = self.offsets.byte(err.marker());
                    if err.info().contains("recursion limit") {
                        return Some(self.too_deep(at..at));
                    }
                    return Some(self.error(YamlErrorKind::Syntax, syntax_message(err.info()), at..at));
                }
            };
            let range = self.range(span);
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        let error = self.error(
                            YamlErrorKind::MultipleDocuments,
                            "a second YAML document starts here; a catalog file holds exactly one document".into(),
                            range,
                        );
                        self.errors.push(error);
                        return None;
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    // A mapping key is kept as its raw text; only values are resolved.
                    let wants_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                    let (node, raw) = if wants_key && anchor == 0 {
                        (Node { value: Value::Null, span: range }, Some(text.into_owned()))
                    } else {
                        let node = self.scalar(&text, style, tag.as_deref(), range);
                        (node, wants_key.then(|| text.into_owned()))
                    };
                    if let Some(fatal) = self.complete(node, anchor, raw) {
                        return Some(fatal);
                    }
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", &range);
                    if self.stack.len() >= MAX_DEPTH {
                        return Some(self.too_deep(range));
                    }
                    self.stack.push(Frame::Seq { start: range.start, anchor, items: Vec::new() });
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", &range);
                    if self.stack.len() >= MAX_DEPTH {
                        return Some(self.too_deep(range));
                    }
                    self.stack.push(Frame::Map {
                        start: range.start,
                        anchor,
                        entries: Vec::new(),
                        seen: None,
                        key: None,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else { continue };
                    let (node, anchor) = match frame {
                        Frame::Seq { start, anchor, items } => {
                            let end = items.last().map_or(range.end, |last| last.span.end).max(start);
                            (Node { value: Value::Seq(items), span: start..end }, anchor)
                        }
                        Frame::Map { start, anchor, entries, .. } => {
                            let end = entries.last().map_or(range.end, |last| last.value.span.end).max(start);
                            (Node { value: Value::Map(entries), span: start..end }, anchor)
                        }
                    };
                    if let Some(fatal) = self.complete(node, anchor, None) {
                        return Some(fatal);
                    }
                }
                Event::Alias(id) => {
                    let Some((node, count)) = self.anchors.get(&id) else {
                        return Some(self.error(YamlErrorKind::Syntax, "alias to an unknown anchor".into(), range));
                    };
                    self.aliased_nodes += count;
                    if self.aliased_nodes > MAX_NODES {
                        return Some(self.error(
                            YamlErrorKind::AliasBudget,
                            format!("aliases expand to more than {MAX_NODES} nodes (an alias bomb?); write the values out instead"),
                            range,
                        ));
                    }
                    let mut node = node.clone();
                    node.span = range;
                    if let Some(fatal) = self.complete(node, 0, None) {
                        return Some(fatal);
                    }
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        None
    }

    /// Attaches a finished node to its parent (or makes it the root) and records its anchor.
    fn complete(&mut self, node: Node, anchor: usize, raw: Option<String>) -> Option<YamlError> {
        if anchor != 0 {
            let count = node.count();
            self.anchors.insert(anchor, (node.clone(), count));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, seen, key, .. }) => match key.take() {
                None => {
                    let Some(raw) = raw.filter(|_| !matches!(node.value, Value::Seq(_) | Value::Map(_))) else {
                        return Some(self.error(
                            YamlErrorKind::ComplexKey,
                            "a mapping key must be a plain value, not a mapping or sequence".into(),
                            node.span,
                        ));
                    };
                    *key = Some((raw, node.span));
                }
                Some((name, key_span)) => {
                    if seen.is_none() && entries.len() >= INDEX_KEYS_FROM {
                        *seen = Some(entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)).collect());
                    }
                    let first = match seen {
                        Some(index) => index.get(&name).copied(),
                        None => entries.iter().position(|e| e.key == name),
                    };
                    if let Some(first) = first {
                        let first_span = entries[first].key_span.clone();
                        let message = format!("duplicate key `{name}`: it is already set in this mapping");
                        self.errors.push(YamlError {
                            kind: YamlErrorKind::DuplicateKey,
                            message,
                            span: key_span,
                            related: Some(first_span),
                        });
                    } else {
                        if let Some(index) = seen {
                            index.insert(name.clone(), entries.len());
                        }
                        entries.push(Entry { key: name, key_span, value: node });
                    }
                }
            },
        }
        None
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&Tag>, span: Range<usize>) -> Node {
        let value = match tag {
            Some(tag) if tag.is_yaml_core_schema() => match tag.suffix.as_str() {
                "str" => Value::String(text.to_owned()),
                "null" | "bool" | "int" | "float" => {
                    let value = resolve_plain(text);
                    let fits = matches!(
                        (tag.suffix.as_str(), &value),
                        ("null", Value::Null)
                            | ("bool", Value::Bool(_))
                            | ("int", Value::Int(_))
                            | ("float", Value::Float(_) | Value::Int(_))
                    );
                    if !fits {
                        self.errors.push(self.error(
                            YamlErrorKind::UnsupportedTag,
                            format!("`{text}` is not a valid !!{}", tag.suffix),
                            span.clone(),
                        ));
                    }
                    match (tag.suffix.as_str(), value) {
                        ("float", Value::Int(i)) => Value::Float(i as f64),
                        (_, value) => value,
                    }
                }
                other => {
                    self.errors.push(self.unsupported_tag(&format!("!!{other}"), span.clone()));
                    Value::String(text.to_owned())
                }
            },
            Some(tag) if tag.handle == "!" && tag.suffix.is_empty() => Value::String(text.to_owned()),
            Some(tag) => {
                self.errors.push(self.unsupported_tag(&tag.to_string(), span.clone()));
                Value::String(text.to_owned())
            }
            None if style == ScalarStyle::Plain => resolve_plain(text),
            None => Value::String(text.to_owned()),
        };
        Node { value, span }
    }

    fn check_collection_tag(&mut self, tag: Option<&Tag>, expected: &str, range: &Range<usize>) {
        if let Some(tag) = tag.filter(|tag| !(tag.is_yaml_core_schema() && tag.suffix == expected)) {
            self.errors.push(self.unsupported_tag(&tag.to_string(), range.clone()));
        }
    }

    fn unsupported_tag(&self, tag: &str, span: Range<usize>) -> YamlError {
        self.error(
            YamlErrorKind::UnsupportedTag,
            format!("tag `{tag}` is not supported in catalog documents; write the plain value"),
            span,
        )
    }

    fn too_deep(&self, range: Range<usize>) -> YamlError {
        self.error(YamlErrorKind::TooDeep, format!("nesting deeper than {MAX_DEPTH} levels"), range)
    }

    fn error(&self, kind: YamlErrorKind, message: String, span: Range<usize>) -> YamlError {
        YamlError { kind, message, span, related: None }
    }

    fn range(&self, span: Span) -> Range<usize> {
        let start = self.offsets.byte(&span.start);
        let end = self.offsets.byte(&span.end).max(start);
        start..end
    }
}

/// The scanner's messages, phrased for people who write YAML rather than parse it.
fn syntax_message(info: &str) -> String {
    let hint = if info.contains("mapping values are not allowed") {
        " (a `key: value` where a value was expected: check the indentation, or quote a value that contains `: `)"
    } else if info.contains("did not find expected key") || info.contains("block mapping") {
        " (check the indentation of this line against the lines above)"
    } else if info.contains("tab") {
        " (YAML indents with spaces, not tabs)"
    } else {
        ""
    };
    format!("invalid YAML: {info}{hint}")
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    } else if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    } else if is_int(text) {
        return text.parse::<i64>().map_or_else(|_| Value::Float(text.parse().unwrap_or(f64::NAN)), Value::Int);
    } else if is_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::String(text.to_owned())
}

fn is_int(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(is_int);
    mantissa_ok && exponent_ok
}

/// Maps the parser's character indices to byte offsets.
struct CharOffsets {
    /// Byte offset of every character, or `None` when the text is ASCII (they are equal).
    table: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Self { table, len: text.len() }
    }

    fn byte(&self, marker: &Marker) -> usize {
        let index = marker.index();
        match &self.table {
            None => index.min(self.len),
            Some(table) => table.get(index).copied().unwrap_or(self.len),
        }
    }
}
