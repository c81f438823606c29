#!/usr/bin/env bash
# Builds PAO's fuzz targets (fuzz/, cargo-fuzz on the nightly toolchain) and runs each for a
# bounded time on a corpus seeded from the repository. Fails on any crash, hang, leak or
# out-of-memory; the input that caused it is kept under fuzz/artifacts/<target>/ and printed.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/fuzz.sh [--seconds N | --budget N] [--jobs N] [TARGET...]

Builds the fuzz targets in fuzz/ and runs each (all of them when none is named) for N seconds
(default: $PAO_FUZZ_SECONDS, else 45), one after the other, or --jobs N at a time.
--budget N: the whole step (build included) should take about N seconds: what the build leaves
is shared out among the targets, at least 10 seconds each (what CI runs: --budget 480).
  yaml               the YAML loader: fast path and saphyr-parser agree where both answer
  template           one template string: static check and render
  template_document  a whole catalog document: check_document, dry run, execution render
  form               the form validator on an item's form and request values
  config             pao.toml parsing and what the linter builds from it
  names              request names, resource keys and paths, identity trailers
  request            the request file: read back as written, written as read

Needs the nightly toolchain (rustup) and cargo-fuzz; cargo-fuzz is installed from crates.io
(`cargo install cargo-fuzz --locked`) when missing. Without a nightly toolchain nothing is
fuzzed: the script says so and exits 0 (3 with --require-nightly). Seeds: scripts/fuzz-seeds.py.
Fuzz builds go to fuzz/target (CARGO_TARGET_DIR is set to it).
Exit status: 0 when no target crashed, 1 when one did, 2 on a usage or build error.
USAGE
}

targets_all=(yaml template template_document form config names request)
seconds="${PAO_FUZZ_SECONDS:-45}"
budget=
require_nightly=false
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --seconds) [ $# -ge 2 ] || { usage >&2; exit 2; }; seconds="$2"; shift 2 ;;
    --jobs) [ $# -ge 2 ] || { usage >&2; exit 2; }; jobs="$2"; shift 2 ;;
    --budget) [ $# -ge 2 ] || { usage >&2; exit 2; }; budget="$2"; shift 2 ;;
    --require-nightly) require_nightly=true; shift ;;
    -*) usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz: --seconds must be a positive number" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "fuzz: --jobs must be a positive number" >&2; exit 2; }
[[ -z $budget || ( $budget =~ ^[0-9]+$ && $budget -gt 0 ) ]] || { echo "fuzz: --budget must be a positive number" >&2; exit 2; }
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
for target in "${targets[@]}"; do
  [[ " ${targets_all[*]} " == *" $target "* ]] || { echo "fuzz: unknown target $target" >&2; usage >&2; exit 2; }
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS

rustup toolchain list 2>/dev/null | grep -q '^nightly' || {
  echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain list), so nothing was fuzzed; install one with rustup toolchain install nightly" >&2
  if $require_nightly; then exit 3; fi
  exit 0
}
export CARGO_TARGET_DIR="$PWD/fuzz/target"
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked --quiet || { echo "fuzz: cargo install cargo-fuzz failed" >&2; exit 2; }
fi

python3 scripts/fuzz-seeds.py || { echo "fuzz: writing the seed corpora failed" >&2; exit 2; }

# Debug assertions and overflow checks on (cargo-fuzz's default), AddressSanitizer on;
# 16 codegen units keep the build within CI's budget at a small cost in speed.
logs=$(mktemp -d "${TMPDIR:-/tmp}/pao-fuzz.XXXXXX")
trap 'rm -rf "$logs"' EXIT
echo "fuzz: building every target"
if ! (cd fuzz && cargo +nightly fuzz build --codegen-units 16) >"$logs/build.log" 2>&1; then
  tail -n 60 "$logs/build.log" >&2
  echo "fuzz: build failed" >&2
  exit 2
fi
echo "fuzz: built in $((SECONDS - started))s"
if [ -n "$budget" ]; then
  left=$((budget - (SECONDS - started)))
  seconds=$(( left / ((${#targets[@]} + jobs - 1) / jobs) ))
  [ "$seconds" -ge 10 ] || seconds=10
  echo "fuzz: ${left}s of the ${budget}s budget left: ${seconds}s per target"
fi
# Artifacts newer than this file are this run's.
touch "$logs/start"

# run TARGET: fuzz it for $seconds; its log goes to $logs/TARGET.log, its status to .rc.
run() {
  local target=$1 rc=0
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  (cd fuzz && cargo +nightly fuzz run --codegen-units 16 "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1) >"$logs/$target.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$target.rc"
}

# Runs at most $jobs targets at once.
pids=()
for target in "${targets[@]}"; do
  run "$target" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done

failed=()
for target in "${targets[@]}"; do
  rc=$(cat "$logs/$target.rc")
  # (A log without these lines, as a crash's may be, is no error of the script's.)
  stats=$(grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$logs/$target.log" | tr -s ' \n' ' ' || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$logs/$target.log" | tail -n 1 || true)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz: $target: ok for ${seconds}s ($cov; $stats)"
  else
    failed+=("$target")
    echo "fuzz: $target: FAILED (exit $rc) — the end of its log:"
    tail -n 60 "$logs/$target.log" | sed 's/^/  | /'
    find "fuzz/artifacts/$target" -type f -newer "$logs/start" | while read -r artifact; do
      echo "fuzz: $target: artifact $artifact ($(wc -c <"$artifact") bytes), base64:"
      head -c 4096 "$artifact" | base64 | sed 's/^/  | /'
    done
  fi
done
echo "fuzz: done in $((SECONDS - started))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]}; reproduce with: cd fuzz && cargo +nightly fuzz run TARGET artifacts/TARGET/FILE" >&2
  exit 1
fi
