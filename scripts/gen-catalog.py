#!/usr/bin/env python3
"""Generates a benchmark catalog repository of N items from the example catalog.

Each generated item is a copy of a real example item (100-150 lines, templates in every action)
with a fresh id, so the corpus exercises every rule the way a real catalog does. Bundles are
generated too (one per 50 items), referencing generated items. Usage:

    scripts/gen-catalog.py --items 10000 --out /tmp/corpus
"""
import argparse
import pathlib
import re
import shutil
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, required=True, help="number of catalog items")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="directory to create")
    args = parser.parse_args()

    repo = pathlib.Path(__file__).resolve().parent.parent
    sources = []
    for path in sorted((repo / "catalog").glob("*/*.yaml")):
        text = path.read_text()
        if "kind: CatalogItem" in text and "status: deprecated" not in text:
            item_id = re.search(r"^  id: (\S+)$", text, re.M).group(1)
            sources.append((path.parent.name, item_id, text))
    if not sources:
        print("no example items found", file=sys.stderr)
        return 2

    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / ".github").mkdir(parents=True)
    shutil.copy(repo / "pao.toml", args.out / "pao.toml")
    owners = ["* @acme/platform"]
    teams = {}
    generated = []
    for n in range(args.items):
        category, item_id, text = sources[n % len(sources)]
        new_id = f"{item_id}-{n:05d}"
        body = re.sub(rf"^  id: {re.escape(item_id)}$", f"  id: {new_id}", text, count=1, flags=re.M)
        target = args.out / "catalog" / category / f"{new_id}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
        team = re.search(r"^    team: (\S+)$", text, re.M).group(1)
        teams[category] = team
        version = re.search(r"^  version: (\S+)$", text, re.M).group(1)
        generated.append((new_id, version, text))
    for category, team in sorted(teams.items()):
        owners.append(f"/catalog/{category}/ @acme/{team}")
    owners.append("/catalog/bundles/ @acme/platform")
    (args.out / ".github" / "CODEOWNERS").write_text("\n".join(owners) + "\n")

    bundles = args.out / "catalog" / "bundles"
    bundles.mkdir(parents=True, exist_ok=True)
    for b in range(max(1, args.items // 50)):
        item_id, version, _ = generated[b % len(generated)]
        major, minor = version.split(".")[:2]
        (bundles / f"bundle-{b:05d}.yaml").write_text(f"""apiVersion: pao/v1
kind: CatalogBundle
metadata:
  id: bundle-{b:05d}
  name: Generated bundle {b}
  description: A generated bundle for benchmarks.
  version: 1.0.0
  category: bundles
  owner: {{ team: platform, contact: platform@acme.example }}
  lifecycle: {{ status: stable }}
components:
  - id: main
    item: {item_id}
    version: "^{major}.{minor}"
""")
    print(f"generated {args.items} items and {max(1, args.items // 50)} bundles in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
