//! The API client against a loopback HTTP server that records what it received and answers
//! with canned SPEC-shaped responses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use pao_client::{ApiClient, ClientError, Method, SigV4};
use pao_git::ErrorKind;
use serde_json::json;

/// A received request: request line, lower-cased headers, body.
#[derive(Debug, Clone)]
struct Received {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Serves `answers` in order, one connection each; returns the base URL and the log.
fn serve(answers: Vec<(u16, String)>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for (status, body) in answers {
            let Ok((stream, _)) = listener.accept() else { return };
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length: usize =
                headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
            let mut body_bytes = vec![0; length];
            reader.read_exact(&mut body_bytes).unwrap();
            seen.lock().unwrap().push(Received {
                line: line.trim_end().to_owned(),
                headers,
                body: String::from_utf8(body_bytes).unwrap(),
            });
            let mut stream = reader.into_inner();
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
        }
    });
    (base, log)
}

#[test]
fn sends_the_bearer_token_and_reads_json() {
    let (base, log) = serve(vec![(200, json!({ "data": [], "pagination": { "has_more": false } }).to_string())]);
    let client = ApiClient::new(&format!("{base}/api/v1/"), Some("s3cr3t-token".into()), None).unwrap();
    let answer = client.get("/catalog?q=postgres").unwrap();
    assert_eq!(answer["data"], json!([]));
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.line, "GET /api/v1/catalog?q=postgres HTTP/1.1");
    assert_eq!(got.header("authorization"), Some("Bearer s3cr3t-token"));
    assert_eq!(got.header("accept"), Some("application/json"));
}

#[test]
fn posts_json_with_extra_headers() {
    let (base, log) = serve(vec![(202, json!({ "request": { "id": "r1" } }).to_string())]);
    let client = ApiClient::new(&base, Some("t".into()), None).unwrap();
    let body = json!({ "item": "pg", "values": { "a": 1 } });
    let answer = client.call(Method::Post, "/requests", Some(&body), &[("idempotency-key", "k-1")]).unwrap();
    assert_eq!(answer["request"]["id"], "r1");
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.header("idempotency-key"), Some("k-1"));
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&got.body).unwrap(), body);
}

#[test]
fn error_envelopes_become_api_errors_with_a_kind() {
    let envelope = json!({ "error": {
        "code": "forbidden", "message": "request r1 belongs to team dba; you are in payments",
        "details": { "team": "dba" }, "correlationId": "c-42" } });
    let (base, _) = serve(vec![(403, envelope.to_string())]);
    let client = ApiClient::new(&base, None, None).unwrap();
    let err = client.get("/requests/r1").unwrap_err();
    assert!(err.is_refusal());
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    let ClientError::Api(api) = &err else { panic!("{err}") };
    assert_eq!(api.code, "forbidden");
    assert_eq!(api.details["team"], "dba");
    let text = err.to_string();
    assert!(text.contains("belongs to team dba") && text.contains("c-42") && text.contains("403"), "{text}");
}

#[test]
fn a_non_envelope_error_is_named_as_such() {
    let (base, _) = serve(vec![(502, "<html>Bad gateway</html>".into())]);
    let client = ApiClient::new(&base, None, None).unwrap();
    let err = client.get("/health").unwrap_err();
    assert!(!err.is_refusal());
    assert!(err.to_string().contains("not an API error: <html>Bad gateway"), "{err}");
}

#[test]
fn an_unreachable_server_is_not_a_refusal() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = ApiClient::new(&format!("http://127.0.0.1:{port}"), None, None).unwrap();
    let err = client.get("/health").unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[test]
fn bad_urls_are_refused_up_front() {
    for url in ["", "localhost:8080", "ftp://x", "http://"] {
        assert!(matches!(ApiClient::new(url, None, None), Err(ClientError::BadUrl { .. })), "{url}");
    }
}

#[test]
fn get_all_follows_cursors_and_stops_a_stuck_server() {
    let page = |items: serde_json::Value, more: bool, next: Option<&str>| {
        json!({ "data": items, "pagination": { "has_more": more, "next_cursor": next } }).to_string()
    };
    let (base, log) = serve(vec![
        (200, page(json!([1, 2]), true, Some("c1"))),
        (200, page(json!([3]), true, Some("c2=="))),
        (200, page(json!([4]), false, None)),
    ]);
    let client = ApiClient::new(&base, None, None).unwrap();
    assert_eq!(client.get_all("/requests?team=dba").unwrap(), vec![json!(1), json!(2), json!(3), json!(4)]);
    let lines: Vec<String> = log.lock().unwrap().iter().map(|r| r.line.clone()).collect();
    assert_eq!(lines[0], "GET /api/v1/requests?team=dba&limit=200 HTTP/1.1");
    assert_eq!(lines[2], "GET /api/v1/requests?team=dba&limit=200&cursor=c2%3D%3D HTTP/1.1");

    let (base, _) =
        serve(vec![(200, page(json!([1]), true, Some("same"))), (200, page(json!([2]), true, Some("same")))]);
    let client = ApiClient::new(&base, None, None).unwrap();
    let err = client.get_all("/requests").unwrap_err();
    assert!(err.to_string().contains("without a new `next_cursor`"), "{err}");
}

#[test]
fn sigv4_matches_the_aws_test_suite_get_vanilla_vector() {
    // aws-sig-v4-test-suite "get-vanilla": the published credentials, date and signature.
    let signer = SigV4::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, "us-east-1", "service");
    let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
    let headers = signer.sign_at("GET", "https://example.amazonaws.com/", &[], b"", time).unwrap();
    let authorization = headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.as_str()).unwrap();
    assert_eq!(
        authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert!(headers.iter().any(|(n, v)| n == "x-amz-date" && v == "20150830T123600Z"), "{headers:?}");
}

#[test]
fn with_sigv4_the_request_is_signed_and_carries_no_bearer_token() {
    let (base, log) = serve(vec![(200, "{}".into())]);
    let signer = SigV4::new("AKIDEXAMPLE", "secret-key-value", Some("session-tok".into()), "eu-west-1", "execute-api");
    assert!(!format!("{signer:?}").contains("secret-key-value"));
    let client = ApiClient::new(&base, Some("pao-token".into()), Some(signer)).unwrap();
    client.get("/catalog").unwrap();
    let got = log.lock().unwrap()[0].clone();
    let authorization = got.header("authorization").unwrap();
    assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "{authorization}");
    assert!(authorization.contains("/eu-west-1/execute-api/aws4_request"), "{authorization}");
    assert_eq!(got.header("x-amz-security-token"), Some("session-tok"));
    assert!(!got.headers.iter().any(|(_, v)| v.contains("pao-token")), "{:?}", got.headers);
}
