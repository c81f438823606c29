#!/usr/bin/env bash
# Run template test cases (`pao vars test`): render catalog items with the values of
# each case file and compare the result with the case's expectations.
set -euo pipefail
export PAO_SCRIPT_NAME=test-template.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/test-template.sh [PATH ...]

Run the template test cases in PATH (case files, or directories searched for
*.yaml / *.yml). Without PATH: tests/vars/ of the Git repository of the current
directory if it has a catalog/, else of the repository holding this script.
Works from any directory; relative PATHs are relative to the current directory.

Each case renders an item (deterministically: fixed system.*, secrets as ***)
and checks values at JSON Pointers, or an expected error. Mismatches are shown
as a diff. The case-file format is described in docs/template-testing.md.

Options:
  -h, --help       this help

Exit status: 0 all cases passed, 1 a case failed, 2 usage or tool error.
Environment: PAO_BIN (the pao binary to use), PAO_NO_BUILD=1 (do not run
cargo build; use target/{release,debug}/pao or pao on PATH).
USAGE
}

paths=()
while (($#)); do
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --)
            shift
            paths+=("$@")
            break
            ;;
        -*) pao_die "$PAO_EXIT_USAGE" "unknown option: $1 (see --help)" ;;
        *)
            paths+=("$1")
            shift
            ;;
    esac
done

if ((${#paths[@]} == 0)); then
    repo=$(pao_default_repo)
    [[ -d $repo/tests/vars ]] || pao_die "$PAO_EXIT_USAGE" "no tests/vars directory in $repo"
    paths=("$repo/tests/vars")
fi

pao=$(pao_find_bin pao) || exit "$PAO_EXIT_USAGE"
status=0
"$pao" vars test "${paths[@]}" || status=$?
case $status in
    0 | 1) exit "$status" ;;
    *) exit "$PAO_EXIT_USAGE" ;;
esac
