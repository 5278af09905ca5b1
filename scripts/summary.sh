#!/usr/bin/env bash
# Prints each layer's counts from test-results/layers/*.counts, then one closing line in the plain
# "N passed, N failed, N skipped" form.
set -euo pipefail
dir=test-results/layers
total_p=0 total_f=0 total_s=0
echo "==> test layers"
for layer in "$@"; do
  if [ ! -f "$dir/$layer.counts" ]; then
    echo "summary: layer $layer did not run" >&2
    exit 1
  fi
  read -r p f s < "$dir/$layer.counts"
  printf '    %-10s %5d passed %3d failed %3d skipped\n' "$layer" "$p" "$f" "$s"
  total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
done
echo "total: $total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
