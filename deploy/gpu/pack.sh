#!/usr/bin/env bash
# Packs what the H200 device needs to run the server and `bench` there, into .gpu-carry/ (in
# .gitignore; name it in the device tool's `carry`). The device has no registry access and no
# guarantee of Node.js, and the working tree that travels is capped at 64 MiB (the tracked files are
# already ~36 MB, mostly native-models/gliner-tiny/model.onnx), so:
#   node.xz            this machine's Node.js binary, stripped (Node 20, same ABI as node_modules' natives)
#   dist.tar.xz        the built dist/ (npm run build)
#   node_modules.tar.xz  the runtime closure of package.json's dependencies (via package-lock.json),
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
mkdir -p "$CARRY" && rm -f "$CARRY/node_modules.tar.xz"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
# The runtime closure of package.json's dependencies, resolved through package-lock.json the way
# Node resolves them. redoc and swagger-ui-dist are read as static files only (src/http/routes/docs.ts):
# their package.json and those files travel, not their dependency trees (React and friends).
node -e '
const lock = require("./package-lock.json"); const pkg = require("./package.json"); const fs = require("fs");
const FILES_ONLY = { "redoc": ["bundles/redoc.standalone.js"], "swagger-ui-dist": ["swagger-ui.css", "swagger-ui-bundle.js"] };
const seen = new Set(); const out = [];
function resolve(from, name) {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const p = (dir ? dir + "/" : "") + "node_modules/" + name;
    if (lock.packages[p]) return p;
    if (!dir) return undefined;
  }
}
function walk(p) {
  if (seen.has(p)) return; seen.add(p);
  const name = p.slice(p.lastIndexOf("node_modules/") + 13);
  if (FILES_ONLY[name]) { out.push([p, ["package.json", ...FILES_ONLY[name]]]); return; }
  out.push([p, null]);
  const e = lock.packages[p];
  for (const d of Object.keys({ ...(e.dependencies || {}), ...(e.optionalDependencies || {}) })) {
    const r = resolve(p, d); if (r && fs.existsSync(r)) walk(r);
  }
}
for (const d of Object.keys(pkg.dependencies)) { const r = resolve("", d); if (r) walk(r); }
fs.writeFileSync(process.argv[1], out.map(([p, files]) => files ? files.map((f) => p + "/" + f).join("\n") : p).join("\n") + "\n");
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
# Node's binary (the slow part: about a minute) only when it changed.
# Stripped of its symbol table (98.9 -> 86.3 MB for Node 20.20.2), which the run does not need.
if [ ! -f "$CARRY/node.xz" ] || [ "$(cat "$CARRY/node.version" 2>/dev/null)" != "$(node --version)" ]; then
  cp "$(command -v node)" "$STAGE/node" && { strip "$STAGE/node" 2>/dev/null || true; }
  "$STAGE/node" --version >/dev/null
  xz -T2 -9e -c "$STAGE/node" > "$CARRY/node.xz"
  node --version > "$CARRY/node.version"
fi
tar -cJf "$CARRY/dist.tar.xz" dist
tracked=$(git ls-files -z | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
carry=$(du -sb "$CARRY" | awk '{s+=$1} END {print s}')
ls -l "$CARRY"
echo "tracked files: $tracked bytes; carried (.gpu-carry): $carry bytes; budget $BUDGET (margin $((BUDGET - tracked - carry)))"
[ $((tracked + carry)) -le "$BUDGET" ] || { echo "over the 64 MiB the device accepts" >&2; exit 1; }
