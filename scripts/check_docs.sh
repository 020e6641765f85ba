#!/usr/bin/env bash
# Checks the documents' own rules (CONTRIBUTING.md): bench/RESULTS.md holds the current figures
# only, at most 300 lines (older runs go to bench/log/), and every bench/log/ file it links exists.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
lines=$(wc -l <bench/RESULTS.md)
if [ "$lines" -gt 300 ]; then
  echo "check_docs: bench/RESULTS.md has $lines lines, at most 300: move dated runs to bench/log/"
  status=1
fi
while IFS= read -r link; do
  if [ ! -f "bench/$link" ]; then
    echo "check_docs: bench/RESULTS.md links $link, which is not there"
    status=1
  fi
done < <(grep -o '(log/[^)]*)' bench/RESULTS.md | tr -d '()' | sort -u)
for required in CONTRIBUTING.md DESIGN.md dev/cuda/README.md; do
  [ -f "$required" ] || { echo "check_docs: $required is missing"; status=1; }
done
# DESIGN.md names every folder of host/ (its architecture table).
for folder in host/*/; do
  folder=${folder%/}
  grep -q "\`$folder\`" DESIGN.md || { echo "check_docs: DESIGN.md does not name $folder"; status=1; }
done
exit "$status"
