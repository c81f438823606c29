//! The self-service portal `pao serve` answers at `/`.
//!
//! Server-rendered pages — sign in, the catalog with search, an item with its request form,
//! a request with its live status timeline, and request lists — for developers who want a
//! database by this afternoon, not a YAML file. The portal is a client of the REST API and
//! nothing else: every page is built from calls to the API router in process ([`api`]), with
//! the signed-in user's credentials, so it can show and do exactly what the API lets that user
//! see and do. Every asset is compiled into the binary (no CDN, works offline); the request
//! form is `pao_form`'s, with the same live validation as `pao form preview`.
//!
//! Mount it with [`router`], giving it the API router: `pao_portal::router(api.clone(), opts).merge(api)`.

#![deny(missing_docs)]
// Handlers return a page or a redirect either way; a `Response` in `Err` is the early answer.
#![allow(clippy::result_large_err)]

pub mod api;
mod forms;
pub mod pages;
pub mod session;

use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::{Answer, Caller, call, enc};
use crate::pages::{ItemPage, Viewer};
use crate::session::{CSRF_COOKIE, SESSION_COOKIE, cookie, csrf_ok, set_cookie};

const PORTAL_CSS: &str = include_str!("../assets/portal.css");
const PORTAL_JS: &str = include_str!("../assets/portal.js");

/// The policy every portal page is served with: only the portal's own scripts and styles.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// How the portal is served.
#[derive(Debug, Clone, Copy)]
pub struct PortalOptions {
    /// Mark cookies `Secure` (default). Only a portal served over plain HTTP to a browser that
    /// refuses secure cookies there should turn this off.
    pub secure_cookies: bool,
}

impl Default for PortalOptions {
    fn default() -> Self {
        Self { secure_cookies: true }
    }
}

#[derive(Clone)]
struct Portal {
    api: Router,
    options: PortalOptions,
}

/// The portal's routes, calling `api` (the `/api/v1` router, with its layers) for everything.
pub fn router(api: Router, options: PortalOptions) -> Router {
    Router::new()
        .route("/", get(catalog_page))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/items/{id}", get(item_page).post(submit))
        .route("/requests", get(requests_page))
        .route("/requests/{id}", get(request_page))
        .route("/requests/{id}/live", get(request_live))
        .route("/requests/{id}/{verb}", post(request_action))
        .route("/assets/{name}", get(asset))
        .with_state(Portal { api, options })
}

type Peer = Option<Extension<ConnectInfo<std::net::SocketAddr>>>;

/// One browser request's context: the caller for API calls and the CSRF value for forms.
struct Visit {
    caller: Caller,
    csrf: String,
    new_csrf: bool,
    token_session: bool,
}

impl Visit {
    fn new(headers: &HeaderMap, peer: Peer) -> Self {
        let caller = Caller::from_request(headers, peer.map(|Extension(info)| info));
        let existing = cookie(headers, CSRF_COOKIE).filter(|value| value.len() == 64);
        let new_csrf = existing.is_none();
        Self {
            token_session: caller.has_token(),
            caller,
            csrf: existing.unwrap_or_else(crate::session::new_csrf),
            new_csrf,
        }
    }

    /// Who is signed in, or `None` when the API does not know the caller.
    async fn viewer(&self, portal: &Portal) -> Result<Viewer, Response> {
        let me = call(&portal.api, &self.caller, Method::GET, "/me", None).await;
        if me.ok() {
            return Ok(Viewer::from_me(&me.body, self.token_session));
        }
        if me.status == StatusCode::UNAUTHORIZED {
            return Err(self.redirect(portal, "/sign-in"));
        }
        Err(self.page(portal, me.status, &pages::problem(None, &self.csrf, "Cannot reach the API", &me.message())))
    }

    fn headers(&self, portal: &Portal) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-security-policy", HeaderValue::from_static(CSP));
        headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.new_csrf
            && let Ok(value) =
                HeaderValue::from_str(&set_cookie(CSRF_COOKIE, &self.csrf, true, portal.options.secure_cookies, None))
        {
            headers.append(SET_COOKIE, value);
        }
        headers
    }

    fn page(&self, portal: &Portal, status: StatusCode, html: &str) -> Response {
        let mut headers = self.headers(portal);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        (status, headers, html.to_owned()).into_response()
    }

    fn redirect(&self, portal: &Portal, to: &str) -> Response {
        let mut headers = self.headers(portal);
        if let Ok(value) = HeaderValue::from_str(to) {
            headers.insert(LOCATION, value);
        }
        (StatusCode::SEE_OTHER, headers).into_response()
    }

    /// Refuses a post whose CSRF value does not match the browser's cookie.
    fn check_csrf(&self, portal: &Portal, headers: &HeaderMap, form: &[(String, String)]) -> Result<(), Response> {
        let submitted = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
        if csrf_ok(headers, submitted) {
            return Ok(());
        }
        let html = pages::problem(
            None,
            &self.csrf,
            "Form expired",
            "This form was not sent from this portal's page (or your session changed). Go back, reload the page and try again.",
        );
        Err(self.page(portal, StatusCode::FORBIDDEN, &html))
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "portal.css" => (PORTAL_CSS, "text/css; charset=utf-8"),
        "portal.js" => (PORTAL_JS, "text/javascript; charset=utf-8"),
        "form.css" => (pao_form::FORM_CSS, "text/css; charset=utf-8"),
        "form.js" => (pao_form::FORM_JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(kind)),
        (CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        (http::header::HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
    ];
    (headers, body).into_response()
}

async fn sign_in_page(State(portal): State<Portal>, headers: HeaderMap, peer: Peer) -> Response {
    let visit = Visit::new(&headers, peer);
    visit.page(&portal, StatusCode::OK, &pages::sign_in(&visit.csrf, None))
}

async fn sign_in(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let visit = Visit::new(&headers, peer);
    if let Err(refused) = visit.check_csrf(&portal, &headers, &form) {
        return refused;
    }
    let token = field(&form, "token").trim();
    if token.is_empty() {
        return visit.page(
            &portal,
            StatusCode::UNPROCESSABLE_ENTITY,
            &pages::sign_in(&visit.csrf, Some("Enter your token.")),
        );
    }
    let me = call(&portal.api, &visit.caller.clone().with_token(token), Method::GET, "/me", None).await;
    if !me.ok() {
        let message = if me.status == StatusCode::UNAUTHORIZED {
            "That token was not accepted. Check it (tokens are case-sensitive) or ask your platform team for a new one."
                .to_owned()
        } else {
            me.message()
        };
        return visit.page(&portal, StatusCode::UNAUTHORIZED, &pages::sign_in(&visit.csrf, Some(&message)));
    }
    let mut response = visit.redirect(&portal, "/");
    if let Ok(value) =
        HeaderValue::from_str(&set_cookie(SESSION_COOKIE, token, true, portal.options.secure_cookies, None))
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

async fn sign_out(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let visit = Visit::new(&headers, peer);
    if let Err(refused) = visit.check_csrf(&portal, &headers, &form) {
        return refused;
    }
    let mut response = visit.redirect(&portal, "/sign-in");
    if let Ok(value) =
        HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", true, portal.options.secure_cookies, Some(0)))
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Default, Deserialize)]
struct CatalogQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lifecycle: String,
}

async fn catalog_page(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Query(query): Query<CatalogQuery>,
) -> Response {
    let visit = Visit::new(&headers, peer);
    let viewer = match visit.viewer(&portal).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let mut path = String::from("/catalog?limit=200");
    if !query.q.is_empty() {
        path.push_str(&format!("&q={}", enc(&query.q)));
    }
    if !query.lifecycle.is_empty() {
        path.push_str(&format!("&lifecycle={}", enc(&query.lifecycle)));
    }
    let answer = all_pages(&portal, &visit.caller, &path).await;
    match answer {
        Ok(items) => visit.page(
            &portal,
            StatusCode::OK,
            &pages::catalog(&viewer, &visit.csrf, &items, &query.q, &query.lifecycle),
        ),
        Err(failed) => visit.page(
            &portal,
            failed.status,
            &pages::problem(Some(&viewer), &visit.csrf, "Catalog unavailable", &failed.message()),
        ),
    }
}

/// Every page of a list (bounded: the portal shows at most 5,000 entries).
async fn all_pages(portal: &Portal, caller: &Caller, path: &str) -> Result<Vec<Value>, Answer> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..25 {
        let page_path = match &cursor {
            Some(c) => format!("{path}&cursor={}", enc(c)),
            None => path.to_owned(),
        };
        let answer = call(&portal.api, caller, Method::GET, &page_path, None).await;
        if !answer.ok() {
            return Err(answer);
        }
        items.extend(answer.body.pointer("/data").and_then(Value::as_array).cloned().unwrap_or_default());
        match answer.body.pointer("/pagination/next_cursor").and_then(Value::as_str) {
            Some(next) if answer.body.pointer("/pagination/has_more") == Some(&Value::Bool(true)) => {
                cursor = Some(next.to_owned());
            }
            _ => break,
        }
    }
    Ok(items)
}

async fn item_page(State(portal): State<Portal>, headers: HeaderMap, peer: Peer, Path(id): Path<String>) -> Response {
    let visit = Visit::new(&headers, peer);
    let viewer = match visit.viewer(&portal).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    render_item(&portal, &visit, &viewer, &id, &Map::new(), "", "", &[], None, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_item(
    portal: &Portal,
    visit: &Visit,
    viewer: &Viewer,
    id: &str,
    values: &Map<String, Value>,
    resource: &str,
    team: &str,
    field_errors: &[(String, String)],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let item_path = format!("/catalog/items/{}", enc(id));
    let entry = call(&portal.api, &visit.caller, Method::GET, &item_path, None).await;
    if !entry.ok() {
        let title = if entry.status == StatusCode::NOT_FOUND { "No such item" } else { "Item unavailable" };
        return visit.page(portal, entry.status, &pages::problem(Some(viewer), &visit.csrf, title, &entry.message()));
    }
    let versions = call(&portal.api, &visit.caller, Method::GET, &format!("{item_path}/versions"), None).await;
    let schema = call(&portal.api, &visit.caller, Method::GET, &format!("{item_path}/schema"), None).await;
    let Ok(form) = serde_json::from_value::<pao_form::FormDescription>(schema.body.clone()) else {
        return visit.page(
            portal,
            StatusCode::BAD_GATEWAY,
            &pages::problem(Some(viewer), &visit.csrf, "Form unavailable", &schema.message()),
        );
    };
    let page = ItemPage {
        entry: &entry.body,
        versions: &versions.body,
        form: &form,
        values,
        resource,
        team,
        field_errors,
        error,
    };
    visit.page(portal, status, &pages::item(viewer, &visit.csrf, &page))
}

async fn submit(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let visit = Visit::new(&headers, peer);
    if let Err(refused) = visit.check_csrf(&portal, &headers, &form) {
        return refused;
    }
    let viewer = match visit.viewer(&portal).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let schema =
        call(&portal.api, &visit.caller, Method::GET, &format!("/catalog/items/{}/schema", enc(&id)), None).await;
    let description = serde_json::from_value::<pao_form::FormDescription>(schema.body).ok();
    let values = forms::values(&form, description.as_ref());
    let resource = field(&form, "resource").trim().to_owned();
    let team = field(&form, "team").to_owned();
    let mut body = json!({ "item": id, "resource": resource, "team": team, "values": values });
    let version = field(&form, "version");
    if !version.is_empty() {
        body["version"] = Value::from(version);
    }
    let answer = call(&portal.api, &visit.caller, Method::POST, "/requests", Some(&body)).await;
    if answer.ok()
        && let Some(request_id) = answer.body.pointer("/request/id").and_then(Value::as_str)
    {
        return visit.redirect(&portal, &format!("/requests/{}", enc(request_id)));
    }
    let field_errors: Vec<(String, String)> = answer
        .body
        .pointer("/error/details/fields")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    (text("field"), text("message"))
                })
                .collect()
        })
        .unwrap_or_default();
    let message = if field_errors.is_empty() {
        answer.message()
    } else {
        format!("The request was not accepted: {} field(s) need attention.", field_errors.len())
    };
    let status = if answer.ok() { StatusCode::BAD_GATEWAY } else { answer.status };
    let mut prefill = values;
    // Passwords are never written back into a page.
    if let Some(description) = &description {
        for field in description.fields().filter(|f| f.component == pao_form::Component::PasswordInput) {
            prefill.remove(&field.id);
        }
    }
    render_item(&portal, &visit, &viewer, &id, &prefill, &resource, &team, &field_errors, Some(&message), status).await
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

async fn requests_page(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Query(query): Query<ListQuery>,
) -> Response {
    let visit = Visit::new(&headers, peer);
    let viewer = match visit.viewer(&portal).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let scope = if query.scope == "teams" { "teams" } else { "me" };
    let mut filters = String::new();
    if scope == "me" {
        filters.push_str("&requestor=me");
    }
    if !query.status.is_empty() {
        filters.push_str(&format!("&status={}", enc(&query.status)));
    }
    let mut path = format!("/requests?limit=50{filters}");
    if !query.cursor.is_empty() {
        path.push_str(&format!("&cursor={}", enc(&query.cursor)));
    }
    let answer = call(&portal.api, &visit.caller, Method::GET, &path, None).await;
    if !answer.ok() {
        return visit.page(
            &portal,
            answer.status,
            &pages::problem(Some(&viewer), &visit.csrf, "Requests unavailable", &answer.message()),
        );
    }
    let base_query = format!(
        "scope={scope}{}",
        if query.status.is_empty() { String::new() } else { format!("&amp;status={}", enc(&query.status)) }
    );
    visit.page(
        &portal,
        StatusCode::OK,
        &pages::requests(&viewer, &visit.csrf, &answer.body, scope, &query.status, &base_query),
    )
}

/// The request and its log, or the page that says why not.
async fn load_request(portal: &Portal, visit: &Visit, viewer: &Viewer, id: &str) -> Result<(Value, Value), Response> {
    let full = call(&portal.api, &visit.caller, Method::GET, &format!("/requests/{}", enc(id)), None).await;
    if !full.ok() {
        let title = match full.status {
            StatusCode::FORBIDDEN => "Not your team's request",
            StatusCode::NOT_FOUND => "No such request",
            _ => "Request unavailable",
        };
        return Err(visit.page(
            portal,
            full.status,
            &pages::problem(Some(viewer), &visit.csrf, title, &full.message()),
        ));
    }
    let logs = call(&portal.api, &visit.caller, Method::GET, &format!("/requests/{}/logs", enc(id)), None).await;
    Ok((full.body, if logs.ok() { logs.body } else { Value::Null }))
}

async fn request_page(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<String>,
) -> Response {
    show_request(&portal, &headers, peer, &id, false).await
}

async fn request_live(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Path(id): Path<String>,
) -> Response {
    show_request(&portal, &headers, peer, &id, true).await
}

/// A request's page, or (`live`) only the part the page polls.
async fn show_request(portal: &Portal, headers: &HeaderMap, peer: Peer, id: &str, live: bool) -> Response {
    let visit = Visit::new(headers, peer);
    let viewer = match visit.viewer(portal).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    match load_request(portal, &visit, &viewer, id).await {
        Ok((full, logs)) => {
            let html = if live {
                pages::request_live(&viewer, &visit.csrf, &full, &logs)
            } else {
                pages::request(&viewer, &visit.csrf, &full, &logs, None)
            };
            visit.page(portal, StatusCode::OK, &html)
        }
        Err(response) => response,
    }
}

async fn request_action(
    State(portal): State<Portal>,
    headers: HeaderMap,
    peer: Peer,
    Path((id, verb)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let visit = Visit::new(&headers, peer);
    if let Err(refused) = visit.check_csrf(&portal, &headers, &form) {
        return refused;
    }
    let viewer = match visit.viewer(&portal).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    if !matches!(verb.as_str(), "retry" | "abort" | "escalate") {
        return visit.page(
            &portal,
            StatusCode::NOT_FOUND,
            &pages::problem(
                Some(&viewer),
                &visit.csrf,
                "No such action",
                "Requests can be retried, aborted or escalated.",
            ),
        );
    }
    let reason = json!({ "reason": format!("{verb} from the portal by {}", viewer.user) });
    let answer =
        call(&portal.api, &visit.caller, Method::POST, &format!("/requests/{}/{verb}", enc(&id)), Some(&reason)).await;
    if answer.ok() {
        return visit.redirect(&portal, &format!("/requests/{}", enc(&id)));
    }
    match load_request(&portal, &visit, &viewer, &id).await {
        Ok((full, logs)) => visit.page(
            &portal,
            answer.status,
            &pages::request(&viewer, &visit.csrf, &full, &logs, Some(&answer.message())),
        ),
        Err(response) => response,
    }
}
