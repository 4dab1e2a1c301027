#!/usr/bin/env bash
# Fails when a C++ file differs from clang-format's output (style in .clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format missing (apt-get install clang-format)"; exit 1; }
bad=0
while IFS= read -r f; do
  if ! diff -q <(clang-format --style=file "$f") "$f" >/dev/null; then
    echo "needs clang-format: $f"
    bad=1
  fi
done < <(git ls-files '*.cpp' '*.hpp')
exit $bad
