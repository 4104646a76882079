// The Open Inference Protocol (KServe v2 REST) over real sockets, with the real embedded model:
// every request this suite sends and every response it gets is checked against the protocol's own
// published OpenAPI document (test/fixtures/kserve/rest_predict_v2.yaml), and the answers are the
// same as our own API's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/server.js';
import { get, metricValue, post, SEED } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { requestProblems, responseProblems, schemaNames } from '../support/oip-spec.js';

const KEY = 'oip-key-123';
const auth = { 'x-api-key': KEY };
let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', MAX_BATCH_TEXTS: '4', MAX_BODY_BYTES: '65536' } });
});
afterAll(async () => {
  expect(await srv.stop()).toBe(0);
});

/** GET a /v2 URL and check the answer against the document. */
async function getChecked(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; text: string }> {
  const answer = await get(`${srv.url}${url}`, headers);
  const body: unknown = answer.text === '' ? undefined : JSON.parse(answer.text);
  if (body !== undefined) expect(responseProblems('get', url, answer.status, body), `${url} → ${answer.status} ${answer.text}`).toEqual([]);
  return { status: answer.status, body, text: answer.text };
}

/** POST an inference request, checking the request (when it is meant to conform) and the response. */
async function infer(url: string, body: unknown, { conforming = true, headers = auth }: { conforming?: boolean; headers?: Record<string, string> } = {}) {
  if (conforming) expect(requestProblems('post', url, body)).toEqual([]);
  const answer = await post(`${srv.url}${url}`, body, headers);
  expect(responseProblems('post', url, answer.status, answer.body), `${url} → ${answer.status} ${JSON.stringify(answer.body)}`).toEqual([]);
  return answer;
}

const tensor = (name: string, data: unknown[], shape: number[] = [data.length], datatype = 'BYTES') => ({ name, shape, datatype, data });
const TEXTS = [SEED.text, 'Ada Lovelace was born in London.'];
const LABELS = ['organization', 'location', 'person'];
const request = (extra: Record<string, unknown> = {}) => ({ id: 'req-1', inputs: [tensor('text', TEXTS), tensor('labels', LABELS)], ...extra });

interface Output { name: string; datatype: string; shape: number[]; data: unknown[] }
const outputs = (body: Record<string, unknown>) => body.outputs as Output[];

it('the committed document is the protocol\'s (its schemas are all there)', () => {
  expect(schemaNames()).toEqual(expect.arrayContaining(['inference_request', 'inference_response', 'inference_error_response', 'metadata_server_response', 'metadata_model_response']));
});

describe('metadata and health', () => {
  it('GET /v2 and /v2/ answer the server metadata', async () => {
    for (const url of ['/v2', '/v2/']) {
      const answer = await getChecked(url);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(expect.objectContaining({ name: 'gliner-serve', extensions: [] }));
    }
  });

  it('health is a status with an empty body', async () => {
    for (const url of ['/v2/health/live', '/v2/health/ready', '/v2/models/gliner/ready', '/v2/models/gliner/versions/local/ready']) {
      const answer = await getChecked(url);
      expect([url, answer.status, answer.text]).toEqual([url, 200, '']);
    }
  });

  it('model metadata names the tensors, with and without the version', async () => {
    for (const url of ['/v2/models/gliner', '/v2/models/gliner/versions/local']) {
      const answer = await getChecked(url);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        name: 'gliner', versions: ['local'], platform: 'gliner_onnx',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }, { name: 'labels', datatype: 'BYTES', shape: [-1] }],
        outputs: [{ name: 'entities', datatype: 'BYTES', shape: [-1] }, { name: 'truncated', datatype: 'BOOL', shape: [-1] }],
      });
    }
  });

  it('an unknown model or version is 404 in the protocol\'s error shape', async () => {
    for (const url of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/gliner/versions/v9', '/v2/models/gliner/versions/v9/ready']) {
      const answer = await getChecked(url);
      expect(answer.status).toBe(404);
      expect(typeof (answer.body as { error: unknown }).error).toBe('string');
    }
  });
});

describe('POST /v2/models/{name}/infer', () => {
  it('answers one JSON document per text, the same entities as /api/v1/predict/batch', async () => {
    const answer = await infer('/v2/models/gliner/infer', request({ parameters: { threshold: 0.3, flat_ner: true, multi_label: false } }));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(expect.objectContaining({ model_name: 'gliner', model_version: 'local', id: 'req-1' }));
    const [entities, truncated] = outputs(answer.body);
    expect(entities).toEqual(expect.objectContaining({ name: 'entities', datatype: 'BYTES', shape: [2] }));
    expect(truncated).toEqual({ name: 'truncated', datatype: 'BOOL', shape: [2], data: [false, false] });
    const ours = await post(`${srv.url}/api/v1/predict/batch`, { texts: TEXTS, labels: LABELS, threshold: 0.3 }, auth);
    const results = ours.body.results as { entities: unknown[] }[];
    expect(entities?.data.map((doc) => JSON.parse(doc as string) as unknown)).toEqual(results.map((r) => r.entities));
    expect(JSON.parse(entities?.data[0] as string)).toContainEqual(expect.objectContaining({ text: 'Microsoft', start: 10, end: 19, entity_type: 'organization' }));
  });

  it('takes the version in the URL, nested tensor data (the outputs keep the text\'s shape) and a choice of outputs', async () => {
    const body = { inputs: [tensor('text', [[TEXTS[0]], [TEXTS[1]]], [2, 1]), tensor('labels', LABELS)], outputs: [{ name: 'truncated' }] };
    const answer = await infer('/v2/models/gliner/versions/local/infer', body);
    expect(answer.status).toBe(200);
    expect(answer.body.id).toBeUndefined();
    expect(outputs(answer.body)).toEqual([{ name: 'truncated', datatype: 'BOOL', shape: [2, 1], data: [false, false] }]);
  });

  it('goes through the result cache like the rest of the API (X-Cache)', async () => {
    const body = request({ id: 'cached', inputs: [tensor('text', ['Grace Hopper worked in Arlington.']), tensor('labels', LABELS)] });
    const first = await infer('/v2/models/gliner/infer', body);
    const second = await infer('/v2/models/gliner/infer', body);
    expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['miss', 'hit']);
    expect(second.body).toEqual({ ...first.body, parameters: { ...(first.body.parameters as object), processing_time: (second.body.parameters as { processing_time: number }).processing_time } });
  });

  it.each([
    ['wrong datatype', { inputs: [tensor('text', [1], [1], 'FP32'), tensor('labels', LABELS)] }, 400, 'VALIDATION_FAILED', /datatype must be BYTES/],
    ['shape and data disagree', { inputs: [tensor('text', TEXTS, [3]), tensor('labels', LABELS)] }, 400, 'VALIDATION_FAILED', /shape \[3\] holds 3 elements but data has 2/],
    ['missing labels', { inputs: [tensor('text', TEXTS)] }, 400, 'VALIDATION_FAILED', /Input "labels" is required/],
    ['unknown input', { inputs: [tensor('text', TEXTS), tensor('labels', LABELS), tensor('image', ['x'])] }, 400, 'VALIDATION_FAILED', /Unknown input "image"/],
    ['unknown output', { ...request(), outputs: [{ name: 'logits' }] }, 400, 'VALIDATION_FAILED', /Unknown output "logits"/],
    ['binary data asked for', { ...request(), outputs: [{ name: 'entities', parameters: { binary_data: true } }] }, 400, 'VALIDATION_FAILED', /binary data extension/],
    ['unknown parameter', request({ parameters: { treshold: 0.2 } }), 400, 'VALIDATION_FAILED', /Unknown field "parameters.treshold"/],
    ['threshold out of range', request({ parameters: { threshold: 2 } }), 400, 'VALIDATION_FAILED', /parameters.threshold/],
    ['blank label', { inputs: [tensor('text', TEXTS), tensor('labels', [' '])] }, 400, 'VALIDATION_FAILED', /must not be empty or blank/],
    ['too many texts', { inputs: [tensor('text', ['a', 'b', 'c', 'd', 'e']), tensor('labels', LABELS)] }, 400, 'LIMIT_EXCEEDED', /at most 4 texts/],
  ])('%s: an error in the protocol\'s shape, with our code beside the message', async (_name, body, status, code, message) => {
    const answer = await infer('/v2/models/gliner/infer', body, { conforming: false });
    expect(answer.status).toBe(status);
    expect(Object.keys(answer.body)).toEqual(['error', 'code']);
    expect(answer.body.error).toMatch(message);
    expect(answer.body.code).toBe(code);
  });

  it('needs an API key (401), a JSON body (400, 415), and the served model (404), each in the protocol\'s shape', async () => {
    const noKey = await infer('/v2/models/gliner/infer', request(), { headers: {} });
    expect([noKey.status, typeof noKey.body.error, noKey.body.code]).toEqual([401, 'string', 'UNAUTHORIZED']);
    const badJson = await infer('/v2/models/gliner/infer', '{"inputs": [', { conforming: false });
    expect([badJson.status, badJson.body.error, badJson.body.code]).toEqual([400, 'The request body is not valid JSON.', 'BAD_JSON']);
    const unknown = await infer('/v2/models/other/infer', request());
    expect([unknown.status, unknown.body.error, unknown.body.code]).toEqual([404, 'Unknown model "other"; this server serves "gliner".', 'NOT_FOUND']);
    const wrongType = await fetch(`${srv.url}/v2/models/gliner/infer`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify(request()) });
    const typeBody = await wrongType.json() as Record<string, unknown>;
    expect(responseProblems('post', '/v2/models/gliner/infer', wrongType.status, typeBody)).toEqual([]);
    expect([wrongType.status, Object.keys(typeBody), typeBody.code]).toEqual([415, ['error', 'code'], 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('is counted under its route template in the metrics', async () => {
    const metrics = (await get(`${srv.adminUrl}/metrics`)).text;
    expect(metricValue(metrics, 'gliner_http_requests_total', { route: '/v2/models/{name}/infer', status: '200' })).toBeGreaterThan(0);
    expect(metricValue(metrics, 'gliner_http_requests_total', { route: '/v2/models/{name}/versions/{version}/infer', status: '200' })).toBeGreaterThan(0);
  });
});
