#!/usr/bin/env python3
"""Drives yaml-language-server over stdio (LSP) with the shipped .vscode/settings.json.

Against a copy of the example catalog: a valid item and a valid bundle get no diagnostics (each
file gets its own schema and only that one), a broken item gets an unknown-key and an enum
diagnostic at the right lines, completion offers the enum values and the keys of a mapping,
hover on a key whose value is an enum shows the key's own description (and then the value's),
descriptions carry no hard line breaks, and the template's `$schema` modeline validates it with
no settings at all.

Usage: yaml_ls.py REPO_ROOT   (the repository: schema/, catalog/, templates/, .vscode/)
Prints `ok ...`/`FAIL ...` lines and `yaml_ls: N passed, M failed`; exit 1 on any failure.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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


class Server:
    """A yaml-language-server child process spoken to in LSP framing."""

    def __init__(self, command: list[str], root: Path, settings: dict) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.settings = settings
        self.next_id = 0
        self.responses: dict[int, dict] = {}
        self.diagnostics: dict[str, list] = {}
        self.inbox: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": "catalog"}],
            "capabilities": {
                "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": True}},
                "textDocument": {
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "completion": {"completionItem": {"snippetSupport": False, "documentationFormat": ["markdown"]}},
                    "publishDiagnostics": {},
                },
            },
        })
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.inbox.put(json.loads(out.read(length)))

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _pump(self, timeout: float) -> None:
        try:
            message = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return
        if "id" in message and "method" in message:  # a request from the server
            result = None
            if message["method"] == "workspace/configuration":
                result = [self._section(item.get("section")) for item in message["params"]["items"]]
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
        elif "id" in message:
            self.responses[message["id"]] = message
        elif message.get("method") == "textDocument/publishDiagnostics":
            self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]

    def _section(self, section: str | None):
        if not section:
            return self.settings
        value = self.settings
        for part in section.split("."):
            value = value.get(part, {}) if isinstance(value, dict) else {}
        return value

    def request(self, method: str, params: dict, timeout: float = 30) -> dict:
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.time() + timeout
        while rid not in self.responses and time.time() < deadline:
            self._pump(0.2)
        return self.responses.pop(rid, {}).get("result")

    def notify(self, method: str, params: dict) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": path.read_text() if text is None else text}})
        return uri

    def diagnostics_of(self, uri: str, timeout: float = 20, settle: float = 1.5) -> list | None:
        """The last diagnostics published for `uri`, once none has come for `settle` seconds."""
        deadline = time.time() + timeout
        last_change, seen = None, None
        while time.time() < deadline:
            self._pump(0.1)
            current = self.diagnostics.get(uri)
            if current is not None and current != seen:
                seen, last_change = current, time.time()
            if last_change and time.time() - last_change > settle:
                break
        return self.diagnostics.get(uri)

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=5)
            self.notify("exit", {})
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            self.proc.kill()


def vscode_settings(root: Path) -> dict:
    """.vscode/settings.json as the `yaml` section an LSP client sends (`yaml.schemas` → yaml.schemas)."""
    flat = json.loads((root / ".vscode" / "settings.json").read_text())
    settings: dict = {}
    for key, value in flat.items():
        if not key.startswith("yaml."):
            continue
        node = settings
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    # A VS Code client resolves the workspace-relative schema paths; do the same.
    schemas = settings.get("yaml", {}).get("schemas", {})
    settings["yaml"]["schemas"] = {
        (root / key).resolve().as_uri() if key.startswith("./") else key: value for key, value in schemas.items()
    }
    return settings


def position_of(text: str, needle: str, offset: int = 0) -> dict:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


def hover_text(result: dict | None) -> str:
    if not result:
        return ""
    contents = result.get("contents")
    if isinstance(contents, dict):
        return contents.get("value", "")
    if isinstance(contents, list):
        return "\n".join(c if isinstance(c, str) else c.get("value", "") for c in contents)
    return str(contents or "")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(sys.argv[1]).resolve()
    command = [shutil.which("yaml-language-server") or "yaml-language-server", "--stdio"]
    if not shutil.which(command[0]):
        print("FAIL yaml-language-server: not installed (npm install -g yaml-language-server)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        for part in ("schema", "catalog", "templates", ".vscode"):
            shutil.copytree(source / part, root / part)
        settings = vscode_settings(root)
        server = Server(command, root, settings)
        try:
            item = root / "catalog" / "databases" / "postgresql-standard.yaml"
            uri = server.open(item)
            d = server.diagnostics_of(uri)
            check(d == [], f"a valid item: no diagnostics ({d})")

            bundle = root / "catalog" / "bundles" / "web-service-stack.yaml"
            uri = server.open(bundle)
            d = server.diagnostics_of(uri)
            check(d == [], f"a valid bundle: no diagnostics, so only the bundle schema applies ({d})")

            text = item.read_text()
            broken = text.replace("metadata:\n", "metadata:\n  colour: blue\n", 1).replace(
                "strategy: failover", "strategy: sometimes", 1)
            broken_path = root / "catalog" / "databases" / "broken.yaml"
            broken_path.write_text(broken)
            uri = server.open(broken_path, broken)
            d = server.diagnostics_of(uri) or []
            messages = [(x["range"]["start"]["line"], x["message"]) for x in d]
            colour_line = position_of(broken, "colour")["line"]
            strategy_line = position_of(broken, "strategy: sometimes")["line"]
            check(any(line == colour_line and "colour" in m for line, m in messages),
                  f"unknown key reported at line {colour_line + 1} ({messages})")
            check(any(line == strategy_line and ("failover" in m or "allowed" in m.lower()) for line, m in messages),
                  f"enum value reported at line {strategy_line + 1} ({messages})")

            # Completion of an enum value after `strategy: `.
            completing = text.replace("strategy: failover", "strategy: ", 1)
            path = root / "catalog" / "databases" / "completing.yaml"
            path.write_text(completing)
            uri = server.open(path, completing)
            server.diagnostics_of(uri, timeout=10, settle=0.5)
            pos = position_of(completing, "strategy: ", len("strategy: "))
            result = server.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
            items = result.get("items", []) if isinstance(result, dict) else (result or [])
            labels = {i.get("label") for i in items}
            check({"failover", "manual", "automated"} <= labels, f"completion offers the strategies ({sorted(labels)[:10]})")
            documented = [i for i in items if i.get("label") == "failover"]
            doc = documented[0].get("documentation") if documented else None
            doc = doc.get("value") if isinstance(doc, dict) else doc
            check(bool(doc) and "fall back" in str(doc), f"the completion of a value carries its description ({doc})")

            # Completion of keys in `metadata:`.
            tags_line = next(line for line in text.splitlines() if line.startswith("  tags:"))
            keys_doc = text.replace(tags_line + "\n", "  ta\n", 1)
            path = root / "catalog" / "databases" / "keys.yaml"
            path.write_text(keys_doc)
            uri = server.open(path, keys_doc)
            server.diagnostics_of(uri, timeout=10, settle=0.5)
            pos = position_of(keys_doc, "\n  ta\n", len("\n  ta"))
            result = server.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
            items = result.get("items", []) if isinstance(result, dict) else (result or [])
            labels = {i.get("label") for i in items}
            check("tags" in labels and "owner" not in labels,
                  f"completion offers the missing metadata key, not those present ({sorted(labels)[:12]})")

            # Hover on a key whose value is an enum: the key's description, then the value's.
            uri = item.as_uri()
            key_description = json.loads((root / "schema" / "common-types.json").read_text())["$defs"]["Fulfillment"][
                "properties"]["strategy"]["description"]
            result = server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                           "position": position_of(text, "strategy: failover", 2)})
            shown = hover_text(result).replace("\\`", "`")
            check(key_description.split(";")[0] in shown,
                  f"hover on `strategy:` shows the key's own description ({shown!r})")
            check("\n" not in key_description, "the key's description has no hard line break")
            result = server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                           "position": position_of(text, "strategy: failover", 12)})
            shown = hover_text(result)
            check("fall back to the manual ones" in shown, f"hover on the value `failover` shows the value's description ({shown!r})")
        finally:
            server.close()

        # The template's modeline, with no settings: it alone selects the schema.
        bare = {"yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}}}
        server = Server(command, root, bare)
        try:
            template = root / "templates" / "catalog-item-template.yaml"
            text = template.read_text()
            check(text.startswith("# yaml-language-server: $schema="), "the item template starts with the schema modeline")
            uri = server.open(template)
            d = server.diagnostics_of(uri)
            check(d == [], f"the item template validates against its modeline's schema ({d})")
            broken = text.replace("apiVersion: pao/v1", "apiVersion: pao/v9", 1)
            uri = server.open(root / "templates" / "broken-template.yaml", broken)
            d = server.diagnostics_of(uri) or []
            check(any("pao/v1" in x["message"] or "apiVersion" in x["message"] or "Value" in x["message"] for x in d),
                  f"... and the modeline's schema catches a wrong apiVersion ({[x['message'] for x in d]})")
        finally:
            server.close()
    print(f"yaml_ls: {PASSES} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
