//! The portal's HTML: one function per page, every API string escaped, no inline script (the
//! pages are served with a Content-Security-Policy that allows only the portal's own assets).

use std::fmt::Write as _;

use pao_form::escape as esc;
use serde_json::{Map, Value};

/// Who is signed in, as `GET /api/v1/me` says.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// User id.
    pub user: String,
    /// Teams.
    pub teams: Vec<String>,
    /// Whether the user may see every team's requests.
    pub admin: bool,
    /// Whether the session is a token cookie (a sign-out button makes sense).
    pub token_session: bool,
}

impl Viewer {
    /// From the API's `me` answer.
    pub fn from_me(me: &Value, token_session: bool) -> Self {
        Self {
            user: text(me, "/user").to_owned(),
            teams: me
                .pointer("/teams")
                .and_then(Value::as_array)
                .map(|teams| teams.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            admin: me.pointer("/admin").and_then(Value::as_bool).unwrap_or(false),
            token_session,
        }
    }
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The frame around every page.
pub fn layout(title: &str, viewer: Option<&Viewer>, csrf: &str, body: &str) -> String {
    let mut page = String::with_capacity(body.len() + 4096);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · PAO self-service</title>\n\
         <link rel=\"stylesheet\" href=\"/assets/form.css\">\n<link rel=\"stylesheet\" href=\"/assets/portal.css\">\n\
         <script src=\"/assets/portal.js\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"bar\"><div class=\"wrap bar-in\">\n\
         <a class=\"brand\" href=\"/\">PAO <span>self-service</span></a>\n",
        title = esc(title)
    );
    if let Some(viewer) = viewer {
        page.push_str("<nav aria-label=\"Main\"><a href=\"/\">Catalog</a> <a href=\"/requests\">My requests</a>");
        if !viewer.teams.is_empty() || viewer.admin {
            page.push_str(" <a href=\"/requests?scope=teams\">Team requests</a>");
        }
        let _ = write!(page, "</nav>\n<div class=\"who\"><span>{}</span>", esc(&viewer.user));
        if viewer.token_session {
            let _ = write!(
                page,
                "<form method=\"post\" action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <button type=\"submit\" class=\"link\">Sign out</button></form>",
                esc(csrf)
            );
        }
        page.push_str("</div>\n");
    }
    let _ = write!(
        page,
        "</div></header>\n<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\n{body}</main>\n</body>\n</html>\n"
    );
    page
}

/// The sign-in page.
pub fn sign_in(csrf: &str, error: Option<&str>) -> String {
    let mut body = String::from("<section class=\"narrow card\">\n<h1>Sign in</h1>\n");
    if let Some(message) = error {
        let _ = writeln!(body, "<p class=\"alert\" role=\"alert\">{}</p>", esc(message));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/sign-in\" class=\"stack\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <label for=\"token\">Token</label>\n\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required \
         aria-describedby=\"token-help\">\n\
         <p class=\"help\" id=\"token-help\">The API token your platform team gave you.</p>\n\
         <button type=\"submit\" class=\"primary\">Sign in</button>\n</form>\n</section>\n",
        esc(csrf)
    );
    layout("Sign in", None, csrf, &body)
}

/// A page that only says what went wrong.
pub fn problem(viewer: Option<&Viewer>, csrf: &str, title: &str, message: &str) -> String {
    let body = format!(
        "<section class=\"card\"><h1>{}</h1>\n<p class=\"alert\" role=\"alert\">{}</p>\n<p><a href=\"/\">Back to the catalog</a></p></section>\n",
        esc(title),
        esc(message)
    );
    layout(title, viewer, csrf, &body)
}

fn lifecycle_badge(status: &str) -> String {
    match status {
        "" | "stable" => String::new(),
        other => format!("<span class=\"badge life-{0}\">{0}</span>", esc(other)),
    }
}

/// The catalog: a search box and cards by category.
pub fn catalog(viewer: &Viewer, csrf: &str, items: &[Value], query: &str, lifecycle: &str) -> String {
    let mut body = String::from("<h1>Service catalog</h1>\n");
    let _ = write!(
        body,
        "<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">\n\
         <label for=\"q\">Search</label>\n<input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" \
         placeholder=\"postgres, kafka, eks…\">\n<label for=\"lifecycle\">Lifecycle</label>\n<select id=\"lifecycle\" name=\"lifecycle\">",
        esc(query)
    );
    for option in ["", "experimental", "beta", "stable", "deprecated"] {
        let selected = if option == lifecycle { " selected" } else { "" };
        let label = if option.is_empty() { "any" } else { option };
        let _ = write!(body, "<option value=\"{option}\"{selected}>{label}</option>");
    }
    body.push_str("</select>\n<button type=\"submit\" class=\"primary\">Search</button>\n</form>\n");
    if items.is_empty() {
        body.push_str("<p class=\"muted\" role=\"status\">No catalog item matches.</p>\n");
    }
    let mut categories: Vec<&str> = items.iter().map(|item| text(item, "/category")).collect();
    categories.sort_unstable();
    categories.dedup();
    for category in categories {
        let _ = write!(
            body,
            "<section class=\"category\" aria-labelledby=\"cat-{0}\">\n<h2 id=\"cat-{0}\">{0}</h2>\n<ul class=\"cards\">\n",
            esc(category)
        );
        for item in items.iter().filter(|item| text(item, "/category") == category) {
            card(&mut body, item);
        }
        body.push_str("</ul>\n</section>\n");
    }
    layout("Catalog", Some(viewer), csrf, &body)
}

fn card(body: &mut String, item: &Value) {
    let id = text(item, "/id");
    let _ = write!(
        body,
        "<li class=\"card item-card\" data-item=\"{id}\">\n<h3><a href=\"/items/{href}\">{name}</a></h3>\n\
         <p class=\"meta\"><code>{id}</code> <span class=\"badge\">v{version}</span>{badge}</p>\n<p>{description}</p>\n",
        id = esc(id),
        href = crate::api::enc(id),
        name = esc(text(item, "/name")),
        version = esc(text(item, "/version")),
        badge = lifecycle_badge(text(item, "/lifecycle")),
        description = esc(text(item, "/description")),
    );
    let mut facts = format!("<dl class=\"facts\"><dt>Owner</dt><dd>{}</dd>", esc(text(item, "/owner")));
    if let Some(sla) = item.get("sla").filter(|v| v.is_object()) {
        let hours = |key: &str| sla.get(key).and_then(Value::as_u64).map(|h| format!("{h} h"));
        let parts: Vec<String> = [("response", hours("responseHours")), ("fulfilment", hours("fulfillmentHours"))]
            .into_iter()
            .filter_map(|(label, value)| value.map(|v| format!("{label} {v}")))
            .collect();
        if !parts.is_empty() {
            let _ = write!(facts, "<dt>SLA</dt><dd>{}</dd>", esc(&parts.join(", ")));
        }
    }
    facts.push_str("</dl>\n");
    body.push_str(&facts);
    if let Some(deprecation) = item.get("deprecation").filter(|v| v.is_object()) {
        body.push_str(&deprecation_note(deprecation));
    }
    body.push_str("</li>\n");
}

fn deprecation_note(deprecation: &Value) -> String {
    let mut note = String::from("<p class=\"deprecated\" role=\"note\">Deprecated");
    let sunset = text(deprecation, "/sunset");
    if !sunset.is_empty() {
        let _ = write!(note, ", sunset {}", esc(sunset));
    }
    let replacement = text(deprecation, "/replacement");
    if !replacement.is_empty() {
        let _ =
            write!(note, ". Use <a href=\"/items/{}\">{}</a> instead", crate::api::enc(replacement), esc(replacement));
    }
    let message = text(deprecation, "/message");
    if !message.is_empty() {
        let _ = write!(note, ". {}", esc(message));
    }
    note.push_str(".</p>\n");
    note
}

/// What the item page needs.
pub struct ItemPage<'a> {
    /// `GET /catalog/items/{id}` (`item` is the catalog document).
    pub entry: &'a Value,
    /// `GET /catalog/items/{id}/versions`.
    pub versions: &'a Value,
    /// The form description (`GET /catalog/items/{id}/schema`).
    pub form: &'a pao_form::FormDescription,
    /// Values to pre-fill (after a refused submission).
    pub values: &'a Map<String, Value>,
    /// Resource name and team as typed.
    pub resource: &'a str,
    /// Team chosen.
    pub team: &'a str,
    /// Field errors from the API, by field id.
    pub field_errors: &'a [(String, String)],
    /// A refusal that is not about one field.
    pub error: Option<&'a str>,
}

/// An item: description, versions, the request form.
pub fn item(viewer: &Viewer, csrf: &str, page: &ItemPage<'_>) -> String {
    let document = page.entry.get("item").unwrap_or(page.entry);
    let id = text(document, "/metadata/id");
    let name = text(document, "/metadata/name");
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"crumbs\"><a href=\"/\">Catalog</a> › {category}</p>\n<h1>{name}</h1>\n\
         <p class=\"meta\"><code>{id}</code> <span class=\"badge\">v{version}</span>{badge}</p>\n<p class=\"lead\">{description}</p>\n",
        category = esc(text(document, "/metadata/category")),
        name = esc(name),
        id = esc(id),
        version = esc(text(document, "/metadata/version")),
        badge = lifecycle_badge(text(document, "/metadata/lifecycle/status")),
        description = esc(text(document, "/metadata/description")),
    );
    if let Some(deprecation) = document.pointer("/metadata/lifecycle/deprecation").filter(|v| v.is_object()) {
        body.push_str(&deprecation_note(deprecation));
    }
    let _ = write!(
        body,
        "<dl class=\"facts\"><dt>Owner</dt><dd>{} <span class=\"muted\">{}</span></dd>",
        esc(text(document, "/metadata/owner/team")),
        esc(text(document, "/metadata/owner/contact"))
    );
    if let Some(list) = page.versions.pointer("/versions").and_then(Value::as_array) {
        let names: Vec<String> =
            list.iter().map(|v| esc(v.get("version").and_then(Value::as_str).unwrap_or(""))).collect();
        let _ = write!(body, "<dt>Versions</dt><dd>{}</dd>", names.join(", "));
    }
    body.push_str("</dl>\n");
    if let Some(message) = page.error {
        let _ = writeln!(body, "<p class=\"alert\" role=\"alert\" id=\"submit-error\">{}</p>", esc(message));
    }
    let _ = write!(
        body,
        "<div class=\"layout\">\n<form id=\"pao-form\" class=\"form\" method=\"post\" action=\"/items/{href}\" \
         novalidate data-post aria-label=\"Request form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<input type=\"hidden\" name=\"values\" value=\"\">\n\
         <input type=\"hidden\" name=\"version\" value=\"{version}\">\n\
         <section class=\"group\" aria-labelledby=\"group-request\">\n<h2 id=\"group-request\">Request</h2>\n\
         <div class=\"field\"><label for=\"resource\">Resource name<span class=\"req\" aria-hidden=\"true\">*</span></label>\n\
         <input id=\"resource\" name=\"resource\" required value=\"{resource}\" autocomplete=\"off\" \
         aria-describedby=\"resource-help\">\n<p class=\"help\" id=\"resource-help\">Lowercase letters, digits and hyphens; \
         the same name again updates the resource.</p></div>\n\
         <div class=\"field\"><label for=\"team\">Team<span class=\"req\" aria-hidden=\"true\">*</span></label>\n<select id=\"team\" name=\"team\" required>\n",
        href = crate::api::enc(id),
        csrf = esc(csrf),
        version = esc(text(document, "/metadata/version")),
        resource = esc(page.resource),
    );
    for team in &viewer.teams {
        let selected = if team == page.team { " selected" } else { "" };
        let _ = writeln!(body, "<option value=\"{0}\"{selected}>{0}</option>", esc(team));
    }
    body.push_str("</select></div>\n</section>\n");
    body.push_str(&pao_form::render_fields(page.form, page.values));
    body.push_str(
        "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Submit request</button></div>\n</form>\n",
    );
    let _ = write!(
        body,
        "<aside class=\"side\" aria-label=\"Request summary\">\n\
         <div class=\"card status\" id=\"pao-status\" role=\"status\" aria-live=\"polite\">Checking…</div>\n\
         <details class=\"card\"><summary>What will be sent</summary>\n\
         <pre id=\"pao-submission\" tabindex=\"0\" aria-label=\"Submission JSON\">{{}}</pre></details>\n</aside>\n</div>\n\
         <pre id=\"pao-verdicts\" hidden></pre>\n<script type=\"application/json\" id=\"pao-form-data\">{}</script>\n\
         <script src=\"/assets/form.js\" defer></script>\n",
        pao_form::form_data_json(page.form)
    );
    // Errors the API found, shown where the field is (after the script has run, too).
    if !page.field_errors.is_empty() {
        body.push_str("<ul class=\"server-errors\" id=\"server-errors\" role=\"alert\">\n");
        for (field, message) in page.field_errors {
            let _ = writeln!(
                body,
                "<li data-field=\"{0}\"><a href=\"#{1}\">{0}</a>: {2}</li>",
                esc(field),
                esc(&pao_form::input_id(field)),
                esc(message)
            );
        }
        body.push_str("</ul>\n");
    }
    layout(name, Some(viewer), csrf, &body)
}

/// The steps every request goes through, for the timeline.
const STEPS: [&str; 5] = ["submitted", "pr_open", "pr_merged", "in_progress", "completed"];

/// The live part of a request page (timeline, actions, log), also served alone for polling.
pub fn request_live(viewer: &Viewer, csrf: &str, full: &Value, logs: &Value) -> String {
    let request = full.get("request").unwrap_or(full);
    let id = text(request, "/id");
    let status = text(request, "/status");
    let history: Vec<&Value> =
        request.pointer("/history").and_then(Value::as_array).map(|h| h.iter().collect()).unwrap_or_default();
    let mut out = format!(
        "<div id=\"live\" data-status=\"{status}\" data-request=\"{id}\">\n<p class=\"status-line\">Status: \
         <strong class=\"status s-{status}\" id=\"status\">{status}</strong></p>\n<ol class=\"timeline\" aria-label=\"Status timeline\">\n",
        status = esc(status),
        id = esc(id)
    );
    let reached = |step: &str| history.iter().any(|event| text(event, "/status") == step) || step == status;
    let at = |step: &str| {
        history.iter().rev().find(|event| text(event, "/status") == step).map(|event| text(event, "/at")).unwrap_or("")
    };
    let terminal_off_path = ["failed", "aborted", "escalated", "pr_closed"];
    for step in STEPS {
        let last = step == "completed" && terminal_off_path.contains(&status);
        let shown = if last { status } else { step };
        let class = if reached(shown) { "done" } else { "todo" };
        let current = if shown == status { " aria-current=\"step\"" } else { "" };
        let _ = writeln!(
            out,
            "<li class=\"{class}\"{current}><span class=\"step\">{}</span> <time>{}</time></li>",
            esc(shown),
            esc(at(shown))
        );
    }
    out.push_str("</ol>\n");
    if let Some(url) = request.pointer("/url").and_then(Value::as_str) {
        let _ = writeln!(out, "<p>Pull request: <a href=\"{0}\">{0}</a></p>", esc(url));
    } else {
        let _ = writeln!(out, "<p>Pull request: branch <code>{}</code></p>", esc(text(request, "/branch")));
    }
    let actions: Vec<(&str, &str)> = match status {
        "failed" => vec![("retry", "Retry"), ("escalate", "Escalate"), ("abort", "Abort")],
        "submitted" | "validating" | "pr_open" | "pr_merged" | "in_progress" => {
            vec![("escalate", "Escalate"), ("abort", "Abort")]
        }
        "escalated" => vec![("retry", "Retry"), ("abort", "Abort")],
        _ => Vec::new(),
    };
    if !actions.is_empty() && viewer_can_act(viewer, request) {
        out.push_str("<div class=\"actions\">");
        for (verb, label) in actions {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/requests/{href}/{verb}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button type=\"submit\" class=\"secondary\">{label}</button></form>",
                href = crate::api::enc(id),
                csrf = esc(csrf)
            );
        }
        out.push_str("</div>\n");
    }
    // The API puts each action's outcome under `fulfilment` once the request is executed.
    let outcomes = request.pointer("/fulfilment/actions").or_else(|| request.pointer("/actions"));
    if let Some(outcomes) = outcomes.and_then(Value::as_array).filter(|a| !a.is_empty()) {
        out.push_str("<h2>Actions</h2>\n<table class=\"table\"><thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Status</th>\
                      <th scope=\"col\">Attempts</th><th scope=\"col\">Reference</th><th scope=\"col\">Error</th></tr></thead><tbody>\n");
        for action in outcomes {
            let reference = action
                .pointer("/reference/url")
                .or_else(|| action.pointer("/reference/id"))
                .or_else(|| action.pointer("/externalRef"));
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(action.pointer("/action").or_else(|| action.pointer("/id")).and_then(Value::as_str).unwrap_or("")),
                esc(text(action, "/status")),
                action.pointer("/attempts").and_then(Value::as_u64).unwrap_or(0),
                esc(&reference.map(plain).unwrap_or_default()),
                esc(text(action, "/error"))
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("<h2>Log</h2>\n");
    let entries = logs.pointer("/data").or_else(|| logs.pointer("/entries")).and_then(Value::as_array);
    if entries.is_none_or(Vec::is_empty) {
        out.push_str("<p class=\"meta\">No fulfilment records yet: they appear once the merged request runs.</p>\n");
    }
    out.push_str("<ol class=\"log\">\n");
    for entry in entries.into_iter().flatten() {
        let message = entry
            .pointer("/summary")
            .or_else(|| entry.pointer("/message"))
            .or_else(|| entry.pointer("/note"))
            .map(plain)
            .unwrap_or_else(|| entry.to_string());
        let _ = writeln!(
            out,
            "<li><time>{}</time> <span class=\"step\">{}</span> {}</li>",
            esc(entry.pointer("/at").or_else(|| entry.pointer("/timestamp")).map(plain).unwrap_or_default().as_str()),
            esc(text(entry, "/status")),
            esc(&message)
        );
    }
    out.push_str("</ol>\n</div>\n");
    out
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn viewer_can_act(viewer: &Viewer, request: &Value) -> bool {
    viewer.admin || viewer.teams.iter().any(|team| team == text(request, "/team"))
}

/// One request: summary, desired state and the live part.
pub fn request(viewer: &Viewer, csrf: &str, full: &Value, logs: &Value, notice: Option<&str>) -> String {
    let request = full.get("request").unwrap_or(full);
    let id = text(request, "/id");
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"crumbs\"><a href=\"/requests\">Requests</a> › {id}</p>\n<h1>{operation} {item}/{resource}</h1>\n\
         <p class=\"meta\">Request <code>{id}</code> · team {team} · by {requester} · item version {version}</p>\n",
        id = esc(id),
        operation = esc(text(request, "/operation")),
        item = esc(text(request, "/item")),
        resource = esc(text(request, "/resource")),
        team = esc(text(request, "/team")),
        requester = esc(text(request, "/requester")),
        version = esc(text(request, "/version")),
    );
    if let Some(message) = notice {
        let _ = writeln!(body, "<p class=\"alert\" role=\"alert\">{}</p>", esc(message));
    }
    body.push_str(&request_live(viewer, csrf, full, logs));
    if let Some(document) = request.pointer("/document").filter(|d| !d.is_null()) {
        let pretty = serde_json::to_string_pretty(document).unwrap_or_default();
        let _ = writeln!(
            body,
            "<details class=\"card\"><summary>Desired state</summary><pre tabindex=\"0\">{}</pre></details>",
            esc(&pretty)
        );
    }
    layout(&format!("Request {id}"), Some(viewer), csrf, &body)
}

/// A list of requests with status filters and pagination.
pub fn requests(viewer: &Viewer, csrf: &str, page: &Value, scope: &str, status: &str, base_query: &str) -> String {
    let title = if scope == "teams" { "Team requests" } else { "My requests" };
    let mut body = format!("<h1>{title}</h1>\n<form class=\"search\" method=\"get\" action=\"/requests\">\n");
    let _ = write!(
        body,
        "<input type=\"hidden\" name=\"scope\" value=\"{}\">\n<label for=\"status-filter\">Status</label>\n\
         <select id=\"status-filter\" name=\"status\">",
        esc(scope)
    );
    for option in
        ["", "pr_open", "pr_merged", "in_progress", "completed", "failed", "aborted", "escalated", "pr_closed"]
    {
        let selected = if option == status { " selected" } else { "" };
        let label = if option.is_empty() { "any" } else { option };
        let _ = write!(body, "<option value=\"{option}\"{selected}>{label}</option>");
    }
    body.push_str("</select>\n<button type=\"submit\" class=\"primary\">Filter</button>\n</form>\n");
    let rows = page.pointer("/data").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if rows.is_empty() {
        body.push_str("<p class=\"muted\" role=\"status\">No requests.</p>\n");
    } else {
        body.push_str(
            "<table class=\"table\"><thead><tr><th scope=\"col\">Request</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">Team</th><th scope=\"col\">Item</th><th scope=\"col\">Resource</th>\
             <th scope=\"col\">Requester</th><th scope=\"col\">Updated</th></tr></thead><tbody>\n",
        );
        for row in rows {
            let id = text(row, "/id");
            let _ = writeln!(
                body,
                "<tr><td><a href=\"/requests/{href}\">{id}</a></td><td><span class=\"status s-{status}\">{status}</span></td>\
                 <td>{team}</td><td>{item}</td><td>{resource}</td><td>{requester}</td><td>{updated}</td></tr>",
                href = crate::api::enc(id),
                id = esc(id),
                status = esc(text(row, "/status")),
                team = esc(text(row, "/team")),
                item = esc(text(row, "/item")),
                resource = esc(text(row, "/resource")),
                requester = esc(text(row, "/requester")),
                updated = esc(text(row, "/updatedAt")),
            );
        }
        body.push_str("</tbody></table>\n");
    }
    if page.pointer("/pagination/has_more").and_then(Value::as_bool) == Some(true)
        && let Some(cursor) = page.pointer("/pagination/next_cursor").and_then(Value::as_str)
    {
        let _ = writeln!(
            body,
            "<p><a class=\"next\" href=\"/requests?{base_query}&amp;cursor={}\">Next page</a></p>",
            crate::api::enc(cursor)
        );
    }
    layout(title, Some(viewer), csrf, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A request page shows each action's outcome from the API's `fulfilment` and the log's
    /// summaries, as `GET /requests/{id}` and `/logs` answer them.
    #[test]
    fn executed_requests_show_their_actions_and_log() {
        let viewer = Viewer { user: "alice".into(), teams: vec!["dba".into()], admin: false, token_session: true };
        let full = json!({ "request": {
            "id": "req-20261202-abcdef012345", "team": "dba", "item": "pgsql", "resource": "orders-db",
            "operation": "create", "status": "failed", "history": [],
            "fulfilment": { "status": "failed", "actions": [{
                "list": "automated", "id": "create_db", "type": "rest-api", "status": "failed", "attempts": 3,
                "reference": { "system": "rest", "id": "op-17", "url": "https://db.example/ops/17" },
                "error": "HTTP 503 from db.example <after 3 attempts>"
            }] }
        } });
        let logs = json!({ "entries": [
            { "commit": "c1", "at": "2026-12-02T10:00:00Z", "summary": "create_db attempt 3 failed", "record": {} }
        ] });
        let page = request(&viewer, "token", &full, &logs, None);
        assert!(
            page.contains("<td>create_db</td><td>failed</td><td>3</td><td>https://db.example/ops/17</td>"),
            "{page}"
        );
        assert!(page.contains("HTTP 503 from db.example &lt;after 3 attempts&gt;"), "escaped: {page}");
        assert!(page.contains("create_db attempt 3 failed"), "{page}");
        assert!(!page.contains("\"record\""), "no raw JSON in the log: {page}");
    }
}
