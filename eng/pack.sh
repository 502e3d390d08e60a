#!/usr/bin/env bash
# Packs MLNet.StepDistill's packages into a local NuGet feed (a folder), until they are published:
#   MLNet.StepDistill.Core   the TorchSharp-free core (task formats, readers, T5 tokenizer)
#   MLNet.StepDistill        training and serving with TorchSharp (the app adds its native libtorch package)
#   MLNet.StepDistill.Onnx   serving an exported student with ONNX Runtime (the app adds Microsoft.ML.OnnxRuntime)
#   MLNet.StepDistill.Serving the dynamic-batching predictor for ASP.NET Core and generic hosts (no TorchSharp reference)
#   MLNet.StepDistill.Cli    the `stepdistill` .NET tool, for this platform: MLNet.StepDistill.Cli, which points at
#                            MLNet.StepDistill.Cli.<rid> (e.g. .linux-x64), which holds the tool and its native runtimes
# Usage: bash eng/pack.sh [--out FOLDER] [--version VERSION] [--no-tool] [-- dotnet pack arguments, e.g. -p:TorchBackend=cuda-linux]
#   --out      the feed folder (default: artifacts/feed)
#   --version  the packages' version (default: Directory.Build.props' Version, e.g. 0.1.0, as 0.1.0-local.<UTC time>:
#              a new version each pack, so NuGet's package cache never hands out an older pack of the same version)
#   --no-tool  the libraries only (the tool carries libtorch: about 180 MB packed, a minute or two)
# Prints the feed, the version and how to install from it. eng/package-smoke.sh (CI) packs through this script.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
feed="$repo/artifacts/feed"
version=""
tool=true
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) feed=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --no-tool) tool=false; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "pack.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -z "$version" ]; then
  base=$(dotnet msbuild src/MLNet.StepDistill.Core/MLNet.StepDistill.Core.csproj -getProperty:Version)
  version="$base-local.$(date -u +%Y%m%d%H%M%S)"
fi
mkdir -p "$feed"

projects=(MLNet.StepDistill.Core MLNet.StepDistill MLNet.StepDistill.Onnx MLNet.StepDistill.Serving)
$tool && projects+=(MLNet.StepDistill.Cli)
for project in "${projects[@]}"; do
  echo "pack $project $version"
  dotnet pack "src/$project/$project.csproj" -c Release -o "$feed" -p:Version="$version" -v quiet -nologo "${extra[@]}"
done

echo "feed     $feed"
echo "version  $version"
ls -1 "$feed" | grep -F ".$version.nupkg" | sed 's/^/         /'
cat <<USAGE
install the tool:   dotnet tool install MLNet.StepDistill.Cli --version $version --add-source $feed --tool-path ~/.stepdistill
                    ~/.stepdistill/stepdistill --version
use the library:    dotnet add package MLNet.StepDistill --version $version --source $feed   (plus your platform's libtorch, see the README's Install)
USAGE
