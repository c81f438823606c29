//! Notifications: on every status change, each `[[notifications]]` target whose `on` matches
//! gets a readable message — a Slack or Teams incoming-webhook payload, or plain JSON — with
//! item, resource, requester, status, error and links. A failed post is retried twice (1 s,
//! then 2 s) and then recorded in the fulfilment log; it never fails the request.

use std::time::Duration;

use pao_config::{NotificationConfig, NotificationFormat};
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::http::{Body, Call, Http};
use crate::secrets::SecretCache;

/// What a message says.
#[derive(Debug, Clone)]
pub(crate) struct Message<'a> {
    pub(crate) facts: &'a Value,
    pub(crate) status: &'a str,
    /// When the request changed to `status`, RFC 3339.
    pub(crate) changed_at: &'a str,
    pub(crate) error: Option<&'a str>,
    pub(crate) links: Vec<String>,
}

/// The payload for one target format.
pub(crate) fn payload(format: NotificationFormat, message: &Message<'_>) -> Value {
    let fact = |key: &str| message.facts.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let title = format!(
        "PAO request {} is {}: {} {} for team {}",
        fact("id"),
        message.status,
        fact("item"),
        fact("resource"),
        fact("team")
    );
    let mut lines = vec![
        format!("Item: {} ({} {})", fact("itemName"), fact("item"), fact("version")),
        format!("Resource: {}", fact("resource")),
        format!("Requester: {}", fact("requester")),
        format!("Status: {} (since {})", message.status, message.changed_at),
    ];
    if let Some(error) = message.error {
        lines.push(format!("Error: {error}"));
    }
    let pr = fact("pullRequest");
    let mut links = message.links.clone();
    if !pr.is_empty() {
        links.insert(0, pr);
    }
    if !links.is_empty() {
        lines.push(format!("Links: {}", links.join(" ")));
    }
    match format {
        NotificationFormat::Slack => json!({
            "text": title,
            "blocks": [
                { "type": "section", "text": { "type": "mrkdwn", "text": format!("*{title}*") } },
                { "type": "section", "text": { "type": "mrkdwn", "text": lines.join("\n") } },
            ],
        }),
        NotificationFormat::Teams => json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "title": title,
            "text": lines.join("\n\n"),
        }),
        NotificationFormat::Json => json!({
            "request": message.facts,
            "status": message.status,
            "changedAt": message.changed_at,
            "error": message.error,
            "links": links,
            "text": title,
        }),
    }
}

/// Whether a target wants `status`.
pub(crate) fn wants(target: &NotificationConfig, status: &str) -> bool {
    target.on.is_empty() || target.on.iter().any(|s| s.as_str() == status)
}

/// How long one try may take.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Tries per message.
const TRIES: u32 = 3;
/// The longest posting one message to one target can take: every try timing out, and the
/// pauses between them (1 s, 2 s). The executor's lease is renewed for this before notifying.
pub(crate) const WORST_CASE: Duration = Duration::from_secs(TRIES as u64 * POST_TIMEOUT.as_secs() + 1 + 2);

/// Posts one message with a little retrying; the error (masked) when it could not be sent.
pub(crate) async fn post(
    http: &Http,
    secrets: &SecretCache,
    clock: &dyn Clock,
    target: &NotificationConfig,
    message: &Message<'_>,
) -> Result<(), String> {
    let url = secrets.get(&target.url_secret).await.map_err(|err| err.to_string())?;
    let body = secrets.masker().mask_json(&payload(target.format, message));
    let mut call = Call::new("POST", url, POST_TIMEOUT);
    call.body = Some(Body::Json(body));
    let mut last = String::new();
    for attempt in 0..TRIES {
        if attempt > 0 {
            clock.sleep(Duration::from_secs(u64::from(attempt))).await;
        }
        match http.send(&call).await {
            Ok(_) => return Ok(()),
            Err(err) => {
                last = secrets.masker().mask(&err.message);
                if !err.retryable {
                    break;
                }
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_shapes() {
        let facts = json!({ "id": "req-1", "item": "pgsql", "itemName": "PostgreSQL", "version": "1.0.0", "resource": "orders", "team": "payments", "requester": "alice", "pullRequest": "pao/requests/req-1" });
        let message = Message {
            facts: &facts,
            status: "failed",
            changed_at: "2026-12-03T10:00:00Z",
            error: Some("HTTP 500"),
            links: vec!["https://jira/browse/DBA-1".into()],
        };
        let slack = payload(NotificationFormat::Slack, &message);
        assert_eq!(slack["text"], "PAO request req-1 is failed: pgsql orders for team payments");
        let body = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(
            body.contains("Requester: alice")
                && body.contains("Error: HTTP 500")
                && body.contains("Status: failed (since 2026-12-03T10:00:00Z)")
                && body.contains("https://jira/browse/DBA-1"),
            "{body}"
        );
        let teams = payload(NotificationFormat::Teams, &message);
        assert_eq!(teams["@type"], "MessageCard");
        let plain = payload(NotificationFormat::Json, &message);
        assert_eq!(plain["status"], "failed");
        assert_eq!(plain["changedAt"], "2026-12-03T10:00:00Z");
        assert_eq!(plain["links"][0], "pao/requests/req-1");
    }
}
