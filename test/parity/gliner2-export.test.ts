// The GLiNER2 export recipe's recorded run: the committed micro model's ONNX files
// (test/fixtures/gliner2-micro, written by native-models/export_gliner2.py --micro --record) must
// reproduce, in onnxruntime-node, the tensors upstream's PyTorch modules gave on the same fixed
// inputs (recorded.json: inputs from upstream's own processor, PyTorch's outputs and Python ONNX
// Runtime's). CI cannot run the recipe itself (it needs transformers, which Debian does not package,
// and the network is limited to npm and Debian), so the run is recorded and replayed here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths.js';
import { GLINER2_SCORE_TOLERANCE } from './gliner2-adapter.js';

interface Encoded { type: 'float32' | 'int64'; dims: number[]; base64: string }
interface Recorded {
  versions: Record<string, string | null>;
  graphs: Record<string, { inputs: Record<string, Encoded>; torch: Encoded; onnxruntime: Encoded }>;
}

const MICRO = path.join(ROOT, 'test/fixtures/gliner2-micro');
const recorded = JSON.parse(readFileSync(path.join(MICRO, 'recorded.json'), 'utf8')) as Recorded;
const config = JSON.parse(readFileSync(path.join(MICRO, 'gliner2_config.json'), 'utf8')) as { files: Record<string, string> };

function decode(e: Encoded): Float32Array | BigInt64Array {
  const bytes = Buffer.from(e.base64, 'base64');
  const copy = new Uint8Array(bytes);
  return e.type === 'float32' ? new Float32Array(copy.buffer) : new BigInt64Array(copy.buffer);
}

/** Largest |a − b| / max(1, |b|): absolute below 1, relative above (hidden states reach ±5). */
function worst(a: Float32Array, b: Float32Array): number {
  let out = 0;
  for (let i = 0; i < b.length; i++) out = Math.max(out, Math.abs((a[i] ?? Number.NaN) - (b[i] ?? 0)) / Math.max(1, Math.abs(b[i] ?? 0)));
  return Number.isNaN(out) ? Infinity : out;
}

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

describe('GLiNER2 export recipe, recorded run: the committed ONNX files reproduce upstream PyTorch', () => {
  it('every graph of the layout was recorded, on upstream a91fd1d', () => {
    expect(recorded.versions.upstream_commit).toBe('a91fd1d2c72debe43907296c8e375a036c6a4faf');
    const graphs = Object.keys(config.files).filter((name) => name !== 'tokenizer');
    expect(Object.keys(recorded.graphs).sort()).toEqual(graphs.sort());
  });

  it.each(Object.entries(recorded.graphs))(`%s: onnxruntime-node equals PyTorch within ${GLINER2_SCORE_TOLERANCE} (relative above 1)`, async (name, graph) => {
    const file = config.files[name];
    if (file === undefined) throw new Error(`gliner2_config.json has no file for ${name}`);
    const session = await ort.InferenceSession.create(path.join(MICRO, file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    sessions.push(session);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [input, e] of Object.entries(graph.inputs)) feeds[input] = new ort.Tensor(e.type, decode(e), e.dims);
    const output = Object.values(await session.run(feeds))[0];
    if (output === undefined) throw new Error(`${name} returned nothing`);
    expect([...output.dims]).toEqual(graph.torch.dims);
    const ours = output.data as Float32Array;
    expect(worst(ours, decode(graph.torch) as Float32Array)).toBeLessThanOrEqual(GLINER2_SCORE_TOLERANCE);
    // Python's ONNX Runtime, same version, same files: the recipe's own check, replayed.
    expect(worst(decode(graph.onnxruntime) as Float32Array, decode(graph.torch) as Float32Array)).toBeLessThanOrEqual(GLINER2_SCORE_TOLERANCE);
  });
});
