#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for SECONDS (default 60) on
# the seed corpus in fuzz/corpus/<target>/, new inputs kept in build-fuzz/corpus/. A crash leaves
# crash-* in build-fuzz/ and fails the script; turn it into a regression seed under fuzz/corpus.
#   scripts/fuzz.sh [SECONDS] [TARGET...]       targets: config event_json mot api_query plate
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -eq 0 ] && TARGETS=(config event_json mot api_query plate)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVSP_FUZZ=ON -DVSP_BUILD_TESTS=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build-fuzz -j"${JOBS:-2}" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")
rc=0
for t in "${TARGETS[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "== fuzz_$t for ${SECS}s"
  (cd build-fuzz && ./fuzz/fuzz_$t -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 "corpus/$t" "../fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" ) || rc=1
  ls build-fuzz/crash-* build-fuzz/timeout-* 2>/dev/null && rc=1
done
exit $rc
