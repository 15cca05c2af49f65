#!/usr/bin/env bash
# Benchmark: skl-cms serving a cached page against nginx serving the same bytes as a static file.
#
#   bash bench/run.sh            # a warm-up, then 3 interleaved rounds of 10 s per configuration
#   ROUNDS=1 DURATION=5 bash bench/run.sh
#
# Installs wrk and nginx (Debian packages) when missing, builds the release binary, then runs
# bench/run.py, which prints req/s, p50, p99 and CPU time per request for both servers, their ratios,
# the time from process start to the first response, and skl-cms's resident memory after the load.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --locked --quiet
exec python3 bench/run.py "$@"
