#!/usr/bin/env bash
# End-to-end check of the PAO tools on the example catalog. Steps whose
# subcommand does not exist yet are skipped with a line saying so.
set -euo pipefail
export PAO_SCRIPT_NAME=integration-test.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/integration-test.sh [--keep] [REPO]

End to end, on the catalog repository REPO (default: the repository holding
this script):
  1. pao-lint on the whole catalog: no error expected
  2. pao-lint on each tests/invalid/*.yaml fixture placed in a copy of the
     catalog: errors expected (exit 1)
  3. pao vars test (template test cases)           if `pao vars` exists
  4. pao form preview, JSON for every catalog item, HTML for one
                                                   if `pao form` exists
  5. pao request submit + merge against a temporary state repository
                                                   if `pao request` exists
  6. the full path: submit, merge, pao request execute against a loopback
     REST target (python3 http.server), completed  if `pao request execute` exists
  7. the same inside the server: submit, merge, `pao serve --worker` completes it
A step whose subcommand is missing prints `SKIP <step>: <why>`; the script
grows with the tools.

Options:
  --keep       keep the temporary directory (printed) for inspection
  -h, --help   this help

Exit status: 0 every step that ran passed, 1 a step failed, 2 usage or tool
error (binaries cannot be built or found).
Environment: PAO_LINT, PAO_BIN (binaries to use), PAO_NO_BUILD=1.
USAGE
}

keep=0
repo=""
while (($#)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --keep) keep=1; shift ;;
        -*) pao_die "$PAO_EXIT_USAGE" "unknown option: $1 (see --help)" ;;
        *)
            [[ -z $repo ]] || pao_die "$PAO_EXIT_USAGE" "only one REPO may be given (see --help)"
            repo=$1; shift ;;
    esac
done
[[ -n $repo ]] || repo=$PAO_SCRIPTS_ROOT
top=$(pao_repo_toplevel "$repo")
[[ -d $top/catalog ]] || pao_die "$PAO_EXIT_USAGE" "no catalog/ directory in $top"
lint=$(pao_find_bin pao-lint)
pao=$(pao_find_bin pao)
command -v jq >/dev/null 2>&1 || pao_die "$PAO_EXIT_USAGE" "jq is needed"

work=$(mktemp -d "${TMPDIR:-/tmp}/pao-integration.XXXXXX")
if ((keep)); then
    echo "temporary files kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP $*"; }
step() { printf '\n== %s\n' "$*"; }

# `pao <sub> --help` succeeds only for subcommands that exist (clap: exit 2 otherwise).
has_subcommand() { "$pao" "$@" --help >/dev/null 2>&1; }

cd "$top"

# 1 ----------------------------------------------------------------------
step "1. pao-lint on the whole catalog"
status=0
"$lint" --format json . >"$work/lint.json" 2>"$work/lint.err" || status=$?
if [[ $status -eq 0 ]]; then
    ok "catalog lints clean ($(jq -r '.summary | "\(.files) files, \(.warnings) warnings"' "$work/lint.json"))"
elif [[ $status -eq 1 ]]; then
    fail "catalog has lint errors:"
    "$lint" . || true
else
    cat "$work/lint.err" >&2
    pao_die "$PAO_EXIT_USAGE" "pao-lint could not run (exit $status)"
fi

# 2 ----------------------------------------------------------------------
step "2. pao-lint finds the errors in tests/invalid/"
shopt -s nullglob
fixtures=("$top"/tests/invalid/*.yaml "$top"/tests/invalid/*.yml)
shopt -u nullglob
if ((${#fixtures[@]} == 0)); then
    skip "invalid fixtures: no tests/invalid/*.yaml in $top"
else
    pao_catalog_repo "$top" "$work/catalog"
    for fixture in "${fixtures[@]}"; do
        name=$(basename "$fixture")
        dest="$work/catalog/catalog/databases/$name"
        cp "$fixture" "$dest"
        status=0
        "$lint" --format json "$dest" >"$work/fixture.json" 2>"$work/fixture.err" || status=$?
        if [[ $status -eq 1 ]]; then
            ok "$name: $(jq -r '[.diagnostics[].code] | unique | join(" ")' "$work/fixture.json")"
        else
            fail "$name: pao-lint exit $status, expected 1 $(head -c 300 "$work/fixture.err")"
        fi
        rm -f "$dest"
    done
fi

# 3 ----------------------------------------------------------------------
step "3. template tests (pao vars test)"
if ! has_subcommand vars; then
    skip "template tests: \`pao vars\` does not exist yet (not in pao --help)"
elif ! has_subcommand vars test; then
    skip "template tests: \`pao vars test\` does not exist yet"
elif [[ ! -d $top/tests/vars ]]; then
    skip "template tests: no tests/vars/ directory in $top"
else
    status=0
    "$pao" vars test >"$work/vars.out" 2>&1 || status=$?
    if [[ $status -eq 0 ]]; then
        ok "pao vars test: $(tail -n 1 "$work/vars.out")"
    else
        fail "pao vars test exit $status:"
        cat "$work/vars.out"
    fi
fi

# 4 ----------------------------------------------------------------------
step "4. form preview (pao form preview)"
if ! has_subcommand form preview; then
    skip "form preview: \`pao form preview\` does not exist yet (not in pao --help)"
else
    previews=0 preview_failures=0 first_item=""
    while IFS= read -r -d '' item; do
        kind=$(sed -n 's/^kind:[[:space:]]*//p' "$item" | head -n 1)
        [[ $kind == CatalogItem ]] || continue
        [[ -n $first_item ]] || first_item=$item
        previews=$((previews + 1))
        status=0
        "$pao" form preview --format json "$item" >"$work/form.json" 2>"$work/form.err" || status=$?
        if [[ $status -ne 0 ]] || ! jq -e '(.form.groups | length) > 0 and all(.form.groups[]; (.fields | length) > 0)' \
            "$work/form.json" >/dev/null 2>&1; then
            preview_failures=$((preview_failures + 1))
            fail "form preview ${item#"$top"/}: exit $status $(head -c 300 "$work/form.err")"
        fi
    done < <(find catalog -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | LC_ALL=C sort -z)
    if ((previews > 0 && preview_failures == 0)); then
        ok "form preview --format json: $previews items, every group has fields"
    elif ((previews == 0)); then
        skip "form preview: no CatalogItem in catalog/"
    fi
    if [[ -n $first_item ]]; then
        status=0
        "$pao" form preview --format html "$first_item" >"$work/form.html" 2>"$work/form.err" || status=$?
        if [[ $status -eq 0 ]] && grep -qi '<html' "$work/form.html" && ! grep -qiE '<script[^>]+src=["'"'"']?https?:' "$work/form.html"; then
            ok "form preview --format html: ${first_item#"$top"/} is one self-contained page ($(wc -c <"$work/form.html") bytes)"
        else
            fail "form preview --format html ${first_item#"$top"/}: exit $status $(head -c 300 "$work/form.err")"
        fi
    fi
fi

# 5 ----------------------------------------------------------------------
step "5. request submit and merge (pao request)"
item=sqs-queue team=streaming resource=integration-queue
if ! has_subcommand request; then
    skip "request: \`pao request\` does not exist yet (not in pao --help)"
elif ! "$pao" request --help 2>/dev/null | grep -q -- '--state-repo'; then
    skip "request: \`pao request\` has no --state-repo option to point it at a temporary repository"
elif [[ ! -f $top/catalog/messaging/$item.yaml ]]; then
    skip "request: the example item $item is not in the catalog"
else
    [[ -d $work/catalog ]] || pao_catalog_repo "$top" "$work/catalog"
    state="$work/state"
    mkdir -p "$state"
    pao_git -C "$state" init -q
    echo "# desired state (written by pao)" >"$state/README.md"
    pao_git -C "$state" add README.md
    pao_git -C "$state" commit -q -m "state repository"
    printf 'queueName: integration-queue\nenvironment: dev\nfifo: false\n' >"$work/values.yaml"
    request=(request --state-repo "$state" --catalog-repo "$work/catalog")
    status=0
    PAO_USER=integration "$pao" "${request[@]}" submit --item "$item" --resource "$resource" --team "$team" \
        --values "$work/values.yaml" --json >"$work/submit.json" 2>"$work/submit.err" || status=$?
    id=$(jq -r '.request.id // empty' "$work/submit.json" 2>/dev/null || true)
    if [[ $status -ne 0 || -z $id ]]; then
        fail "request submit: exit $status $(head -c 500 "$work/submit.err")"
    else
        ok "request submit: $id, status $(jq -r '.request.status' "$work/submit.json")"
        file="requests/$team/$item/$resource.yaml"
        if git -C "$state" cat-file -e "pao/requests/$id:$file" 2>/dev/null; then
            ok "request branch pao/requests/$id holds $file"
        else
            fail "request branch pao/requests/$id has no $file"
        fi
        status=0
        PAO_USER=integration "$pao" "${request[@]}" merge "$id" >"$work/merge.out" 2>&1 || status=$?
        if [[ $status -eq 0 ]] && git -C "$state" cat-file -e "main:$file" 2>/dev/null; then
            ok "request merge: $file is on main"
        else
            fail "request merge: exit $status $(head -c 500 "$work/merge.out")"
        fi
    fi
fi

# 6 ----------------------------------------------------------------------
step "6. fulfilment: submit, merge, execute, completed (pao request execute)"
if ! "$pao" request execute --help >/dev/null 2>&1; then
    skip "fulfilment: \`pao request execute\` does not exist yet"
elif ! command -v python3 >/dev/null 2>&1; then
    skip "fulfilment: python3 (the loopback REST target) is not installed"
else
    target_log="$work/target.log"
    cat >"$work/target.py" <<'PY'
import http.server, json, sys
log = open(sys.argv[1], "a", buffering=1)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        log.write(json.dumps({"path": self.path, "key": self.headers.get("idempotency-key"), "body": body.decode()}) + "\n")
        out = json.dumps({"queue": {"url": "https://sqs.local/integration"}}).encode()
        self.send_response(201); self.send_header("content-type", "application/json"); self.end_headers(); self.wfile.write(out)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
    python3 "$work/target.py" "$target_log" >"$work/target.port" &
    target_pid=$!
    for _ in $(seq 50); do [[ -s $work/target.port ]] && break; sleep 0.1; done
    port=$(head -n1 "$work/target.port")
    fcat="$work/fulfil-catalog"
    mkdir -p "$fcat/catalog/messaging"
    cat >"$fcat/catalog/messaging/echo-queue.yaml" <<YAML
apiVersion: pao/v1
kind: CatalogItem
metadata:
  id: echo-queue
  name: Echo Queue
  description: A queue created through a REST call (integration test)
  version: 1.0.0
  category: messaging
  owner: { team: platform, contact: platform@example.com }
  lifecycle: { status: stable }
presentation:
  form:
    groups:
      - id: basic
        name: Basic
        fields:
          - { id: queueName, name: Queue Name, type: string, required: true }
fulfillment:
  strategy: automated
  automated:
    actions:
      - id: create_queue
        name: Create the queue
        type: rest-api
        retry: { maxAttempts: 2, backoffSeconds: 1 }
        config:
          method: POST
          url: "http://127.0.0.1:$port/queues"
          body: { name: "{{ fields.queueName }}" }
          expectStatus: [201]
          outputs: { url: /queue/url }
YAML
    pao_git -C "$fcat" init -q
    pao_git -C "$fcat" add -A
    pao_git -C "$fcat" commit -q -m "fulfilment catalog"
    printf 'queueName: integration-echo\n' >"$work/echo-values.yaml"
    freq=(request --state-repo "$fcat")
    status=0
    PAO_USER=integration "$pao" "${freq[@]}" submit --item echo-queue --resource echo --team platform \
        --values "$work/echo-values.yaml" --json >"$work/fsubmit.json" 2>"$work/fsubmit.err" || status=$?
    fid=$(jq -r '.request.id // empty' "$work/fsubmit.json" 2>/dev/null || true)
    if [[ $status -ne 0 || -z $fid ]]; then
        fail "fulfilment submit: exit $status $(head -c 500 "$work/fsubmit.err")"
    elif ! PAO_USER=integration "$pao" "${freq[@]}" merge "$fid" >"$work/fmerge.out" 2>&1; then
        fail "fulfilment merge: $(head -c 500 "$work/fmerge.out")"
    else
        status=0
        "$pao" "${freq[@]}" execute "$fid" --json >"$work/fexec.json" 2>"$work/fexec.err" || status=$?
        fstatus=$(jq -r '.status // empty' "$work/fexec.json" 2>/dev/null || true)
        if [[ $status -eq 0 && $fstatus == completed ]] && grep -q "\"key\": \"$fid.create_queue\"" "$target_log"; then
            ok "fulfilment: $fid completed; the target got one call with Idempotency-Key $fid.create_queue"
        else
            fail "fulfilment execute: exit $status, status '$fstatus' $(head -c 500 "$work/fexec.err")"
        fi
        if "$pao" "${freq[@]}" logs "$fid" | grep -q "create_queue: attempt 1 succeeded"; then
            ok "fulfilment: the log in refs/pao/fulfilment/$fid shows the attempt"
        else
            fail "fulfilment logs: no succeeded attempt"
        fi
    fi

    step "7. fulfilment inside the server: pao serve --worker completes a merged request"
    status=0
    PAO_USER=integration "$pao" "${freq[@]}" submit --item echo-queue --resource echo-served --team platform \
        --values "$work/echo-values.yaml" --json >"$work/ssubmit.json" 2>"$work/ssubmit.err" || status=$?
    sid=$(jq -r '.request.id // empty' "$work/ssubmit.json" 2>/dev/null || true)
    if [[ $status -ne 0 || -z $sid ]] || ! PAO_USER=integration "$pao" "${freq[@]}" merge "$sid" >"$work/smerge.out" 2>&1; then
        fail "serve --worker: submit or merge failed $(head -c 500 "$work/ssubmit.err" "$work/smerge.out" 2>/dev/null)"
    else
        sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        "$pao" serve --addr "127.0.0.1:$sport" --worker --state-repo "$fcat" >"$work/serve.out" 2>"$work/serve.err" &
        serve_pid=$!
        sstatus=""
        for _ in $(seq 100); do
            sstatus=$("$pao" "${freq[@]}" status "$sid" --json 2>/dev/null | jq -r '.status // .request.status // empty' 2>/dev/null || true)
            [[ $sstatus == completed ]] && break
            sleep 0.2
        done
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
        if [[ $sstatus == completed ]] && grep -q "\"key\": \"$sid.create_queue\"" "$target_log"; then
            ok "serve --worker: $sid completed by the server's worker loop"
        else
            fail "serve --worker: $sid is '$sstatus' after 20 s; server log: $(tail -c 800 "$work/serve.err")"
        fi
    fi
    kill "$target_pid" 2>/dev/null || true
fi

printf '\nintegration: %d passed, %d skipped, %d failed\n' "$passed" "$skipped" "$failed"
((failed == 0)) || exit "$PAO_EXIT_LINT"
exit "$PAO_EXIT_OK"
