#!/usr/bin/env bash
# Regenerates notebooks/*.ipynb from notebooks/src/*.cells and fills in every cell's outputs from a real run of this
# build (the notebook tests run each notebook; STEPDISTILL_NOTEBOOK_OUTPUTS=1 makes them write the outputs back).
# Usage: bash eng/run-notebooks.sh   (a few minutes on 2 cores; one torch thread by default)
set -euo pipefail
cd "$(dirname "$0")/.."
for cells in notebooks/src/*.cells; do
  name=$(basename "$cells" .cells)
  python3 eng/make-notebook.py "$cells" "notebooks/$name.ipynb"
done
dotnet build tests/MLNet.StepDistill.Notebooks.Tests -c Release
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" STEPDISTILL_NOTEBOOK_OUTPUTS=1 \
  dotnet test tests/MLNet.StepDistill.Notebooks.Tests -c Release --no-build --filter "FullyQualifiedName~NotebookTests"
