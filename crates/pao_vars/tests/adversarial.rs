//! Hostile templates: each must fail fast, with a clear error, and never reach outside.

use std::time::{Duration, Instant};

use pao_vars::{Engine, RenderContext, RenderErrorKind, ScopeInfo, TemplateProblemKind, check_template};
use serde_json::json;

fn engine() -> Engine {
    Engine::new(["AWS_REGION"])
}

fn context() -> RenderContext {
    let mut context = RenderContext::default();
    context.fields.insert("items".into(), json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    context.environment.insert("AWS_REGION".into(), "eu-west-1".into());
    context.environment.insert("PATH".into(), "/usr/bin".into());
    context
}

fn scope() -> ScopeInfo {
    ScopeInfo {
        fields: std::sync::Arc::new(["items".to_owned(), "name".to_owned()].into_iter().collect()),
        environment: std::sync::Arc::new(["AWS_REGION".to_owned()].into_iter().collect()),
        ..ScopeInfo::default()
    }
}

fn kinds(template: &str) -> Vec<TemplateProblemKind> {
    check_template(&engine(), template, &scope()).into_iter().map(|p| p.kind).collect()
}

/// Renders and returns the error kind, asserting it came back quickly.
fn failing_render(template: &str) -> RenderErrorKind {
    let start = Instant::now();
    let result = engine().render_str(template, &context());
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    match result {
        Ok(value) => panic!("{template}: expected an error, rendered {value}"),
        Err(err) => err.kind,
    }
}

#[test]
fn huge_nested_loop_runs_out_of_fuel_quickly() {
    let template = "{% for a in fields.items %}{% for b in fields.items %}{% for c in fields.items %}\
                    {% for d in fields.items %}{% for e in fields.items %}{% for f in fields.items %}\
                    x{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}";
    assert_eq!(failing_render(template), RenderErrorKind::Limit);
    assert!(kinds(template).is_empty(), "the template itself is valid; only its cost is not");
}

#[test]
fn huge_string_runs_out_of_fuel() {
    assert_eq!(failing_render("{{ 'x' * 100000000 }}"), RenderErrorKind::Limit);
    assert_eq!(failing_render("{% set s = 'abc' * 10000000 %}{{ s }}"), RenderErrorKind::Limit);
}

#[test]
fn exponential_string_growth_runs_out_of_fuel() {
    // Each `set` doubles the string: 2^40 bytes if nothing stopped it.
    let mut template = "{% set s0 = 'ab' %}".to_owned();
    for i in 1..=40 {
        template.push_str(&format!("{{% set s{i} = s{} ~ s{} %}}", i - 1, i - 1));
    }
    template.push_str("{{ s40 | base64 }}");
    assert_eq!(failing_render(&template), RenderErrorKind::Limit);
    // minijinja refuses an oversized repetition up front ("repeated sequence is too large").
    let kind = failing_render("{{ fields.items * 100000000 }}");
    assert!(matches!(kind, RenderErrorKind::Limit | RenderErrorKind::Other), "{kind:?}");
}

#[test]
fn deep_recursion_hits_the_recursion_limit() {
    // A recursive loop over data nested 200 deep (the limit is 64).
    let mut deep = json!([]);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let mut context = context();
    context.fields.insert("deep".into(), deep);
    let start = Instant::now();
    let result = engine().render_str("{% for x in fields.deep recursive %}[{{ loop(x) }}]{% endfor %}", &context);
    assert!(start.elapsed() < Duration::from_secs(5));
    let err = result.expect_err("recursion must be bounded");
    assert_eq!(err.kind, RenderErrorKind::Limit, "{err}");
}

#[test]
fn deeply_nested_expressions_are_a_syntax_error_not_a_crash() {
    let template = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(failing_render(&template), RenderErrorKind::Syntax);
    assert_eq!(kinds(&template), [TemplateProblemKind::Syntax]);
}

#[test]
fn include_import_extends_and_macros_do_not_parse() {
    for template in [
        "{% include '/etc/passwd' %}",
        "{% import 'x.j2' as x %}",
        "{% from 'x.j2' import y %}",
        "{% extends 'base.j2' %}",
        "{% macro m() %}x{% endmacro %}",
    ] {
        assert_eq!(failing_render(template), RenderErrorKind::Syntax, "{template}");
        let problems = check_template(&engine(), template, &scope());
        assert_eq!(problems.len(), 1, "{template}");
        assert_eq!(problems[0].kind, TemplateProblemKind::Syntax);
        assert!(problems[0].help.as_deref().unwrap_or("").contains("cannot include"), "{template}");
    }
}

#[test]
fn environment_outside_the_allow_list_is_flagged_and_unreadable() {
    assert_eq!(kinds("{{ environment.PATH }}"), [TemplateProblemKind::EnvironmentNotAllowed]);
    assert_eq!(kinds("{{ environment['PATH'] }}"), [TemplateProblemKind::EnvironmentNotAllowed]);
    assert_eq!(failing_render("{{ environment.PATH }}"), RenderErrorKind::Undefined);
    assert!(kinds("{{ environment.AWS_REGION }}").is_empty());
}

#[test]
fn undefined_names_are_flagged_and_fail_to_render() {
    for name in ["range", "self", "config", "os", "__pao_fixed_clock", "loop"] {
        let template = format!("{{{{ {name} }}}}");
        assert_eq!(kinds(&template), [TemplateProblemKind::UnknownScope], "{name}");
        assert_eq!(failing_render(&template), RenderErrorKind::Undefined, "{name}");
    }
}

#[test]
fn builtin_functions_filters_and_methods_are_not_available() {
    assert_eq!(kinds("{{ range(10) }}"), [TemplateProblemKind::UnknownFunction]);
    assert_eq!(kinds("{{ fields.name | safe }}"), [TemplateProblemKind::UnknownFunction]);
    assert_eq!(kinds("{{ fields.name | attr('x') }}"), [TemplateProblemKind::UnknownFunction]);
    assert_eq!(kinds("{{ fields.name.upper() }}"), [TemplateProblemKind::UnknownFunction]);
    assert_eq!(kinds("{% if fields.name is string %}x{% endif %}"), [TemplateProblemKind::UnknownFunction]);
    assert_eq!(failing_render("{{ range(10) }}"), RenderErrorKind::Other);
    assert_eq!(failing_render("{{ fields.items | safe }}"), RenderErrorKind::Other);
}

#[test]
fn html_is_never_escaped() {
    let mut context = context();
    context.fields.insert("name".into(), json!("<b>&'\""));
    assert_eq!(engine().render_str("x {{ fields.name }}", &context).ok(), Some(json!("x <b>&'\"")));
}

/// A context whose `fields.big` is `len` bytes of text.
fn big_context(len: usize) -> RenderContext {
    let mut context = context();
    context.fields.insert("big".into(), json!("ab".repeat(len / 2)));
    context
}

/// Renders with a big value and returns the error kind, quickly.
fn failing_big_render(template: &str) -> RenderErrorKind {
    let start = Instant::now();
    let result = engine().render_str(template, &big_context(100_000));
    assert!(start.elapsed() < Duration::from_secs(5), "{template} took {:?}", start.elapsed());
    match result {
        Ok(value) => panic!("{template}: expected an error, rendered {} bytes", value.to_string().len()),
        Err(err) => err.kind,
    }
}

#[test]
fn functions_pay_for_their_output_before_allocating_it() {
    // Each of these would build hundreds of megabytes to gigabytes from a 100 KB value.
    for template in [
        "{{ replace(fields.big, '', fields.big) }}",
        "{{ fields.big | replace('', fields.big) }}",
        "{{ replace(fields.big, 'a', fields.big) }}",
        "{{ concat(fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big, fields.big) }}",
        "{{ base64(base64(base64(base64(base64(base64(base64(base64(base64(base64(fields.big)))))))))) }}",
        "{{ json([fields.big] * 1000000) }}",
        "{{ concat([fields.big] * 100000000, [1]) | json }}",
        "{{ upper([fields.big] * 100000000) }}",
        "{{ fields.big * 1000000 }}",
        "{{ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big ~ fields.big }}",
    ] {
        assert_eq!(failing_big_render(template), RenderErrorKind::Limit, "{template}");
    }
}

#[test]
fn functions_on_ordinary_values_still_work() {
    let rendered = engine()
        .render_str(
            "{{ replace('a-b', '-', '_') }} {{ base64('hi') }} {{ json({'a': [1, 2]}) }} {{ concat('x', 'y') }}",
            &context(),
        )
        .unwrap();
    assert_eq!(rendered, json!("a_b aGk= {\"a\":[1,2]} xy"));
    let rendered = engine().render_str("{{ concat([1], [2, 3]) | json }}", &context()).unwrap();
    assert_eq!(rendered, json!("[1,2,3]"));
}

/// Found by the `template` fuzz target: a syntax error right after an identifier, at a
/// character of more than one byte, was reported with a range inside that character.
#[test]
fn problem_ranges_never_split_a_character() {
    for template in [
        "https://hooks.example.le.bom/{{ outputs.create_d\u{fffd}.enop tdn}}/{{ outputs.make_db.endpoinA",
        "{{ fields.a\u{e9} }}",
        "{{ \u{1f600} }}",
        "{% if \u{fffd} %}x{% endif %}",
        "{{ fields.notes | default('') |Yreplace(',', -'\u{fffd}') }}",
    ] {
        for problem in check_template(&engine(), template, &scope()) {
            assert!(
                template.get(problem.range.clone()).is_some(),
                "{template:?}: range {:?} splits a character ({})",
                problem.range,
                problem.message
            );
        }
    }
}

/// Found by the `template` fuzz target in CI: an error in a template that is one `{{ expr }}`
/// was reported with a range counted from the expression, two bytes short of the text's, so
/// it pointed at the wrong column and could end inside a character.
#[test]
fn render_error_ranges_of_one_expression_count_from_the_whole_text() {
    for template in ["{{ fields.notes | default('') |Yreplace(',', -'\u{fffd}') }}", "{{ -'x' }}", "{{- -'\u{e9}' -}}"]
    {
        let error = engine().render_str(template, &context()).expect_err(template);
        let range = error.range.clone().expect("an invalid operation has a range");
        let failing =
            template.get(range.clone()).unwrap_or_else(|| panic!("{template:?}: {range:?} splits a character"));
        assert!(failing.starts_with('-') && failing.ends_with('\''), "{template:?}: {range:?} is {failing:?}");
    }
}
