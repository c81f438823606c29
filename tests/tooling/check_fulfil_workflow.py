"""Checks what templates/state-repo/.github/workflows/pao-fulfil.yml promises (docs/fulfilment.md):

- the only job that runs `pao request execute` or `pao worker` is `execute`, and its concurrency
  group is the same expression of the request id for a merge and for a dispatch;
- the scheduled pass executes nothing itself: it dispatches the workflow per request;
- the workflow checks out `main` as a branch (the local backend tells merged requests by it);
- no `git push` forces (`+` refspecs, `--force`), so a run never rewrites another's refs.

Exit 1 with the broken promises listed.
"""
import re
import sys

import yaml

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    workflow = yaml.safe_load(f)
problems = []
jobs = workflow.get("jobs", {})
for name, job in jobs.items():
    runs = "\n".join(step.get("run", "") for step in job.get("steps", []))
    if re.search(r"\bpao (request execute|worker)\b", runs) and name != "execute":
        problems.append(f"job `{name}` executes requests outside the per-request group")
    for line in runs.splitlines():
        if "git push" in line and (re.search(r"\s'?\+refs/", line) or "--force" in line or " -f " in line):
            problems.append(f"job `{name}` forces a push: {line.strip()}")
    for step in job.get("steps", []):
        if str(step.get("uses", "")).startswith("actions/checkout") and step.get("with", {}).get("ref") != "main":
            problems.append(f"job `{name}` does not check out `main` as a branch")
execute = jobs.get("execute", {})
group = str(execute.get("concurrency", {}).get("group", ""))
if "github.event.pull_request.head.ref" not in group or "format('pao/requests/{0}', inputs.request)" not in group:
    problems.append(f"`execute`'s group is not one per request id for merges and dispatches alike: {group!r}")
if execute.get("concurrency", {}).get("cancel-in-progress") is not False:
    problems.append("`execute` may cancel a run in progress")
dispatch_runs = "\n".join(step.get("run", "") for step in jobs.get("dispatch", {}).get("steps", []))
if "gh workflow run" not in dispatch_runs:
    problems.append("the scheduled pass does not dispatch one run per request")
for problem in problems:
    print(f"pao-fulfil.yml: {problem}")
sys.exit(1 if problems else 0)
