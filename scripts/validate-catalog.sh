#!/usr/bin/env bash
# Lint one catalog file or directory (or several) with pao-lint.
set -euo pipefail
export PAO_SCRIPT_NAME=validate-catalog.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/validate-catalog.sh [--format FMT] [--config FILE] PATH...

Lint the named catalog files or directories with pao-lint. Diagnostics are
reported for these paths only; cross-file rules (unique ids, bundle
references, CODEOWNERS) still see the whole catalog of the Git repository
that holds them. Relative paths are taken from the current directory.

Options:
  --format FMT     human (default), json, sarif or github
  --config FILE    pao.toml to use (default: the repository's pao.toml)
  -h, --help       this help

Exit status: 0 no error (warnings allowed), 1 lint errors, 2 usage or tool error.
Environment: PAO_LINT (binary to use), PAO_NO_BUILD=1 (do not run cargo build).
USAGE
}

args=()
paths=()
while (($#)); do
    pao_lint_option args "$@"
    if ((PAO_TAKEN)); then
        shift "$PAO_TAKEN"
        continue
    fi
    case $1 in
        -h | --help) usage; exit 0 ;;
        --) shift; paths+=("$@"); break ;;
        -*) pao_die "$PAO_EXIT_USAGE" "unknown option: $1 (see --help)" ;;
        *) paths+=("$1"); shift ;;
    esac
done
((${#paths[@]})) || { usage >&2; exit "$PAO_EXIT_USAGE"; }
for p in "${paths[@]}"; do
    [[ -e $p ]] || pao_die "$PAO_EXIT_USAGE" "no such file or directory: $p"
done

status=0
pao_run_lint "${args[@]}" "${paths[@]}" || status=$?
exit "$status"
