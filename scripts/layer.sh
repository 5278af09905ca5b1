#!/usr/bin/env bash
# Runs one test layer, keeps its output in test-results/layers/<name>.log, and refuses to call it a
# pass unless the runner's own closing lines say that at least one test ran and none failed.
#   scripts/layer.sh <name> <cargo|node> <command...>
# The counts go to test-results/layers/<name>.counts ("passed failed skipped") for summary.sh.
set -uo pipefail
name=$1 kind=$2
shift 2
dir=test-results/layers
mkdir -p "$dir"
log=$dir/$name.log
echo "==> [$name] $*"
# Tests clean up after themselves: what a layer leaves in the temp dir fails it.
tmp=${TMPDIR:-/tmp}
leftovers() { find "$tmp" -maxdepth 1 -name 'eqlite-*' 2>/dev/null | sort; }
before=$(leftovers)
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
left=$(comm -13 <(echo "$before") <(leftovers) | grep . || true)

case $kind in
  cargo)
    # libtest and wasm-bindgen-test-runner both close each binary with
    # "test result: ok. N passed; M failed; K ignored; ..."
    read -r passed failed skipped < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
      /test result: / {
        for (i = 1; i <= NF; i++) {
          if ($(i+1) ~ /^passed;?/) p += $i
          if ($(i+1) ~ /^failed;?/) f += $i
          if ($(i+1) ~ /^ignored;?/) s += $i
        }
      }
      END { print p+0, f+0, s+0 }')
    ;;
  node)
    # node --test closes with "# pass N" (tap) or "ℹ pass N" (spec reporter) lines.
    read -r passed failed skipped < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
      $1 ~ /^(#|ℹ)$/ && $2 == "pass" { p = $3 }
      $1 ~ /^(#|ℹ)$/ && ($2 == "fail" || $2 == "cancelled") { f += $3 }
      $1 ~ /^(#|ℹ)$/ && ($2 == "skipped" || $2 == "todo") { s += $3 }
      END { print p+0, f+0, s+0 }')
    ;;
  *)
    echo "layer.sh: unknown kind $kind" >&2
    exit 2
    ;;
esac

echo "$passed $failed $skipped" > "$dir/$name.counts"
echo "==> [$name] exit $status: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "==> [$name] FAILED" >&2
  exit 1
fi
if [ -n "$left" ]; then
  echo "==> [$name] FAILED: the tests left these in $tmp:" >&2
  echo "$left" >&2
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "==> [$name] FAILED: this layer ran zero tests (a runner that finds nothing must not pass)" >&2
  exit 1
fi
if [ "$skipped" -ne 0 ]; then
  echo "==> [$name] note: $skipped skipped; each skip prints its reason in $log"
fi
