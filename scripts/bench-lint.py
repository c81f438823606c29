#!/usr/bin/env python3
"""pao-lint throughput on generated catalogs, side by side with ajv-cli and check-jsonschema.

Generates catalogs of 1,000 and 10,000 items (scripts/gen-catalog.py), then times:
  * pao-lint: the full lint (every rule, templates, CODEOWNERS, bundles), release build;
  * ajv-cli (npm) and check-jsonschema (PyPI): JSON Schema validation only, of the item files,
    against the same generated schema/catalog-item.json + schema/common-types.json.
Prints wall time (median of --runs), files/second and peak memory (RSS) for each.

Then the cache (docs/lint-cache.md), on the largest size: a cold full lint without the cache,
with an empty cache (which it fills), and with `--compare-with <older pao-lint>` that binary's
full lint, alternated run by run; a warm full lint; one file as pre-commit passes it (edited
before each run); `--changed-since HEAD` with 5 files edited; the cache's size on disk.
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
WORK = REPO / ".pao-bench"


def run_timed(cmd, cwd, runs, warm_up=True):
    """Median wall time and the largest peak RSS (MiB) over `runs` runs; the exit code of the last.
    One untimed run first, so every tool reads the files from the page cache, not the disk."""
    if warm_up:
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times, peaks, code = [], [], 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - start)
        code = proc.returncode
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "0"
        peaks.append(int(last) / 1024 if last.isdigit() else float("nan"))
    return statistics.median(times), max(peaks), code


def measure(cmd, cwd, prepare=None):
    """One run under /usr/bin/time: wall seconds, peak RSS in MiB, exit code."""
    if prepare:
        prepare()
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "0"
    return seconds, (int(last) / 1024 if last.isdigit() else float("nan")), proc.returncode


def alternated(cases, cwd, runs):
    """Runs each (name, cmd, prepare) once per round, `runs` rounds, after one untimed round, so
    a change in the machine's load falls on every case alike. Median wall, max RSS per case."""
    for _, cmd, prepare in cases:
        measure(cmd, cwd, prepare)
    results = {name: ([], []) for name, _, _ in cases}
    for _ in range(runs):
        for name, cmd, prepare in cases:
            seconds, peak, code = measure(cmd, cwd, prepare)
            if code not in (0, 1):
                sys.exit(f"{name} could not run (exit {code}): {' '.join(cmd)}")
            results[name][0].append(seconds)
            results[name][1].append(peak)
    return {name: (statistics.median(t), min(t), max(p)) for name, (t, p) in results.items()}


def bench_cache(pao_lint, corpus, runs, compare_with):
    """The cache's numbers (see the module doc)."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    if not (corpus / ".git").is_dir():
        subprocess.run([*git, "init", "-q", "-b", "main"], cwd=corpus, check=True)
        subprocess.run([*git, "add", "-A"], cwd=corpus, check=True)
        subprocess.run([*git, "commit", "-qm", "generated catalog"], cwd=corpus, check=True)
    cache = corpus / ".pao-cache"
    lint = [str(pao_lint), "--format", "json"]
    cold = [("cold, --no-cache", [*lint, "--no-cache"], None),
            ("cold, empty cache (fills it)", lint, lambda: shutil.rmtree(cache, ignore_errors=True))]
    if compare_with:
        cold.insert(0, (f"cold, {pathlib.Path(compare_with).name}", [compare_with, "--format", "json"], None))
    print(f"\ncache, {corpus.name}: median of {runs} alternated runs (min in brackets), peak RSS")
    for name, (median, low, peak) in alternated(cold, corpus, runs).items():
        print(f"  {name:<44} {median:>7.3f} s ({low:.3f})  {peak:>6.1f} MiB", flush=True)

    items = sorted(p for p in (corpus / "catalog").rglob("*.yaml") if "bundles" not in p.parts)
    one = items[len(items) // 2]
    five = items[:: max(1, len(items) // 5)][:5]
    originals = {p: p.read_bytes() for p in [one, *five]}
    counter = [0]

    def edit(paths):
        def prepare():
            counter[0] += 1
            for p in paths:
                p.write_bytes(originals[p] + f"# bench edit {counter[0]}\n".encode())
        return prepare

    subprocess.run(lint, cwd=corpus, stdout=subprocess.DEVNULL)  # warm the cache
    try:
        warm = [("warm, full lint", lint, None),
                ("warm, one file (pre-commit), edited", [*lint, str(one.relative_to(corpus))], edit([one])),
                ("warm, --changed-since HEAD, 5 files edited", [*lint, "--changed-since", "HEAD"], edit(five))]
        for name, (median, low, peak) in alternated(warm, corpus, runs).items():
            print(f"  {name:<44} {median:>7.3f} s ({low:.3f})  {peak:>6.1f} MiB", flush=True)
    finally:
        for p, data in originals.items():
            p.write_bytes(data)
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    print(f"  cache size on disk: {size / 1e6:.1f} MB in {len(list(cache.rglob('*.bin')))} shard files")


def ensure_ajv():
    node_dir = WORK / "node"
    ajv = node_dir / "node_modules" / ".bin" / "ajv"
    if not ajv.exists():
        node_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(node_dir),
                        "ajv-cli@5", "ajv-formats@3"], check=True)
    return ajv


def schemas_with_ids():
    """Copies of the schemas with absolute `$id`s: ajv resolves `common-types.json#/...` only
    against an absolute base (the committed files have no `$id`, so editors resolve them
    next to the file)."""
    import json
    out = WORK / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("catalog-item.json", "common-types.json"):
        schema = json.loads((REPO / "schema" / name).read_text())
        schema = {"$id": f"https://pao.invalid/schema/{name}", **schema}
        (out / name).write_text(json.dumps(schema))
    return out / "catalog-item.json", out / "common-types.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated item counts")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median is reported)")
    parser.add_argument("--skip-check-jsonschema", action="store_true", help="it takes minutes on 10,000 files")
    parser.add_argument("--skip-ajv", action="store_true")
    parser.add_argument("--skip-cache", action="store_true", help="skip the cache measurements")
    parser.add_argument("--no-build", action="store_true", help="use target/release/pao-lint as it is")
    parser.add_argument("--compare-with", metavar="PAO_LINT", help="an older pao-lint binary for the cold lint")
    args = parser.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "pao_cli", "--bin", "pao-lint"], cwd=REPO, check=True)
    pao_lint = REPO / "target" / "release" / "pao-lint"
    ajv = None if args.skip_ajv else ensure_ajv()
    check_jsonschema = None if args.skip_check_jsonschema else shutil.which("check-jsonschema")

    print(f"machine: {os.cpu_count()} cores; runs per measurement: {args.runs} (median)")
    print(f"{'items':>6}  {'tool':<38} {'wall s':>8} {'files/s':>10} {'peak MiB':>9}")
    for size in [int(s) for s in args.sizes.split(",")]:
        corpus = WORK / f"catalog-{size}"
        if not (corpus / "catalog").is_dir() or len(list((corpus / "catalog").rglob("*.yaml"))) < size:
            subprocess.run([sys.executable, str(REPO / "scripts" / "gen-catalog.py"), "--items", str(size),
                            "--out", str(corpus)], check=True, stdout=subprocess.DEVNULL)
        all_files = sorted(str(p.relative_to(corpus)) for p in (corpus / "catalog").rglob("*.yaml"))
        items = [f for f in all_files if not f.startswith("catalog/bundles/")]

        def report(tool, seconds, peak, count):
            print(f"{size:>6}  {tool:<38} {seconds:>8.3f} {count / seconds:>10.0f} {peak:>9.1f}", flush=True)

        seconds, peak, code = run_timed([str(pao_lint), "--format", "json", "--no-cache"], corpus, args.runs)
        if code not in (0, 1):
            sys.exit(f"pao-lint could not run (exit {code})")
        report(f"pao-lint (full lint, {len(all_files)} files)", seconds, peak, len(all_files))
        rates = {"pao-lint": len(all_files) / seconds}
        if ajv:
            item_schema, common_schema = schemas_with_ids()
            cmd = [str(ajv), "validate", "--spec=draft2020", "--strict=false", "-c", "ajv-formats",
                   "-s", str(item_schema), "-r", str(common_schema), "-d", "catalog/!(bundles)/*.yaml", "--errors=no"]
            seconds, peak, code = run_timed(cmd, corpus, args.runs)
            if code != 0:
                sys.exit(f"ajv-cli failed (exit {code}); run it by hand: {' '.join(cmd)}")
            report(f"ajv-cli (schema only, {len(items)} files)", seconds, peak, len(items))
            rates["ajv-cli"] = len(items) / seconds
        if check_jsonschema:
            cmd = [check_jsonschema, "--schemafile", str(REPO / "schema/catalog-item.json"), *items]
            # Minutes per run: once, without a warm-up (the page cache hardly matters at that pace).
            seconds, peak, code = run_timed(cmd, corpus, 1, warm_up=False)
            report(f"check-jsonschema (schema only, {len(items)})", seconds, peak, len(items))
            rates["check-jsonschema"] = len(items) / seconds
        for tool, rate in rates.items():
            if tool != "pao-lint":
                print(f"{size:>6}  pao-lint files/s = {rates['pao-lint'] / rate:.1f} x {tool}'s")
    if not args.skip_cache:
        largest = max(int(s) for s in args.sizes.split(","))
        bench_cache(pao_lint, WORK / f"catalog-{largest}", args.runs, args.compare_with)


if __name__ == "__main__":
    main()
