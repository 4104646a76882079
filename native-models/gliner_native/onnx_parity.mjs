// Usage (from the repo root): node native-models/gliner_native/onnx_parity.mjs <model.onnx> <cases.json>
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
const [modelPath, casesPath] = process.argv.slice(2);
const sess = await ort.InferenceSession.create(modelPath);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const res = [];
for (const c of cases) {
  const feeds = {};
  for (const [k, v] of Object.entries(c.inputs)) {
    feeds[k] = k === 'span_mask'
      ? new ort.Tensor('bool', Uint8Array.from(v.data), v.shape)
      : new ort.Tensor('int64', BigInt64Array.from(v.data.map(BigInt)), v.shape);
  }
  const out = (await sess.run(feeds)).logits;
  let maxDiff = 0, maxAbs = 0, maxProbDiff = 0;
  const sig = (x) => 1 / (1 + Math.exp(-x));
  const same = JSON.stringify(out.dims) === JSON.stringify(c.logits.shape);
  if (same) for (let i = 0; i < out.data.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - c.logits.data[i]));
    maxAbs = Math.max(maxAbs, Math.abs(c.logits.data[i]));
    maxProbDiff = Math.max(maxProbDiff, Math.abs(sig(out.data[i]) - sig(c.logits.data[i])));
  }
  res.push({ batch: c.inputs.input_ids.shape[0], dims: out.dims, expected: c.logits.shape, sameShape: same, maxDiff, maxAbsLogit: maxAbs, maxProbDiff });
}
console.log(JSON.stringify(res));
