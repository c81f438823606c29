//! A caller that hangs up while its submission is being written is still logged. Alone in its
//! test binary: it captures the log with a subscriber set for its own thread only, and it
//! missed lines every time another test of its binary submitted requests at the same moment.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::json;

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A caller that hangs up while its submission is being written (as wrk does at the end of a
/// run): the request is written and logged as submitted, and the call leaves a line saying its
/// answer was never sent.
#[tokio::test]
async fn a_submission_whose_caller_went_away_is_written_and_logged() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let fx = fixture("");
    let router = fx.server(pao_server::WebhookSecrets::default()).await.router();
    let branches =
        || pao_testutil::git(&fx.state, &["for-each-ref", "--format=%(refname:lstrip=4)", "refs/heads/pao/requests/"]);
    // Poll the call in small slices until its branch exists, then drop it unanswered. A call
    // that completes first proves nothing: try again with another resource.
    let mut abandoned = None;
    for attempt in 0..20 {
        let body = json!({ "item": "pgsql", "resource": format!("gone-{attempt}"), "team": "streaming", "values": pg_values() });
        let call =
            tower::ServiceExt::oneshot(router.clone(), request("POST", "/api/v1/requests", Some(ALICE), Some(&body)));
        tokio::pin!(call);
        let before = branches().lines().count();
        loop {
            if tokio::time::timeout(Duration::from_micros(200), &mut call).await.is_ok() {
                break;
            }
            if branches().lines().count() > before {
                abandoned = Some(branches());
                break;
            }
        }
        if abandoned.is_some() {
            break;
        }
    }
    let ids = abandoned.expect("no attempt was still running once its branch was written");
    // The detached write finishes on its own and logs its outcome.
    let mut text = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        if ids.lines().all(|id| text.contains(&format!("\"request_id\":\"{id}\""))) {
            break;
        }
    }
    for id in ids.lines() {
        let line = text.lines().find(|l| l.contains(&format!("\"request_id\":\"{id}\""))).unwrap_or_else(|| {
            panic!("request {id} was written but not logged:\n{text}");
        });
        assert!(line.contains("request submitted"), "{line}");
    }
    assert!(text.contains("request abandoned: the connection closed before the answer"), "{text}");
}
