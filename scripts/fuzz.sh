#!/usr/bin/env bash
# The dedicated fuzz run: the problem parser's and the URL-state parser's property tests with
# 100,000 cases each (CI runs the same tests with 2,000). Usage: scripts/fuzz.sh [cases]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ponder-target}"
export PONDER_PROPTEST_CASES="${1:-100000}"
echo "property tests with $PONDER_PROPTEST_CASES cases each"
cargo test -p ponder-engine --lib task::arithmetic -- --nocapture
cargo test -p ponder-arena --test url_state -- --nocapture
