#!/usr/bin/env bash
# Checks that every C++/CUDA file in the repository is exactly as .clang-format (clang-format 14,
# Debian 12) would write it. With --fix, formats the files that differ in place.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed" >&2; exit 1; }
fix=false
[ "${1:-}" = "--fix" ] && fix=true
status=0
while IFS= read -r file; do
  if clang-format --dry-run -Werror "$file" >/dev/null 2>&1; then continue; fi
  if $fix; then
    clang-format -i "$file"
    echo "check_format: formatted $file"
  else
    echo "check_format: $file differs from .clang-format (scripts/check_format.sh --fix formats it):"
    clang-format "$file" | diff -u "$file" - | head -20 || true
    status=1
  fi
done < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.c' '*.h')
exit "$status"
