#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Seeds come from the repository itself: the example catalog (catalog/), the valid and invalid
test documents (tests/valid, tests/invalid), the template test cases (tests/vars), pao-lint's
rule fixtures, the pao.toml files, and the small hand-written seeds committed under
fuzz/seeds/<target>/. Nothing generated is committed (fuzz/corpus/ is ignored); libFuzzer adds
what it finds to the same directories, and running this again only adds missing seeds.

Usage: scripts/fuzz-seeds.py [--help]
Exit status: 0 on success, 2 on a usage error or a missing input directory.
"""

import hashlib
import sys
from pathlib import Path

import yaml  # pyyaml, installed by scripts/setup.sh

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
TARGETS = ["yaml", "template", "template_document", "form", "config", "names", "request"]


def documents():
    """Every catalog-like YAML file: the example catalog, the test documents, the lint fixtures."""
    dirs = ["catalog", "tests/valid", "tests/invalid", "crates/pao_lint/resources/test/fixtures"]
    for d in dirs:
        base = ROOT / d
        if not base.is_dir():
            sys.exit(f"fuzz-seeds: missing input directory {base}")
        yield from sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load(path):
    """The YAML of a file, or None when pyyaml cannot read it (the invalid documents)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError):
        return None


def strings(value):
    """Every string inside a YAML value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def dump(value):
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True).encode("utf-8")


class Writer:
    def __init__(self):
        self.written = {t: 0 for t in TARGETS}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / ("seed-" + hashlib.sha1(data).hexdigest())
        if not path.exists():
            path.write_bytes(data)
        self.written[target] += 1


def main():
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    out = Writer()

    # Committed hand-written seeds.
    for target in TARGETS:
        seeds = ROOT / "fuzz" / "seeds" / target
        if seeds.is_dir():
            for path in sorted(seeds.iterdir()):
                out.add(target, path.read_bytes())

    names = set()
    for path in documents():
        data = path.read_bytes()
        out.add("yaml", data)
        out.add("request", data)
        out.add("template_document", data)
        value = load(path)
        for text in strings(value):
            if "{{" in text or "{%" in text or "{#" in text:
                out.add("template", text)
        if isinstance(value, dict) and isinstance(value.get("metadata"), dict):
            meta = value["metadata"]
            owner = meta.get("owner") if isinstance(meta.get("owner"), dict) else {}
            for name in (meta.get("id"), owner.get("team")):
                if isinstance(name, str):
                    names.add(name)

    # Template test cases: an item with the values of each case (form, template_document), and
    # the case files themselves (yaml).
    for case_file in sorted((ROOT / "tests" / "vars").rglob("*.yaml")):
        out.add("yaml", case_file.read_bytes())
        spec = load(case_file)
        if not isinstance(spec, dict) or not isinstance(spec.get("item"), str):
            continue
        item = (case_file.parent / spec["item"]).resolve()
        if not item.is_file():
            continue
        item_bytes = item.read_bytes()
        for case in spec.get("cases") or []:
            values = case.get("values") if isinstance(case, dict) else None
            if isinstance(values, dict):
                seed = item_bytes + b"\0" + dump(values)
                out.add("form", seed)
                out.add("template_document", seed)
                out.add("request", dump({"values": values}))

    for path in sorted(ROOT.rglob("pao.toml")):
        if "target" not in path.relative_to(ROOT).parts and "fuzz" not in path.relative_to(ROOT).parts:
            out.add("config", path.read_bytes())

    for name in sorted(names):
        out.add("names", name)
    for team, item in zip(sorted(names), sorted(names, reverse=True)):
        out.add("names", f"{team}\n{item}\nexample-resource")

    for target in TARGETS:
        print(f"fuzz-seeds: {target}: {out.written[target]} seeds in {CORPUS / target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
