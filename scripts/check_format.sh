#!/usr/bin/env bash
# Checks that every C++/CUDA line in the repository fits .clang-format's ColumnLimit. With --fix,
# reformats just the lines that do not (clang-format --lines), leaving the rest of each file as is.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$(sed -n 's/^ColumnLimit: *//p' .clang-format)
fix=false
[ "${1:-}" = "--fix" ] && fix=true
status=0
while IFS= read -r file; do
  long=$(awk -v limit="$limit" 'length($0) > limit { print NR }' "$file")
  [ -n "$long" ] || continue
  if $fix; then
    args=()
    for n in $long; do args+=(--lines="$n:$n"); done
    clang-format -i "${args[@]}" "$file"
    long=$(awk -v limit="$limit" 'length($0) > limit { print NR }' "$file")
    [ -n "$long" ] || continue
  fi
  for n in $long; do echo "$file:$n: longer than $limit columns"; done
  status=1
done < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.c' '*.h')
exit "$status"
