#!/usr/bin/env bash
# Benchmarks pao-lint on generated catalogs of 1,000 and 10,000 items against ajv-cli and
# check-jsonschema. See docs/performance.md. Options are passed to scripts/bench-lint.py.
set -euo pipefail
case "${1:-}" in
  -h|--help) python3 "$(dirname "${BASH_SOURCE[0]}")/bench-lint.py" --help; exit 0 ;;
esac
exec python3 "$(dirname "${BASH_SOURCE[0]}")/bench-lint.py" "$@"
