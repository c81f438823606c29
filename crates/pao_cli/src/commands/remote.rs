//! Remote mode: `pao request ...` and `pao catalog ...` against a running PAO server instead of
//! a state repository (`--api <url>` or `PAO_API_URL`, the bearer token from `PAO_TOKEN`, or
//! AWS SigV4 with `--sigv4`). The commands are clients of the REST API and nothing more: what
//! they print comes from the API's answers, read into the same types local mode prints, so
//! text and `--json` are the same in both modes. A refusal (an error envelope) exits 1 with the
//! server's message; a server that cannot be reached exits 2.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use pao_client::{ApiClient, ClientError, Method, SigV4, query_value, segment};
use pao_executor::{EscalationRecord, ExecutionReport};
use pao_git::LogEntry;
use pao_orchestrator::{RequestDetail, RequestList, RequestView, StatusReport, Submitted};
use serde_json::{Value, json};

use crate::commands::fulfil;
use crate::commands::request::{HintArg, RequestCommand, detail_text, listing, pretty, submitted};
use crate::{ExitStatus, print_stdout};

/// The AWS service name API Gateway signs for.
const SIGV4_SERVICE: &str = "execute-api";

/// How often `logs --follow` and `status --watch` ask again.
const POLL: Duration = Duration::from_secs(1);

/// Options that send a command to a running server.
#[derive(Debug, Clone, Default, Args)]
pub struct RemoteArgs {
    /// Talk to the PAO server at URL (`https://pao.example.com`) instead of a state repository;
    /// the bearer token comes from `PAO_TOKEN`.
    #[arg(long, global = true, value_name = "URL", env = "PAO_API_URL")]
    pub api: Option<String>,
    /// Sign each call with AWS Signature Version 4, for a server behind API Gateway with IAM
    /// authorisation (credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN`, region from `AWS_REGION`).
    #[arg(long, global = true)]
    pub sigv4: bool,
}

impl RemoteArgs {
    /// The client for `--api`, or `None` in local mode.
    ///
    /// # Errors
    /// A malformed URL, `--sigv4` without `--api`, or SigV4 without AWS credentials.
    pub fn client(&self) -> anyhow::Result<Option<ApiClient>> {
        let Some(url) = self.api.as_deref().filter(|u| !u.trim().is_empty()) else {
            if self.sigv4 {
                bail!("--sigv4 signs calls to a server: give the server with --api <url> (or PAO_API_URL)");
            }
            return Ok(None);
        };
        let sigv4 = if self.sigv4 { Some(SigV4::from_env(SIGV4_SERVICE)?) } else { None };
        let token = std::env::var("PAO_TOKEN").ok();
        Ok(Some(ApiClient::new(url, token, sigv4)?))
    }
}

/// What a remote call ended in, short of success.
enum Failure {
    /// The server refused (exit 1).
    Refused(Box<pao_client::ApiError>),
    /// The server could not be asked, or the command cannot be done remotely (exit 2).
    Broken(anyhow::Error),
}

impl From<ClientError> for Failure {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Api(api) => Self::Refused(api),
            other => Self::Broken(other.into()),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Self::Broken(err)
    }
}

/// Reads an API answer into the type local mode prints.
fn read<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, Failure> {
    serde_json::from_value(value)
        .with_context(|| {
            format!("the server's answer is not {what} as this pao ({}) reads it", env!("CARGO_PKG_VERSION"))
        })
        .map_err(Failure::Broken)
}

/// Prints the outcome; a refusal is shown as local mode shows one.
///
/// # Errors
/// When the server could not be asked (exit 2).
fn finish(result: Result<String, Failure>, json: bool) -> anyhow::Result<ExitStatus> {
    let result = match result {
        Ok(text) => Ok(text),
        Err(Failure::Refused(err)) => Err(err),
        Err(Failure::Broken(err)) => return Err(err),
    };
    super::answer(result, |err| refused(err, json))
}

#[allow(clippy::print_stderr)]
pub(crate) fn refused(err: &pao_client::ApiError, json: bool) -> anyhow::Result<()> {
    if json {
        let body = json!({ "error": {
            "code": err.code, "message": err.message, "details": err.details, "correlationId": err.correlation_id
        } });
        return print_stdout(&pretty(&body));
    }
    eprintln!("error: {}", err.message);
    if let Some(fields) = err.details.get("fields").and_then(Value::as_array) {
        for field in fields {
            let text = |key: &str| field.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            eprintln!("  {}: {}", text("field"), text("message"));
        }
    }
    let correlation = err.correlation_id.as_deref().filter(|c| !c.is_empty()).unwrap_or("none");
    eprintln!("  (HTTP {}, {}; correlation id {correlation})", err.status, err.code);
    Ok(())
}

/// Runs a `pao request` subcommand against the server.
///
/// # Errors
/// When the server cannot be reached, or the command has no API (exit 2).
pub fn run_request(client: &ApiClient, command: RequestCommand, json: bool) -> anyhow::Result<ExitStatus> {
    finish(request(client, command, json), json)
}

/// Refuses `--user`/`--email` with `--api`: the server knows the caller from the token.
fn no_identity_flags(who: &super::request::WhoArgs) -> Result<(), Failure> {
    if who.user.is_some() || who.email.is_some() {
        return Err(Failure::Broken(anyhow::anyhow!(
            "--user and --email do not apply with --api: the server takes the requester from the token \
             (PAO_TOKEN); drop them"
        )));
    }
    Ok(())
}

/// The `Idempotency-Key` header, when a key was given.
fn idempotency_header(key: Option<&str>) -> Vec<(&'static str, &str)> {
    key.filter(|k| !k.is_empty()).map(|k| vec![("idempotency-key", k)]).unwrap_or_default()
}

fn request(client: &ApiClient, command: RequestCommand, json: bool) -> Result<String, Failure> {
    match command {
        RequestCommand::Submit(submit) => {
            no_identity_flags(&submit.who)?;
            let bytes = pao_source::read_bounded(&submit.values, pao_source::MAX_INPUT_BYTES)
                .with_context(|| format!("cannot read values file {}", submit.values.display()))?;
            let values = pao_form::parse_values(&bytes)
                .with_context(|| format!("cannot read values file {}", submit.values.display()))?;
            let mut body =
                json!({ "item": submit.item, "resource": submit.resource, "team": submit.team, "values": values });
            if let Some(version) = submit.version {
                body["version"] = json!(version);
            }
            if let Some(hint) = submit.hint {
                body["fulfillmentHint"] = json!(match hint {
                    HintArg::Manual => "manual",
                    HintArg::Automated => "automated",
                });
            }
            let headers = idempotency_header(submit.idempotency_key.as_deref());
            let answer = client.call(Method::Post, "/requests", Some(&body), &headers)?;
            Ok(submitted(&read::<Submitted>(answer, "a submitted request")?, json))
        }
        RequestCommand::List(list) => {
            let mut query = Vec::new();
            if let Some(team) = &list.team {
                query.push(format!("team={}", query_value(team)));
            }
            if let Some(status) = list.status {
                query.push(format!("status={}", status.as_str()));
            }
            if let Some(requestor) = &list.requestor {
                query.push(format!("requestor={}", query_value(requestor)));
            }
            let path = if query.is_empty() { "/requests".to_owned() } else { format!("/requests?{}", query.join("&")) };
            let requests: Vec<RequestView> = read(Value::Array(client.get_all(&path)?), "a list of requests")?;
            Ok(listing(&RequestList { requests, skipped: Vec::new() }, json))
        }
        RequestCommand::Get { id } => {
            let mut answer = client.get(&format!("/requests/{}", segment(&id)))?;
            let detail: RequestDetail = read(answer["request"].take(), "a request")?;
            Ok(detail_text(&detail, json))
        }
        RequestCommand::Status { id, watch } => {
            let mut shown = String::new();
            loop {
                let mut answer = client.get(&format!("/requests/{}/status", segment(&id)))?;
                let running = answer.pointer("/fulfilment/running").and_then(Value::as_bool).unwrap_or(false);
                let report = fulfilment_of(&id, answer["fulfilment"].take())?;
                let history: StatusReport = read(answer, "a request's status")?;
                let text = fulfil::status_text(&history, &report, json);
                if !watch {
                    return Ok(text);
                }
                if text != shown {
                    print_stdout(&text)?;
                    shown = text;
                }
                if fulfil::is_settled(report.status.as_str()) && !running {
                    return Ok(String::new());
                }
                std::thread::sleep(POLL);
            }
        }
        RequestCommand::Logs { id, follow } => logs(client, &id, follow, json),
        RequestCommand::Retry { id } => verb(client, &id, "retry", None, json),
        RequestCommand::Abort { id, reason } => verb(client, &id, "abort", Some(reason), json),
        RequestCommand::Escalate { id, reason } => verb(client, &id, "escalate", Some(reason), json),
        RequestCommand::Decommission(decommission) => {
            no_identity_flags(&decommission.who)?;
            // The API decommissions by the id of a request for the resource: the newest one.
            let path = format!("/requests?team={}", query_value(&decommission.team));
            let requests: Vec<RequestView> = read(Value::Array(client.get_all(&path)?), "a list of requests")?;
            let Some(latest) =
                requests.iter().find(|r| r.item == decommission.item && r.resource == decommission.resource)
            else {
                return Err(Failure::Broken(anyhow::anyhow!(
                    "no request for {}/{}/{} on the server, so there is nothing to decommission; check the item, \
                     team and resource (`pao request list --team {} --api ...`)",
                    decommission.team,
                    decommission.item,
                    decommission.resource,
                    decommission.team
                )));
            };
            let headers = idempotency_header(decommission.idempotency_key.as_deref());
            let answer = client.call(Method::Delete, &format!("/requests/{}", segment(&latest.id)), None, &headers)?;
            Ok(submitted(&read::<Submitted>(answer, "a decommission request")?, json))
        }
        RequestCommand::Merge { .. } => Err(Failure::Broken(anyhow::anyhow!(
            "the API does not merge: merging the pull request is the approval (merge it on GitHub, or run \
             `pao request merge` on the state repository without --api)"
        ))),
        RequestCommand::Execute { .. } => Err(Failure::Broken(anyhow::anyhow!(
            "the API does not execute requests on demand: the server's worker (`pao serve --worker`, or `pao worker`) \
             runs merged requests; run `pao request execute` on the state repository without --api to run one now"
        ))),
    }
}

/// The `fulfilment` object of an answer as the executor's report (the API leaves out the id
/// the report repeats, and adds `running`, which the report does not show).
fn fulfilment_of(id: &str, mut fulfilment: Value) -> Result<ExecutionReport, Failure> {
    if let Some(object) = fulfilment.as_object_mut() {
        object.insert("id".to_owned(), json!(id));
    }
    read(fulfilment, "a request's fulfilment")
}

/// `retry`, `abort` or `escalate`: what local mode prints after the same operation.
fn verb(client: &ApiClient, id: &str, verb: &str, reason: Option<String>, json: bool) -> Result<String, Failure> {
    let body = reason.map_or_else(|| json!({}), |reason| json!({ "reason": reason }));
    let mut answer = client.post(&format!("/requests/{}/{verb}", segment(id)), &body)?;
    if verb == "escalate" {
        let escalation: EscalationRecord = read(answer["escalation"].take(), "an escalation")?;
        return Ok(fulfil::escalation_text(id, &escalation, json));
    }
    Ok(fulfil::report(&fulfilment_of(id, answer["fulfilment"].take())?, json))
}

/// The log's entries, one line each (`--json`: one JSON object per line); with `follow`, keeps
/// asking for what came after the last one until the server says no more will come.
fn logs(client: &ApiClient, id: &str, follow: bool, json: bool) -> Result<String, Failure> {
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(commit) => format!("/requests/{}/logs?after={}", segment(id), query_value(commit)),
            None => format!("/requests/{}/logs", segment(id)),
        };
        let mut answer = client.get(&path)?;
        let entries: Vec<LogEntry> = read(answer["entries"].take(), "a fulfilment log")?;
        let out: String = entries.iter().map(|entry| fulfil::log_line(entry, json)).collect();
        if let Some(last) = entries.last() {
            after = Some(last.commit.clone());
        }
        let more = answer.get("follow").and_then(Value::as_bool).unwrap_or(false);
        if !follow {
            return Ok(out);
        }
        print_stdout(&out)?;
        if !more {
            return Ok(String::new());
        }
        std::thread::sleep(POLL);
    }
}
