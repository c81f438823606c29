//! `pao completions SHELL` and `pao man`: generated from the clap definitions, for both tools.

use std::process::Command;

use insta_cmd::get_cargo_bin;

fn pao(args: &[&str]) -> std::process::Output {
    Command::new(get_cargo_bin("pao")).args(args).env("NO_COLOR", "1").output().unwrap()
}

#[test]
fn completion_scripts_for_every_shell_name_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pao"),
        ("fish", "complete -c pao"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = pao(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for word in ["request", "lint", "schema", "color"] {
            assert!(script.contains(word), "{shell}: `{word}` is not completed");
        }
    }
    let output = pao(&["completions", "zsh", "--for", "pao-lint"]);
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(script.contains("#compdef pao-lint") && script.contains("--changed-since"), "{script}");
    let output = pao(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn man_pages_for_both_tools_and_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let output = pao(&["man", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    for page in ["pao.1", "pao-lint.1", "pao-request.1", "pao-request-submit.1", "pao-completions.1", "pao-lint-rule.1"]
    {
        let text = std::fs::read_to_string(out.join(page)).unwrap_or_else(|_| panic!("no {page}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page} is not roff");
    }
    let lint = std::fs::read_to_string(out.join("pao-lint.1")).unwrap();
    assert!(lint.contains("changed\\-since") && lint.contains("color"), "{lint}");
}
