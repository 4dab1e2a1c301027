#!/usr/bin/env bash
# Re-blesses the golden tests after an intended change: rewrites tests/golden{,_objects}/*/expected.jsonl from
# what the analysis core emits now, then shows the difference to review before committing.
# Usage: scripts/bless-golden.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
cmake --build "$BUILD" -j"$(nproc)" --target vsp_unit_tests >/dev/null
VSP_BLESS=1 "$BUILD/tests/vsp_unit_tests" --gtest_filter='Golden.*' >/dev/null
git --no-pager diff --stat -- tests/golden tests/golden_objects
git --no-pager diff -- tests/golden tests/golden_objects
echo "bless-golden: review the diff above, then commit tests/golden"
