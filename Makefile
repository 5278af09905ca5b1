# eqlite: the only set-up a newcomer needs (see README.md).
#
#   make serve   install what is missing, build the wasm package, serve the page on
#                http://127.0.0.1:8080/ (PORT=... to change)
#   make test    install what is missing (Chromium included), then every check and test layer;
#                fails if any layer ran zero tests
#   make test-memory  only issue 10's memory goals at the sizes it names (300 MB NDJSON, 200 MB
#                _search response, streamed; release build); make test runs it as a layer
#   make fuzz    coverage-guided fuzzing of every parser, FUZZ_SECONDS (600) per target
#   make build   only build: the native binary and pkg/dist/ (the npm package's generated half)
#
# Installs need: rustup, cargo, node >= 20 + npm; root (or sudo) for apt-get (Chromium, tests only).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN):$(PATH)

WASM_TARGET := wasm32-unknown-unknown
# The wasm-bindgen CLI must be exactly the crate's version (toolchain.md), read from Cargo.lock.
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
# Browser tests (headless Chromium) are the page's; every other tests/js file runs in plain Node.
BROWSER_TESTS := tests/js/browser.test.mjs $(wildcard tests/js/triage*.test.mjs)
JS_TESTS := $(filter-out $(BROWSER_TESTS),$(wildcard tests/js/*.test.mjs))
LAYERS := native wasm js browser memory
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help serve test build build-native build-wasm \
        tools tools-rust tools-node tools-browser check test-native test-wasm test-js test-browser fuzz \
        test-memory

help:
	@sed -n '1,/^$$/p' Makefile

## ---- user-facing -------------------------------------------------------------------------------

serve: build-wasm
	node scripts/serve.js

test: tools tools-browser
	rm -rf test-results/layers
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory test-native test-wasm
	$(MAKE) --no-print-directory build-wasm
	$(MAKE) --no-print-directory test-js test-browser
	$(MAKE) --no-print-directory test-memory
	scripts/summary.sh $(LAYERS)

# Coverage-guided fuzzing (nightly + cargo-fuzz, installed if missing), FUZZ_SECONDS per target
# (default 600), FUZZ_JOBS at a time; FUZZ_TARGETS picks some. Not part of `make test`.
fuzz:
	scripts/fuzz.sh

build: build-native build-wasm

## ---- building ----------------------------------------------------------------------------------

build-native:
	cargo build --release --bin eqlite
	@echo "native binary: target/release/eqlite"

build-wasm: tools
	scripts/build-wasm.sh

## ---- installing what is missing (each step is a no-op when already there) ----------------------

tools: tools-rust tools-node

tools-rust:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)
	@cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ] \
	  || ! command -v wasm-bindgen-test-runner >/dev/null; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 2 minutes)"; \
	  cargo install wasm-bindgen-cli --version =$(WASM_BINDGEN_VERSION); \
	fi

# `npm ci` only when the lock file changed since the last install.
tools-node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 or newer first" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

# Debian's Chromium for the browser tests (Playwright's own browser downloads are not used).
tools-browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing Debian chromium + chromium-driver"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi

## ---- checks and test layers --------------------------------------------------------------------

check:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target $(WASM_TARGET) --lib --tests -- -D warnings
	RUSTDOCFLAGS="-D rustdoc::broken_intra_doc_links" cargo doc --no-deps --lib

test-native:
	scripts/layer.sh native cargo cargo test

# Native peak RSS at issue 10's sizes (300 MB NDJSON, 200 MB single-line _search response,
# streamed into a release binary; test-native runs the same tests on 40 MB in debug).
test-memory:
	scripts/layer.sh memory cargo cargo test --release --test integration cli_peak_memory -- --nocapture

# Runs #[wasm_bindgen_test]s in Node through wasm-bindgen-test-runner (.cargo/config.toml).
test-wasm:
	scripts/layer.sh wasm cargo cargo test --target $(WASM_TARGET) --test wasm

test-js:
	scripts/layer.sh js node node --test --test-reporter=spec $(JS_TESTS)

test-browser:
	scripts/layer.sh browser node node --test --test-reporter=spec --test-concurrency=1 $(BROWSER_TESTS)
