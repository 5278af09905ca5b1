#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target (fuzz/fuzz_targets) for FUZZ_SECONDS seconds each, under
# a per-input time limit and a memory limit, FUZZ_JOBS targets at a time. Not part of `make test`.
#
# Seeds are read where they are (tests/data, fuzz/seeds, ../shared): libFuzzer writes only to
# the first corpus directory, fuzz/corpus/<target> (git-ignored), so nothing is copied into the
# project. Query seeds are the queries of tests/data/lang and the QA suite, one per file, also
# written under fuzz/corpus. Crashes, timeouts and OOMs land in fuzz/artifacts/<target>; each
# becomes a regression test in tests/fuzz_regressions.rs (see docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-2}
shared=${SHARED:-../shared}
all="query detect read_ndjson read_json read_csv read_xml read_evtx read_splunk read_container exceptions rule_toml session"
targets=${FUZZ_TARGETS:-$all}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# The seed directories of each target (missing ones are left out).
seeds() {
  local d=tests/data/input s=$shared/fixtures
  case $1 in
    query) echo fuzz/corpus/query-seeds ;;
    detect|session) echo $d $s/evtx $s/winlogbeat $s/elastic-integrations ;;
    read_ndjson) echo $d/ndjson $d/winlogbeat-raw $d/nxlog $d/chainsaw $d/evtx-dump $s/elastic-integrations ;;
    read_json) echo $d/json $d/sentinel $d/mde $d/evtx-dump $s/winlogbeat ;;
    read_csv) echo $d/kibana-csv $d/evtxecmd $d/hayabusa $d/sentinel $d/splunk ;;
    read_xml) echo $d/windows-xml ;;
    read_evtx) echo $s/evtx ;;
    read_splunk) echo $d/splunk ;;
    read_container) echo $s/otrf $d/ndjson ;;
    exceptions) echo fuzz/seeds/exceptions ;;
    rule_toml) echo tests/data/rules $s/rules ;;
  esac
}

# Query seeds: every query string of the language corpus and the QA suite, one per file.
mkdir -p fuzz/corpus/query-seeds
python3 - "$shared" <<'PY'
import pathlib, sys, tomllib, hashlib
out = pathlib.Path("fuzz/corpus/query-seeds")
files = list(pathlib.Path("tests/data/lang").glob("*.toml"))
files += list(pathlib.Path(sys.argv[1], "conformance/elasticsearch-eql").glob("*.toml"))
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "query" and isinstance(x, str):
                yield x
            else:
                yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
n = 0
for f in files:
    try:
        doc = tomllib.loads(f.read_text())
    except Exception:
        continue
    for q in walk(doc):
        (out / hashlib.sha1(q.encode()).hexdigest()[:16]).write_text(q)
        n += 1
print(f"fuzz: {n} query seeds", file=sys.stderr)
PY

(cd fuzz && cargo +nightly fuzz build -O)
mkdir -p fuzz/logs
run() {
  local t=$1 dirs=()
  for d in $(seeds "$t"); do [ -d "$d" ] && dirs+=("$d"); done
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" "${dirs[@]/#/../}" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1) >"fuzz/logs/$t.log" 2>&1
  local rc=$?
  echo "fuzz: $t exit $rc: $(grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "fuzz/logs/$t.log" | tail -1)"
  return $rc
}
export -f run seeds
export seconds shared
status=0
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run {}' || status=1
ls fuzz/artifacts/*/ 2>/dev/null | grep -v ':$' | grep . && { echo "fuzz: findings in fuzz/artifacts"; status=1; }
exit $status
