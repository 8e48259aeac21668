#!/usr/bin/env bash
# Builds the web demo and serves it at a local address. Needs only Rust (rustup): installs the
# wasm target and pinned trunk and wasm-bindgen-cli (matching Cargo.lock) when missing. With
# npm present it also installs binaryen's wasm-opt locally for a smaller release build.
set -euo pipefail
cd "$(dirname "$0")/.."
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)

rustup target add wasm32-unknown-unknown
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# Debian's binaryen (108) breaks wasm-bindgen output; npm's binaryen works. Without it, trunk
# skips wasm-opt only if none is on PATH, so put the good one first when we can.
if command -v npm >/dev/null && [ ! -x .tools/node_modules/.bin/wasm-opt ]; then
  (mkdir -p .tools && cd .tools && npm init -y >/dev/null && npm install --silent binaryen@132 >/dev/null) || echo "note: binaryen not installed; the build is not wasm-opt optimised"
fi
[ -x .tools/node_modules/.bin/wasm-opt ] && export PATH="$PWD/.tools/node_modules/.bin:$PATH"

trunk build --release "$@"
wasm=$(ls dist/*.wasm | head -n 1)
echo "release wasm: $(du -h "$wasm" | cut -f1) ($(gzip -9 -c "$wasm" | wc -c | awk '{printf "%.2f MB", $1/1048576}') gzipped)"
echo "serving the demo at http://127.0.0.1:8080/"
exec trunk serve --release "$@"
