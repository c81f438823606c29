#!/usr/bin/env python3
"""Checks of action.yml that actionlint cannot make (it lints workflows, not action metadata).

1. Structure: a composite action with the documented inputs and outputs; every step
   `run` has a `shell`, every `uses` is pinned to a version, every `${{ inputs.X }}`
   and `steps.ID.outputs` reference names something that exists (and comes earlier),
   no `${{ }}` inside a `run` script (values go through `env`, never spliced into bash),
   every script passes `bash -n` and shellcheck.
2. Behaviour: the `run` steps are executed the way the runner would (`bash --noprofile
   --norc -eo pipefail`, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY, RUNNER_TEMP, inputs
   and env expressions substituted, `if:` conditions evaluated) against a good and a broken
   catalog repository, with a pre-installed pao-lint in a fake HOME, and their outputs and
   exit codes compared with what the docs promise.
3. Many findings: catalogs with 0, 60, 600 and 2,000 findings, errors only and warnings only:
   the lint step passes whenever pao-lint did (no SIGPIPE), the Verdict decides, and the step
   summary says how many findings it left out.
4. The download path: a loopback HTTP server serves a GitHub release layout
   (`/<owner>/<repo>/releases/download/<tag>/pao-lint-<target>.tar.gz` and `.sha256`); with
   `github.action_ref` a release tag the action downloads, verifies and runs that binary with
   no cargo on PATH; a bad checksum, a wrong version and a missing asset are each handled.

Usage: check_action.py ACTION_YML PAO_LINT GOOD_REPO BROKEN_REPO
BROKEN_REPO has the broken file uncommitted and `refs/remotes/origin/main` at its last
commit. Prints one `ok ...` / `FAIL ...` line per check; exit 1 on any failure.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
FAILURES: list[str] = []
PASSES = 0


def check(cond: bool, what: str) -> None:
    global PASSES
    if cond:
        PASSES += 1
        print(f"ok   {what}")
    else:
        FAILURES.append(what)
        print(f"FAIL {what}")


def structure(action: dict) -> None:
    check(isinstance(action.get("name"), str) and bool(action.get("description")), "action has name and description")
    runs = action.get("runs") or {}
    check(runs.get("using") == "composite", "runs.using is composite")
    inputs = action.get("inputs") or {}
    outputs = action.get("outputs") or {}
    for name in ("path", "config", "changed-only", "base-ref", "sarif", "sarif-file", "fail-on-warnings", "baseline"):
        spec = inputs.get(name) or {}
        check(bool(spec.get("description")) and "default" in spec, f"input {name} documented with a default")
    for name in ("errors", "warnings", "files", "exit-code", "sarif-file"):
        spec = outputs.get(name) or {}
        check(bool(spec.get("description")) and "value" in spec, f"output {name} documented with a value")

    steps = runs.get("steps") or []
    seen_ids: set[str] = set()
    all_ids = {s.get("id") for s in steps if s.get("id")}
    for i, step in enumerate(steps):
        label = step.get("name") or f"step {i}"
        has_run, has_uses = "run" in step, "uses" in step
        check(has_run != has_uses, f"{label}: exactly one of run/uses")
        if has_run:
            check(step.get("shell") == "bash", f"{label}: shell is bash")
            check("${{" not in step["run"], f"{label}: no expressions spliced into the script")
            script = step["run"]
            syntax = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
            check(syntax.returncode == 0, f"{label}: bash -n {syntax.stderr.strip()}")
            sc = subprocess.run(
                ["shellcheck", "--shell=bash", "-"], input=script, text=True, capture_output=True
            )
            check(sc.returncode == 0, f"{label}: shellcheck {sc.stdout.strip()}")
        if has_uses:
            check("@" in step["uses"], f"{label}: uses is pinned ({step['uses']})")
        text = yaml.safe_dump(step)
        for expr in EXPR.findall(text):
            for ref in re.findall(r"inputs\.([A-Za-z0-9_-]+)", expr):
                check(ref in inputs, f"{label}: inputs.{ref} exists")
            for ref in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", expr):
                check(ref in seen_ids, f"{label}: steps.{ref} is an earlier step")
        if step.get("id"):
            seen_ids.add(step["id"])
    for name, spec in outputs.items():
        for ref in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", str(spec.get("value", ""))):
            check(ref in all_ids, f"output {name}: steps.{ref} exists")


class Runner:
    """Runs the composite action's bash steps the way the Actions runner does."""

    def __init__(
        self, action: dict, action_path: str, pao_lint: str | None, tmp: str,
        path: str | None = None, server_url: str = "https://github.com",
    ) -> None:
        self.action = action
        self.action_path = action_path
        self.tmp = tmp
        self.path = path or os.environ["PATH"]
        self.server_url = server_url
        self.home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(self.home, ".cargo", "bin"), exist_ok=True)
        if pao_lint:
            shutil.copy2(pao_lint, os.path.join(self.home, ".cargo", "bin", "pao-lint"))

    def run(self, workspace: str, inputs: dict[str, str], github: dict[str, str]) -> dict:
        ctx_inputs = {k: str(v.get("default", "")) for k, v in (self.action.get("inputs") or {}).items()}
        ctx_inputs.update(inputs)
        run_tmp = tempfile.mkdtemp(dir=self.tmp)
        files = {n: os.path.join(run_tmp, n) for n in ("summary", "path", "temp")}
        os.makedirs(files["temp"])
        open(files["summary"], "w").close()
        open(files["path"], "w").close()
        steps_out: dict[str, dict[str, str]] = {}
        result = {"stdout": "", "failed_step": None, "code": 0}

        def evaluate(expr: str) -> str:
            if "||" in expr:
                for part in expr.split("||"):
                    value = evaluate(part.strip())
                    if value:
                        return value
                return ""
            if expr.startswith("inputs."):
                return ctx_inputs.get(expr[7:], "")
            m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if m:
                return steps_out.get(m.group(1), {}).get(m.group(2), "")
            if expr.startswith("github."):
                return github.get(expr[7:], "")
            raise ValueError(f"expression the checker does not evaluate: {expr}")

        def condition(text: str) -> bool:
            """`if:` of the forms the action uses: `always()`, `X == 'lit'`, `X != 'lit'`, joined by &&."""
            text = text.strip()
            m = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
            if m:
                text = m.group(1).strip()
            for part in (p.strip() for p in text.split("&&")):
                if part == "always()":
                    continue
                m = re.fullmatch(r"(\S+)\s*(==|!=)\s*'([^']*)'", part)
                if not m:
                    raise ValueError(f"condition the checker does not evaluate: {part}")
                equal = evaluate(m.group(1)) == m.group(3)
                if equal != (m.group(2) == "=="):
                    return False
            return True

        for step in self.action["runs"]["steps"]:
            if "if" in step and not condition(str(step["if"])):
                result.setdefault("skipped", []).append(step.get("name"))
                continue
            if "run" not in step:
                continue
            out_file = os.path.join(run_tmp, f"out-{len(steps_out)}")
            open(out_file, "w").close()
            env = {
                "PATH": self.path,
                "HOME": self.home,
                "GITHUB_SERVER_URL": self.server_url,
                "GITHUB_ACTION_PATH": self.action_path,
                "GITHUB_OUTPUT": out_file,
                "GITHUB_PATH": files["path"],
                "GITHUB_STEP_SUMMARY": files["summary"],
                "GITHUB_WORKSPACE": workspace,
                "RUNNER_TEMP": files["temp"],
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
            }
            if github.get("base_ref"):
                env["GITHUB_BASE_REF"] = github["base_ref"]
            for k, v in (step.get("env") or {}).items():
                env[k] = EXPR.sub(lambda m: evaluate(m.group(1)), str(v))
            cwd = workspace if step.get("working-directory") else run_tmp
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=cwd, env=env, text=True, capture_output=True,
            )
            result["stdout"] += proc.stdout
            outs = {}
            with open(out_file) as fh:
                for line in fh:
                    if "=" in line:
                        k, v = line.rstrip("\n").split("=", 1)
                        outs[k] = v
            steps_out[step.get("id") or f"_{len(steps_out)}"] = outs
            if proc.returncode != 0:
                result["failed_step"] = step.get("name")
                result["code"] = proc.returncode
                result["stderr"] = proc.stderr
                break
        with open(files["summary"]) as fh:
            result["summary"] = fh.read()
        result["outputs"] = {
            name: EXPR.sub(lambda m: evaluate(m.group(1)), str(spec.get("value", "")))
            for name, spec in (self.action.get("outputs") or {}).items()
        }
        result["steps"] = steps_out
        return result


def behaviour(action: dict, action_path: str, pao_lint: str, good: str, broken: str) -> str:
    """Returns the cache key of the local action (later runners stamp their pao-lint with it)."""
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(action, action_path, pao_lint, tmp)
        gh = {"action_ref": "", "action_repository": "", "event.before": ""}

        # The key step and the install step: a stamp equal to the key means "from the cache".
        first = runner.run(good, {}, gh)
        key = first["steps"].get("key", {}).get("key", "")
        check(key.startswith("pao-lint-Linux-X64-local-"), f"cache key for a local action ({key})")
        with open(os.path.join(runner.home, ".cargo", "pao-lint.key"), "w") as fh:
            fh.write(key)
        r = runner.run(good, {}, gh)
        check("pao-lint from the cache" in r["stdout"], "install step reuses a cached pao-lint whose stamp matches")
        other = Runner(action, action_path, pao_lint, tempfile.mkdtemp(dir=tmp))
        r2 = other.run(good, {}, {**gh, "action_ref": "main", "action_repository": "pao-dev/pao"})
        check(
            r2["steps"]["key"].get("key") == "pao-lint-Linux-X64-pao-dev-pao@main",
            "cache key for a published action at a branch or commit is its repository and ref",
        )
        check("No release tag (main)" in r2["stdout"], "a branch ref does not try to download a release")

        check(r["code"] == 0 and r["failed_step"] is None, f"good catalog: job passes ({r.get('stderr', '')[-300:]})")
        check(r["outputs"]["errors"] == "0" and r["outputs"]["warnings"] == "0", "good catalog: errors=0 warnings=0")
        check(int(r["outputs"]["files"] or 0) > 0, f"good catalog: files={r['outputs']['files']}")
        check("| files | errors | warnings |" in r["summary"], "step summary has the counts table")

        r = runner.run(broken, {"sarif-file": "out/pao.sarif"}, gh)
        check(r["failed_step"] == "Verdict" and r["code"] == 1, f"broken catalog: the Verdict step fails ({r['failed_step']}, {r['code']})")
        check(int(r["outputs"]["errors"] or 0) > 0, f"broken catalog: errors={r['outputs']['errors']}")
        check("::error file=catalog/" in r["stdout"], "broken catalog: GitHub annotations printed")
        sarif_path = os.path.join(broken, "out", "pao.sarif")
        ok = False
        if os.path.exists(sarif_path):
            with open(sarif_path) as fh:
                doc = json.load(fh)
            ok = doc.get("version") == "2.1.0" and len(doc["runs"][0]["results"]) == int(r["outputs"]["errors"])
            print(f"     sarif: version {doc.get('version')}, {len(doc['runs'][0]['results'])} results")
        check(ok and r["outputs"]["sarif-file"] == "out/pao.sarif", "sarif-file: SARIF 2.1.0 with one result per error")
        shutil.rmtree(os.path.join(broken, "out"), ignore_errors=True)

        # baseline: the broken catalog's findings recorded, then accepted; a missing file is exit 2.
        baseline = os.path.join(broken, "pao-baseline.json")
        subprocess.run([pao_lint, "--write-baseline", baseline], cwd=broken, check=True, capture_output=True)
        r = runner.run(broken, {"baseline": "pao-baseline.json", "sarif-file": "out/pao.sarif"}, gh)
        check(r["code"] == 0 and r["failed_step"] is None and r["outputs"]["errors"] == "0",
              f"baseline: the recorded findings are not reported, the job passes ({r['failed_step']}, {r['outputs']['errors']})")
        check("::error file=catalog/" not in r["stdout"], "baseline: no annotations for recorded findings")
        with open(os.path.join(broken, "out", "pao.sarif")) as fh:
            check(json.load(fh)["runs"][0]["results"] == [], "baseline: the SARIF report leaves them out too")
        shutil.rmtree(os.path.join(broken, "out"), ignore_errors=True)
        r = runner.run(broken, {"baseline": "missing-baseline.json"}, gh)
        check(r["failed_step"] == "Lint the catalog" and r["code"] == 2, "a missing baseline fails the lint step with exit 2")
        os.remove(baseline)

        r = runner.run(broken, {"changed-only": "true"}, {**gh, "base_ref": "main"})
        check("changed since origin/main" in r["stdout"], "changed-only on a pull request compares with origin/<base_ref>")
        check(int(r["outputs"]["files"] or -1) == 1 and int(r["outputs"]["errors"] or 0) > 0,
              f"changed-only: only the changed file reported (files={r['outputs']['files']})")

        r = runner.run(good, {"changed-only": "true", "base-ref": "HEAD"}, gh)
        check(r["code"] == 0 and r["outputs"]["files"] == "0", "changed-only with nothing changed: 0 files, passes")

        r = runner.run(good, {"changed-only": "true"}, gh)
        check("::warning::changed-only: no base revision" in r["stdout"] and r["code"] == 0,
              "changed-only without a base: warns and lints everything")

        # config + fail-on-warnings: the broken file's rule demoted to a warning.
        warn_toml = os.path.join(tmp, "warn.toml")
        base_toml = os.path.join(broken, "pao.toml")
        with open(warn_toml, "w") as fh:
            if os.path.exists(base_toml):
                with open(base_toml) as base:
                    fh.write(base.read())
            fh.write('\n[lint.rules]\nPAO203 = "warning"\n')
        r = runner.run(broken, {"config": warn_toml}, gh)
        check(r["code"] == 0 and r["outputs"]["errors"] == "0" and int(r["outputs"]["warnings"] or 0) > 0,
              f"config demotes PAO203: passes with warnings={r['outputs']['warnings']}")
        check("::warning file=catalog/" in r["stdout"], "warnings are annotated as warnings")
        r = runner.run(broken, {"config": warn_toml, "fail-on-warnings": "true"}, gh)
        check(r["failed_step"] == "Verdict" and r["code"] == 1, "fail-on-warnings: true fails on warnings")
        r = runner.run(broken, {"config": os.path.join(tmp, "missing.toml")}, gh)
        check(r["failed_step"] == "Lint the catalog" and r["code"] == 2, "an unreadable config fails the lint step with exit 2")

        r = runner.run(good, {"path": "catalog/does-not-exist"}, gh)
        check(r["failed_step"] == "Lint the catalog" and r["code"] == 2, "an unusable path fails the lint step with exit 2")
        os.makedirs(os.path.join(good, "docs-only"), exist_ok=True)
        with open(os.path.join(good, "docs-only", "README.md"), "w") as fh:
            fh.write("not a catalog\n")
        r = runner.run(good, {"path": "docs-only"}, gh)
        check(r["failed_step"] == "Lint the catalog" and r["code"] == 2,
              "a path with no catalog files fails the lint step with exit 2 (a wrong path: never passes silently)")
        shutil.rmtree(os.path.join(good, "docs-only"))
        return key


def catalog_with_findings(good: str, tmp: str, n: int) -> str:
    """A copy of the good catalog repository with `n` unknown keys (n PAO201s), at most 150 per
    file (pao-lint describes at most 200 findings of one file: PAO107): the first in
    postgresql-standard, the rest in copies of it under new ids."""
    repo = os.path.join(tmp, f"many-{n}")
    shutil.copytree(good, repo, symlinks=True)
    source = os.path.join(repo, "catalog", "databases", "postgresql-standard.yaml")
    with open(source) as fh:
        original = fh.read()
    per_file = 150
    for part, first in enumerate(range(0, max(n, 1), per_file)):
        item_id = "postgresql-standard" if part == 0 else f"postgresql-copy-{part:02d}"
        lines = original.replace("id: postgresql-standard", f"id: {item_id}", 1).split("\n")
        at = next(i for i, line in enumerate(lines) if line.startswith("metadata:")) + 1
        lines[at:at] = [f"  extra-key-{k:04d}: {k}" for k in range(first, min(n, first + per_file))]
        with open(os.path.join(repo, "catalog", "databases", f"{item_id}.yaml"), "w") as fh:
            fh.write("\n".join(lines))
    return repo


def many_findings(action: dict, action_path: str, pao_lint: str, good: str, key: str) -> None:
    """The lint step as the runner runs it (bash -eo pipefail) with many findings."""
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(action, action_path, pao_lint, tmp)
        with open(os.path.join(runner.home, ".cargo", "pao-lint.key"), "w") as fh:
            fh.write(key)
        gh = {"action_ref": "", "action_repository": "", "event.before": ""}
        # An item the schema rejects is not in the catalog for the cross-file rules, so the two
        # references to it (a bundle component, a replacement) are off: n findings, exactly.
        with open(os.path.join(good, "pao.toml")) as fh:
            base = fh.read() + '\n[lint.rules]\nPAO701 = "off"\nPAO603 = "off"\n'
        configs = {}
        for kind, extra in (("errors", ""), ("warnings", 'PAO201 = "warning"\n')):
            configs[kind] = os.path.join(tmp, f"{kind}.toml")
            with open(configs[kind], "w") as fh:
                fh.write(base + extra)
        for n in (0, 60, 600, 2000):
            repo = catalog_with_findings(good, tmp, n)
            for kind in ("errors", "warnings"):
                inputs = {"config": configs[kind]}
                label = f"{n} findings, {kind} only"
                r = runner.run(repo, inputs, gh)
                out = r["outputs"]
                if kind == "warnings" or n == 0:
                    check(r["code"] == 0 and r["failed_step"] is None,
                          f"{label}: the job passes ({r['failed_step']}, exit {r['code']}, {r.get('stderr', '')[-200:]})")
                else:
                    check(r["failed_step"] == "Verdict" and r["code"] == 1,
                          f"{label}: the lint step passes and the Verdict fails the job ({r['failed_step']}, exit {r['code']})")
                check(out[kind] == str(n) and out["exit-code"] == ("1" if kind == "errors" and n else "0"),
                      f"{label}: outputs {kind}={out[kind]} exit-code={out['exit-code']}")
                annotations = r["stdout"].count(f"::{kind[:-1]} file=")
                check(annotations == n, f"{label}: {annotations} annotations printed")
                listed = sum(1 for line in r["summary"].splitlines() if line.startswith("- `catalog/"))
                check(listed == min(n, 50), f"{label}: the summary lists {listed}")
                left_out = f"50 of {n} findings are listed here; {n - 50} more are left out"
                check((left_out in r["summary"]) == (n > 50), f"{label}: the summary says how many it left out")
                limit = "GitHub shows at most 10 error and 10 warning annotations per step"
                check((limit in r["summary"]) == (n > 10), f"{label}: the summary notes the annotation limit")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def download(action: dict, action_path: str, pao_lint: str, good: str) -> None:
    """The prebuilt path against a loopback server with a GitHub release layout."""
    version = subprocess.run([pao_lint, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    target = "x86_64-unknown-linux-gnu"
    asset = f"pao-lint-{target}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp:
        www = os.path.join(tmp, "www")

        def publish(repo: str, tag: str, sha: str | None = None) -> None:
            dest = os.path.join(www, repo, "releases", "download", tag)
            os.makedirs(dest, exist_ok=True)
            with tarfile.open(os.path.join(dest, asset), "w:gz") as tar:
                tar.add(pao_lint, arcname=f"pao-lint-{target}/pao-lint")
            with open(os.path.join(dest, asset), "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            with open(os.path.join(dest, asset + ".sha256"), "w") as fh:
                fh.write(f"{sha or digest}  {asset}\n")

        publish("pao-dev/pao", f"v{version}")
        publish("pao-dev/tampered", f"v{version}", sha="0" * 64)
        publish("pao-dev/pao", "v99.0.0")  # a binary that does not report 99.0.0
        handler = lambda *a, **k: _Quiet(*a, directory=www, **k)  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        # No Rust on PATH: the download path must not need it.
        no_rust = os.pathsep.join(
            d for d in os.environ["PATH"].split(os.pathsep)
            if not (os.path.exists(os.path.join(d, "cargo")) or os.path.exists(os.path.join(d, "rustc")))
        )
        try:
            def run(repo: str, tag: str) -> dict:
                runner = Runner(action, action_path, None, tempfile.mkdtemp(dir=tmp), path=no_rust, server_url=url)
                return runner.run(good, {}, {"action_ref": tag, "action_repository": repo, "event.before": ""})

            r = run("pao-dev/pao", f"v{version}")
            check(r["code"] == 0 and r["failed_step"] is None and r["outputs"]["errors"] == "0",
                  f"release v{version}: downloaded, verified and linted with no cargo on PATH "
                  f"({r['failed_step']}, {r.get('stderr', '')[-300:]})")
            check(f"pao-lint {version} (prebuilt {target}, sha256 " in r["stdout"], "the log names the version and checksum")
            check("Build pao-lint from source" in r.get("skipped", []) and "Cache pao-lint" in r.get("skipped", []),
                  "with a prebuilt binary the cache and source build steps are skipped")

            r = run("pao-dev/tampered", f"v{version}")
            check(r["failed_step"] == "Download pao-lint" and r["code"] == 2 and "checksum mismatch" in r["stdout"],
                  f"a checksum mismatch stops the action before running the binary ({r['failed_step']}, {r['code']})")

            r = run("pao-dev/pao", "v99.0.0")
            check(r["failed_step"] == "Download pao-lint" and r["code"] == 2 and "not pao-lint 99.0.0" in r["stdout"],
                  f"a binary of another version is refused ({r['failed_step']}, {r['code']})")

            r = run("pao-dev/pao", "v0.0.1-missing")
            check("no pao-lint-x86_64-unknown-linux-gnu.tar.gz in the v0.0.1-missing release" in r["stdout"],
                  "a release without the asset falls back to building from source")
            check(r["failed_step"] == "Build pao-lint from source" and r["code"] == 2
                  and "needs a Rust toolchain" in r["stdout"],
                  f"... which, with no cargo, says what to do and exits 2 ({r['failed_step']}, {r['code']})")
        finally:
            server.shutdown()


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    action_yml, pao_lint, good, broken = sys.argv[1:]
    with open(action_yml) as fh:
        action = yaml.safe_load(fh)
    structure(action)
    action_path = os.path.dirname(os.path.abspath(action_yml))
    key = behaviour(action, action_path, pao_lint, good, broken)
    many_findings(action, action_path, pao_lint, good, key)
    download(action, action_path, pao_lint, good)
    print(f"check_action: {PASSES} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
