// The embedded model's dynamically quantised weights (native-models/gliner-tiny/model_int8.onnx,
// made by native-models/quantize.py) served through MODEL_QUANTIZATION=int8: the model store picks
// the int8 file, the metrics say so, and it still finds the demo's entities.
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, metricValue, post } from '../support/http.js';
import { EMBEDDED_MODEL } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';

let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ env: { MODEL: EMBEDDED_MODEL, MODEL_QUANTIZATION: 'int8', RATE_LIMIT_PER_SECOND: '0' } });
});
afterAll(async () => {
  expect(await srv.stop()).toBe(0);
});

describe('MODEL_QUANTIZATION=int8 on the embedded model', () => {
  it('ships an int8 file a fraction of the fp32 size', () => {
    const fp32 = statSync(path.join(EMBEDDED_MODEL, 'model.onnx')).size;
    const int8 = statSync(path.join(EMBEDDED_MODEL, 'model_int8.onnx')).size;
    expect(int8).toBeLessThan(fp32 * 0.4);
  });

  it('loads model_int8.onnx (gliner_model_info says quantization="int8")', async () => {
    const metrics = await get(`${srv.adminUrl}/metrics`);
    expect(metricValue(metrics.text, 'gliner_model_info', { quantization: 'int8' })).toBe(1);
  });

  it('finds Microsoft, Seattle and Washington in the demo sentence', async () => {
    const answer = await post(`${srv.url}/api/v1/predict`, { text: 'I work at Microsoft based in Seattle, Washington.', labels: ['person', 'organization', 'location'] });
    expect(answer.status).toBe(200);
    const found = (answer.body.entities as { text: string; start: number; end: number; entity_type: string }[]).map((e) => [e.text, e.start, e.end, e.entity_type]);
    expect(found).toEqual([
      ['Microsoft', 10, 19, 'organization'],
      ['Seattle', 29, 36, 'location'],
      ['Washington', 38, 48, 'location'],
    ]);
  });
});
