#!/usr/bin/env bash
# Static checks: clippy with warnings as errors (native crates and the wasm app) and
# cargo-deny (advisories, licences, sources). Installs the pinned cargo-deny when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ponder-target}"
DENY_VERSION=0.20.2

cargo clippy --workspace --exclude ponder-app --all-targets -- -D warnings
cargo clippy -p ponder-app --target wasm32-unknown-unknown -- -D warnings

if ! cargo deny --version 2>/dev/null | grep -q "$DENY_VERSION"; then
  cargo install cargo-deny --version "$DENY_VERSION" --locked
fi
cargo deny check bans licenses sources
# The advisory database lives on GitHub. A machine that cannot reach it checks against the
# copy it already has (its date is printed), or says that it has none
# (PONDER_REQUIRE_ADVISORIES=1 makes that an error).
db=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/advisory-db-* 2>/dev/null | head -n 1 || true)
if timeout 120 cargo deny fetch db >/dev/null 2>&1; then
  cargo deny check advisories
elif [ -n "$db" ]; then
  echo "note: the advisory database cannot be fetched: checking against the local copy of $(git -C "$db" log -1 --format=%cs 2>/dev/null || echo 'unknown date')"
  cargo deny --offline check advisories
elif [ "${PONDER_REQUIRE_ADVISORIES:-0}" = 1 ]; then
  echo "error: the advisory database (github.com/rustsec/advisory-db) cannot be fetched" >&2
  exit 1
else
  echo "note: the advisory database (github.com/rustsec/advisory-db) cannot be fetched from this machine and none is stored: advisories not checked"
fi
