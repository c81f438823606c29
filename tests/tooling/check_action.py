#!/usr/bin/env python3
"""Checks of action.yml that actionlint cannot make (it lints workflows, not action metadata).

1. Structure: a composite action with the documented inputs and outputs; every step
   `run` has a `shell`, every `uses` is pinned to a version, every `${{ inputs.X }}`
   and `steps.ID.outputs` reference names something that exists (and comes earlier),
   no `${{ }}` inside a `run` script (values go through `env`, never spliced into bash),
   every script passes `bash -n` and shellcheck.
2. Behaviour: the `run` steps are executed the way the runner would (GITHUB_OUTPUT,
   GITHUB_PATH, GITHUB_STEP_SUMMARY, RUNNER_TEMP, inputs and env expressions substituted)
   against a good and a broken catalog repository, with a pre-installed pao-lint in a
   fake HOME, and their outputs and exit codes compared with what the docs promise.

Usage: check_action.py ACTION_YML PAO_LINT GOOD_REPO BROKEN_REPO
BROKEN_REPO has the broken file uncommitted and `refs/remotes/origin/main` at its last
commit. Prints one `ok ...` / `FAIL ...` line per check; exit 1 on any failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

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
    for name in ("path", "config", "changed-only", "base-ref", "sarif", "sarif-file", "fail-on-warnings"):
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

    def __init__(self, action: dict, action_path: str, pao_lint: str, tmp: str) -> None:
        self.action = action
        self.action_path = action_path
        self.tmp = tmp
        self.home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(self.home, ".cargo", "bin"), exist_ok=True)
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
            if expr.startswith("inputs."):
                return ctx_inputs.get(expr[7:], "")
            m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if m:
                return steps_out.get(m.group(1), {}).get(m.group(2), "")
            if expr.startswith("github."):
                return github.get(expr[7:], "")
            raise ValueError(f"expression the checker does not evaluate: {expr}")

        for step in self.action["runs"]["steps"]:
            if "run" not in step:
                continue
            out_file = os.path.join(run_tmp, f"out-{len(steps_out)}")
            open(out_file, "w").close()
            env = {
                "PATH": os.environ["PATH"],
                "HOME": self.home,
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


def behaviour(action: dict, action_path: str, pao_lint: str, good: str, broken: str) -> None:
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
        r2 = other.run(good, {}, {**gh, "action_ref": "v1.2.3", "action_repository": "pao-dev/pao"})
        check(
            r2["steps"]["key"].get("key") == "pao-lint-Linux-X64-pao-dev-pao@v1.2.3",
            "cache key for a published action is its repository and ref",
        )

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


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    action_yml, pao_lint, good, broken = sys.argv[1:]
    with open(action_yml) as fh:
        action = yaml.safe_load(fh)
    structure(action)
    behaviour(action, os.path.dirname(os.path.abspath(action_yml)), pao_lint, good, broken)
    print(f"check_action: {PASSES} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
