#!/usr/bin/env bash
# Lint a whole catalog repository with pao-lint.
set -euo pipefail
export PAO_SCRIPT_NAME=validate-all.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/validate-all.sh [--format FMT] [--config FILE] [REPO]

Lint every catalog document (catalog/**/*.yaml, *.yml) of the catalog
repository REPO. Without REPO: the Git repository of the current directory
if it has a catalog/ directory, else the repository holding this script.

Options:
  --format FMT     human (default), json, sarif or github
  --config FILE    pao.toml to use (default: REPO/pao.toml if present)
  -h, --help       this help

Exit status: 0 no error (warnings allowed), 1 lint errors, 2 usage or tool error.
Environment: PAO_LINT (binary to use), PAO_NO_BUILD=1 (do not run cargo build).
USAGE
}

args=()
repo=""
while (($#)); do
    pao_lint_option args "$@"
    if ((PAO_TAKEN)); then
        shift "$PAO_TAKEN"
        continue
    fi
    case $1 in
        -h | --help) usage; exit 0 ;;
        -*) pao_die "$PAO_EXIT_USAGE" "unknown option: $1 (see --help)" ;;
        *)
            [[ -z $repo ]] || pao_die "$PAO_EXIT_USAGE" "only one REPO may be given (see --help)"
            repo=$1; shift ;;
    esac
done
top=$(pao_catalog_top "$repo")
pao_absolute_config args
lint=$(pao_find_bin pao-lint)
cd "$top"
status=0
PAO_LINT=$lint pao_run_lint "${args[@]}" . || status=$?
exit "$status"
