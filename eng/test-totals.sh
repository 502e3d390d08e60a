#!/usr/bin/env bash
# Prints "N passed, N failed, N skipped" from the .trx files under the given folder.
set -euo pipefail
folder=${1:?usage: test-totals.sh RESULTS_FOLDER}
shopt -s nullglob globstar
files=("$folder"/**/TestResults/*.trx)
if [ ${#files[@]} -eq 0 ]; then
  echo "no test results (.trx) under $folder" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
passed=0; failed=0; total=0
for f in "${files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1)
  value() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]\+' || echo 0; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  total=$((total + $(value total)))
done
skipped=$((total - passed - failed))
echo "$passed passed, $failed failed, $skipped skipped"
