#!/usr/bin/env bash
# Back on the CPU machine after native-models/train-gpu.sh ran on the device: reassembles the model
# from the returned parts, checks onnxruntime-node against the PyTorch parity cases, and scores the
# candidate through the server's own path (`eval`, per sentence and `--documents`) on every shipped
# CrossNER domain and, when the file is given, CoNLL-2003 test. Prints a markdown table for the card.
#
#   bash native-models/after-gpu.sh DIR_WITH_PARTS [CONLL_TEST_FILE]
#
# The candidate lands in native-models/.cache/gliner-tiny-v2 (ignored). Shipping it is a separate,
# deliberate step: copy model.onnx, tokenizer.json, tokenizer_config.json and gliner_config.json
# over native-models/gliner-tiny only if its figures beat the shipped model's (model card).
set -euo pipefail
PARTS="${1:?directory holding model.tar.part-*}"
CONLL="${2:-}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"
DEST=native-models/.cache
mkdir -p "$DEST"
rm -rf "$DEST/gliner-tiny-v2"
cat "$PARTS"/model.tar.part-* | tar -C "$DEST" -xf -
MODEL="$DEST/gliner-tiny-v2"
ls -l "$MODEL"
if [ ! -f "$MODEL/model.onnx" ] && [ -f "$MODEL/best-fp16.pt" ]; then
  echo "no model.onnx (export failed on the device): exporting the returned checkpoint here"
  mkdir -p "$DEST/v2-build/tokenizer" && cp "$MODEL"/tokenizer*.json "$DEST/v2-build/tokenizer/"
  (cd native-models && DATASETS_DIR="$REPO/datasets" "${PYTHON:-/usr/bin/python3}" -m gliner_native.finalize \
    --ckpt "$REPO/$MODEL/best-fp16.pt" --build "$REPO/$DEST/v2-build" --out "$REPO/$MODEL" --skip-test)
  cp "$DEST/v2-build/parity_trained.json" "$MODEL/parity_trained.json"
fi
size=$(stat -c %s "$MODEL/model.onnx")
echo "model.onnx: $size bytes"; [ "$size" -le 40000000 ] || { echo "over 40 MB" >&2; exit 1; }
node native-models/gliner_native/onnx_parity.mjs "$MODEL/model.onnx" "$MODEL/parity_trained.json"
[ -f dist/src/cli.js ] || npm run -s build
declare -A LABELS=(
  [ai]=algorithm,conference,country,field,location,metrics,misc,organisation,person,product,programlang,researcher,task,university
  [literature]=award,book,country,event,literarygenre,location,magazine,misc,organisation,person,poem,writer
  [music]=album,award,band,country,event,location,misc,musicalartist,musicalinstrument,musicgenre,organisation,person,song
  [politics]=country,election,event,location,misc,organisation,person,politicalparty,politician
  [science]=academicjournal,astronomicalobject,award,chemicalcompound,chemicalelement,country,discipline,enzyme,event,location,misc,organisation,person,protein,scientist,theory,university
)
f1() { node dist/src/cli.js eval --model "$MODEL" --data "$1" --labels "$2" --json ${3:-} | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);process.stdout.write(r.micro.f1.toFixed(4))})'; }
echo
echo "| test set | per sentence | --documents |"
echo "| --- | ---: | ---: |"
if [ -n "$CONLL" ]; then
  echo "| CoNLL-2003 | $(f1 "$CONLL" person,organisation,location,misc) | $(f1 "$CONLL" person,organisation,location,misc --documents) |"
fi
for d in ai literature music politics science; do
  echo "| CrossNER $d | $(f1 "datasets/crossner/$d/test.txt" "${LABELS[$d]}") | $(f1 "datasets/crossner/$d/test.txt" "${LABELS[$d]}" --documents) |"
done
