#!/usr/bin/env bash
# Builds the web demo once and serves it at a local address. Needs only Rust (rustup): installs
# the wasm target and pinned trunk and wasm-bindgen-cli (matching Cargo.lock) when missing. With
# npm present it also installs binaryen's wasm-opt locally for a smaller release build.
# Extra arguments go to `trunk serve` (for example --port 9000).
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

# The address: Trunk.toml's, unless the arguments or trunk's environment say otherwise.
host=${TRUNK_SERVE_ADDRESS:-127.0.0.1} port=${TRUNK_SERVE_PORT:-8080}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    -p | --port) port=${args[i + 1]:-$port} ;;
    --port=*) port=${args[i]#--port=} ;;
    -a | --address) host=${args[i + 1]:-$host} ;;
    --address=*) host=${args[i]#--address=} ;;
  esac
done
[ "$host" = 0.0.0.0 ] && probe=127.0.0.1 || probe=$host
# Checks through bash's /dev/tcp, so that no curl is needed.
listening() { (exec 3<>"/dev/tcp/$probe/$port") 2>/dev/null; }
page_status() (
  exec 3<>"/dev/tcp/$probe/$port" || exit 1
  printf 'GET / HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$probe" "$port" >&3
  IFS= read -r -t 30 line <&3 && printf '%s\n' "${line%$'\r'}"
) 2>/dev/null
if listening; then
  echo "error: something already listens on $probe:$port; stop it, or pass --port N" >&2
  exit 1
fi

# One build: `trunk serve` builds into dist/, then starts its server, then watches app/ and
# rebuilds on changes. --no-autoreload: the page's Content-Security-Policy forbids trunk's
# inline reload script, and so dist/ stays exactly what `trunk build` gives (any static host
# serves it). A watcher in the background prints the wasm's size and the address once the
# page answers; trunk itself runs in the foreground (Ctrl-C stops it).
started=$(date +%s)
marker=$(mktemp)
serve_pid=$$
(
  trap 'rm -f "$marker"' EXIT
  until listening; do
    kill -0 "$serve_pid" 2>/dev/null || exit 0
    sleep 1
  done
  status=$(page_status || true)
  # trunk serves even when its first build failed; then dist/ holds no fresh page.
  if [[ $status != HTTP/1.?" 200"* ]] || [ ! dist/index.html -nt "$marker" ]; then
    echo "error: the build failed (see above; the page answers '${status:-nothing}'): stopping" >&2
    kill "$serve_pid"
    exit 1
  fi
  wasm=$(ls dist/*.wasm | head -n 1)
  echo "wasm: $(du -h "$wasm" | cut -f1) ($(gzip -9 -c "$wasm" | wc -c | awk '{printf "%.2f MiB", $1/1048576}') gzipped)"
  echo "built in $(($(date +%s) - started)) s: serving the demo at http://$host:$port/ (Ctrl-C stops)"
) &
exec trunk serve "${mode[@]}" --no-autoreload=true "$@"
