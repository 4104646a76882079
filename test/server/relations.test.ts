// Relation extraction served end to end: the real server on the micro relex span (and token) model
// (test/fixtures/relex-span-micro) over real sockets. REST predict and batch, the WebSocket's final
// message and the Open Inference Protocol's `relations` output answer what upstream's PyTorch
// inference gave for the same texts (test/fixtures/relex-parity.json); the limits refuse with 400s
// naming the field; a long text's relations stay inside a window, their indices pointing into the
// merged entities; a model without a relation head refuses `relations` up front.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planText } from '../../src/inference/plan.js';
import { splitWords } from '../../src/inference/words.js';
import { errorCode, get, post } from '../support/http.js';
import { EMBEDDED_MODEL, ROOT } from '../support/paths.js';
import { relexMicroDir } from '../support/relex-micro.js';
import { startServer, type RunningServer } from '../support/server.js';
import { connect } from '../support/ws.js';
import { SCORE_TOLERANCE } from '../parity/tolerance.js';

type PyEntity = [number, number, string, number];
type PyRelation = [number, number, string, number];
interface Group {
  id: string; flat_ner: boolean; multi_label: boolean; threshold: number; relation_threshold: number;
  labels: string[]; relations: string[]; texts: string[];
  expected: { entities: PyEntity[]; relations: PyRelation[] }[];
}
interface End { entity: number; text: string; start: number; end: number; entity_type: string }
interface Relation { head: End; tail: End; relation: string; score: number }
interface Entity { text: string; start: number; end: number; entity_type: string; score: number }
interface TextAnswer { entities: Entity[]; relations?: Relation[] }

const fixture = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/relex-parity.json'), 'utf8')) as { groups: (Group & { model: string })[] };
const group = fixture.groups.find((g) => g.id === 'span-flat-e0.9-r0.5') as Group;
// The random weights put most spans above any threshold (110 of the 22-word text's 198 at 0.9): a
// bound above what a 24-word window can need at 0.9, under what threshold 0 gives that text (every
// span: 39,006 pairs). Windows of 24 words hold each text of the group whole.
const PAIRS = 30_000;
const WINDOW = { windowWords: 24, overlapWords: 13, labelsPerRow: 25 };

/** The group's request for `fields` (texts, and any option to override). */
const request = (fields: Record<string, unknown>, of: Group = group): Record<string, unknown> => ({
  labels: of.labels, relations: of.relations, threshold: of.threshold, relation_threshold: of.relation_threshold, flat_ner: of.flat_ner, multi_label: of.multi_label, ...fields,
});
/** The group's text with the most relations (Merkel and Macron in Berlin: 40). */
const RICH = 2;

/** Differences between a served answer and upstream's for text `t` of the group (empty: the same). */
function differences(answer: TextAnswer, t: number, of: Group = group): string[] {
  const want = of.expected[t];
  if (want === undefined) return [`no expected answer for text ${t}`];
  const problems: string[] = [];
  const keys = (list: readonly unknown[][]): string => JSON.stringify(list.map((x) => x.slice(0, 3)));
  const entities = answer.entities.map((e): PyEntity => [e.start, e.end, e.entity_type, e.score]);
  const relations = (answer.relations ?? []).map((r): PyRelation => [r.head.entity, r.tail.entity, r.relation, r.score]);
  if (keys(entities) !== keys(want.entities)) problems.push(`text ${t} entities: ${keys(entities)} vs ${keys(want.entities)}`);
  if (keys(relations) !== keys(want.relations)) problems.push(`text ${t} relations: ${keys(relations)} vs ${keys(want.relations)}`);
  relations.forEach((r, i) => {
    if (!(Math.abs(r[3] - (want.relations[i]?.[3] ?? NaN)) <= SCORE_TOLERANCE)) problems.push(`text ${t} relation ${i}: ${r[3]} vs ${want.relations[i]?.[3]}`);
  });
  return problems;
}

/** Every relation's ends are entities of the answer, by index, with that entity's own fields. */
function endsAreEntities(answer: TextAnswer): string[] {
  return (answer.relations ?? []).flatMap((r) => [r.head, r.tail].flatMap((end) => {
    const e = answer.entities[end.entity];
    return e !== undefined && e.text === end.text && e.start === end.start && e.end === end.end && e.entity_type === end.entity_type ? [] : [`${JSON.stringify(end)} is not entity ${end.entity}`];
  }));
}

describe('relations over REST, batch, WebSocket and OIP (micro relex span model)', () => {
  let srv: RunningServer;
  let model: { dir: string; remove: () => void };

  beforeAll(async () => {
    model = relexMicroDir('span');
    srv = await startServer({
      env: { MODEL: model.dir, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0', WINDOW_WORDS: String(WINDOW.windowWords), WINDOW_OVERLAP_WORDS: String(WINDOW.overlapWords), MAX_RELATION_LABELS: '4', MAX_RELATION_PAIRS: String(PAIRS) },
    });
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
    model?.remove();
  });

  it('REST predict answers upstream\'s relations for a text, with the entities\' fields repeated', async () => {
    const answer = await post(`${srv.url}/api/v1/predict`, request({ text: group.texts[RICH] }));
    expect(answer.status).toBe(200);
    const text = answer.body as unknown as TextAnswer;
    expect(text.relations?.length).toBeGreaterThan(0);
    expect(differences(text, RICH)).toEqual([]);
    expect(endsAreEntities(text)).toEqual([]);
  });

  it('no relations asked: no "relations" member; NER options alone still answer', async () => {
    const answer = await post(`${srv.url}/api/v1/predict`, { text: group.texts[0], labels: group.labels, threshold: group.threshold });
    expect(answer.status).toBe(200);
    expect(answer.body).not.toHaveProperty('relations');
    expect((answer.body.entities as unknown[]).length).toBeGreaterThan(0);
  });

  it('batch: every text of the group as upstream answered it (an empty text has empty relations)', async () => {
    const answer = await post(`${srv.url}/api/v1/predict/batch`, request({ texts: group.texts }));
    expect(answer.status).toBe(200);
    const results = answer.body.results as TextAnswer[];
    expect(results).toHaveLength(group.texts.length);
    expect(results.flatMap((result, t) => differences(result, t))).toEqual([]);
    expect(results[group.texts.indexOf('')]).toEqual({ entities: [], truncated: false, relations: [] });
  });

  it('relation_threshold is part of the cache key: a second request with another threshold is not a hit', async () => {
    const text = group.texts[RICH];
    const low = await post(`${srv.url}/api/v1/predict`, request({ text, relation_threshold: 0.3 }));
    const high = await post(`${srv.url}/api/v1/predict`, request({ text, relation_threshold: 0.9 }));
    const again = await post(`${srv.url}/api/v1/predict`, request({ text, relation_threshold: 0.9 }));
    expect([low.headers.get('x-cache'), high.headers.get('x-cache'), again.headers.get('x-cache')]).toEqual(['miss', 'miss', 'hit']);
    const scores = (a: typeof low): number[] => (a.body.relations as Relation[]).map((r) => r.score);
    expect(scores(low).length).toBeGreaterThan(scores(high).length);
    expect(scores(high).every((s) => s > 0.9)).toBe(true);
  });

  it('WebSocket: the final message carries the relations', async () => {
    const client = await connect(srv.url.replace(/^http/, 'ws') + '/api/v1/stream');
    try {
      client.send({ id: 'r', ...request({ text: group.texts[RICH] }) });
      const messages = await client.waitFor((all) => all.some((m) => m.id === 'r' && m.done === true));
      const final = messages.find((m) => m.id === 'r' && m.done === true) as unknown as TextAnswer;
      expect(final.relations?.length).toBeGreaterThan(0);
      expect(differences(final, RICH)).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('WebSocket, a long text: each window message carries its own relations (indices into its own entities), then the final message', async () => {
    const text = `${group.texts.slice(2, 4).join(' ')} ${'The committee talked for hours about nothing at all. '.repeat(4)}${group.texts.slice(2, 4).join(' ')}`;
    const client = await connect(srv.url.replace(/^http/, 'ws') + '/api/v1/stream');
    try {
      client.send({ id: 'w', ...request({ text }) });
      const messages = await client.waitFor((all) => all.some((m) => m.id === 'w' && m.done === true));
      const windows = messages.filter((m) => m.id === 'w' && m.done === false) as unknown as (TextAnswer & { window: number })[];
      expect(windows.length).toBe(planText(text, WINDOW).windows.length);
      for (const window of windows) expect(endsAreEntities(window)).toEqual([]);
      expect(windows.filter((w) => (w.relations ?? []).length > 0).length).toBeGreaterThan(1);
      const final = messages.find((m) => m.id === 'w' && m.done === true) as unknown as TextAnswer;
      expect(endsAreEntities(final)).toEqual([]);
      expect(final.relations?.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it('OIP: a "relations" BYTES input, relation_threshold as a parameter, a "relations" output per text; metadata lists both', async () => {
    const base = `${srv.url}/v2/models/gliner`;
    const texts = group.texts.slice(2, 4);
    const answer = await post(`${base}/infer`, {
      parameters: { threshold: group.threshold, relation_threshold: group.relation_threshold },
      inputs: [
        { name: 'text', shape: [texts.length], datatype: 'BYTES', data: texts },
        { name: 'labels', shape: [group.labels.length], datatype: 'BYTES', data: group.labels },
        { name: 'relations', shape: [group.relations.length], datatype: 'BYTES', data: group.relations },
      ],
    });
    expect(answer.status).toBe(200);
    const outputs = answer.body.outputs as { name: string; datatype: string; data: string[] }[];
    expect(outputs.map((o) => o.name)).toEqual(['entities', 'truncated', 'relations']);
    const of = (name: string): string[] => outputs.find((o) => o.name === name)?.data ?? [];
    const answers = texts.map((_, t): TextAnswer => ({ entities: JSON.parse(of('entities')[t] ?? '') as Entity[], relations: JSON.parse(of('relations')[t] ?? '') as Relation[] }));
    expect(answers.flatMap((a, t) => differences(a, t + 2))).toEqual([]);
    const plain = await post(`${base}/infer`, { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['Paris'] }, { name: 'labels', shape: [1], datatype: 'BYTES', data: ['location'] }] });
    expect((plain.body.outputs as { name: string }[]).map((o) => o.name)).toEqual(['entities', 'truncated']);
    const metadata = JSON.parse((await get(base)).text) as { inputs: { name: string }[]; outputs: { name: string }[] };
    expect(metadata.inputs.map((i) => i.name)).toContain('relations');
    expect(metadata.outputs.map((o) => o.name)).toContain('relations');
  });

  it('limits: more relation labels than MAX_RELATION_LABELS, or a blank one, is a 400 naming "relations"', async () => {
    const many = await post(`${srv.url}/api/v1/predict`, { text: 'Paris', labels: ['location'], relations: ['a', 'b', 'c', 'd', 'e'] });
    expect(many.status).toBe(400);
    expect(errorCode(many)).toBe('LIMIT_EXCEEDED');
    expect(JSON.stringify(many.body)).toContain('Field \\"relations\\": at most 4 relation labels');
    const blank = await post(`${srv.url}/api/v1/predict`, { text: 'Paris', labels: ['location'], relations: [' '] });
    expect([blank.status, errorCode(blank)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(JSON.stringify(blank.body)).toContain('relations.0');
    const none = await post(`${srv.url}/v2/models/gliner/infer`, { inputs: [
      { name: 'text', shape: [1], datatype: 'BYTES', data: ['Paris'] },
      { name: 'labels', shape: [1], datatype: 'BYTES', data: ['location'] },
      { name: 'relations', shape: [0], datatype: 'BYTES', data: [] },
    ] });
    expect([none.status, none.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(none.body.error).toContain('"relations": give at least one relation label');
  });

  it('the candidate-pair bound: at threshold 0 every span is an entity, past MAX_RELATION_PAIRS: 400 naming the bound; a neighbour is answered', async () => {
    const text = group.texts[2] ?? '';
    const [refused, neighbour] = await Promise.all([
      post(`${srv.url}/api/v1/predict`, { ...request({ text }), threshold: 0 }),
      post(`${srv.url}/api/v1/predict`, request({ text: group.texts[RICH] })),
    ]);
    expect(refused.status).toBe(400);
    expect(errorCode(refused)).toBe('LIMIT_EXCEEDED');
    expect(JSON.stringify(refused.body)).toContain('MAX_RELATION_PAIRS (30,000)');
    expect(neighbour.status).toBe(200);
    expect(differences(neighbour.body as unknown as TextAnswer, RICH)).toEqual([]);
  });

  it('a long text: relations only between entities that share a window, indices into the merged entities', async () => {
    const sentences = group.texts.slice(0, 4).join(' ');
    const text = `${sentences} ${'The committee talked for hours about nothing at all. '.repeat(6)}${sentences}`;
    const plan = planText(text, WINDOW);
    expect(plan.windows.length).toBeGreaterThan(2);
    const answer = await post(`${srv.url}/api/v1/predict`, request({ text }));
    expect(answer.status).toBe(200);
    const result = answer.body as unknown as TextAnswer;
    expect(endsAreEntities(result)).toEqual([]);
    // Word index of each code-point offset, then the windows that hold both ends of each relation.
    const words = splitWords(text);
    const wordAt = (start: number, end: number): [number, number] => [words.findIndex((w) => w.start === start), words.findIndex((w) => w.start + [...w.text].length === end)];
    const inOneWindow = (r: Relation): boolean => {
      const [hs, he] = wordAt(r.head.start, r.head.end);
      const [ts, te] = wordAt(r.tail.start, r.tail.end);
      return plan.windows.some((w) => Math.min(hs, ts) >= w.wordOffset && Math.max(he, te) < w.wordOffset + w.wordCount);
    };
    const relations = result.relations ?? [];
    expect(relations.length).toBeGreaterThan(0);
    expect(relations.filter((r) => !inOneWindow(r))).toEqual([]);
    // Windows past the first give relations too, their indices shifted into the merged entities.
    expect(relations.some((r) => r.head.start > text.length / 2 && r.tail.start > text.length / 2)).toBe(true);
  });
});

describe('relations from the token-level relex model (micro relex token model)', () => {
  const tokenGroup = fixture.groups.find((g) => g.id === 'token-flat-e0.5-r0.9') as Group;
  let srv: RunningServer;
  let model: { dir: string; remove: () => void };
  beforeAll(async () => {
    model = relexMicroDir('token');
    // Its random weights give tens of thousands of candidate pairs per text: the bound is lifted here.
    srv = await startServer({ env: { MODEL: model.dir, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0', MAX_RELATION_PAIRS: '1000000' } });
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
    model?.remove();
  });

  it('batch: every text as upstream answered it', async () => {
    const answer = await post(`${srv.url}/api/v1/predict/batch`, request({ texts: tokenGroup.texts }, tokenGroup));
    expect(answer.status).toBe(200);
    const results = answer.body.results as TextAnswer[];
    expect(results.reduce((sum, r) => sum + (r.relations?.length ?? 0), 0)).toBeGreaterThan(0);
    expect(results.flatMap((result, t) => differences(result, t, tokenGroup))).toEqual([]);
  });
});

describe('relations asked of a model without a relation head', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ env: { MODEL: EMBEDDED_MODEL, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0' } });
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('is refused up front with 400 VALIDATION_FAILED naming "relations" and the model; OIP says the same', async () => {
    const answer = await post(`${srv.url}/api/v1/predict`, { text: 'Ada Lovelace lived in London.', labels: ['person'], relations: ['lived in'] });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(answer.body)).toContain('Field \\"relations\\": the served model');
    const oip = await post(`${srv.url}/v2/models/gliner/infer`, { inputs: [
      { name: 'text', shape: [1], datatype: 'BYTES', data: ['Ada Lovelace lived in London.'] },
      { name: 'labels', shape: [1], datatype: 'BYTES', data: ['person'] },
      { name: 'relations', shape: [1], datatype: 'BYTES', data: ['lived in'] },
    ] });
    expect([oip.status, oip.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const metadata = JSON.parse((await get(`${srv.url}/v2/models/gliner`)).text) as { inputs: { name: string }[]; outputs: { name: string }[] };
    expect(metadata.inputs.map((i) => i.name)).toEqual(['text', 'labels']);
    expect(metadata.outputs.map((o) => o.name)).toEqual(['entities', 'truncated']);
  });
});
