//! Differential test: a template the simple path reads gets exactly minijinja's problems.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use pao_source::{Node, Value, parse_yaml};

use super::{OutputScope, ScopeInfo, resolve_with_minijinja, simple_checks};
use crate::problem::TemplateProblemKind;

fn scope() -> ScopeInfo {
    let mut outputs = OutputScope { unit: "action", ..OutputScope::default() };
    outputs.earlier.insert("create_instance".into(), Some(BTreeSet::from(["instanceArn".to_owned()])));
    outputs.earlier.insert("opaque".into(), None);
    outputs.unavailable.insert("later".into(), (TemplateProblemKind::LaterOutput, "runs later".into()));
    outputs.elsewhere.insert("manual_ticket".into(), "in the manual list".into());
    ScopeInfo {
        fields: Arc::new(["environment", "instanceName", "sizeGb"].map(str::to_owned).into()),
        environment: Arc::new(BTreeSet::from(["AWS_REGION".to_owned()])),
        outputs,
        failure: false,
    }
}

/// Every string holding `{{` in the repository's YAML files.
fn repository_templates() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts = BTreeSet::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && !matches!(name.as_str(), "target" | ".git" | ".pao-bench" | "node_modules") {
                dirs.push(entry.path());
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
                let mut stack: Vec<Node> = parse_yaml(&text).root.into_iter().collect();
                while let Some(node) = stack.pop() {
                    match node.value {
                        Value::String(s) if s.contains("{{") => {
                            texts.insert(s);
                        }
                        Value::Seq(items) => stack.extend(items),
                        Value::Map(entries) => stack.extend(entries.into_iter().map(|e| e.value)),
                        _ => {}
                    }
                }
            }
        }
    }
    texts.into_iter().collect()
}

const EDITS: &[&str] = &[
    "{{ fields.nope }}",
    "{{ metadata.owner.tema }}",
    "{{ request.user.email }}",
    "{{ outputs.later.x }}",
    "{{ outputs.create_instance.instanceArn }}",
    "{{ outputs.create_instance.arn }}",
    "{{ outputs.nothing }}",
    "{{ outputs.opaque.any }}",
    "{{ outputs.manual_ticket.x }}",
    "{{ environment.PATH }}",
    "{{ secrets.token }}",
    "{{ system.now }}",
    "{{ feilds.x }}",
    "{{ true }}",
    "{{ none }}",
    "{{ loop.index }}",
    "{{ 1x }}",
    "{{ a..b }}",
    "{{ a. b }}",
    "{{a.b}}",
    "{{  fields.sizeGb  }}",
    "{{- fields.sizeGb }}",
    "{{ fields.sizeGb -}}",
    "{{ x",
    "}}",
    "{{{ a }}}",
    "{{ fields['x'] }}",
    "{{ fields.x | upper }}",
    "{% if a %}",
    "{# c #}",
    "{{ é }}",
    "{{ _x }}",
    "{{ default }}",
    "{{ fields.x | default('') }}",
    "{{ fields.nope | default('a', 'b') | json }}",
    "{{ fields.nope | defualt(fields.other) }}",
    "{{ fields.x | default([]) | jsn }}",
    "{{ fields.x | default(metadata.nme) }}",
    "{{ fields.x | default(12) }}",
    "{{ fields.x | default (1) }}",
    "{{ fields.x | default('a\\'b') }}",
    "{{ fields.x|upper }}",
    "{{ fields.x | default(\"q\") }}",
    "{{ fields.x | default() | upper() }}",
    "{{ fields.x | default(1,) }}",
    "{{ fields.x | default(-1) }}",
    "{{ fields.x | default(1.5) }}",
    "{{ fields.x | default([1]) }}",
    "{{ fields.x | }}",
    "{{ x | true }}",
    "{{ metadata }}",
    "{{ outputs }}",
    "{{ fields }}",
    "{{ request.id.more }}",
];

#[test]
fn simple_path_agrees_with_minijinja() {
    let engine = crate::Engine::new(["AWS_REGION"]);
    let scope = scope();
    let mut texts = repository_templates();
    assert!(texts.len() > 50, "expected the repository's templates, found {}", texts.len());
    let base = texts.clone();
    for (i, text) in base.iter().enumerate() {
        for (j, edit) in EDITS.iter().enumerate() {
            if (i + j) % 4 == 0 {
                texts.push(format!("{text}{edit}"));
                texts.push(format!("{edit} {text}"));
            }
        }
        texts.push(text.replacen("fields.", "fields.x", 1));
        texts.push(text.replacen("metadata.", "metadata.n", 1));
        texts.push(text.replacen(" }}", "}}", 1));
    }
    texts.extend(EDITS.iter().map(|e| (*e).to_owned()));
    let (mut simple, mut with_problems) = (0, 0);
    for text in &texts {
        if simple_checks(text).is_none() {
            continue;
        }
        simple += 1;
        let fast = super::resolve(&engine, text, &scope);
        let reference = resolve_with_minijinja(&engine, text, &scope);
        assert_eq!(fast.problems, reference.problems, "problems differ for {text:?}");
        assert_eq!(fast.output_ids, reference.output_ids, "output ids differ for {text:?}");
        with_problems += usize::from(!fast.problems.is_empty());
    }
    assert!(with_problems > 100, "only {with_problems} simple templates had problems to compare");
    assert!(simple * 3 > texts.len(), "only {simple} of {} templates took the simple path", texts.len());
}
