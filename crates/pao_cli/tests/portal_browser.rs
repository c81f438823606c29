//! The portal in a real browser: `pao serve` on loopback over a real state repository, headless
//! Debian Chromium driven through chromedriver (WebDriver), through whole journeys — sign in, a
//! refused token, search, an item, a live validation error, a submission, the status changing
//! after a merge without a reload, and another team refused. Screenshots of each page go to
//! `target/portal-screenshots/` (docs/portal.md shows them).
//!
//! Without Chromium and chromedriver these tests print why and pass, unless `CI` is set: there
//! `.ci/run` installs both (`scripts/setup.sh`), so their absence is a failure.

#![allow(clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ALICE, BOB, Running, free_port, http_client, serve, state_repo, wait_for};
use pao_testutil::workspace_root;
use serde_json::{Value, json};

/// The browser tools, or `None` (after saying why) when the tests should be skipped.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = PathBuf::from(std::env::var("PAO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let driver = PathBuf::from(std::env::var("PAO_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()));
    if chromium.exists() && driver.exists() {
        return Some((chromium, driver));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but chromium or chromedriver is missing (scripts/setup.sh installs both)"
    );
    eprintln!("SKIPPED: the portal browser test needs /usr/bin/chromium and /usr/bin/chromedriver; CI unset");
    None
}

/// A minimal WebDriver client (W3C protocol over HTTP), enough for these journeys.
struct Browser {
    http: reqwest::blocking::Client,
    session: String,
    shots: PathBuf,
    _driver: Running,
}

impl Browser {
    fn start(chromium: &Path, driver: &Path, profile: &Path) -> Self {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let running = Running(child);
        let base = format!("http://127.0.0.1:{port}");
        wait_for(&format!("{base}/status"), "chromedriver");
        let http = http_client(Duration::from_secs(120));
        let capabilities = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     format!("--user-data-dir={}", profile.display())]
        } } } });
        let answer: Value =
            http.post(format!("{base}/session")).json(&capabilities).send().expect("new session").json().expect("json");
        let session =
            answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned();
        let shots = workspace_root().join("target/portal-screenshots");
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Self { http, session: format!("{base}/session/{session}"), shots, _driver: running }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body),
        };
        let answer: Value = request.send().expect("webdriver call").json().expect("webdriver json");
        if let Some(error) = answer["value"].get("error") {
            panic!("webdriver {method} {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url }));
    }

    fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let url = format!("{}/element", self.session);
            let answer: Value = self
                .http
                .post(&url)
                .json(&json!({ "using": "css selector", "value": css }))
                .send()
                .expect("find")
                .json()
                .expect("json");
            if let Some(id) = answer["value"].as_object().and_then(|o| o.values().next()).and_then(Value::as_str)
                && answer["value"].get("error").is_none()
            {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no element {css} on {}", self.url());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/click"), json!({}));
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/clear"), json!({}));
        self.call("POST", &format!("/element/{element}/value"), json!({ "text": text }));
    }

    /// The element's text; empty while the page is being replaced (a stale element).
    fn text(&self, css: &str) -> String {
        let element = self.find(css);
        let url = format!("{}/element/{element}/text", self.session);
        let answer: Value = self.http.get(&url).send().expect("webdriver call").json().expect("webdriver json");
        answer["value"].as_str().unwrap_or("").to_owned()
    }

    /// Chooses the option whose label or value is `choice`, as a user would (a change event).
    fn select(&self, css: &str, choice: &str) {
        let found = self.script(
            "var s = document.querySelector(arguments[0]); var want = arguments[1]; \
             var o = Array.from(s.options).find(function (x) { return x.text === want || x.value === want; }); \
             if (!o) { return Array.from(s.options).map(function (x) { return x.text; }); } \
             s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
            json!([css, choice]),
        );
        assert_eq!(found, json!(true), "{css} has no option {choice:?}; its options: {found}");
    }

    fn script(&self, source: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", json!({ "script": source, "args": args }))
    }

    fn url(&self) -> String {
        let answer: Value = self.http.get(format!("{}/url", self.session)).send().expect("url").json().expect("json");
        answer["value"].as_str().unwrap_or("").to_owned()
    }

    fn body(&self) -> String {
        self.script("return document.body.innerText;", json!([])).as_str().unwrap_or("").to_owned()
    }

    fn wait_text(&self, css: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.text(css).contains(want) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("{css} never showed {want:?}; it shows {:?}", self.text(css));
    }

    fn screenshot(&self, name: &str) {
        let data = self.call("GET", "/screenshot", Value::Null);
        let bytes = base64_decode(data.as_str().expect("png"));
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).expect("write screenshot");
    }

    fn window(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", json!({ "width": width, "height": height }));
    }

    fn sign_out_all(&self) {
        self.call("DELETE", "/cookie", Value::Null);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.session).send();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0_u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=' && !b.is_ascii_whitespace()) {
        let value = alphabet.iter().position(|c| *c == byte).expect("base64") as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// WCAG 2 contrast of every piece of visible text against the background it is drawn on (the
/// first opaque background of it or an ancestor): the lowest ratios found, worst first.
const CONTRAST_AUDIT: &str = r#"
function rgb(c) { var m = c.match(/[\d.]+/g) || []; return m.map(Number); }
function lum(c) { var v = rgb(c).slice(0, 3).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }
function bg(el) { for (; el; el = el.parentElement) { var c = getComputedStyle(el).backgroundColor; var a = rgb(c);
  if (a.length === 3 || (a.length === 4 && a[3] > 0.9)) { return c; } } return 'rgb(255, 255, 255)'; }
var out = [];
document.querySelectorAll('body *').forEach(function (el) {
  var own = Array.from(el.childNodes).some(function (n) { return n.nodeType === 3 && n.textContent.trim(); });
  if (!own || !el.getClientRects().length) { return; }
  var fg = lum(getComputedStyle(el).color), b = lum(bg(el));
  var ratio = (Math.max(fg, b) + 0.05) / (Math.min(fg, b) + 0.05);
  out.push([Math.round(ratio * 100) / 100, el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 30)]);
});
out.sort(function (a, b) { return a[0] - b[0]; });
return out.slice(0, 3);
"#;

/// Fails when any text on the page is below WCAG AA contrast (4.5:1).
fn assert_contrast(browser: &Browser, page: &str) {
    let worst = browser.script(CONTRAST_AUDIT, json!([]));
    let lowest = worst[0][0].as_f64().expect("some text on the page");
    assert!(lowest >= 4.5, "{page}: text below 4.5:1 contrast: {worst}");
}

#[test]
fn portal_journeys_in_chromium() {
    let Some((chromium, driver)) = tools() else { return };
    let state = tempfile::tempdir().expect("tempdir");
    state_repo(state.path());
    let (_server, base) = serve(state.path());
    let profile = tempfile::tempdir().expect("profile");
    let browser = Browser::start(&chromium, &driver, profile.path());

    // Signing in: the portal sends a stranger to the sign-in page; a wrong token is refused.
    browser.go(&format!("{base}/"));
    assert!(browser.url().ends_with("/sign-in"), "{}", browser.url());
    browser.type_into("#token", "not-a-token");
    browser.click("button[type=submit].primary");
    browser.wait_text(".alert", "That token was not accepted");
    browser.screenshot("01-sign-in-refused");
    browser.type_into("#token", ALICE);
    browser.click("button[type=submit].primary");
    browser.wait_text("h1", "Service catalog");
    browser.screenshot("02-catalog");
    assert_contrast(&browser, "catalog");
    // Cards show the owner, the SLA where the item states one, and for a deprecated item its
    // sunset and what to use instead (a link).
    let eks = browser.text("li[data-item='eks-application']");
    assert!(eks.contains("compute-platform") && eks.contains("SLA") && eks.contains("fulfilment 8 h"), "{eks}");
    let legacy = browser.text("li[data-item='postgresql-legacy'] .deprecated");
    assert!(legacy.contains("sunset") && legacy.contains("Use postgresql-standard instead"), "{legacy}");
    browser.find("li[data-item='postgresql-legacy'] .deprecated a[href='/items/postgresql-standard']");
    // Keyboard: the first Tab lands on the skip link, which leads to the main content.
    browser.script("document.activeElement.blur(); window.focus();", json!([]));
    browser.call(
        "POST",
        "/actions",
        json!({ "actions": [{ "type": "key", "id": "kb", "actions": [
        { "type": "keyDown", "value": "\u{E004}" }, { "type": "keyUp", "value": "\u{E004}" }] }] }),
    );
    let focused = browser.script("return document.activeElement.getAttribute('href');", json!([]));
    assert_eq!(focused, json!("#main"), "the first Tab goes to the skip link");

    // Search, then open an item.
    browser.type_into("#q", "postgres");
    browser.click("form.search button");
    browser.wait_text("main", "PostgreSQL Standard");
    assert!(!browser.body().contains("Kafka"), "search narrowed the catalog");
    browser.click("a[href='/items/postgresql-standard']");
    browser.wait_text("h1", "PostgreSQL Standard");

    // Live validation: a bad instance name is flagged as it is typed, with the item's message.
    browser.type_into("#in-instanceName", "X");
    browser.wait_text("#err-instanceName", "Must be 4-30 chars");
    browser.screenshot("03-item-live-validation");
    assert_contrast(&browser, "item page");

    // A valid request: submitted, then the request page with its timeline.
    browser.type_into("#in-instanceName", "orders-db");
    browser.select("#in-environment", "staging");
    browser.type_into("#in-masterPassword", "correct-horse-battery-staple");
    browser.type_into("#resource", "orders-db");
    browser.click("#pao-form button[type=submit]");
    browser.wait_text("#status", "pr_open");
    let url = browser.url();
    let id = url.rsplit('/').next().expect("request id").to_owned();
    assert!(url.contains("/requests/"), "{url}");
    assert!(
        !browser.script("return document.documentElement.outerHTML;", json!([])).to_string().contains("correct-horse")
    );
    browser.screenshot("04-request-open");

    // Merging is provisioning: the page follows the status without a reload.
    let marker = browser.script("window.__stay = 'same page'; return 1;", json!([]));
    assert_eq!(marker, json!(1));
    let merged = Command::new(env!("CARGO_BIN_EXE_pao"))
        .args(["request", "merge", "--state-repo"])
        .arg(state.path())
        .arg(&id)
        .output()
        .expect("pao request merge");
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    browser.wait_text("#status", "pr_merged");
    assert_eq!(browser.script("return window.__stay;", json!([])), json!("same page"), "no reload");
    browser.screenshot("05-request-merged");
    assert_contrast(&browser, "request page");

    // My requests lists it.
    browser.go(&format!("{base}/requests"));
    browser.wait_text("main", &id);

    // A phone-width screen.
    browser.window(390, 844);
    browser.go(&format!("{base}/"));
    browser.wait_text("h1", "Service catalog");
    browser.screenshot("06-catalog-phone");
    browser.window(1280, 1000);

    // Another team's user cannot open the request.
    browser.sign_out_all();
    browser.go(&format!("{base}/sign-in"));
    browser.type_into("#token", BOB);
    browser.click("button[type=submit].primary");
    browser.wait_text("h1", "Service catalog");
    browser.go(&format!("{base}/requests/{id}"));
    browser.wait_text("h1", "Not your team");
    browser.screenshot("07-other-team-refused");
}
