#!/usr/bin/env bash
# Checks the house style of .editorconfig without changing a file (a CI step of .ci/run), or applies it (--fix):
#   1. whitespace: indentation, line breaks, spacing (`dotnet format whitespace --folder`: syntax only, no build, ~25 s);
#   2. style and naming: usings outside the namespace and sorted, file-scoped namespaces, field names
#      (`dotnet format style --severity warn`: the rules at :warning / severity = warning; loads the solution, ~2 min).
# Needs a restored solution (dotnet restore MLNet.StepDistill.sln). Exits non-zero and lists file(line,col) and rule
# when the code differs. A `_field` that --fix cannot rename is renamed by eng/rename-underscore-fields.sh.
# Usage: bash eng/format-check.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mode=(--verify-no-changes)
case "${1:-}" in
  "") ;;
  --fix) mode=() ;;
  *) echo "usage: bash eng/format-check.sh [--fix]" >&2; exit 2 ;;
esac

status=0
echo "== dotnet format whitespace"
dotnet format whitespace --folder "${mode[@]}" -v q || status=$?
echo "== dotnet format style (severity warn)"
dotnet format style MLNet.StepDistill.sln --severity warn --no-restore "${mode[@]}" -v q || status=$?

if [ "$status" -ne 0 ]; then
  echo "FAIL: the code differs from .editorconfig (above); run: bash eng/format-check.sh --fix" >&2
fi
exit "$status"
