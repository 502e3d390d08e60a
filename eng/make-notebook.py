#!/usr/bin/env python3
"""Writes a Polyglot (.NET Interactive) notebook from a plain text file of cells.

Cells are separated by lines `#%% markdown` or `#%% csharp`. Used to keep notebooks/ reviewable:
edit notebooks/src/NAME.cells, then `python3 eng/make-notebook.py notebooks/src/NAME.cells notebooks/NAME.ipynb`.
"""
import json, sys

def main(src, dst):
    cells, kind, lines = [], None, []
    def flush():
        if kind is None: return
        text = "\n".join(lines).strip("\n")
        source = [l + "\n" for l in text.split("\n")]
        source[-1] = source[-1].rstrip("\n")
        if kind == "markdown":
            cells.append({"cell_type": "markdown", "metadata": {}, "source": source})
        else:
            cells.append({"cell_type": "code", "execution_count": None,
                          "metadata": {"dotnet_interactive": {"language": "csharp"},
                                       "polyglot_notebook": {"kernelName": "csharp"}},
                          "outputs": [], "source": source})
    for line in open(src, encoding="utf-8").read().split("\n"):
        if line.startswith("#%% "):
            flush(); kind, lines = line[4:].strip(), []
        else:
            lines.append(line)
    flush()
    nb = {"cells": cells,
          "metadata": {"kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
                       "language_info": {"name": "csharp"},
                       "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp",
                                                            "items": [{"aliases": [], "name": "csharp"}]}}},
          "nbformat": 4, "nbformat_minor": 5}
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False); f.write("\n")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
