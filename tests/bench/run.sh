#!/usr/bin/env bash
# Runs every benchmark (feed generation vs python3-icalendar, serving vs
# nginx and Radicale with wrk, memory and start-up) and writes
# tests/bench/results.md, then 10,000 idle connections plus wrk load into
# tests/bench/results-concurrency.md, then serving at 1 to 64 connections
# against nginx and under siege into tests/bench/results-fairness.md. Not
# part of the test run. --quick: smaller sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/deps.sh --test >/dev/null
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
for p in wrk nginx radicale python3-yaml; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
# Debian starts nginx as a service on install; the benchmark runs its own.
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench --target agendad bench_feed example
/usr/bin/python3 tests/bench/bench.py build-bench "$@"
/usr/bin/python3 tests/bench/concurrency.py build-bench
/usr/bin/python3 tests/bench/fairness.py build-bench
