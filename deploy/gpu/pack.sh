#!/usr/bin/env bash
# Packs what the H200 device needs to run the server and `bench` there, into .gpu-carry/ (in
# .gitignore; name it in the device tool's `carry`, with `dist`). The device has no registry access and no
# guarantee of Node.js, and the working tree that travels is capped at 64 MiB (the tracked files are
# already ~36 MB, mostly native-models/gliner-tiny/model.onnx), so:
#   node.xz            this machine's Node.js binary (Node 20, same ABI as node_modules' natives)
#   node_modules.tar.xz  production dependencies only (package-lock.json entries without "dev"),
#                      linux-x64 natives only, WITHOUT onnxruntime-node's 46 MB libonnxruntime.so.1:
#                      on the device the binding loads the Python onnxruntime wheel's
#                      libonnxruntime.so.1.30.0 (same version, same C API) through LD_LIBRARY_PATH;
#                      that swap was checked here (deploy/gpu/README.md, "Evidence").
# Usage: npm run build && bash deploy/gpu/pack.sh   (prints the sizes; fails if over budget)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
CARRY=.gpu-carry
BUDGET=$((64 * 1024 * 1024))
git check-ignore -q "$CARRY/x" || { echo "$CARRY/ must be ignored by git (.gitignore)" >&2; exit 1; }
[ -f dist/src/cli.js ] || { echo "build first: npm run build" >&2; exit 1; }
rm -rf "$CARRY" && mkdir -p "$CARRY"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
node -e '
const lock = require("./package-lock.json"); const fs = require("fs");
const prod = Object.entries(lock.packages)
  .filter(([k, v]) => k.startsWith("node_modules/") && !v.dev && fs.existsSync(k)).map(([k]) => k);
fs.writeFileSync(process.argv[1], prod.join("\n") + "\n");
' "$STAGE/list"
mkdir -p "$STAGE/tree"
while read -r p; do mkdir -p "$STAGE/tree/$(dirname "$p")"; cp -rL "$p" "$STAGE/tree/$p"; done < "$STAGE/list"
ORT="$STAGE/tree/node_modules/onnxruntime-node/bin/napi-v6"
find "$ORT" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$ORT/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +
rm -f "$ORT/linux/x64/libonnxruntime.so.1"
UWS="$STAGE/tree/node_modules/uWebSockets.js"
find "$UWS" -maxdepth 2 -name 'uws_*.node' ! -name 'uws_linux_x64_115.node' -delete
find "$STAGE/tree" \( -name '*.map' -o -name '*.d.ts' -o -name '*.md' \) -type f -delete
tar -C "$STAGE/tree" -cf - node_modules | xz -T2 -6 > "$CARRY/node_modules.tar.xz"
xz -T2 -6 -c "$(command -v node)" > "$CARRY/node.xz"
node --version > "$CARRY/node.version"
tracked=$(git ls-files -z | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
carry=$(du -sb "$CARRY" dist | awk '{s+=$1} END {print s}')
ls -l "$CARRY"
echo "tracked files: $tracked bytes; carried (.gpu-carry + dist): $carry bytes; budget $BUDGET"
[ $((tracked + carry)) -le "$BUDGET" ] || { echo "over the 64 MiB the device accepts" >&2; exit 1; }
