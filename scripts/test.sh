#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds Release and runs every test (unit,
# accuracy, integration on the real clips, bad input), then a ThreadSanitizer build of the node
# runs under the RTSP integration test, then an ASan/UBSan build runs the unit and golden tests,
# then each fuzz target briefly, then the formatting check. Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
echo "== Release build and all tests"
./scripts/build.sh build
# A test that fails is run once more on its own: failing twice is a failure; passing the second time
# is reported as FLAKY (listed here and in build/flaky-tests.txt) so it gets fixed, not hidden.
if ! (cd build && ctest --output-on-failure); then
  cp build/Testing/Temporary/LastTestsFailed.log build/first-run-failures.txt
  echo "== rerunning the failed tests once: $(cut -d: -f2 build/first-run-failures.txt | tr '\n' ' ')"
  (cd build && ctest --rerun-failed --output-on-failure)
  cut -d: -f2 build/first-run-failures.txt > build/flaky-tests.txt
  echo "FLAKY (failed, then passed on a rerun): $(tr '\n' ' ' < build/flaky-tests.txt)"
fi
echo "== ThreadSanitizer build of the node, under the RTSP integration test"
cmake -S . -B build-tsan -DVSP_TSAN=ON -DVSP_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-tsan -j"$(nproc)" --target vsp
tests/integration/tsan_serve_test.sh build-tsan/src/app/vsp build/tests/tools/rtsp_server
echo "== Sanitizer build (ASan + UBSan) and unit tests"
cmake -S . -B build-asan -DVSP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)" --target vsp_unit_tests
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -L unit --output-on-failure)
echo "== Fuzzing (libFuzzer, clang): each target briefly on its seed corpus, fixed seed (reproducible)"
VSP_FUZZ_SEED="${VSP_FUZZ_SEED-20261130}" ./scripts/fuzz.sh "${VSP_FUZZ_SECONDS:-30}"
echo "== Formatting (clang-format)"
./scripts/check-format.sh
echo "all tests passed"
