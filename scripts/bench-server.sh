#!/usr/bin/env bash
# Load benchmark of `pao serve` on loopback with wrk (Debian's `wrk`): a 1,000-item catalog,
# 10,000 existing requests, then GET /catalog, GET /requests/{id}/status, GET /requests?team=
# and POST /requests at fixed concurrency, two servers on one state repository, and the RSS.
# Bounded in time (each phase runs for --seconds); never part of the test suite.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/bench-server.sh [--seconds N] [--requests N] [--items N] [--keep DIR] [--help]

  --seconds N    duration of each wrk phase (default 10)
  --requests N   existing requests to create before measuring (default 10000)
  --items N      catalog items (default 1000)
  --keep DIR     work in DIR and leave it (default: a temporary directory, removed)

Needs: wrk (apt-get install wrk), python3, git, and a release build of pao
(cargo build --release -p pao_cli). Prints one summary line per phase; docs/performance.md
records the numbers. Exit status: 0 when every phase ran and nothing was lost, 1 otherwise.
USAGE
}

SECONDS_PER_PHASE=10
REQUESTS=10000
ITEMS=1000
KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_PHASE="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --items) ITEMS="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "bench-server: wrk not found (apt-get install wrk)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAO="$ROOT/target/release/pao"
[ -x "$PAO" ] || { echo "bench-server: $PAO missing; run cargo build --release -p pao_cli" >&2; exit 2; }

if [ -n "$KEEP" ]; then WORK="$KEEP"; mkdir -p "$WORK"; else WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT; fi
LUA="$WORK/lua"
mkdir -p "$LUA"

# --- the repositories -----------------------------------------------------------------------
python3 "$ROOT/scripts/gen-catalog.py" --items "$ITEMS" --out "$WORK/catalog" >/dev/null
mkdir -p "$WORK/catalog/catalog/databases"
cp "$ROOT/crates/pao_orchestrator/tests/fixtures/pgsql.yaml" "$WORK/catalog/catalog/databases/pgsql.yaml"
TOKEN="bench-admin-token-$(date +%s)"
DIGEST=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
cat >> "$WORK/catalog/pao.toml" <<TOML

[auth]
admin-teams = ["platform"]
[[auth.tokens]]
sha256 = "$DIGEST"
user = "bench"
teams = ["platform"]

[server]
catalog-poll-seconds = 0
concurrency-limit = 2048
TOML
git -C "$WORK/catalog" init -q -b main
git -C "$WORK/catalog" add -A
git -C "$WORK/catalog" -c user.name=bench -c user.email=bench@example.com commit -qm catalog
rm -rf "$WORK/state.git"
git clone -q --bare "$WORK/catalog" "$WORK/state.git"

# The server's stdout goes to /dev/null: `PID=$(start_server ...)` would otherwise wait for the
# server to close the pipe, i.e. forever.
start_server() { # port logfile
  "$PAO" serve --state-repo "$WORK/state.git" --catalog-repo "$WORK/catalog" --catalog-rev main \
    --config "$WORK/catalog/pao.toml" --local --addr "127.0.0.1:$1" >/dev/null 2>"$2" &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/api/v1/health/ready" >/dev/null && { echo "$pid"; return; }
    sleep 0.2
  done
  echo "bench-server: the server on port $1 did not become ready" >&2; exit 1
}

# POST /requests with unique resources; counts statuses. Arguments: tag (keeps two runs apart).
cat > "$LUA/submit.lua" <<'LUA'
-- thread_id is a global: setup() sets it in each thread (a local here would shadow it, and
-- both threads would submit the same resources).
local counter, tag = 0, "a"
thread_id = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
function init(args)
  tag = args[1] or "a"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("PAO_BENCH_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
  accepted, other = 0, 0
end
function request()
  counter = counter + 1
  local team = "t" .. (counter % 10)
  local body = string.format('{"item":"pgsql","resource":"r-%s-%d-%d","team":"%s","values":{"instanceName":"db%d","size":"small","masterPassword":"bench-password"}}', tag, thread_id, counter, team, counter)
  return wrk.format("POST", "/api/v1/requests", nil, body)
end
function response(status)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
  io.write(string.format("RESULT accepted=%d other=%d seconds=%.2f rate=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
    a, o, summary.duration / 1e6, a / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA

cat > "$LUA/get.lua" <<'LUA'
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("PAO_BENCH_TOKEN")
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d rate=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA

export PAO_BENCH_TOKEN="$TOKEN"
PORT=18480
PID=$(start_server $PORT "$WORK/server1.log")
BASE="http://127.0.0.1:$PORT"

# --- 10,000 existing requests ---------------------------------------------------------------
echo "creating $REQUESTS requests..."
created=0
while [ "$created" -lt "$REQUESTS" ]; do
  out=$(wrk -t2 -c50 -d5s -s "$LUA/submit.lua" "$BASE" -- "seed$created" | grep RESULT)
  n=$(sed -E 's/.*accepted=([0-9]+).*/\1/' <<<"$out")
  created=$((created + n))
  echo "  $created"
done

phase() { # name concurrency path
  local out
  out=$(wrk -t2 -c"$2" -d"${SECONDS_PER_PHASE}s" --timeout 10s -s "$LUA/get.lua" "$BASE$3" | grep RESULT)
  echo "$1 (c=$2): ${out#RESULT }"
}

ID=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/requests?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
# Warm the index once (the first listing builds it from every ref).
time_first=$( { /usr/bin/time -f %e curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/requests?team=t3"; } 2>&1 )
echo "first GET /requests (index build over $created requests): ${time_first}s"
phase "GET /catalog" 100 "/api/v1/catalog"
phase "GET /requests/{id}/status" 100 "/api/v1/requests/$ID/status"
phase "GET /requests?team=t3" 10 "/api/v1/requests?team=t3"
phase "GET /requests?team=t3" 100 "/api/v1/requests?team=t3"
out=$(wrk -t2 -c100 -d"${SECONDS_PER_PHASE}s" --timeout 10s -s "$LUA/submit.lua" "$BASE" -- single | grep RESULT)
echo "POST /requests (c=100): ${out#RESULT }"
single=$(sed -E 's/.*accepted=([0-9]+).*/\1/' <<<"$out")
RSS1=$(ps -o rss= -p "$PID")

# --- two processes on one state repository --------------------------------------------------
PORT2=18481
PID2=$(start_server $PORT2 "$WORK/server2.log")
wrk -t1 -c50 -d"${SECONDS_PER_PHASE}s" --timeout 10s -s "$LUA/submit.lua" "$BASE" -- two-a | grep RESULT > "$WORK/two-a" &
wrk -t1 -c50 -d"${SECONDS_PER_PHASE}s" --timeout 10s -s "$LUA/submit.lua" "http://127.0.0.1:$PORT2" -- two-b | grep RESULT > "$WORK/two-b"
wait %%  2>/dev/null || true
sleep 1
a=$(sed -E 's/.*accepted=([0-9]+).*/\1/' "$WORK/two-a"); b=$(sed -E 's/.*accepted=([0-9]+).*/\1/' "$WORK/two-b")
echo "two servers POST /requests (c=50 each): A ${a} accepted, B ${b} accepted"
RSS2=$(ps -o rss= -p "$PID2")
RSS1=$(ps -o rss= -p "$PID")
kill "$PID" "$PID2"; wait "$PID" "$PID2" 2>/dev/null || true

# --- nothing lost ---------------------------------------------------------------------------
branches=$(git -C "$WORK/state.git" for-each-ref --format=x refs/heads/pao/requests/ | wc -l)
# wrk counts only the answers it read before its time ran out; the servers' access logs count
# every 202 they sent, those still in flight at wrk's end included. Each must be a branch.
expected=$(cat "$WORK/server1.log" "$WORK/server2.log" | grep -c '"route":"/api/v1/requests","status":202' || true)
# Every written submission logs `request submitted`, answered or not (a client that hung up at
# wrk's end leaves a `request abandoned` line instead of its 202).
logged=$(cat "$WORK/server1.log" "$WORK/server2.log" | grep -c '"message":"request submitted"' || true)
abandoned=$(cat "$WORK/server1.log" "$WORK/server2.log" | grep '"message":"request abandoned' | grep -c '"route":"/api/v1/requests"' || true)
echo "request branches: $branches (202 answers in the servers' logs: $expected; submissions logged: $logged; POST /requests abandoned by the client: $abandoned; counted by wrk: $((created + single + a + b)))"
fsck=ok
git -C "$WORK/state.git" fsck --strict --no-progress >/dev/null 2>&1 || fsck=FAILED
echo "git fsck --strict: $fsck"
echo "RSS after the run: server 1 $((RSS1 / 1024)) MiB, server 2 $((RSS2 / 1024)) MiB"
# Nothing lost: every 202 is a branch, and every branch was logged as submitted. More branches
# than 202s are submissions whose client went away before the answer (see the access logs).
if [ "$branches" -gt "$expected" ]; then
  echo "note: $((branches - expected)) branches whose submission was not answered 202 (the client had gone: $abandoned abandoned)"
fi
[ "$branches" -ge "$expected" ] && [ "$branches" -eq "$logged" ] && [ "$fsck" = ok ]
