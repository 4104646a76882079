// Every GLiNER kind end to end, on a random-weight model of that kind (native-models/build-kinds.sh;
// see test/support/kind-models.ts for when it is built, and test/support/tools.ts for when a suite skips): the model runner gives each row
// of a mixed batch what it gets alone, and the real server answers /api/v1/predict, /predict/batch
// and the WebSocket the same way, with windows and label groups, as it does for the span model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSpans } from '../../src/inference/decode.js';
import { entitiesOf, type Entity } from '../../src/inference/merge.js';
import { splitWords } from '../../src/inference/words.js';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import type { ModelRow } from '../../src/worker/messages.js';
import { get, metricValue, post } from '../support/http.js';
import { kindModel, type KindModel } from '../support/kind-models.js';
import { startServer, type RunningServer } from '../support/server.js';
import { connect } from '../support/ws.js';
import { skipNote, skipWithout } from '../support/tools.js';

// Random weights: each model's threshold is one at which the three texts get a handful of entities.
const KINDS: { model: KindModel; kind: string; threshold: number }[] = [
  { model: 'random-token', kind: 'UniEncoderToken', threshold: 0.55 },
  { model: 'random-bi-span', kind: 'BiEncoderSpan', threshold: 0.55 },
  { model: 'random-bi-token', kind: 'BiEncoderToken', threshold: 0.3 },
];
const TEXTS = [
  'I work at Microsoft based in Seattle, Washington.',
  'Ada Lovelace worked with Charles Babbage in London on the Analytical Engine for years.',
  'Paris',
];
const LABELS = ['person', 'organization', 'location'];

const settings = { quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false } as const;
const round = (entities: readonly Entity[]): Entity[] => entities.map((e) => ({ ...e, score: Math.round(e.score * 1e5) / 1e5 }));

for (const { model, kind, threshold: THRESHOLD } of KINDS) {
  const found = kindModel(model);
  describe.skipIf(skipWithout(`${kind} (${model})`, found.needs))(`${kind} (${model})${skipNote(found.needs)}`, () => {
    const { dir } = found;
    let runner: OnnxRunner;
    let srv: RunningServer;
    const alone = new Map<string, Entity[]>();

    beforeAll(async () => {
      runner = await OnnxRunner.load({ modelDir: dir, ...settings });
      // Reference: each text alone through the runner, decoded flat.
      for (const text of TEXTS) {
        const words = splitWords(text);
        const out = await runner.run([{ words: words.map((w) => w.text), labels: LABELS, threshold: THRESHOLD }]);
        const spans = out.rows[0]?.spans;
        if (spans === undefined) throw new Error('no row');
        const { kept } = decodeSpans(spans, { threshold: THRESHOLD, flatNer: true, multiLabel: false });
        alone.set(text, entitiesOf(text, words, LABELS, spans, kept));
      }
      srv = await startServer({ env: { MODEL: dir, WORKERS: '1', RATE_LIMIT_PER_SECOND: '0' } });
    }, 120_000);
    afterAll(async () => {
      await runner?.close();
      await srv?.stop();
    });

    it('is chosen from gliner_config.json and the ONNX inputs', () => {
      expect(runner.kind.name).toBe(kind);
      expect(runner.config.kind).toBe(kind);
    });

    it('the runner gives each row of a mixed batch (lengths and label counts differ) what it gets alone', async () => {
      const rows: ModelRow[] = TEXTS.map((text, i) => ({ words: splitWords(text).map((w) => w.text), labels: LABELS.slice(0, i + 1), threshold: 0.3 }));
      const together = await runner.run(rows);
      for (let i = 0; i < rows.length; i++) {
        const single = await runner.run([rows[i] as ModelRow]);
        const a = together.rows[i]?.spans;
        const b = single.rows[0]?.spans;
        expect(a?.length).toBe(b?.length);
        expect(Array.from(a?.start ?? [])).toEqual(Array.from(b?.start ?? []));
        expect(Array.from(a?.end ?? [])).toEqual(Array.from(b?.end ?? []));
        expect(Array.from(a?.label ?? [])).toEqual(Array.from(b?.label ?? []));
        Array.from(a?.score ?? []).forEach((s, k) => expect(s).toBeCloseTo(b?.score[k] ?? -1, 5));
        expect(Math.max(-1, ...Array.from(a?.label ?? []))).toBeLessThan(i + 1);
        expect(Math.max(-1, ...Array.from(a?.end ?? []))).toBeLessThan(rows[i]?.words.length ?? 0);
      }
    });

    it('/api/v1/predict answers what the runner gives the text alone', async () => {
      let total = 0;
      for (const text of TEXTS) {
        const answer = await post(`${srv.url}/api/v1/predict`, { text, labels: LABELS, threshold: THRESHOLD });
        expect(answer.status).toBe(200);
        const entities = answer.body.entities as Entity[];
        expect(round(entities)).toEqual(round(alone.get(text) ?? []));
        for (const e of entities) expect([...text].slice(e.start, e.end).join('')).toBe(e.text);
        total += entities.length;
      }
      expect(total).toBeGreaterThan(0);
    });

    it('/api/v1/predict/batch and the WebSocket answer the same', async () => {
      const batch = await post(`${srv.url}/api/v1/predict/batch`, { texts: TEXTS, labels: LABELS, threshold: THRESHOLD });
      expect(batch.status).toBe(200);
      const results = batch.body.results as { entities: Entity[] }[];
      TEXTS.forEach((text, i) => expect(round(results[i]?.entities ?? [])).toEqual(round(alone.get(text) ?? [])));
      const client = await connect(`${srv.url}/api/v1/stream`);
      TEXTS.forEach((text, i) => client.send({ id: i, text, labels: LABELS, threshold: THRESHOLD }));
      const messages = await client.waitFor((m) => m.filter((x) => x.done === true).length === TEXTS.length);
      client.close();
      TEXTS.forEach((text, i) => expect(round(messages.find((m) => m.id === i && m.done === true)?.entities as Entity[])).toEqual(round(alone.get(text) ?? [])));
    });

    it('a long text is windowed and label lists longer than one pass are grouped, offsets in the original text', async () => {
      const text = `${'Nothing happened on the quiet road today and nobody came by. '.repeat(60)}I work at Microsoft based in Seattle, Washington.`;
      const labels = Array.from({ length: 30 }, (_, i) => `label ${i}`);
      const client = await connect(`${srv.url}/api/v1/stream`);
      client.send({ id: 'long', text, labels, threshold: 0.6, flat_ner: false });
      const messages = (await client.waitFor((m) => m.some((x) => x.id === 'long' && x.done === true), 60_000)).filter((m) => m.id === 'long');
      client.close();
      expect(messages.filter((m) => m.done === false).length).toBeGreaterThan(1);
      const final = messages.find((m) => m.done === true)?.entities as Entity[];
      expect(final.length).toBeGreaterThan(0);
      expect(new Set(final.map((e) => e.entity_type)).size).toBeGreaterThan(1);
      for (const e of final) expect([...text].slice(e.start, e.end).join('')).toBe(e.text);
      const whole = await post(`${srv.url}/api/v1/predict`, { text, labels, threshold: 0.6, flat_ner: false });
      expect(round(whole.body.entities as Entity[])).toEqual(round(final));
    }, 90_000);

    // Only bi-encoders have a label encoder: the test exists for them alone (never a reported skip).
    if (kind.startsWith('BiEncoder')) it('encodes each distinct label once per worker (label cache hits and misses in /metrics)', async () => {
      const metrics = async (): Promise<{ hits: number; misses: number }> => {
        const text = (await get(`${srv.adminUrl}/metrics`)).text;
        return { hits: metricValue(text, 'gliner_label_cache_hits_total'), misses: metricValue(text, 'gliner_label_cache_misses_total') };
      };
      const labels = Array.from({ length: 20 }, (_, i) => `fresh label ${i}`);
      const before = await metrics();
      await post(`${srv.url}/api/v1/predict`, { text: TEXTS[0], labels, threshold: THRESHOLD });
      const cold = await metrics();
      expect(cold.misses - before.misses).toBe(20);
      await post(`${srv.url}/api/v1/predict`, { text: TEXTS[1], labels, threshold: THRESHOLD });
      const warm = await metrics();
      expect(warm.misses - cold.misses).toBe(0);
      expect(warm.hits - cold.hits).toBe(20);
    });
  });
}
