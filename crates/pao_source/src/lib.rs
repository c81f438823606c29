//! One span-aware YAML parse per file.
//!
//! [`parse_yaml`] turns YAML text into a [`Node`] tree in which every key and value keeps the byte
//! range it came from, so any later check (a schema error's JSON Pointer, a template reference)
//! can point at the exact spot. [`LineIndex`] turns byte offsets into 1-based lines and character
//! columns when a diagnostic is rendered. [`decode`] guards the parser from input that is not a
//! text file at all, and [`read_bounded`] is the one reader that keeps every file read within a
//! size limit.
//!
//! The tree is read in place, not through a `serde_json::Value`: [`de`] makes `&Node` a serde
//! deserializer for the typed documents, and `json` (feature `jsonschema`) makes it an instance the
//! `jsonschema` validator checks. Both see exactly the value [`Node::to_json`] builds.
//!
//! The loader is defensive: duplicate keys are reported (and the first value kept), aliases are
//! expanded against a node budget so an alias bomb fails fast, nesting deeper than
//! [`MAX_DEPTH`] stops the parse, and the tree is built without recursion.

#![deny(missing_docs)]

pub mod de;
mod decode;
mod fast;
#[cfg(feature = "jsonschema")]
pub mod json;
mod line_index;
mod node;
mod parse;
mod read;

pub use decode::{DecodeError, MAX_FILE_BYTES, decode};
pub use line_index::{LineCol, LineIndex};
pub use node::{Entry, Node, Value};
pub use parse::{MAX_DEPTH, MAX_NODES, ParsedYaml, YamlError, YamlErrorKind, parse_yaml};
pub use read::{MAX_INPUT_BYTES, ReadError, format_size, read_bounded, read_to_string_bounded};

/// Each of [`parse_yaml`]'s two parsers alone, for the differential fuzz target in `fuzz/`
/// (feature `fuzzing`). Not API: nothing else may call it.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::ParsedYaml;

    /// The fast path: `None` when `text` is outside the subset it reads.
    pub fn fast(text: &str) -> Option<ParsedYaml> {
        crate::fast::parse(text)
    }

    /// saphyr-parser, which reads all of YAML.
    pub fn saphyr(text: &str) -> ParsedYaml {
        crate::parse::parse_with_saphyr(text)
    }
}
