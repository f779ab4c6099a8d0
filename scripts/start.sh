#!/usr/bin/env bash
# First README command: install what is missing, build, and serve config/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENDAD_TESTS=OFF >/dev/null
cmake --build build
mkdir -p build/state
exec build/core/agendad run --config config --state build/state/agendad.db \
  --plugin-dir build/plugins "$@"
