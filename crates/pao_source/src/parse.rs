//! The YAML event stream to a [`Node`] tree, with positions, in one pass and without recursion.

use std::borrow::Cow;
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
///
/// Documents in the block style catalogs are written in take a [fast path](crate::fast); all
/// others, and every syntax error, go through saphyr-parser. Both give the same tree.
pub fn parse_yaml(text: &str) -> ParsedYaml {
    crate::fast::parse(text).unwrap_or_else(|| parse_with_saphyr(text))
}

/// Parses with saphyr-parser, which reads all of YAML.
pub(crate) fn parse_with_saphyr(text: &str) -> ParsedYaml {
    let mut builder = Builder::new(text);
    let fatal = builder.run();
    builder.finish(fatal)
}

/// The two kinds of collection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Collection {
    Seq,
    Map,
}

enum Frame {
    Seq {
        /// Where the span starts; `None` until the first item says (block sequences whose
        /// dashes are not indented under their key).
        start: Option<usize>,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Option<usize>,
        flow: bool,
        anchor: usize,
        entries: Vec<Entry>,
        /// Index of every key, built once the mapping is large enough for it to pay off.
        seen: Option<HashMap<String, usize>>,
        key: Option<(String, Range<usize>)>,
    },
}

/// Builds the node tree from parser events: saphyr-parser's, or the [fast path](crate::fast)'s.
pub(crate) struct Builder<'t> {
    text: &'t str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    aliased_nodes: usize,
    documents: usize,
    root: Option<Node>,
    errors: Vec<YamlError>,
}

impl<'t> Builder<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Self {
            text,
            stack: Vec::new(),
            anchors: HashMap::new(),
            aliased_nodes: 0,
            documents: 0,
            root: None,
            errors: Vec::new(),
        }
    }

    /// The tree and the problems found; a fatal error leaves no tree.
    pub(crate) fn finish(self, fatal: Option<YamlError>) -> ParsedYaml {
        let mut errors = self.errors;
        match fatal {
            Some(error) => {
                errors.push(error);
                ParsedYaml { root: None, errors }
            }
            None => ParsedYaml { root: self.root, errors },
        }
    }

    /// Feeds every event of saphyr-parser to the tree; returns the fatal error that stopped it.
    fn run(&mut self) -> Option<YamlError> {
        let offsets = CharOffsets::new(self.text);
        let range = |span: Span| {
            let start = offsets.byte(&span.start);
            start..offsets.byte(&span.end).max(start)
        };
        for result in Parser::new_from_str(self.text) {
            let (event, span) = match result {
                Ok(pair) => pair,
                Err(err) => {
                    let at = offsets.byte(err.marker());
                    if err.info().contains("recursion limit") {
                        return Some(self.too_deep(at..at));
                    }
                    return Some(self.error(YamlErrorKind::Syntax, syntax_message(err.info()), at..at));
                }
            };
            let range = range(span);
            let fatal = match event {
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
                    None
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let range = self.scalar_end(style, range);
                    self.scalar_event(text, style, anchor, tag.as_deref(), range)
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", &range);
                    let flow = self.opens_flow(&range);
                    self.start(Collection::Seq, Some(range.start), flow, anchor, range)
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", &range);
                    let flow = self.opens_flow(&range);
                    self.start(Collection::Map, Some(range.start), flow, anchor, range)
                }
                Event::SequenceEnd | Event::MappingEnd => self.end(range),
                Event::Alias(id) => self.alias(id, range),
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            };
            if fatal.is_some() {
                return fatal;
            }
        }
        None
    }

    /// A scalar spanning `range`. A mapping key is kept as its raw text; only values are resolved.
    pub(crate) fn scalar_event(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        range: Range<usize>,
    ) -> Option<YamlError> {
        let wants_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        let (node, raw) = if wants_key && anchor == 0 {
            (Node { value: Value::Null, span: range }, Some(text.into_owned()))
        } else {
            let node = self.scalar(&text, style, tag, range);
            (node, wants_key.then(|| text.into_owned()))
        };
        self.complete(node, anchor, raw)
    }

    /// A mapping or sequence starts. `start` is where its span starts, or `None` to start it
    /// where its first item does; `flow` collections end at their closing bracket.
    pub(crate) fn start(
        &mut self,
        kind: Collection,
        start: Option<usize>,
        flow: bool,
        anchor: usize,
        range: Range<usize>,
    ) -> Option<YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Some(self.too_deep(range));
        }
        self.stack.push(match kind {
            Collection::Seq => Frame::Seq { start, flow, anchor, items: Vec::new() },
            Collection::Map => Frame::Map { start, flow, anchor, entries: Vec::new(), seen: None, key: None },
        });
        None
    }

    /// Whether a collection's start event opens a flow collection: its span ends at the `{` or
    /// `[`. A block collection's start span is empty, or covers only its tag or anchor (`!t`,
    /// `&a`; neither can hold a bracket), so a non-empty span alone does not tell.
    fn opens_flow(&self, range: &Range<usize>) -> bool {
        self.text.get(range.clone()).is_some_and(|text| text.trim_end().ends_with(['{', '[']))
    }

    /// The innermost collection ends; `range` is the end event's (for flow, its closing bracket).
    pub(crate) fn end(&mut self, range: Range<usize>) -> Option<YamlError> {
        let frame = self.stack.pop()?;
        let (value, start, flow, anchor, last_end) = match frame {
            Frame::Seq { start, flow, anchor, items } => {
                let last = items.last().map(|last| last.span.end);
                (Value::Seq(items), start, flow, anchor, last)
            }
            Frame::Map { start, flow, anchor, entries, .. } => {
                let last = entries.last().map(|last| last.value.span.end);
                (Value::Map(entries), start, flow, anchor, last)
            }
        };
        let start = start.unwrap_or(range.start);
        let mut end = if flow { self.closing_bracket(range.start) + 1 } else { last_end.unwrap_or(range.end) };
        while !self.text.is_char_boundary(end.min(self.text.len())) {
            end += 1;
        }
        let end = end.min(self.text.len());
        self.complete(Node { value, span: start..end.max(start) }, anchor, None)
    }

    /// saphyr's span of a quoted or block scalar runs on to the next token, over spaces and
    /// comments: end it at the scalar's last character, as the fast path does.
    fn scalar_end(&self, style: ScalarStyle, mut range: Range<usize>) -> Range<usize> {
        match style {
            ScalarStyle::Plain => {}
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => range.end = self.closing_quote(range.clone()),
            _ => range.end -= self.text.get(range.clone()).map_or(0, |s| s.len() - s.trim_end().len()),
        }
        range
    }

    /// The end of a quoted scalar spanning `range`: just past its closing quote.
    fn closing_quote(&self, range: Range<usize>) -> usize {
        let bytes = self.text.as_bytes();
        let Some(&quote) = bytes.get(range.start) else { return range.end };
        let mut i = range.start + 1;
        while i < range.end.min(bytes.len()) {
            match bytes[i] {
                b'\\' if quote == b'"' => i += 2,
                b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                b if b == quote => return i + 1,
                _ => i += 1,
            }
        }
        range.end
    }

    /// The closing bracket at or after an end event's start: saphyr starts a flow mapping's end
    /// event at a trailing comma (`{a: b, }`).
    fn closing_bracket(&self, at: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = at;
        while i < bytes.len() && matches!(bytes[i], b',' | b' ' | b'\n') {
            i += 1;
        }
        if matches!(bytes.get(i), Some(b']' | b'}')) { i } else { at.min(self.text.len().saturating_sub(1)) }
    }

    fn alias(&mut self, id: usize, range: Range<usize>) -> Option<YamlError> {
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
        self.complete(node, 0, None)
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
            Some(Frame::Seq { items, start, .. }) => {
                start.get_or_insert(node.span.start);
                items.push(node);
            }
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
                            | ("int", Value::Int(_) | Value::UInt(_))
                            | ("float", Value::Float(_) | Value::Int(_) | Value::UInt(_))
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
                        ("float", Value::UInt(u)) => Value::Float(u as f64),
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
    // Most plain scalars are words: nothing but a digit, sign, dot, `~` or one of the null and
    // boolean spellings can start anything else.
    if !matches!(
        text.as_bytes().first(),
        None | Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F')
    ) {
        return Value::String(text.to_owned());
    }
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
        if let Some(int) = integer(hex, 16) {
            return int;
        }
    } else if let Some(oct) = text.strip_prefix("0o") {
        if let Some(int) = integer(oct, 8) {
            return int;
        }
    } else if is_int(text) {
        return integer(text, 10).unwrap_or_else(|| Value::Float(text.parse().unwrap_or(f64::NAN)));
    } else if is_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::String(text.to_owned())
}

/// An integer in `i64`, or above it in `u64` (what JSON readers keep exact); `None` past that.
fn integer(digits: &str, radix: u32) -> Option<Value> {
    i64::from_str_radix(digits, radix)
        .map(Value::Int)
        .or_else(|_| u64::from_str_radix(digits, radix).map(Value::UInt))
        .ok()
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
