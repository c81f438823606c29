//! Parse + resolve for a whole document: [`check_document`], what `pao_lint` calls.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use pao_schema::{CatalogBundle, CatalogDocument, CatalogItem, Presentation};
use pao_source::Node;

use crate::Engine;
use crate::problem::{TemplateProblem, TemplateProblemKind};
use crate::resolve::{OutputScope, ScopeInfo, resolve};
use crate::scopes::{action_outputs, item_outputs};
use crate::sites::{ListKind, SiteOwner, TemplateSite, collect_templates};

/// Finds catalog items by id: how [`check_document`] learns the outputs of a bundle's
/// components. `pao_lint` implements it over its catalog index.
pub trait ItemLookup {
    /// The item with this id, if the catalog has it.
    fn item(&self, id: &str) -> Option<&CatalogItem>;
}

/// A lookup that knows no items (checking a lone item file).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoItems;

impl ItemLookup for NoItems {
    fn item(&self, _id: &str) -> Option<&CatalogItem> {
        None
    }
}

impl ItemLookup for BTreeMap<String, CatalogItem> {
    fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.get(id)
    }
}

impl<S: std::hash::BuildHasher> ItemLookup for HashMap<String, CatalogItem, S> {
    fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.get(id)
    }
}

impl ItemLookup for [CatalogItem] {
    fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.iter().find(|item| item.metadata.id == id)
    }
}

impl ItemLookup for Vec<CatalogItem> {
    fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.as_slice().item(id)
    }
}

/// Checks every template of one document, statically (phases parse and resolve).
///
/// * `source` is the file's text and `root` the tree `pao_source::parse_yaml(source)` built;
///   `doc` is the same document, typed (so call this only for documents that deserialised).
/// * `catalog` resolves bundle components' items (for their outputs); a component whose item is
///   missing is not this check's business (its outputs are then not checked by name).
///
/// Returns the problems sorted by position; each carries the byte range of the reference in the
/// file (see [`TemplateProblem::range`]) and the JSON Pointer of its string.
pub fn check_document(
    engine: &Engine,
    source: &str,
    root: &Node,
    doc: &CatalogDocument,
    catalog: &dyn ItemLookup,
) -> Vec<TemplateProblem> {
    let sites = collect_templates(root);
    let mut problems = match doc {
        CatalogDocument::Item(item) => check_item_sites(engine, source, item, &sites),
        CatalogDocument::Bundle(bundle) => check_bundle_sites(engine, source, bundle, &sites, catalog),
    };
    problems.sort_by_key(|p| (p.range.start, p.range.end, p.kind));
    problems.dedup();
    problems
}

/// Resolves one template against `scope`, outside any document (e.g. for an API that checks a
/// single string). Ranges are byte ranges in `text`.
pub fn check_template(engine: &Engine, text: &str, scope: &ScopeInfo) -> Vec<TemplateProblem> {
    resolve(engine, text, scope)
        .problems
        .into_iter()
        .map(|p| TemplateProblem {
            kind: p.kind,
            message: p.message,
            help: p.help,
            range: p.range,
            pointer: String::new(),
        })
        .collect()
}

fn field_ids(presentation: Option<&Presentation>) -> Arc<BTreeSet<String>> {
    Arc::new(presentation.map(|p| p.form.fields().map(|field| field.id.clone()).collect()).unwrap_or_default())
}

/// The scope of the config of action `index` in `list`.
pub fn action_scope(engine: &Engine, item: &CatalogItem, list: ListKind, index: usize) -> ScopeInfo {
    scope_of_action(engine, item, list, index, field_ids(Some(&item.presentation)))
}

/// [`action_scope`] with the item's field ids already collected.
fn scope_of_action(
    engine: &Engine,
    item: &CatalogItem,
    list: ListKind,
    index: usize,
    fields: Arc<BTreeSet<String>>,
) -> ScopeInfo {
    let mut outputs = OutputScope { unit: "action", ..OutputScope::default() };
    let actions = |kind: ListKind| match kind {
        ListKind::Automated => item.fulfillment.automated.as_ref(),
        ListKind::Manual => item.fulfillment.manual.as_ref(),
    };
    if let Some(own) = actions(list) {
        let current = own.actions.get(index).map_or("?", |a| a.id.as_str());
        for (i, action) in own.actions.iter().enumerate() {
            if i < index {
                outputs.earlier.insert(action.id.clone(), Some(action_outputs(action)));
            } else if i == index {
                outputs.unavailable.insert(
                    action.id.clone(),
                    (
                        TemplateProblemKind::LaterOutput,
                        format!("action `{current}` cannot read its own outputs: they exist only after it ran"),
                    ),
                );
            } else {
                outputs.unavailable.entry(action.id.clone()).or_insert((
                    TemplateProblemKind::LaterOutput,
                    format!(
                        "action `{}` runs after `{current}` (it is number {} of the {} list), so its outputs do not exist yet",
                        action.id,
                        i + 1,
                        list.as_str()
                    ),
                ));
            }
        }
    }
    if let Some(other) = actions(list.other()) {
        for action in &other.actions {
            outputs.elsewhere.entry(action.id.clone()).or_insert_with(|| {
                format!(
                    "action `{}` is in the {} list; outputs are only passed between actions of the same list",
                    action.id,
                    list.other().as_str()
                )
            });
        }
    }
    ScopeInfo { fields, environment: engine.environment_shared(), outputs, failure: list == ListKind::Manual }
}

fn check_item_sites(engine: &Engine, source: &str, item: &CatalogItem, sites: &[TemplateSite]) -> Vec<TemplateProblem> {
    let mut problems = Vec::new();
    let monitoring_scope = {
        let mut outputs = OutputScope { unit: "action", ..OutputScope::default() };
        if let Some(list) = &item.fulfillment.automated {
            for action in &list.actions {
                outputs.earlier.insert(action.id.clone(), Some(action_outputs(action)));
            }
        }
        ScopeInfo {
            fields: field_ids(Some(&item.presentation)),
            environment: engine.environment_shared(),
            outputs,
            failure: false,
        }
    };
    // Sites come action by action: build each action's scope once, not once per string.
    let mut action: Option<((ListKind, usize), ScopeInfo)> = None;
    for site in sites {
        let scope = match site.owner {
            SiteOwner::Action { list, index } => {
                if action.as_ref().is_none_or(|(key, _)| *key != (list, index)) {
                    let scope = scope_of_action(engine, item, list, index, Arc::clone(&monitoring_scope.fields));
                    action = Some(((list, index), scope));
                }
                match &action {
                    Some((_, scope)) => scope,
                    None => continue,
                }
            }
            SiteOwner::Monitoring => &monitoring_scope,
            SiteOwner::Component { .. } => continue,
        };
        problems.extend(locate(source, site, resolve(engine, &site.text, scope).problems));
    }
    problems
}

fn check_bundle_sites(
    engine: &Engine,
    source: &str,
    bundle: &CatalogBundle,
    sites: &[TemplateSite],
    catalog: &dyn ItemLookup,
) -> Vec<TemplateProblem> {
    let components = &bundle.components;
    let position: BTreeMap<&str, usize> = components.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    // First pass: which components each component's fields read (for cycle chains).
    let loose = ScopeInfo::default();
    let mut reads: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); components.len()];
    for site in sites {
        if let SiteOwner::Component { index } = site.owner
            && index < components.len()
        {
            let ids = resolve(engine, &site.text, &loose).output_ids;
            reads[index].extend(ids.iter().filter_map(|id| position.get(id.as_str()).copied()));
        }
    }
    let fields = field_ids(bundle.presentation.as_ref());
    let mut problems = Vec::new();
    for site in sites {
        let SiteOwner::Component { index } = site.owner else { continue };
        if index >= components.len() {
            continue;
        }
        let mut outputs = OutputScope { unit: "component", ..OutputScope::default() };
        for (i, component) in components.iter().enumerate() {
            if i < index {
                let names = catalog.item(&component.item).map(item_outputs);
                outputs.earlier.insert(component.id.clone(), names);
            } else {
                let message = cycle_message(components, &reads, index, i);
                outputs.unavailable.entry(component.id.clone()).or_insert((TemplateProblemKind::BundleCycle, message));
            }
        }
        let scope =
            ScopeInfo { fields: fields.clone(), environment: engine.environment_shared(), outputs, failure: false };
        problems.extend(locate(source, site, resolve(engine, &site.text, &scope).problems));
    }
    problems
}

/// Explains why component `from` may not read component `to` (`to >= from`), with the chain.
fn cycle_message(
    components: &[pao_schema::BundleComponent],
    reads: &[BTreeSet<usize>],
    from: usize,
    to: usize,
) -> String {
    let id = |i: usize| components[i].id.as_str();
    if from == to {
        return format!("component `{}` reads its own outputs: {} → {}", id(from), id(from), id(from));
    }
    // Is there a path back from `to` to `from`? Then it is a cycle.
    let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([to]);
    let mut seen = BTreeSet::from([to]);
    while let Some(node) = queue.pop_front() {
        if node == from {
            let mut chain = vec![from];
            let mut at = from;
            while let Some(&p) = previous.get(&at) {
                chain.push(p);
                at = p;
            }
            chain.reverse();
            let text: Vec<&str> = std::iter::once(id(from)).chain(chain.iter().map(|&i| id(i))).collect();
            return format!("components read each other's outputs in a cycle: {}", text.join(" → "));
        }
        for &next in reads.get(node).into_iter().flatten() {
            if seen.insert(next) {
                previous.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    format!(
        "component `{}` reads outputs of `{}`, which comes later in the bundle ({} → {}); move `{}` before `{}`",
        id(from),
        id(to),
        id(from),
        id(to),
        id(to),
        id(from)
    )
}

/// Turns template-relative problems into file-located ones.
fn locate(source: &str, site: &TemplateSite, problems: Vec<crate::resolve::RawProblem>) -> Vec<TemplateProblem> {
    if problems.is_empty() {
        return Vec::new();
    }
    let map = site.map(source);
    problems
        .into_iter()
        .map(|p| TemplateProblem {
            kind: p.kind,
            message: p.message,
            help: p.help,
            range: map.map(p.range),
            pointer: site.pointer.clone(),
        })
        .collect()
}
