#!/usr/bin/env bash
# Fuzzes one libFuzzer target for a set time:  scripts/fuzz.sh TARGET SECONDS
# TARGET: config | http | sync | agenda | mailin. New inputs go to
# build-fuzz/corpus/TARGET (the seeds in tests/fuzz/corpus/TARGET, for mailin
# the reply fixtures, are read, never written); a crash
# is written to build-fuzz/artifacts/ and the script exits non-zero. Add a
# crash to the seed corpus once fixed: the test suite replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh config|http|sync|agenda|mailin SECONDS}
seconds=${2:?usage: scripts/fuzz.sh config|http|sync|agenda|mailin SECONDS}
[ -f "tests/fuzz/fuzz_$target.c" ] || { echo "fuzz: no target $target" >&2; exit 2; }
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAGENDAD_FUZZ=ON \
  -DAGENDAD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target "fuzz_$target"
mkdir -p "build-fuzz/corpus/$target" build-fuzz/artifacts
dict=(); [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
seeds="tests/fuzz/corpus/$target"
[ "$target" = mailin ] && seeds=tests/integration/fixtures/mailin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/artifacts/"$target"- "${dict[@]}" -print_final_stats=1 \
  "build-fuzz/corpus/$target" "$seeds"
