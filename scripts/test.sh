#!/usr/bin/env bash
# Runs Ponder's tests: the engine and CLI on burn's CPU backend and on wgpu (Mesa's lavapipe
# software Vulkan when no GPU is present), the CLI end to end, the desktop window under Xvfb,
# and the web app end to end in headless Chromium (scripts/e2e.sh).
# Installs lavapipe, Xvfb and the wasm target when it can (root with apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ponder-target}"

if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Mesa's lavapipe (software Vulkan) for the wgpu tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    echo "note: lavapipe is not installed and cannot be installed here; wgpu tests run only if another adapter exists"
  fi
fi
if ! command -v xvfb-run >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Xvfb and the X libraries for the desktop window's tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xauth libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 >/dev/null
fi
# With lavapipe present, a missing wgpu adapter is a test failure, not a skip.
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  export PONDER_REQUIRE_WGPU=1
fi
# Headless machines: wgpu/Vulkan wants a runtime dir.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/ponder-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

cargo test --workspace --exclude ponder-app

# The benchmark's numbers, printed for the log (not asserted: CI machines vary).
"$CARGO_TARGET_DIR/debug/ponder" bench --quick --json

# The web app in headless Chromium (or, where no browser can be installed, a wasm32 build check).
./scripts/e2e.sh
