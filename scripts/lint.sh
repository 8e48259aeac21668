#!/usr/bin/env bash
# Static checks: clippy with warnings as errors (native crates and the wasm app) and
# cargo-deny (bans, licences, sources, advisories). Installs the pinned cargo-deny when missing.
#
#   scripts/lint.sh              every check (what CI runs)
#   scripts/lint.sh advisories   the security-advisory check alone
#
# Advisories are checked against the live RustSec database where it can be fetched, else
# against the snapshot of its files in ../shared/advisory-db (PONDER_ADVISORY_SNAPSHOT
# overrides the folder), made into the git checkout cargo-deny reads in a cache folder
# (PONDER_ADVISORY_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/ponder/advisory-db-snapshot).
# The line "advisories: checked against ..." names the database and its date.
# PONDER_REQUIRE_ADVISORIES=1 (CI) makes it an error when neither could be checked.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ponder-target}"
DENY_VERSION=0.20.2

what="${1:-all}"
case "$what" in
  all | advisories) ;;
  *) echo "usage: scripts/lint.sh [advisories]" >&2; exit 2 ;;
esac

if [ "$what" = all ]; then
  cargo clippy --workspace --exclude ponder-app --all-targets -- -D warnings
  cargo clippy -p ponder-app --target wasm32-unknown-unknown -- -D warnings
fi

if ! cargo deny --version 2>/dev/null | grep -q "$DENY_VERSION"; then
  cargo install cargo-deny --version "$DENY_VERSION" --locked
fi
if [ "$what" = all ]; then
  cargo deny check bans licenses sources
fi

# ---- Security advisories ----------------------------------------------------------------
# cargo-deny 0.20 keeps the default database (github.com/RustSec/advisory-db) in
# <db-path>/advisory-db-<xxhash64 of its url>, db-path defaulting to $CARGO_HOME/advisory-dbs;
# with --offline it reads that checkout and fetches nothing. --offline also keeps
# `cargo metadata` offline, so every platform's crates are fetched from the registry first.
DB_DIR=advisory-db-3157b0e258782691
check_advisories() {
  cargo fetch --quiet

  fetch_log=$(mktemp)
  trap 'rm -f "$fetch_log"' EXIT
  fetch_rc=0
  timeout 120 cargo deny fetch db >"$fetch_log" 2>&1 || fetch_rc=$?
  if [ "$fetch_rc" = 0 ]; then
    live="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/$DB_DIR"
    db_desc="the live RustSec database $(git -C "$live" log -1 --format='%h of %cs' 2>/dev/null || echo '(unknown commit and date)') (github.com/rustsec/advisory-db)"
    if cargo deny --offline check advisories; then
      echo "advisories: checked against $db_desc"
      return 0
    fi
    echo "advisories: FAILED against $db_desc" >&2
    return 1
  fi
  if [ "$fetch_rc" = 124 ]; then
    why="timed out after 120 s"
  else
    why=$(grep -m1 -E '^fatal:' "$fetch_log" || tail -n 1 "$fetch_log")
  fi
  echo "note: the live advisory database (github.com/rustsec/advisory-db) cannot be fetched: $why"

  snapshot="${PONDER_ADVISORY_SNAPSHOT:-../shared/advisory-db}"
  if [ ! -f "$snapshot/SNAPSHOT.md" ] || [ ! -d "$snapshot/crates" ]; then
    if [ "${PONDER_REQUIRE_ADVISORIES:-0}" = 1 ]; then
      echo "error: advisories not checked: the live database cannot be fetched and there is no snapshot at $snapshot (its SNAPSHOT.md and crates/; PONDER_ADVISORY_SNAPSHOT names another folder)" >&2
      return 1
    fi
    echo "note: advisories not checked: no snapshot of the database at $snapshot"
    return 0
  fi

  # SNAPSHOT.md names the RustSec commit and its date: "... commit <40 hex>, dated YYYY-MM-DD".
  snap_text=$(tr '\n' ' ' <"$snapshot/SNAPSHOT.md")
  snap_commit=$(grep -oE 'commit [0-9a-f]{40}' <<<"$snap_text" | head -n 1 | cut -d' ' -f2 || true)
  snap_date=$(grep -oE 'dated [0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$snap_text" | head -n 1 | cut -d' ' -f2 || true)
  if [ -z "$snap_commit" ] || [ -z "$snap_date" ]; then
    echo "error: $snapshot/SNAPSHOT.md does not name the snapshot's commit and date ('commit <sha>, dated YYYY-MM-DD')" >&2
    return 1
  fi

  # The snapshot made into a git checkout (one commit dated as the snapshot) outside the
  # read-only snapshot folder, re-created when the snapshot's commit changes.
  cache="${PONDER_ADVISORY_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/ponder/advisory-db-snapshot}"
  root="$cache/$snap_commit"
  checkout="$root/$DB_DIR"
  subject="RustSec advisory-db snapshot $snap_commit"
  if [ "$(git -C "$checkout" log -1 --format=%s 2>/dev/null || true)" != "$subject" ] ||
    [ -n "$(git -C "$checkout" status --porcelain 2>/dev/null || echo dirty)" ]; then
    rm -rf "$cache"
    mkdir -p "$root"
    tmp="$root/.building"
    cp -R "$snapshot/." "$tmp"
    chmod -R u+w "$tmp"
    rm -rf "$tmp/.git"
    git -C "$tmp" -c init.defaultBranch=main init -q
    git -C "$tmp" add -A
    GIT_AUTHOR_DATE="${snap_date}T00:00:00Z" GIT_COMMITTER_DATE="${snap_date}T00:00:00Z" \
      git -C "$tmp" -c user.name=ponder-lint -c user.email=ponder-lint@localhost \
      -c commit.gpgsign=false commit -q --no-verify -m "$subject"
    mv "$tmp" "$checkout"
  fi

  # deny.toml with the checkout's root as db-path. cargo-deny's staleness limit (90 days by
  # default, judged by the checkout's file times) is lifted: the snapshot's own date is what
  # counts, and it is printed with the result.
  awk -v root="$root" '{ print } /^\[advisories\]$/ {
    print "db-path = \"" root "\""
    print "maximum-db-staleness = \"P36500D\""
  }' deny.toml >"$root/deny.toml"
  grep -q '^db-path = ' "$root/deny.toml" || { echo "error: deny.toml has no [advisories] table" >&2; return 1; }

  db_desc="the RustSec snapshot ${snap_commit:0:7} of $snap_date ($snapshot)"
  age_days=$((($(date -u +%s) - $(date -u -d "$snap_date" +%s)) / 86400))
  if cargo deny --offline --config "$root/deny.toml" check advisories; then
    echo "advisories: checked against $db_desc"
    if [ "$age_days" -gt 90 ]; then
      echo "note: the snapshot is $age_days days old: advisories published after $snap_date are not covered"
    fi
    return 0
  fi
  echo "advisories: FAILED against $db_desc" >&2
  return 1
}
check_advisories
