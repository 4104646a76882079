// The REST API over real sockets, with the real embedded model.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startServer, type RunningServer } from '../support/server.js';
import { errorCode, eventually, get, post, SEED } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';

const KEY = 'test-key-123';
const auth = { 'x-api-key': KEY };
let srv: RunningServer;
let api: string;

beforeAll(async () => {
  srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: KEY, RATE_LIMIT_PER_SECOND: '0', MAX_BODY_BYTES: '65536', MAX_LABELS: '30' } });
  api = `${srv.url}/api/v1`;
});
afterAll(async () => {
  expect(await srv.stop()).toBe(0);
});

interface ApiEntity { text: string; start: number; end: number; entity_type: string; score: number }
const entitiesOf = (body: Record<string, unknown>): ApiEntity[] => body.entities as ApiEntity[];

describe('POST /api/v1/predict', () => {
  it('answers the seed example: Microsoft at [10, 19]', async () => {
    const answer = await post(`${api}/predict`, SEED, auth);
    expect(answer.status).toBe(200);
    const entities = entitiesOf(answer.body);
    expect(entities).toContainEqual(expect.objectContaining({ text: 'Microsoft', start: 10, end: 19, entity_type: 'ORGANIZATION' }));
    expect(typeof answer.body.processing_time).toBe('number');
    expect(answer.body.model).toEqual(expect.stringContaining(path.basename(TEST_MODEL)));
  });

  it('finds Seattle and Washington with labels ["location"] and Microsoft with ["organization"]', async () => {
    const loc = await post(`${api}/predict`, { text: SEED.text, labels: ['location'] }, auth);
    // The small embedded model also calls Microsoft a location here (see its model card).
    expect(entitiesOf(loc.body).map((e) => e.text)).toEqual(expect.arrayContaining(['Seattle', 'Washington']));
    const org = await post(`${api}/predict`, { text: SEED.text, labels: ['organization'] }, auth);
    expect(entitiesOf(org.body).map((e) => [e.text, e.start, e.end])).toEqual([['Microsoft', 10, 19]]);
  });

  it('carries request id and per-stage timing headers', async () => {
    const answer = await post(`${api}/predict`, SEED, { ...auth, 'x-request-id': 'trace-42' });
    expect(answer.headers.get('x-request-id')).toBe('trace-42');
    for (const h of ['x-queue-time', 'x-inference-time', 'x-total-time']) expect(Number(answer.headers.get(h))).toBeGreaterThanOrEqual(0);
    expect(answer.headers.get('server-timing')).toMatch(/queue;dur=.*inference;dur=.*total;dur=/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('reports offsets in code points on astral-plane text', async () => {
    const text = '😀🎉👍🏽 I work at Microsoft based in Seattle, Washington.';
    const answer = await post(`${api}/predict`, { text, labels: ['organization'] }, auth);
    const ms = entitiesOf(answer.body).find((e) => e.text === 'Microsoft');
    expect(ms).toBeDefined();
    expect([...text].slice(ms?.start, ms?.end).join('')).toBe('Microsoft');
    expect(ms?.start).toBe(15);
  });

  it('finds the entities in the last sentence of a 5,000-word document (no truncation)', async () => {
    const sentences = [
      'The committee met on Tuesday to discuss the budget for next year.',
      'Prices rose slightly in the third quarter, analysts said.',
      'The weather stayed mild for most of the week.',
      'Officials expect the new rules to take effect in the spring.',
    ];
    const filler: string[] = [];
    for (let words = 0; words < 5000; words += (filler.at(-1) ?? '').split(' ').length) filler.push(sentences[filler.length % sentences.length] ?? '');
    const text = `${filler.join(' ')} I work at Microsoft based in Seattle, Washington.`;
    expect(text.split(' ').length).toBeGreaterThan(5000);
    const answer = await post(`${api}/predict`, { text, labels: ['location'] }, auth);
    expect(answer.status).toBe(200);
    const found = entitiesOf(answer.body).filter((e) => e.start > text.length - 60);
    expect(found.map((e) => e.text)).toEqual(expect.arrayContaining(['Seattle', 'Washington']));
    for (const e of found) expect([...text].slice(e.start, e.end).join('')).toBe(e.text);
  });

  it('returns no entities for a blank text', async () => {
    const answer = await post(`${api}/predict`, { text: '   ', labels: ['person'] }, auth);
    expect(answer.status).toBe(200);
    expect(answer.body.entities).toEqual([]);
  });
});

describe('POST /api/v1/predict/batch', () => {
  it('answers one result per text, in order, each as if run alone', async () => {
    const texts = ['I work at Microsoft based in Seattle, Washington.', 'Nothing to see here.', SEED.text];
    const batch = await post(`${api}/predict/batch`, { texts, labels: ['organization', 'location'] }, auth);
    expect(batch.status).toBe(200);
    const results = batch.body.results as { entities: ApiEntity[] }[];
    expect(results).toHaveLength(3);
    const single = await post(`${api}/predict`, { text: SEED.text, labels: ['organization', 'location'] }, auth);
    expect(results[0]?.entities.map((e) => [e.text, e.entity_type])).toEqual(entitiesOf(single.body).map((e) => [e.text, e.entity_type]));
    expect(results[2]?.entities).toEqual(results[0]?.entities);
  });

  it('accepts "entity_type" as /predict does, and refuses both or neither', async () => {
    const batch = await post(`${api}/predict/batch`, { texts: [SEED.text], entity_type: 'ORGANIZATION' }, auth);
    expect(batch.status).toBe(200);
    const single = await post(`${api}/predict`, SEED, auth);
    expect((batch.body.results as { entities: ApiEntity[] }[])[0]?.entities).toEqual(entitiesOf(single.body));
    const both = await post(`${api}/predict/batch`, { texts: ['a'], labels: ['x'], entity_type: 'y' }, auth);
    expect([both.status, errorCode(both)]).toEqual([400, 'VALIDATION_FAILED']);
    const neither = await post(`${api}/predict/batch`, { texts: ['a'] }, auth);
    expect([neither.status, errorCode(neither)]).toEqual([400, 'VALIDATION_FAILED']);
    expect((neither.body.error as { message: string }).message).toBe('Field "labels" is required (or give "entity_type").');
  });
});

describe('errors: one JSON shape, stable codes, the right status', () => {
  it('400 BAD_JSON', async () => {
    const answer = await post(`${api}/predict`, '{"text": ', auth);
    expect([answer.status, errorCode(answer)]).toEqual([400, 'BAD_JSON']);
  });

  it('400 VALIDATION_FAILED naming the field', async () => {
    const wrongType = await post(`${api}/predict`, { text: 42, labels: ['x'] }, auth);
    expect([wrongType.status, errorCode(wrongType)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(JSON.stringify(wrongType.body)).toContain('text');
    const typo = await post(`${api}/predict`, { text: 'a', labels: ['x'], treshold: 0.3 }, auth);
    expect(JSON.stringify(typo.body)).toContain('treshold');
    const range = await post(`${api}/predict`, { text: 'a', labels: ['x'], threshold: 2 }, auth);
    expect([range.status, errorCode(range)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(JSON.stringify(range.body)).toContain('threshold');
    const none = await post(`${api}/predict`, { text: 'a' }, auth);
    expect([none.status, errorCode(none)]).toEqual([400, 'VALIDATION_FAILED']);
    const empty = await post(`${api}/predict`, { text: 'a', labels: ['person', ' '] }, auth);
    expect([empty.status, errorCode(empty)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(JSON.stringify(empty.body)).toContain('labels.1');
  });

  it('400 LIMIT_EXCEEDED for too many labels', async () => {
    const answer = await post(`${api}/predict`, { text: 'a', labels: Array.from({ length: 31 }, (_, i) => `l${i}`) }, auth);
    expect([answer.status, errorCode(answer)]).toEqual([400, 'LIMIT_EXCEEDED']);
  });

  it('401 UNAUTHORIZED with WWW-Authenticate, missing or wrong key alike', async () => {
    for (const headers of [{}, { 'x-api-key': 'nope' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const answer = await post(`${api}/predict`, SEED, headers);
      expect([answer.status, errorCode(answer)]).toEqual([401, 'UNAUTHORIZED']);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const bearer = await post(`${api}/predict`, SEED, { authorization: `Bearer ${KEY}` });
    expect(bearer.status).toBe(200);
  });

  it('404 NOT_FOUND and 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const missing = await get(`${srv.url}/api/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text) as unknown).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /api/v1/nothing' } });
    const slash = await post(`${api}/predict/`, SEED, auth);
    expect(slash.status).toBe(404);
    expect((slash.body as { error: { message: string } }).error.message).toBe('No route for POST /api/v1/predict/ (did you mean /api/v1/predict?)');
    const wrong = await get(`${api}/predict`, auth);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((JSON.parse(wrong.text) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('every response carries X-Request-Id, X-Total-Time and Server-Timing: 400, 401, 404, 405, health and docs too', async () => {
    const answers = [
      await post(`${api}/predict`, { text: 'a' }, auth), // 400
      await post(`${api}/predict`, SEED, {}), // 401
      await get(`${srv.url}/api/v1/nothing`), // 404
      await get(`${api}/predict`, auth), // 405
      await get(`${srv.url}/health/live`),
      await get(`${srv.adminUrl}/metrics`),
      await get(`${srv.url}/api/openapi.json`),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 401, 404, 405, 200, 200, 200]);
    for (const answer of answers) {
      expect(answer.headers.get('x-request-id')).toBeTruthy();
      expect(answer.headers.get('x-total-time')).toMatch(/^\d+\.\d{2}$/);
      expect(answer.headers.get('server-timing')).toBe(`total;dur=${answer.headers.get('x-total-time')}`);
    }
    // A prediction carries its own per-stage timings, once each.
    const ok = await post(`${api}/predict`, SEED, auth);
    expect(ok.headers.get('x-queue-time')).toMatch(/^\d+\.\d{2}$/);
    expect(ok.headers.get('server-timing')).toMatch(/^queue;dur=[\d.]+, inference;dur=[\d.]+, total;dur=[\d.]+$/);
  });

  it('413 PAYLOAD_TOO_LARGE', async () => {
    const answer = await post(`${api}/predict`, { text: 'x '.repeat(40_000), labels: ['a'] }, auth).catch((error: unknown) => error);
    // The server answers 413 before reading the body and closes the connection.
    expect((answer as { status?: number }).status).toBe(413);
    expect(errorCode(answer as never)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await fetch(`${api}/predict`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify(SEED) });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('health, docs, metrics', () => {
  it('serves liveness and readiness on both listeners', async () => {
    for (const base of [srv.url, srv.adminUrl]) {
      expect((await get(`${base}/health/live`)).status).toBe(200);
      const ready = await get(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect((JSON.parse(ready.text) as { model: { executionProvider: string } }).model.executionProvider).toBe('cpu');
    }
  });

  it('serves /metrics on the admin port only', async () => {
    const metrics = await get(`${srv.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('gliner_http_requests_total');
    expect(metrics.text).toContain('gliner_model_info{');
    expect((await get(`${srv.url}/metrics`)).status).toBe(404);
  });

  it('exposes exactly the gliner_* metrics the catalogue (docs/metrics.md) documents, with their types', async () => {
    const catalogue = readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    const documented = new Map([...catalogue.matchAll(/^\| `(gliner_[a-z_]+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]));
    const exposed = new Map([...(await get(`${srv.adminUrl}/metrics`)).text.matchAll(/^# TYPE (gliner_[a-z_]+) (\w+)$/gm)].map((m) => [m[1], m[2]]));
    expect(documented.size).toBeGreaterThan(20);
    expect(exposed).toEqual(documented);
  });

  it('serves the OpenAPI document, Swagger UI and ReDoc offline', async () => {
    const spec = JSON.parse((await get(`${srv.url}/api/openapi.json`)).text) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/predict', '/api/v1/predict/batch', '/api/v1/stream']));
    const docs = await get(`${srv.url}/api/docs`);
    expect(docs.text).toContain('swagger-ui-bundle.js');
    expect((await get(`${srv.url}/api/docs/swagger-ui-bundle.js`)).status).toBe(200);
    expect((await get(`${srv.url}/api/redoc`)).text).toContain('redoc.standalone.js');
    const redoc = await get(`${srv.url}/api/redoc/redoc.standalone.js`);
    expect(redoc.status).toBe(200);
    // Nothing from a CDN: ReDoc's logo is inlined, Swagger UI's online validator badge is off.
    expect(redoc.text).not.toMatch(/src:\s*"https?:\/\//);
    expect(redoc.text).not.toContain('cdn.redoc.ly');
    expect((await get(`${srv.url}/api/docs/init.js`)).text).toContain('validatorUrl: null');
  });

  it('logs one line per request without the text or the key', async () => {
    const answer = await post(`${api}/predict`, { text: 'Secret Person Name lives here', labels: ['person'] }, auth);
    const reqId = answer.headers.get('x-request-id');
    await eventually(() => srv.logs.some((l) => l.reqId === reqId));
    const lines = srv.logs.filter((l) => l.msg === 'request');
    const all = JSON.stringify(srv.logs);
    expect(all).not.toContain('Secret Person Name');
    expect(all).not.toContain(KEY);
    expect(lines.find((l) => l.reqId === reqId)).toEqual(expect.objectContaining({ route: '/api/v1/predict', status: 200, key: 'env-1', latencyMs: expect.any(Number) as unknown, batches: expect.any(Array) as unknown }));
  });
});
