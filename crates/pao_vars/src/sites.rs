//! Phase 1, parse: every template string of a document, with its JSON Pointer and where each of
//! its bytes is in the YAML file.
//!
//! Template strings are the strings (values, not map keys) below
//! `/fulfillment/{automated,manual}/actions/N/config`, below `/components/N/fields` of a bundle,
//! and `/monitoring/healthCheck/url`. Strings without template syntax (`{{`, `{%`, `{#`) are
//! literals and are not collected.

use std::fmt::Write as _;

use pao_source::{Node, Value};

use crate::Engine;
use crate::locate::ScalarMap;

/// Which action list an action is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// `fulfillment.automated`.
    Automated,
    /// `fulfillment.manual`.
    Manual,
}

impl ListKind {
    /// Both lists, automated first.
    pub const ALL: [Self; 2] = [Self::Automated, Self::Manual];

    /// The key in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automated => "automated",
            Self::Manual => "manual",
        }
    }

    /// The other list.
    pub fn other(self) -> Self {
        match self {
            Self::Automated => Self::Manual,
            Self::Manual => Self::Automated,
        }
    }
}

/// What a template string belongs to (this decides what `outputs` it may read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteOwner {
    /// The `config` of action `index` in list `list`.
    Action {
        /// The list.
        list: ListKind,
        /// The action's index in it.
        index: usize,
    },
    /// The `fields` of bundle component `index`.
    Component {
        /// The component's index.
        index: usize,
    },
    /// `monitoring.healthCheck.url`: runs after fulfilment, may read every automated output.
    Monitoring,
}

/// One template string found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSite {
    /// JSON Pointer of the string, e.g. `/fulfillment/automated/actions/0/config/url`.
    pub pointer: String,
    /// The template (the decoded string value).
    pub text: String,
    /// Byte range of the YAML scalar holding it.
    pub span: std::ops::Range<usize>,
    /// What it belongs to.
    pub owner: SiteOwner,
}

impl TemplateSite {
    /// Where the template's bytes are in `source` (the file it was collected from). Built on
    /// demand: only a template with a problem needs it.
    pub fn map(&self, source: &str) -> ScalarMap {
        ScalarMap::new(source, self.span.clone(), &self.text)
    }
}

/// Collects every template string of a parsed document (`root`, parsed from `source`).
pub fn collect_templates(root: &Node) -> Vec<TemplateSite> {
    let mut sites = Vec::new();
    for list in ListKind::ALL {
        let base = format!("/fulfillment/{}/actions", list.as_str());
        let Some(actions) = root.pointer(&base) else { continue };
        for (index, action) in actions.items().iter().enumerate() {
            if let Some(config) = action.get("config") {
                let mut pointer = format!("{base}/{index}/config");
                walk(config, &mut pointer, SiteOwner::Action { list, index }, &mut sites);
            }
        }
    }
    if let Some(components) = root.get("components") {
        for (index, component) in components.items().iter().enumerate() {
            if let Some(fields) = component.get("fields") {
                let mut pointer = format!("/components/{index}/fields");
                walk(fields, &mut pointer, SiteOwner::Component { index }, &mut sites);
            }
        }
    }
    if let Some(url) = root.pointer("/monitoring/healthCheck/url") {
        walk(url, &mut "/monitoring/healthCheck/url".to_owned(), SiteOwner::Monitoring, &mut sites);
    }
    sites
}

fn walk(node: &Node, pointer: &mut String, owner: SiteOwner, sites: &mut Vec<TemplateSite>) {
    match &node.value {
        Value::String(text) if Engine::is_template(text) => {
            sites.push(TemplateSite { pointer: pointer.clone(), text: text.clone(), span: node.span.clone(), owner })
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                let _ = write!(pointer, "/{i}");
                walk(item, pointer, owner, sites);
                pointer.truncate(len);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                let len = pointer.len();
                pointer.push('/');
                if entry.key.contains(['~', '/']) {
                    pointer.push_str(&entry.key.replace('~', "~0").replace('/', "~1"));
                } else {
                    pointer.push_str(&entry.key);
                }
                walk(&entry.value, pointer, owner, sites);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}
