#!/usr/bin/env bash
# Lint the catalog files changed against a base revision.
set -euo pipefail
export PAO_SCRIPT_NAME=validate-changed.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/validate-changed.sh [--base REV] [--format FMT] [--config FILE] [REPO]

Lint the catalog files changed since REV (committed, staged, unstaged and
untracked changes all count), with `pao-lint --changed-since REV`: only the
changed files are reported on, cross-file rules still see the whole catalog,
and each changed item must bump its version (MAJOR for a breaking form change).

Without --base: origin/main, else main, else HEAD~1 (a line says which one
was used). With no such revision at all (a repository with one commit) the
whole catalog is linted.

Without REPO: the Git repository of the current directory if it has a
catalog/ directory, else the repository holding this script.

Options:
  --base REV       the revision to compare with (a branch, tag or commit)
  --format FMT     human (default), json, sarif or github
  --config FILE    pao.toml to use (default: REPO/pao.toml if present)
  -h, --help       this help

Exit status: 0 no error (warnings allowed), 1 lint errors, 2 usage or tool
error (including a --base that does not exist).
Environment: PAO_LINT (binary to use), PAO_NO_BUILD=1 (do not run cargo build).
USAGE
}

args=()
repo=""
base=""
while (($#)); do
    pao_lint_option args "$@"
    if ((PAO_TAKEN)); then
        shift "$PAO_TAKEN"
        continue
    fi
    case $1 in
        -h | --help) usage; exit 0 ;;
        --base)
            (($# >= 2)) || pao_die "$PAO_EXIT_USAGE" "$1 needs a value (see --help)"
            base=$2; shift 2 ;;
        --base=*) base=${1#--base=}; shift ;;
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

has_rev() { git rev-parse --verify --quiet "$1^{commit}" >/dev/null; }

if [[ -n $base ]]; then
    has_rev "$base" || pao_die "$PAO_EXIT_USAGE" "no such revision: $base (fetch it first, e.g. git fetch origin main)"
else
    for candidate in origin/main main HEAD~1; do
        if has_rev "$candidate"; then
            base=$candidate
            break
        fi
        pao_log "no revision $candidate"
    done
    if [[ -n $base ]]; then
        pao_log "comparing with $base"
    fi
fi

status=0
if [[ -z $base ]]; then
    pao_log "no base revision at all: linting the whole catalog"
    PAO_LINT=$lint pao_run_lint "${args[@]}" . || status=$?
else
    PAO_LINT=$lint pao_run_lint --changed-since "$base" "${args[@]}" . || status=$?
fi
exit "$status"
