#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds Release and runs every test (unit,
# accuracy, integration on the real clips, bad input), then an ASan/UBSan build runs the unit
# tests, then the formatting check. Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
echo "== Release build and all tests"
./scripts/build.sh build
(cd build && ctest --output-on-failure)
echo "== Sanitizer build (ASan + UBSan) and unit tests"
cmake -S . -B build-asan -DVSP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)" --target vsp_unit_tests
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -L unit --output-on-failure)
echo "== Formatting (clang-format)"
./scripts/check-format.sh
echo "all tests passed"
