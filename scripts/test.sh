#!/usr/bin/env bash
# Runs every test of the workspace: cargo tests (unit, snapshot, CLI, Git and browser tests),
# then the tooling tests (workflows, scripts, pre-commit hook) when present.
set -euo pipefail

case "${1:-}" in
  -h|--help) echo "Usage: scripts/test.sh   (run scripts/setup.sh once first)"; exit 0 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --workspace --all-targets --locked
bash tests/tooling/run.sh
