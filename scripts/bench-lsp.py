#!/usr/bin/env python3
"""Measures `pao-lint server`: time from didChange to publishDiagnostics on a generated catalog.

Generates a catalog repository with scripts/gen-catalog.py (default 1,000 items), starts the
release `pao-lint server` in it over stdio, opens one item padded to at least 200 lines,
and sends didChange notifications that alternately break and fix a template reference
(`{{ fields.x }}` misspelt: one PAO403 more or less). For each change it measures the wall
time from writing the notification to reading the publishDiagnostics of that version, and
checks the diagnostics are the expected ones. Prints min / median / p95 / max.

    scripts/bench-lsp.py                      # 1,000 items, 200 changes, default debounce
    scripts/bench-lsp.py --items 10000 --changes 100 --debounce-ms 0
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent


class Client:
    def __init__(self, binary, cwd, debounce_ms):
        self.proc = subprocess.Popen(
            [str(binary), "server"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 1
        root = pathlib.Path(cwd).resolve().as_uri()
        options = {} if debounce_ms is None else {"debounceMs": debounce_ms}
        self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root,
                "workspaceFolders": [{"uri": root, "name": "bench"}],
                "capabilities": {},
                "initializationOptions": options,
            },
        )
        self.notify("initialized", {})

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the server closed stdout")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == rid and "method" not in message:
                return message.get("result")

    def diagnostics(self, uri, version):
        while True:
            message = self.read()
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == uri and params.get("version") == version:
                    return params["diagnostics"]

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=30)


def padded_item(corpus):
    """The longest generated item, padded with help text to at least 200 lines."""
    items = sorted(corpus.glob("catalog/*/*.yaml"), key=lambda p: -len(p.read_text().splitlines()))
    for path in items:
        text = path.read_text()
        if "kind: CatalogItem" in text and "{{ fields." in text:
            lines = text.splitlines()
            if len(lines) < 200:
                # A long description: block-scalar lines under metadata.description.
                at = next(i for i, l in enumerate(lines) if l.startswith("  description:"))
                filler = ["    line %d of a long description." % n for n in range(200 - len(lines))]
                lines[at : at + 1] = ["  description: |"] + filler
                text = "\n".join(lines) + "\n"
                path.write_text(text)
            return path, text
    raise SystemExit("no item with templates in the corpus")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--debounce-ms", type=int, default=None, help="server debounce (default: the server's)")
    parser.add_argument("--out", type=pathlib.Path, default=REPO / ".pao-bench" / "lsp")
    parser.add_argument("--no-build", action="store_true", help="use target/release/pao-lint as it is")
    args = parser.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "pao_cli", "--bin", "pao-lint"], cwd=REPO, check=True)
    binary = REPO / "target" / "release" / "pao-lint"
    corpus = args.out / f"items-{args.items}"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen-catalog.py"), "--items", str(args.items), "--out", str(corpus)],
        check=True,
    )
    subprocess.run(["git", "init", "-q", str(corpus)], check=True)
    path, text = padded_item(corpus)
    lines = len(text.splitlines())
    uri = path.resolve().as_uri()
    field = re.search(r"\{\{ fields\.(\w+)", text).group(1)
    broken = text.replace("{{ fields." + field, "{{ fields." + field + "Typo", 1)

    started = time.perf_counter()
    client = Client(binary, corpus, args.debounce_ms)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
    baseline = client.diagnostics(uri, 1)
    startup = time.perf_counter() - started
    expected = {False: len(baseline), True: None}

    times = []
    for n in range(args.changes):
        version = n + 2
        wrong = n % 2 == 0
        change = {"text": broken if wrong else text}
        sent = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        diagnostics = client.diagnostics(uri, version)
        times.append((time.perf_counter() - sent) * 1000)
        codes = [d.get("code") for d in diagnostics]
        if wrong:
            if "PAO403" not in codes:
                raise SystemExit(f"change {version}: expected PAO403, got {codes}")
            if expected[True] is None:
                expected[True] = len(diagnostics)
        elif len(diagnostics) != expected[False]:
            raise SystemExit(f"change {version}: expected {expected[False]} diagnostics, got {codes}")
        # A pause between changes, as between keystrokes, so each is linted on its own.
        time.sleep(0.05)
    client.close()

    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"corpus: {args.items} items ({corpus}); document: {path.relative_to(corpus)}, {lines} lines")
    print(f"startup (initialize + load + first lint): {startup * 1000:.0f} ms")
    print(
        f"didChange -> publishDiagnostics over {len(times)} changes: "
        f"min {times[0]:.1f} ms, median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
