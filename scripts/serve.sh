#!/usr/bin/env bash
# Builds the web demo and serves it at a local address. Needs only Rust (rustup): installs the
# wasm target and pinned trunk and wasm-bindgen-cli (matching Cargo.lock) when missing. With
# npm present it also installs binaryen's wasm-opt locally for a smaller release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web-tools.sh
# Release builds run wasm-opt, pinned in Trunk.toml to binaryen 132 from npm (Debian's 108
# breaks wasm-bindgen output, and trunk cannot download one here). Without npm, build and
# serve an unoptimised debug build instead.
if command -v npm >/dev/null && [ ! -x .tools/node_modules/.bin/wasm-opt ]; then
  mkdir -p .tools
  [ -f .tools/package.json ] || echo '{"name":"ponder-build-tools","private":true}' > .tools/package.json
  (cd .tools && npm install --silent binaryen@132) || echo "note: could not install binaryen from npm"
fi
mode=()
if [ -x .tools/node_modules/.bin/wasm-opt ]; then
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  mode=(--release)
else
  echo "note: no wasm-opt available: serving an unoptimised debug build"
fi

trunk build "${mode[@]}" "$@"
wasm=$(ls dist/*.wasm | head -n 1)
echo "wasm: $(du -h "$wasm" | cut -f1) ($(gzip -9 -c "$wasm" | wc -c | awk '{printf "%.2f MiB", $1/1048576}') gzipped)"
echo "serving the demo at http://127.0.0.1:8080/"
exec trunk serve "${mode[@]}" "$@"
