#!/usr/bin/env bash
# Packs MLNet.StepDistill.Core, MLNet.StepDistill, MLNet.StepDistill.Onnx, MLNet.StepDistill.Serving and the
# MLNet.StepDistill.Cli tool into a local
# feed with eng/pack.sh (the script users run), then:
#   - installs the `stepdistill` tool from the feed into a tool path and runs it: --version (the packed version),
#     doctor (libtorch loads), a tiny train (2 steps), predict --text, predict --input (a file of rows), export-onnx;
# and installs the libraries into two fresh console apps outside the repository (no Directory.Build.* applies there):
#   - OnnxApp: MLNet.StepDistill.Onnx + Microsoft.ML.OnnxRuntime; must publish without any libtorch* file and run a
#     prediction without libtorch mapped into the process;
#   - TorchApp: MLNet.StepDistill + the app's own choice of native libtorch (libtorch-cpu-linux-x64).
# Both answer the same question with the student the installed tool trained and exported, and must agree.
# Also checks that the MLNet.StepDistill nuspec names no native libtorch package and the ONNX and Serving ones no
# TorchSharp.
# Prints the published size of each app. Usage: bash eng/package-smoke.sh [work folder] (a temporary one is deleted on success)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=${1:-$(mktemp -d /tmp/stepdistill-package-smoke.XXXXXX)}
mkdir -p "$work"
feed="$work/feed"
version="0.1.0-smoke.$(date +%s)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_NUM_THREADS=1

echo "== pack $version into $feed"
bash eng/pack.sh --out "$feed" --version "$version" >/dev/null

# The nuspec pack wrote into the package (kept beside the project's build output; no unzip needed).
nuspec() { cat "src/$1/obj/Release/$1.$version.nuspec"; }
for project in MLNet.StepDistill MLNet.StepDistill.Onnx MLNet.StepDistill.Serving; do
  [ -f "src/$project/obj/Release/$project.$version.nuspec" ] || { echo "FAIL: pack wrote no nuspec for $project" >&2; exit 1; }
  grep -q 'id="MLNet.StepDistill.Core"' "src/$project/obj/Release/$project.$version.nuspec"
done
if nuspec MLNet.StepDistill | grep -iE 'id="(libtorch|TorchSharp-c)' ; then
  echo "FAIL: the MLNet.StepDistill package depends on a native libtorch package (above); the app must choose it" >&2; exit 1
fi
if nuspec MLNet.StepDistill.Onnx | grep -iE 'id="[^"]*torch'; then
  echo "FAIL: the MLNet.StepDistill.Onnx package depends on TorchSharp (above)" >&2; exit 1
fi
if nuspec MLNet.StepDistill.Serving | grep -iE 'id="[^"]*torch|id="MLNet.StepDistill"'; then
  echo "FAIL: the MLNet.StepDistill.Serving package depends on TorchSharp or the TorchSharp library (above)" >&2; exit 1
fi
grep -q 'id="MLNet.StepDistill.Onnx"' "src/MLNet.StepDistill.Serving/obj/Release/MLNet.StepDistill.Serving.$version.nuspec"
echo "nuspecs: MLNet.StepDistill names TorchSharp (managed) only; MLNet.StepDistill.Onnx and .Serving name no TorchSharp"

echo "== the stepdistill tool from the feed, into a tool path"
tools="$work/tools"
dotnet tool install MLNet.StepDistill.Cli --version "$version" --add-source "$feed" --tool-path "$tools" >/dev/null
stepdistill="$tools/stepdistill"
shown=$("$stepdistill" --version)
echo "stepdistill --version: $shown"
case "$shown" in "$version"|"$version+"*) ;; *) echo "FAIL: the tool says it is $shown, the feed's version is $version" >&2; exit 1 ;; esac
doctor=$("$stepdistill" doctor)
echo "$doctor"
grep -q "^libtorch loaded" <<<"$doctor" || { echo "FAIL: stepdistill doctor: libtorch did not load in the installed tool" >&2; exit 1; }

echo "== a student to serve, with the installed tool: train 2 steps, predict, export"
question="Where do you keep milk?"
choices="fridge|shelf|car|bed|roof"
(cd "$work" && "$stepdistill" train --dataset "$repo/datasets/cqa" --fraction 0.002 --steps 2 --batch-size 4 --max-input 32 --max-target 8 --out model.zip --json >/dev/null)
"$stepdistill" predict --model "$work/model.zip" --text "$question" --choices "$choices"
head -n 3 datasets/cqa/test.jsonl > "$work/rows.jsonl"
"$stepdistill" predict --model "$work/model.zip" --input "$work/rows.jsonl" --out "$work/predictions.jsonl"
[ "$(wc -l < "$work/predictions.jsonl")" = 3 ] && ! grep -q '"error"' "$work/predictions.jsonl" \
  || { echo "FAIL: predict --input wrote $(wc -l < "$work/predictions.jsonl") lines for 3 rows" >&2; cat "$work/predictions.jsonl" >&2; exit 1; }
"$stepdistill" export-onnx --model "$work/model.zip" --out "$work/student-onnx" >/dev/null
for app in OnnxApp TorchApp; do
  echo "== $app: fresh console app from the local feed"
  dir="$work/$app"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "eng/package-smoke/$app/Program.cs" "$dir/"
  sed "s/@VERSION@/$version/" "eng/package-smoke/$app/$app.csproj.template" > "$dir/$app.csproj"
  cat > "$dir/nuget.config" <<NUGET
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local-smoke" value="$feed" />
  </packageSources>
</configuration>
NUGET
  (cd "$dir" && dotnet publish -c Release -r linux-x64 --self-contained false -o publish -v quiet -nologo >/dev/null)
  echo "published size: $(du -sh "$dir/publish" | cut -f1) ($app, linux-x64, framework-dependent)"
done

if find "$work/OnnxApp/publish" -iname '*torch*' | grep .; then
  echo "FAIL: the ONNX app's published folder holds the files above" >&2; exit 1
fi

onnx_out=$(env -u LD_LIBRARY_PATH dotnet "$work/OnnxApp/publish/OnnxApp.dll" "$work/student-onnx" "$question" "$choices")
torch_out=$(dotnet "$work/TorchApp/publish/TorchApp.dll" "$work/model.zip" "$question" "$choices")
echo "$onnx_out"
echo "$torch_out"
grep -q "no libtorch mapped into the process" <<<"$onnx_out"
if [ "$(grep prediction <<<"$onnx_out")" != "$(grep prediction <<<"$torch_out")" ] \
  || [ "$(grep -o '^scores [a-e]' <<<"$onnx_out")" != "scores a" ] || [ "$(grep -o '^scores [a-e]' <<<"$torch_out")" != "scores a" ]; then
  echo "FAIL: the ONNX and TorchSharp apps disagree, or print no class names" >&2; exit 1
fi
rm -f src/*/obj/Release/*."$version".nuspec
[ -z "${1:-}" ] && rm -rf "$work"
echo "package smoke test passed"
