#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for SECONDS (default 60) on
# the seed corpus in fuzz/corpus/<target>/, new inputs kept in build-fuzz/corpus/. A crash leaves
# crash-* in build-fuzz/ and fails the script; turn it into a regression seed under fuzz/corpus.
#   scripts/fuzz.sh [SECONDS] [TARGET...]       targets: config event_json mot api_query plate
# VSP_FUZZ_SEED fixes libFuzzer's seed (the test command sets one, so a slower machine runs a prefix
# of the same input sequence a faster one ran: a CI failure reproduces here); unset = random.
# On a failure the target's log tail and the crashing input (base64) are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -eq 0 ] && TARGETS=(config event_json mot api_query plate)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVSP_FUZZ=ON -DVSP_BUILD_TESTS=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build-fuzz -j"${JOBS:-2}" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")
SEED_ARG=(); [ -n "${VSP_FUZZ_SEED:-}" ] && SEED_ARG=(-seed="$VSP_FUZZ_SEED")
mkdir -p build-fuzz/logs build-fuzz/artifacts
rc=0
for t in "${TARGETS[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
  log="build-fuzz/logs/$t.log"
  echo "== fuzz_$t for ${SECS}s ${SEED_ARG[*]:-}"
  set +e
  (cd build-fuzz && ./fuzz/fuzz_$t "${SEED_ARG[@]}" -max_total_time="$SECS" -max_len=65536 -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="artifacts/$t/" "corpus/$t" "../fuzz/corpus/$t") >"$log" 2>&1
  frc=$?
  set -e
  grep -E "^INFO: Seed:|^#[0-9]+ +DONE|stat::number_of_executed_units|ERROR|^SUMMARY" "$log" || true
  found=$(ls build-fuzz/artifacts/$t/ 2>/dev/null || true)
  if [ $frc -ne 0 ] || [ -n "$found" ]; then
    rc=1
    echo "!! fuzz_$t failed (exit $frc); the end of its log ($log):"
    tail -n 60 "$log"
    for f in build-fuzz/artifacts/$t/*; do
      [ -f "$f" ] || continue
      echo "!! input $f ($(stat -c %s "$f") bytes), base64:"; base64 -w 120 "$f" | head -c 20000; echo
    done
  fi
done
exit $rc
