#!/usr/bin/env bash
# Accessibility and HTML-validity checks of every public page and admin screen in a real headless Chromium.
#   bash tests/a11y/run.sh [SCREENSHOT_DIR]
# Installs Chromium, a Java runtime and the npm packages when missing; starts skl-cms on a free port over
# a fresh database; runs check.mjs against it. Without Chromium it fails under CI and skips elsewhere
# only if SKL_A11Y_OPTIONAL=1 is set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [ "${SKL_A11Y_OPTIONAL:-0}" = 1 ] && [ -z "${CI:-}" ]; then
    echo "a11y: skipped, missing ${missing[*]}"
    exit 0
  else
    echo "a11y: missing ${missing[*]}; install them (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

(cd "$here" && npm ci --silent --no-audit --no-fund)
(cd "$root" && cargo build --locked --quiet --bin skl-cms)

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SKL_DATABASE="$work/site.db" RUST_LOG=warn "$root/target/debug/skl-cms" serve --bind "127.0.0.1:$port" 2>"$work/log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.05
done

# A fresh database has no accounts, so the server logs a setup link; the checker creates the first
# administrator through it and then visits every admin screen.
setup_link="$(grep -o 'http://[^ ]*/admin/setup/[0-9a-f]*' "$work/log" | head -n 1)"
if [ -z "$setup_link" ]; then
  echo "a11y: the server logged no setup link" >&2
  cat "$work/log" >&2
  exit 1
fi
SKL_SETUP_LINK="$setup_link" node "$here/check.mjs" "http://127.0.0.1:$port" "${1:-}"
