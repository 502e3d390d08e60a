#!/usr/bin/env bash
# Prints "N passed, N failed, N skipped" from the .trx files under the given folder, plus one test per CI step given as
# NAME=EXIT_STATUS (passed when 0), e.g. format-check=0.
set -euo pipefail
folder=${1:?usage: test-totals.sh RESULTS_FOLDER [STEP=EXIT_STATUS ...]}
shift
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
for step in "$@"; do
  name=${step%%=*}; rc=${step#*=}
  [[ "$step" == *=* && "$rc" =~ ^[0-9]+$ ]] || { echo "test-totals.sh: '$step' is not STEP=EXIT_STATUS" >&2; exit 2; }
  total=$((total + 1))
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "step $name failed (exit $rc)" >&2; fi
done
skipped=$((total - passed - failed))
echo "$passed passed, $failed failed, $skipped skipped"
