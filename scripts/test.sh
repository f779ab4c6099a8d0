#!/usr/bin/env bash
# Second README command: install what is missing, build, run every test.
# Runs the suite twice: a normal build, then under ASan + UBSan (where the
# daemon's own leak checks run too: AGENDAD_ASAN=1), with the optimised
# build of scripts/start.sh in between. Then builds the fuzz
# targets with clang and replays their seed corpora (scripts/fuzz.sh fuzzes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}
run_suite build-test -DCMAKE_BUILD_TYPE=Debug
# The optimised builds scripts/start.sh, the package and a benchmark make:
# GCC's warnings at -O2 and -O3 differ from -O0's (format truncation seen
# only at -O3), and warnings are errors.
for type in RelWithDebInfo Release; do
  cmake -S . -B "build-$type" -G Ninja -DCMAKE_BUILD_TYPE=$type -DAGENDAD_TESTS=OFF >/dev/null
  cmake --build "build-$type"
done
if [ "${AGENDAD_SKIP_SANITIZE:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    AGENDAD_ASAN=1 run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DAGENDAD_SANITIZE=ON
fi
if [ "${AGENDAD_SKIP_FUZZ:-0}" != 1 ]; then
  CC=clang run_suite build-fuzz -DCMAKE_BUILD_TYPE=Debug -DAGENDAD_FUZZ=ON -DAGENDAD_TESTS=OFF
fi
