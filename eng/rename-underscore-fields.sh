#!/usr/bin/env bash
# Renames the private `_field`s that .editorconfig's naming rule reports (IDE1006: "Prefix '_' is not expected") to
# `field`, which `dotnet format` reports but does not fix. Roslyn finds the declarations (dotnet format's IDE1006
# report); each is renamed in its own file, where a private field's uses are:
#   - `other._field` becomes `other.field`;
#   - a bare `_field` becomes `field`, or `this.field` when the bare name `field` is already used in that file (a
#     parameter or local of that name would otherwise capture it), so the meaning never changes;
#   - a name that is a C# keyword gets the suffix `Object` (`_lock` becomes `lockObject`).
# A static field whose bare name is taken is left alone and listed. Last, dotnet format's IDE0003 fix (Roslyn, so it
# knows what shadows what) drops each `this.` that nothing needs. Then build and run the tests: a use the rename missed
# (a partial class in another file) fails the build. Takes ~3 min here. Usage: bash eng/rename-underscore-fields.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT

# Exits non-zero when it finds any: that is the point here.
dotnet format style MLNet.StepDistill.sln --severity warn --diagnostics IDE1006 --verify-no-changes --no-restore \
  --report "$report" -v q >/dev/null 2>&1 || true
[ -f "$report/format-report.json" ] || { echo "no IDE1006 report written (is the solution restored?)" >&2; exit 1; }

python3 - "$report/format-report.json" <<'PY'
import json, re, sys

KEYWORDS = set("""abstract as base bool break byte case catch char checked class const continue decimal default delegate
do double else enum event explicit extern false finally fixed float for foreach goto if implicit in int interface internal
is lock long namespace new null object operator out override params private protected public readonly ref return sbyte
sealed short sizeof stackalloc static string struct switch this throw true try typeof uint ulong unchecked unsafe ushort
using virtual void volatile while""".split())

declarations = {}  # file -> [(line index, column index, old name, is static)]
for document in json.load(open(sys.argv[1])):
    path = document["FilePath"]
    lines = open(path, encoding="utf-8").read().split("\n")
    for change in document["FileChanges"]:
        if change["DiagnosticId"] != "IDE1006" or "Prefix '_'" not in change["FormatDescription"]:
            continue
        line, column = change["LineNumber"] - 1, change["CharNumber"] - 1
        match = re.match(r"_\w+", lines[line][column:])
        if not match:
            sys.exit(f"{path}:{line + 1}: no _name at column {column + 1}: {lines[line].strip()}")
        declarations.setdefault(path, []).append((line, column, match.group(0), re.search(r"\bstatic\b", lines[line]) is not None))

renamed, skipped = 0, []
for path, fields in sorted(declarations.items()):
    lines = open(path, encoding="utf-8").read().split("\n")
    names = {}
    for line, column, old, is_static in sorted(fields, key=lambda f: (f[0], -f[1])):
        new = old[1:] + ("Object" if old[1:] in KEYWORDS else "")
        names[old] = (new, is_static)
        # The declaration: a placeholder now, the plain new name at the end (never `this.`).
        lines[line] = lines[line][:column] + f"\0{old}\0" + lines[line][column + len(old):]
    text = "\n".join(lines)
    for old, (new, is_static) in sorted(names.items()):
        taken = re.search(rf"(?<![.\w@\0]){re.escape(new)}\b", text) is not None
        if taken and is_static:
            skipped.append(f"{path}: static {old} ({new} is already used in the file)")
            text = text.replace(f"\0{old}\0", old)
            continue
        bare = "this." + new if taken else new
        text = re.sub(rf"(?<![\w@\0]){re.escape(old)}\b",
                      lambda m: new if m.start() > 0 and text[m.start() - 1] == "." else bare, text)
        text = text.replace(f"\0{old}\0", new)
        renamed += 1
    open(path, "w", encoding="utf-8").write(text)

print(f"renamed {renamed} fields in {len(declarations)} files")
for s in skipped:
    print("left alone:", s)
PY

echo "== dropping the this. that nothing needs (IDE0003)"
dotnet format style MLNet.StepDistill.sln --diagnostics IDE0003 --severity info --no-restore -v q
