#!/usr/bin/env bash
# Throughput of every eqlite path side by side in one run (issue 10), each the median of
# BENCH_RUNS runs (default 3), with the issue's goal next to each ratio. Not part of `make test`.
#
#   scripts/bench.sh                 100,000 generated winlogbeat events (about 300 MB)
#   BENCH_EVENTS=20000 scripts/bench.sh   a quicker run
#
# Needs: cargo, python3, node (+ `npm ci`), a built pkg/dist/ (`make build-wasm`; built here when
# missing), /usr/bin/chromium for the page row (skipped without it), ../shared/fixtures/evtx for
# the EVTX row, and `pip install eql==1.0.1` for the Python row (skipped with the reason otherwise).
# Method and recorded figures: docs/bench.md.
set -euo pipefail
cd "$(dirname "$0")/.."

events=${BENCH_EVENTS:-100000}
runs=${BENCH_RUNS:-3}
shared=${EQLITE_SHARED:-../shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/eqlite-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

rule_eql='sequence by winlog.computer_name, winlog.event_data.TaskName with maxspan=5m [iam where event.action == "scheduled-task-created" and not wildcard(user.name, "*$")] [iam where event.action == "scheduled-task-deleted" and not wildcard(user.name, "*$")]'
noliteral='sequence by winlog.computer_name with maxspan=1m [iam where winlog.event_id in ("4672", "4798")] [authentication where winlog.event_id != "4625"]'

echo "building (release) ..." >&2
cargo build --release --quiet --bin eqlite --example evtx-json
eqlite=target/release/eqlite
evtx_json=target/release/examples/evtx-json
if [ ! -f pkg/dist/eqlite_bg.wasm ]; then
  scripts/build-wasm.sh >&2
fi

echo "generating $events events ..." >&2
python3 scripts/bench-gen.py ndjson "$events" "$work/events.ndjson"
python3 scripts/bench-gen.py search "$(( events / 3 ))" "$work/search.json"
ln -s events.ndjson "$work/events.jsonl" # Python eql picks its reader by extension
bytes=$(stat -c %s "$work/events.ndjson")
search_bytes=$(stat -c %s "$work/search.json")
cat "$work/events.ndjson" > /dev/null # into the page cache

# median_seconds CMD...: runs CMD $runs times, prints the median wall time in seconds.
median_seconds() {
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# median_reported CMD...: like median_seconds, with the seconds the command prints itself
# (`seconds=S`; start-up such as loading Chromium is left out).
median_reported() {
  local times=()
  for _ in $(seq "$runs"); do
    times+=("$("$@" 2>/dev/null | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' | head -1)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

mbs() { echo "scale=1; $1 / 1000000 / $2" | bc -l; }
ratio() { echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./'; }
row() { printf '%-44s %9s MB/s  %8sx %s\n' "$1" "$2" "$3" "$4"; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "input: $events events, $(( bytes / 1000000 )) MB of NDJSON; median of $runs runs"
echo
printf '%-44s %14s  %9s %s\n' path throughput "vs split" goal

t_split=$(median_seconds sh -c "wc -l < '$work/events.ndjson'")
split=$(mbs "$bytes" "$t_split")
row "line split (wc -l)" "$split" 1 ""

t_rule=$(median_seconds "$eqlite" run "$work/events.ndjson")
row "CLI, built-in rule" "$(mbs "$bytes" "$t_rule")" "$(ratio "$t_split" "$t_rule")" "(goal >= 0.5x)"

t_noliteral=$(median_seconds "$eqlite" run --query "$noliteral" "$work/events.ndjson")
row "CLI, no-literal query" "$(mbs "$bytes" "$t_noliteral")" "$(ratio "$t_split" "$t_noliteral")" "(goal >= 0.15x)"

t_wasm=$(median_reported node scripts/bench-wasm.mjs "$work/events.ndjson")
row "WASM in Node, Correlator({}), 1 MiB chunks" "$(mbs "$bytes" "$t_wasm")" "$(ratio "$t_split" "$t_wasm")" "(goal >= 0.25x)"

if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -d node_modules/playwright-core ]; then
  t_page=$(median_reported node scripts/bench-page.mjs "$work/events.ndjson")
  if [ -n "$t_page" ]; then
    row "page, headless Chromium" "$(mbs "$bytes" "$t_page")" "$(ratio "$t_split" "$t_page")" \
      "($(ratio "$t_wasm" "$t_page")x WASM in Node; goal >= 0.8x)"
  else
    echo "page, headless Chromium: failed (run node scripts/bench-page.mjs FILE to see why)"
  fi
else
  echo "page, headless Chromium: skipped (no Chromium at ${CHROMIUM:-/usr/bin/chromium} or no node_modules/playwright-core: npm ci)"
fi

if python3 -c 'import eql, sys; sys.exit(eql.__version__ != "1.0.1")' 2>/dev/null; then
  echo '{"event_type_field": "event.category", "timestamp_field": "@timestamp"}' > "$work/eql.json"
  t_py=$(median_seconds python3 -m eql -c "$work/eql.json" query -f "$work/events.jsonl" "$rule_eql")
  row "Python eql 1.0.1, the rule" "$(mbs "$bytes" "$t_py")" "$(ratio "$t_split" "$t_py")" \
    "(CLI rule is $(ratio "$t_py" "$t_rule")x Python; goal >= 17x)"
else
  echo "Python eql 1.0.1: skipped ($(python3 -c 'import eql; print("eql", eql.__version__, "installed, not 1.0.1")' 2>/dev/null || echo "not installed: pip install eql==1.0.1"))"
fi

echo
# A single-line _search response: time and peak memory (goal: at most 64 MiB).
/usr/bin/time -o "$work/peak" -f '%M' "$eqlite" run "$work/search.json" > /dev/null 2>&1 || true
peak=$(tail -1 "$work/peak")
t_search=$(median_seconds "$eqlite" run "$work/search.json")
printf '%-44s %9s MB/s  peak RSS %s MiB (goal <= 64 MiB), %d MB input\n' "CLI, single-line _search response" \
  "$(mbs "$search_bytes" "$t_search")" "$(( peak / 1024 ))" "$(( search_bytes / 1000000 ))"

# EVTX: the shared fixtures, copied until there is a few tens of MB, against the evtx crate's
# own JSON serialisation of the same files (events per second).
if compgen -G "$shared/fixtures/evtx/*.evtx" > /dev/null; then
  mkdir "$work/evtx"
  for i in $(seq 60); do
    for f in "$shared"/fixtures/evtx/*.evtx; do cp "$f" "$work/evtx/$i-$(basename "$f")"; done
  done
  records=$("$evtx_json" "$work/evtx" | sed -n 's/records=\([0-9]*\).*/\1/p')
  t_crate=$(median_reported "$evtx_json" "$work/evtx")
  t_evtx=$(median_seconds "$eqlite" run "$work/evtx")
  printf '%-44s %9.0f events/s  %8sx the evtx crate (%.0f events/s; goal >= 1.0x)\n' \
    "CLI, EVTX ($records records, $(du -sm "$work/evtx" | cut -f1) MB)" \
    "$(echo "$records / $t_evtx" | bc -l)" "$(ratio "$t_crate" "$t_evtx")" "$(echo "$records / $t_crate" | bc -l)"
else
  echo "EVTX: skipped (no .evtx fixtures under $shared/fixtures/evtx)"
fi
