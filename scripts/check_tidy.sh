#!/usr/bin/env bash
# Runs clang-tidy 14 with the project's .clang-tidy over every .cpp file of ours that the build
# compiles (build/compile_commands.json: CMake writes it, CMAKE_EXPORT_COMPILE_COMMANDS is on), two
# files at a time (CI has 2 cores). Fails on any finding. .cu files are left out: clang-tidy would
# parse them as clang's CUDA, not as nvcc compiles them. Files this configuration does not compile
# (the no-CUDA stubs in a CUDA build, the fuzzers) are named and skipped.
# Usage: scripts/check_tidy.sh [BUILD_DIR] [FILE...]   (default build, every file)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
[ -n "$tidy" ] || { echo "check_tidy: clang-tidy is not installed (apt-get install clang-tidy)" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "check_tidy: no $build/compile_commands.json: configure $build first" >&2; exit 1; }
jobs=${JOBS:-2}
compiled=$(python3 -c 'import json, os, sys
for entry in json.load(open(sys.argv[1])): print(os.path.relpath(entry["file"], os.getcwd()))' "$build/compile_commands.json" | sort -u)
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files '*.cpp'); fi
selected=()
for file in "${files[@]}"; do
  if grep -qxF "$file" <<<"$compiled"; then selected+=("$file"); else echo "check_tidy: not in this build, skipped: $file"; fi
done
start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --quiet drops the "N warnings generated" lines; every finding is an error (WarningsAsErrors).
status=0
printf '%s\n' "${selected[@]}" |
  xargs -P "$jobs" -n 4 "$tidy" -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option >"$log" 2>&1 || status=$?
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|NOLINT' "$log" || true
echo "check_tidy: ${#selected[@]} files in $((SECONDS - start)) s"
if [ "$status" -ne 0 ]; then echo "check_tidy: FAILED (findings above)"; exit 1; fi
echo "check_tidy: clean"
