// Parity with GLiNER2's own Python code (fastino-ai/GLiNER2 a91fd1d): upstream's `extract` and
// `extract_long` on the committed micro model, in test/fixtures/gliner2-parity.json.gz (written by
// test/parity/gliner2_fixture.py), against the extract engine, its batcher and our worker code in
// process (gliner2-adapter.ts: every case a request, batches of up to 8 rows from different cases). Keys, labels, texts and offsets identical, in
// order; confidences within GLINER2_SCORE_TOLERANCE. Also: the prompt (input ids) of every
// short case equals upstream's, and the word splitter and chunker equal upstream's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSchema, Gliner2PromptEncoder } from '../../src/inference/gliner2/prompt.js';
import { checkExtractSchema } from '../../src/inference/gliner2/schema.js';
import { chunkText, lowered, splitGliner2Words } from '../../src/inference/gliner2/words.js';
import { loadTokenizer } from '../../src/inference/tokenizer.js';
import { Gliner2Runner } from '../../src/worker/gliner2-runner.js';
import { ROOT } from '../support/paths.js';
import { answerDifferences, extractAll, GLINER2_SCORE_TOLERANCE, type ExtractCase, type FixtureCase } from './gliner2-adapter.js';

interface Fixture {
  upstream: { commit: string; package: string };
  weights_sha256: string;
  words: { text: string; words: [string, number, number][]; chunks: [number, number, number, number][] }[];
  cases: FixtureCase[];
}

const MICRO = path.join(ROOT, 'test/fixtures/gliner2-micro');
const fixture = JSON.parse(gunzipSync(readFileSync(path.join(ROOT, 'test/fixtures/gliner2-parity.json.gz'))).toString('utf8')) as Fixture;
const micro = JSON.parse(readFileSync(path.join(MICRO, 'gliner2_config.json'), 'utf8')) as { source: { weights_sha256: string } };
/** Our server's chunking for texts of at most 384 words (upstream's extract_long defaults otherwise). */
const SHORT = { chunkWords: 384, overlapWords: 64 };

const asCase = (c: FixtureCase): ExtractCase => ({
  text: c.text,
  schema: c.schema,
  threshold: c.threshold,
  includeConfidence: c.include_confidence,
  includeSpans: c.include_spans,
  chunking: c.mode === 'long' ? { chunkWords: c.chunk_size ?? 384, overlapWords: c.chunk_overlap ?? 64 } : SHORT,
});

let runner: Gliner2Runner;
const answers = new Map<string, string>();

beforeAll(async () => {
  runner = await Gliner2Runner.load({ modelDir: MICRO, executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false });
  const cases = fixture.cases.filter((c) => c.deviation === undefined);
  const ours = await extractAll(runner, cases.map(asCase));
  cases.forEach((c, i) => answers.set(c.id, ours[i] ?? ''));
});
afterAll(async () => {
  await runner?.close();
});

const groups = [...new Set(fixture.cases.filter((c) => c.deviation === undefined).map((c) => c.group))];

describe('GLiNER2: parity with upstream extract / extract_long', () => {
  it('the fixture is upstream a91fd1d on the committed micro model, with 200+ cases, decisions made both ways', () => {
    expect(fixture.upstream.commit).toBe('a91fd1d2c72debe43907296c8e375a036c6a4faf');
    expect(fixture.weights_sha256).toBe(micro.source.weights_sha256);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(200);
    // Structures with instances and with none (a count of 0 answers {}), relations and entities
    // found and not found: the micro model's heads make real decisions.
    const seen = new Set<string>();
    for (const c of fixture.cases) {
      const answer = JSON.parse(c.expected) as Record<string, unknown>;
      for (const s of c.schema.structures ?? []) {
        const v = answer[s.name];
        seen.add(Array.isArray(v) ? (v.length > 0 ? 'structure found' : 'structure none') : 'structure count 0');
      }
      const relations = Object.values((answer.relation_extraction ?? {}) as Record<string, unknown[]>);
      if (relations.length > 0) seen.add(relations.some((r) => r.length > 0) ? 'relation found' : 'relations none');
      if (answer.entities !== undefined) seen.add(Object.keys(answer.entities as object).length === 0 ? 'entities count 0' : 'entities');
    }
    expect([...seen].sort()).toEqual(['entities', 'entities count 0', 'relation found', 'relations none', 'structure count 0', 'structure found', 'structure none']);
  });

  it('every request schema in the fixture passes our checks', () => {
    for (const c of fixture.cases) expect(() => checkExtractSchema(c.schema), c.id).not.toThrow();
  });

  it.each(groups.map((g) => [g, fixture.cases.filter((c) => c.group === g && c.deviation === undefined)] as const))(
    `%s: the same answers (confidences within ${GLINER2_SCORE_TOLERANCE})`,
    (_group, cases) => {
      const problems = cases.flatMap((c) => answerDifferences(answers.get(c.id) ?? '', c.expected).map((p) => `${c.id}: ${p}`));
      expect(problems).toEqual([]);
    },
  );

  it('the prompt of every short case: the same input ids as upstream\'s processor', () => {
    const encoder = new Gliner2PromptEncoder(loadTokenizer(JSON.parse(readFileSync(path.join(MICRO, 'tokenizer.json'), 'utf8')), undefined));
    const problems: string[] = [];
    for (const c of fixture.cases) {
      const prompt = c.deviation === undefined ? c.prompt : c.declaration_order_prompt;
      if (prompt === undefined) continue;
      const ours = encoder.encode(compileSchema(c.schema), c.text).inputIds;
      if (JSON.stringify(ours) !== JSON.stringify(prompt.input_ids)) problems.push(`${c.id}: ${JSON.stringify(ours)} vs ${JSON.stringify(prompt.input_ids)}`);
    }
    expect(problems).toEqual([]);
  });

  it('word splitting (URLs, e-mails, mentions, Python\'s IGNORECASE letters) and chunks equal upstream\'s', () => {
    for (const w of fixture.words) {
      const words = splitGliner2Words(w.text);
      expect(words.map((x) => [lowered(x), x.start, x.end]), w.text).toEqual(w.words);
      expect(chunkText(w.text, 3, 1).map((c) => [c.startChar, c.endChar, c.startWord, c.endWord]), w.text).toEqual(w.chunks);
    }
  });
});

describe('GLiNER2: deviation-field-order (a structure\'s fields, prompted in declaration order)', () => {
  const cases = fixture.cases.filter((c) => c.deviation === 'field-order');

  it('upstream prompts them in set() order, which differs from declaration order here, and its answers change with it', () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      expect(c.prompt?.schema_tokens, c.id).not.toEqual(c.declaration_order_prompt?.schema_tokens);
    }
    expect(cases.some((c) => c.expected !== c.declaration_order_expected)).toBe(true);
  });

  it('ours are upstream\'s answers with the fields in declaration order', async () => {
    const ours = await extractAll(runner, cases.map(asCase));
    const problems = cases.flatMap((c, i) => answerDifferences(ours[i] ?? '', c.declaration_order_expected ?? '').map((p) => `${c.id}: ${p}`));
    expect(problems).toEqual([]);
  });
});
