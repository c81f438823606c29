#!/usr/bin/env bash
# pre-commit entry point of the `pao-lint` hook (see .pre-commit-hooks.yaml).
#
# pre-commit runs this from its clone of the PAO repository, in the catalog
# repository's work tree, with the staged catalog files as arguments. The
# first run builds pao-lint from that clone (`cargo install --locked`, into
# the clone's .pre-commit-pao/ directory, about a minute); later runs reuse it.
# Set PAO_LINT to use an existing binary instead; CARGO_TARGET_DIR to keep
# the build directory between builds; PAO_HOOK_DEBUG=1 for a debug build.
set -euo pipefail

case ${1:-} in
    -h | --help)
        cat <<'USAGE'
Usage: scripts/pre-commit-hook.sh [PAO-LINT ARGS] FILE...

The pre-commit entry of the pao-lint hook: builds pao-lint once from this
repository (or uses $PAO_LINT) and runs `pao-lint FILE...`.
Exit status: 0 no error, 1 lint errors, 2 pao-lint could not be built or run.
USAGE
        exit 0
        ;;
esac

hook_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lint=${PAO_LINT:-}
if [[ -z $lint ]]; then
    prefix="$hook_root/.pre-commit-pao"
    lint="$prefix/bin/pao-lint"
    # The clone pre-commit makes is a Git repository at the hook's rev; key
    # the build on that commit so a moved checkout (try-repo, local use) rebuilds.
    want=$(git -C "$hook_root" rev-parse HEAD 2>/dev/null || echo unknown)
    have=$(cat "$prefix/built-from" 2>/dev/null || true)
    if [[ ! -x $lint || $want != "$have" || $want == unknown ]]; then
        command -v cargo >/dev/null 2>&1 || {
            echo "pao-lint hook: cargo (Rust >= 1.85) is needed to build pao-lint; or set PAO_LINT" >&2
            exit 2
        }
        echo "pao-lint hook: building pao-lint (first run only)" >&2
        # A CARGO_TARGET_DIR from the environment is kept (and reused);
        # otherwise build in a temporary directory.
        target_dir=${CARGO_TARGET_DIR:-}
        if [[ -z $target_dir ]]; then
            target_dir=$(mktemp -d)
            trap 'rm -rf "$target_dir"' EXIT
        fi
        profile=()
        # PAO_HOOK_DEBUG=1: a debug build (seconds instead of minutes; the tests use it).
        [[ ${PAO_HOOK_DEBUG:-0} != 1 ]] || profile=(--debug)
        if ! CARGO_TARGET_DIR=$target_dir cargo install --quiet --locked --force "${profile[@]}" \
            --path "$hook_root/crates/pao_cli" --bin pao-lint --root "$prefix" >&2; then
            echo "pao-lint hook: cargo install failed" >&2
            exit 2
        fi
        printf '%s\n' "$want" >"$prefix/built-from"
    fi
fi

status=0
"$lint" "$@" || status=$?
case $status in
    0 | 1) exit "$status" ;;
    *) exit 2 ;;
esac
