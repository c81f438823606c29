//! What the tests that run `pao serve` share: a state repository holding the example catalog
//! with bearer tokens for two users, the server started on a free loopback port, and a plain
//! HTTP client.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pao_testutil::{commit, git, workspace_root, write};

pub(crate) const ALICE: &str = "alice-portal-token-1";
pub(crate) const BOB: &str = "bob-portal-token-2";

pub(crate) fn sha256_hex(text: &str) -> String {
    let out = Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut child| {
        use std::io::Write as _;
        child.stdin.take().expect("stdin").write_all(text.as_bytes())?;
        child.wait_with_output()
    });
    String::from_utf8(out.expect("sha256sum").stdout)
        .expect("utf-8")
        .split_whitespace()
        .next()
        .expect("hash")
        .to_owned()
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Kills the child when dropped, so a failing test leaves no process behind.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain-HTTP client. The workspace builds reqwest without a default TLS provider, so one is
/// installed (no TLS is used here: chromedriver and the server are on loopback).
pub(crate) fn http_client(timeout: Duration) -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder().timeout(timeout).build().expect("client")
}

pub(crate) fn wait_for(url: &str, what: &str) {
    let client = http_client(Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client.get(url).send().is_ok_and(|r| r.status().is_success()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not come up at {url}");
}

/// A state repository holding the example catalog and tokens for alice (dba) and bob (web).
pub(crate) fn state_repo(dir: &Path) {
    let root = workspace_root();
    git(dir, &["init", "-q", "-b", "main"]);
    let copy = Command::new("cp").arg("-r").arg(root.join("catalog")).arg(root.join(".github")).arg(dir).status();
    assert!(copy.expect("cp").success());
    let config = std::fs::read_to_string(root.join("pao.toml")).expect("pao.toml");
    write(
        dir,
        "pao.toml",
        &format!(
            "{config}\n[auth]\nadmin-teams = [\"platform\"]\n\
             [[auth.tokens]]\nsha256 = \"{}\"\nuser = \"alice\"\nemail = \"alice@acme.example\"\nteams = [\"dba\"]\n\
             [[auth.tokens]]\nsha256 = \"{}\"\nuser = \"bob\"\nteams = [\"web\"]\n",
            sha256_hex(ALICE),
            sha256_hex(BOB)
        ),
    );
    git(dir, &["add", "-A"]);
    commit(dir, "catalog and tokens", 1_767_225_600);
}

/// `pao serve` over `state` on a free loopback port, ready (its catalog loaded): the running
/// server (killed when dropped) and its base URL.
pub(crate) fn serve(state: &Path) -> (Running, String) {
    let port = free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_pao"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--state-repo"])
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pao serve");
    let running = Running(server);
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/api/v1/health/ready"), "pao serve");
    (running, base)
}
