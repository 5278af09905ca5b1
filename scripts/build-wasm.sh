#!/usr/bin/env bash
# Builds the npm package's generated half, pkg/dist/, from the crate:
#   cargo build (wasm32, release) -> wasm-bindgen --target web    -> pkg/dist/eqlite.js + eqlite_bg.wasm
#                                 -> wasm-bindgen --target nodejs -> pkg/dist/eqlite.cjs (CommonJS glue)
#                                 -> optional wasm-opt from npm binaryen (never Debian's: toolchain trap 1)
# Both glues load the same eqlite_bg.wasm (wasm-bindgen emits byte-identical modules for both
# targets; checked below rather than assumed).
# Env: WASM_OPT=0 skips wasm-opt; PROFILE=dev builds unoptimised (faster, bigger).
set -euo pipefail
cd "$(dirname "$0")/.."

target=wasm32-unknown-unknown
profile=${PROFILE:-release}
out=pkg/dist

# The CLI must speak the same schema as the crate, or wasm-bindgen fails later with a
# cryptic "schema version" error: compare with the version Cargo.lock pins.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ -z "$want" ]; then
  echo "build-wasm: wasm-bindgen is not in Cargo.lock" >&2
  exit 1
fi
if [ "$have" != "$want" ]; then
  echo "build-wasm: wasm-bindgen CLI is '${have:-missing}', Cargo.lock has $want. Install it with:" >&2
  echo "  cargo install wasm-bindgen-cli --version =$want" >&2
  exit 1
fi

if [ "$profile" = release ]; then
  cargo build --lib --release --target "$target"
  wasm=target/$target/release/eqlite.wasm
else
  cargo build --lib --target "$target"
  wasm=target/$target/debug/eqlite.wasm
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --out-dir "$tmp/web" --out-name eqlite "$wasm"
wasm-bindgen --target nodejs --out-dir "$tmp/node" --out-name eqlite "$wasm"
if ! cmp -s "$tmp/web/eqlite_bg.wasm" "$tmp/node/eqlite_bg.wasm"; then
  echo "build-wasm: the web and nodejs targets produced different .wasm files; pkg/ assumes one" >&2
  exit 1
fi

if [ "${WASM_OPT:-1}" != 0 ] && [ "$profile" = release ] && [ -x node_modules/.bin/wasm-opt ]; then
  # npm binaryen 132 understands the features Rust 1.95 enables by default (reference types,
  # bulk memory, ...); --detect-features reads them from the module itself.
  node_modules/.bin/wasm-opt -O --detect-features --strip-debug \
    "$tmp/web/eqlite_bg.wasm" -o "$tmp/web/eqlite_bg.opt.wasm"
  mv "$tmp/web/eqlite_bg.opt.wasm" "$tmp/web/eqlite_bg.wasm"
fi

rm -rf "$out"
mkdir -p "$out"
cp "$tmp/web/eqlite.js" "$tmp/web/eqlite.d.ts" "$tmp/web/eqlite_bg.wasm" "$out/"
# --target nodejs emits CommonJS; pkg/ is "type": "module", so it must be .cjs (toolchain trap 7).
cp "$tmp/node/eqlite.js" "$out/eqlite.cjs"
cp "$tmp/node/eqlite.d.ts" "$out/eqlite.d.cts"
echo "build-wasm: $out/ ($(wc -c < "$out/eqlite_bg.wasm") bytes of wasm)"
