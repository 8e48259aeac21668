#!/usr/bin/env bash
# The web app end to end in headless Chromium (tests/e2e/arena.mjs): builds the app, serves it
# on localhost and drives Debian's chromium with playwright-core. Needs the native `ponder`
# binary built first (scripts/test.sh does) for the greedy-parity test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ponder-target}"

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
if ! command -v chromium >/dev/null || ! command -v npm >/dev/null; then
  if [ "${PONDER_REQUIRE_E2E:-0}" = 1 ]; then
    echo "error: the browser tests need chromium and npm" >&2
    exit 1
  fi
  echo "note: chromium or npm is missing and cannot be installed here: skipping the browser tests,"
  echo "      checking only that the app builds for wasm32"
  rustup target add wasm32-unknown-unknown >/dev/null
  cargo check --target wasm32-unknown-unknown -p ponder-app
  exit 0
fi
source scripts/web-tools.sh

# The tests need a release build but not a size-optimised one: wasm-opt (binaryen from npm,
# running in node) takes minutes here. The same page, without the wasm-opt pass:
mkdir -p "$CARGO_TARGET_DIR/e2e"
sed 's/data-wasm-opt="z"/data-wasm-opt="0"/' app/index.html > app/.index-e2e.html
trap 'rm -f app/.index-e2e.html' EXIT
trunk build --release=true --dist "$CARGO_TARGET_DIR/e2e/dist" app/.index-e2e.html

(cd tests/e2e && npm ci --silent --no-audit --no-fund)
node tests/e2e/arena.mjs --dist "$CARGO_TARGET_DIR/e2e/dist" --ponder "$CARGO_TARGET_DIR/debug/ponder"
echo "screenshots: tests/e2e/screenshots/"
