#!/usr/bin/env bash
# Trains the SentencePiece model shipped in datasets/tokenizer/ for students trained from scratch
# (the "tiny" preset of the shipped experiments). Not part of CI: its output is committed.
# Pretrained Hugging Face students bring their own spiece.model.
#
# Text: the task inputs, labels and teacher rationales of the shipped train/valid splits.
# T5 conventions: pad 0, eos 1, unk 2, no bos; unigram; sentencepiece's nmt_nfkc normalisation.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v spm_train >/dev/null || { apt-get install -y -qq sentencepiece >/dev/null; }
command -v python3 >/dev/null || { echo "python3 is needed to extract the text" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$work/corpus.txt" <<'PY'
import json, sys, pathlib
out = open(sys.argv[1], "w", encoding="utf-8")
root = pathlib.Path("datasets")
pools = {"cqa": "train", "svamp": "train", "anli1": "valid", "esnli": "valid"}
for name, split in pools.items():
    for line in open(root / name / f"{split}.jsonl", encoding="utf-8"):
        row = json.loads(line)
        for key, value in row.items():
            if key == "id": continue
            values = value if isinstance(value, list) else [value]
            for v in values: out.write(str(v) + "\n")
    for line in open(root / name / "teacher" / "palm-540b" / f"{split}.jsonl", encoding="utf-8"):
        out.write(json.loads(line)["completion"] + "\n")
    out.write("predict: explain: So the answer is Answer Choices: entailment neutral contradiction\n")
PY
spm_train --input="$work/corpus.txt" --model_prefix="$work/spiece" --vocab_size=4000 --model_type=unigram \
  --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --character_coverage=1.0 --input_sentence_size=2000000 \
  --shuffle_input_sentence=true --seed_sentencepiece_size=200000 --num_threads=2 --minloglevel=1
mkdir -p datasets/tokenizer
cp "$work/spiece.model" datasets/tokenizer/spiece.model
echo "wrote datasets/tokenizer/spiece.model"
