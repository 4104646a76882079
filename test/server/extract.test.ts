// GLiNER2 schema extraction served end to end: the real server (`serve`, uWS on real sockets, the
// service, cache, extract engine, batcher and pool workers) on the committed micro model. REST
// answers equal upstream's own extract / extract_long JSON recorded in the parity fixture (entities,
// classification, relations, structures, mixed schemas, Unicode and long texts; confidences within
// the project's score tolerance); the WebSocket and Open Inference Protocol mappings give the same
// result; schema limits are 400s naming the limit; each endpoint refuses the other kind of model
// with WRONG_ENDPOINT; a repeated request is a cache hit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerDifferences } from '../parity/gliner2-adapter.js';
import { errorCode, get, post } from '../support/http.js';
import { TEST_MODEL } from '../support/model.js';
import { ROOT } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { connect } from '../support/ws.js';
import type { FixtureCase } from '../parity/gliner2-adapter.js';

const fixture = JSON.parse(gunzipSync(readFileSync(path.join(ROOT, 'test/fixtures/gliner2-parity.json.gz'))).toString('utf8')) as { cases: FixtureCase[] };
/** Cases the server answers as recorded: upstream's extract, or extract_long with the server's chunking (384 / 64). */
const served = fixture.cases.filter((c) => c.deviation === undefined && (c.mode === 'extract' || (c.chunk_size === 384 && c.chunk_overlap === 64)));
const GROUPS = ['entities', 'classification', 'relations', 'structures', 'mixed', 'unicode', 'empty', 'long'];
/** Three recorded cases of each group (all of them for the long texts). */
const picked = GROUPS.flatMap((group) => served.filter((c) => c.group === group).slice(0, group === 'long' ? 6 : 3));

const bodyOf = (c: FixtureCase) => ({ text: c.text, schema: c.schema, threshold: c.threshold, include_confidence: c.include_confidence, include_spans: c.include_spans });
const MICRO = 'test/fixtures/gliner2-micro';

let gliner2: RunningServer;
let gliner: RunningServer;

beforeAll(async () => {
  // A configured limit, to show the EXTRACT_MAX_* settings are read (the fixture's schemas stay within it).
  [gliner2, gliner] = await Promise.all([
    startServer({ env: { MODEL: MICRO, EXTRACT_MAX_RELATIONS: '4', WORKERS: '2', INTRA_OP_THREADS: '1' } }),
    startServer({ env: { MODEL: TEST_MODEL, WORKERS: '1', INTRA_OP_THREADS: '1' } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([gliner2?.stop(), gliner?.stop()]);
});

describe('POST /api/v1/extract on the GLiNER2 micro model', () => {
  it(`answers upstream's recorded JSON for ${picked.length} cases (${GROUPS.join(', ')}), sent at once so they share batches`, async () => {
    expect(new Set(picked.map((c) => c.group))).toEqual(new Set(GROUPS));
    const answers = await Promise.all(picked.map((c) => post(`${gliner2.url}/api/v1/extract`, bodyOf(c), { 'cache-control': 'no-cache' })));
    const problems = picked.flatMap((c, i) => {
      const answer = answers[i];
      if (answer?.status !== 200) return [`${c.id}: status ${answer?.status} ${JSON.stringify(answer?.body)}`];
      expect(answer.body.model).toBe(MICRO);
      expect(typeof answer.body.processing_time).toBe('number');
      return answerDifferences(JSON.stringify(answer.body.result), c.expected).map((p) => `${c.id}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('a repeated request is a cache hit with the same result; another option is a miss', async () => {
    // Not one of the cases above (their fresh answers were stored): same text and schema, another threshold.
    const c = { ...bodyOf(served.find((x) => x.group === 'mixed') as FixtureCase), threshold: 0.4321 };
    const first = await post(`${gliner2.url}/api/v1/extract`, c);
    const again = await post(`${gliner2.url}/api/v1/extract`, c);
    const other = await post(`${gliner2.url}/api/v1/extract`, { ...c, include_spans: !c.include_spans });
    const reordered = await post(`${gliner2.url}/api/v1/extract`, { ...c, schema: { ...c.schema, entities: [...(c.schema.entities ?? [])].reverse() } });
    expect([first, again, other, reordered].map((a) => a.headers.get('x-cache'))).toEqual(['miss', 'hit', 'miss', 'miss']);
    expect(again.body.result).toEqual(first.body.result);
  });

  it('schema limits are 400 LIMIT_EXCEEDED naming the limit; bad schemas are VALIDATION_FAILED naming the field', async () => {
    const refused = async (body: unknown) => {
      const answer = await post(`${gliner2.url}/api/v1/extract`, body);
      return [answer.status, errorCode(answer), (answer.body.error as { message: string }).message];
    };
    const entities = Array.from({ length: 51 }, (_, i) => `type${i}`);
    expect(await refused({ text: 'x', schema: { entities } })).toEqual([400, 'LIMIT_EXCEEDED', expect.stringContaining('EXTRACT_MAX_ENTITY_TYPES (50)')]);
    expect(await refused({ text: 'x', schema: { relations: ['a', 'b', 'c', 'd', 'e'] } })).toEqual([400, 'LIMIT_EXCEEDED', expect.stringContaining('EXTRACT_MAX_RELATIONS (4)')]);
    expect(await refused({ text: 'x', schema: { entities: [{ name: 'a', description: 'd'.repeat(501) }] } })).toEqual([400, 'LIMIT_EXCEEDED', expect.stringContaining('EXTRACT_MAX_DESCRIPTION_CHARS')]);
    expect(await refused({ text: 'x', schema: { structures: [{ name: 's', fields: [{ name: 'f', dtype: 'int' }] }] } })).toEqual([400, 'VALIDATION_FAILED', 'Field "schema.structures.0.fields.0.dtype" must be "str" or "list" (got a string).']);
    expect(await refused({ text: 'x', schema: {} })).toEqual([400, 'VALIDATION_FAILED', expect.stringContaining('schema')]);
  });

  it('predict on a GLiNER2 model is 400 WRONG_ENDPOINT naming /api/v1/extract, over REST, batch, WebSocket and OIP', async () => {
    const answer = await post(`${gliner2.url}/api/v1/predict`, { text: 'Ada Lovelace', labels: ['person'] });
    expect([answer.status, errorCode(answer)]).toEqual([400, 'WRONG_ENDPOINT']);
    expect((answer.body.error as { message: string }).message).toContain('POST /api/v1/extract');
    const batch = await post(`${gliner2.url}/api/v1/predict/batch`, { texts: ['Ada Lovelace'], labels: ['person'] });
    expect(errorCode(batch)).toBe('WRONG_ENDPOINT');
    const oip = await post(`${gliner2.url}/v2/models/gliner/infer`, { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['Ada'] }, { name: 'labels', datatype: 'BYTES', shape: [1], data: ['person'] }] });
    expect([oip.status, oip.body.code]).toEqual([400, 'WRONG_ENDPOINT']);
    const client = await connect(`${gliner2.url}/api/v1/stream`);
    try {
      client.send({ id: 'p', text: 'Ada Lovelace', labels: ['person'] });
      const [message] = await client.waitFor((all) => all.some((m) => m.id === 'p'));
      expect((message?.error as { code: string }).code).toBe('WRONG_ENDPOINT');
    } finally {
      client.close();
    }
  });

  it('readiness names the kind', async () => {
    const ready = JSON.parse((await get(`${gliner2.adminUrl}/health/ready`)).text) as { model: { kind: string } };
    expect(ready.model.kind).toBe('gliner2');
  });
});

const oipExtract = (schema: unknown) => ({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['Ada Lovelace'] }, { name: 'schema', datatype: 'BYTES', shape: [1], data: [JSON.stringify(schema)] }] });

describe('extract on a GLiNER (1) model', () => {
  it('is 400 WRONG_ENDPOINT naming /api/v1/predict, over REST, WebSocket and OIP', async () => {
    const answer = await post(`${gliner.url}/api/v1/extract`, { text: 'Ada Lovelace', schema: { entities: ['person'] } });
    expect([answer.status, errorCode(answer)]).toEqual([400, 'WRONG_ENDPOINT']);
    expect((answer.body.error as { message: string }).message).toContain('POST /api/v1/predict');
    const oip = await post(`${gliner.url}/v2/models/gliner/infer`, oipExtract({ entities: ['person'] }));
    expect([oip.status, oip.body.code]).toEqual([400, 'WRONG_ENDPOINT']);
    // Extract's parameters with labels, and NER's with a schema, are refused by name.
    const mixed = await post(`${gliner.url}/v2/models/gliner/infer`, { parameters: { include_spans: true }, inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['Ada'] }, { name: 'labels', datatype: 'BYTES', shape: [1], data: ['person'] }] });
    expect([mixed.status, mixed.body.code, mixed.body.error]).toEqual([400, 'VALIDATION_FAILED', expect.stringContaining('"include_spans"')]);
    const flat = await post(`${gliner2.url}/v2/models/gliner/infer`, { ...oipExtract({ entities: ['person'] }), parameters: { flat_ner: false } });
    expect([flat.status, flat.body.code, flat.body.error]).toEqual([400, 'VALIDATION_FAILED', expect.stringContaining('"flat_ner"')]);
    const client = await connect(`${gliner.url}/api/v1/stream`);
    try {
      client.send({ id: 'w', text: 'Ada Lovelace', schema: { entities: ['person'] } });
      const [message] = await client.waitFor((all) => all.some((m) => m.id === 'w'));
      expect((message?.error as { code: string }).code).toBe('WRONG_ENDPOINT');
    } finally {
      client.close();
    }
  });
});

describe('WebSocket and Open Inference Protocol mappings', () => {
  const c = (): FixtureCase => served.find((x) => x.group === 'relations' && x.include_spans) as FixtureCase;

  it('a WebSocket message with "schema" instead of "labels" answers {id, result, done}', async () => {
    const client = await connect(`${gliner2.url}/api/v1/stream`);
    try {
      client.send({ id: 'x1', ...bodyOf(c()) });
      client.send({ id: 'x2', text: 'x', schema: { relations: ['a', 'b', 'c', 'd', 'e'] } });
      const messages = await client.waitFor((all) => all.filter((m) => m.done === true).length === 2);
      const ok = messages.find((m) => m.id === 'x1') as Record<string, unknown>;
      expect(ok.done).toBe(true);
      expect(answerDifferences(JSON.stringify(ok.result), c().expected)).toEqual([]);
      expect((messages.find((m) => m.id === 'x2')?.error as { code: string }).code).toBe('LIMIT_EXCEEDED');
    } finally {
      client.close();
    }
  });

  it('OIP: inputs "text" and "schema" (BYTES, the schema as JSON) answer one "result" output (BYTES, the result as JSON)', async () => {
    const meta = JSON.parse((await get(`${gliner2.url}/v2/models/gliner`)).text) as { inputs: { name: string }[]; outputs: { name: string }[] };
    expect([meta.inputs.map((i) => i.name), meta.outputs.map((o) => o.name)]).toEqual([['text', 'schema'], ['result']]);
    const k = c();
    const answer = await post(`${gliner2.url}/v2/models/gliner/infer`, {
      id: 'oip-1',
      parameters: { threshold: k.threshold, include_confidence: k.include_confidence, include_spans: k.include_spans },
      inputs: [
        { name: 'text', datatype: 'BYTES', shape: [1], data: [k.text] },
        { name: 'schema', datatype: 'BYTES', shape: [1], data: [JSON.stringify(k.schema)] },
      ],
    });
    expect(answer.status).toBe(200);
    const outputs = answer.body.outputs as { name: string; datatype: string; shape: number[]; data: string[] }[];
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['result', 'BYTES', [1]]]);
    expect(answerDifferences(outputs[0]?.data[0] ?? '', k.expected)).toEqual([]);
    const bad = await post(`${gliner2.url}/v2/models/gliner/infer`, { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['x'] }, { name: 'schema', datatype: 'BYTES', shape: [1], data: ['{"entities": 3}'] }] });
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(bad.body.error).toContain('Input "schema"');
  });
});
