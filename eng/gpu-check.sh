#!/usr/bin/env bash
# One short check on a CUDA machine (nothing in CI needs a GPU):
#   1. a CUDA GPU must be visible (nvidia-smi), else say so and stop (exit 2);
#   2. a CUDA libtorch of the version TorchSharp is built against (LibTorchVersion in Directory.Build.props) must be
#      at hand, else say so and stop (exit 3): either $LIBTORCH (a libtorch folder with build-version and
#      lib/libtorch_cuda.so; built with TorchBackend=none and put on LD_LIBRARY_PATH), or the NuGet package
#      libtorch-cuda-12.8-linux-x64 from the configured package sources (TorchBackend=cuda-linux);
#   3. build the benchmarks with that backend into a separate output folder (the obj folders are shared: the next
#      plain build restores the CPU package again);
#   4. train 50 steps of the tiny student in fp32 and in bf16, decode, and print tokens/s and the max abs difference of
#      the logits bf16 vs fp32 (the `gpu` benchmark).
# Usage: eng/gpu-check.sh            (from anywhere; STEPS=50 by default)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${STEPS:-50}"
want="$(sed -n 's:.*<LibTorchVersion>\(.*\)</LibTorchVersion>.*:\1:p' "$repo/Directory.Build.props")"
project="$repo/benchmarks/MLNet.StepDistill.Benchmarks/MLNet.StepDistill.Benchmarks.csproj"
out="${GPU_CHECK_OUT:-${TMPDIR:-/tmp}/stepdistill-gpu-check}"

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  echo "gpu-check: no CUDA GPU on this machine (nvidia-smi finds none); nothing to check." >&2
  exit 2
fi
nvidia-smi -L

backend=""
mkdir -p "$out"
if [[ -n "${LIBTORCH:-}" ]]; then
  have="$(cat "$LIBTORCH/build-version" 2>/dev/null || echo unknown)"
  if [[ "$have" == "$want"* && -e "$LIBTORCH/lib/libtorch_cuda.so" ]]; then
    backend=none
    export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "gpu-check: using \$LIBTORCH=$LIBTORCH (libtorch $have, CUDA)"
  else
    echo "gpu-check: \$LIBTORCH=$LIBTORCH is libtorch $have$([[ -e "$LIBTORCH/lib/libtorch_cuda.so" ]] || echo ' without lib/libtorch_cuda.so'); TorchSharp needs a CUDA libtorch $want." >&2
    exit 3
  fi
elif dotnet restore "$project" -p:TorchBackend=cuda-linux >"$out.restore.log" 2>&1; then
  backend=cuda-linux
  echo "gpu-check: using NuGet libtorch-cuda-12.8-linux-x64 $want"
else
  echo "gpu-check: no CUDA libtorch $want here: set LIBTORCH to a CUDA libtorch $want folder, or add a package source serving libtorch-cuda-12.8-linux-x64 $want (restore log: $out.restore.log)." >&2
  exit 3
fi

dotnet build "$project" -c Release -p:TorchBackend="$backend" -o "$out/bin" -nologo -v:q
"$out/bin/MLNet.StepDistill.Benchmarks" gpu --steps "$steps"
