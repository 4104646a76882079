// Parity with GLiNER's own Python code for relation extraction, end to end: upstream's
// UniEncoderSpanRelexGLiNER.inference and UniEncoderTokenRelexGLiNER.inference in PyTorch (prompt with
// relation labels, entity selection, adjacency, pairs, SpanRelexDecoder / TokenRelexDecoder, offsets)
// on the two micro checkpoints, in test/fixtures/relex-parity.json (test/parity/relex_fixture.py),
// against our runner on the same weights as native-models/export_relex.py exports them
// (test/fixtures/relex-{span,token}-micro). Entities and relations identical and in order (spans,
// labels, head and tail entity indices); scores within SCORE_TOLERANCE (tolerance.ts, shared).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { ROOT } from '../support/paths.js';
import { relexMicroDir, type RelexMicro } from '../support/relex-micro.js';
import { extract } from './adapter.js';
import { SCORE_TOLERANCE } from './tolerance.js';

type PyEntity = [number, number, string, number];
type PyRelation = [number, number, string, number];
interface RelexGroup {
  id: string; model: RelexMicro; flat_ner: boolean; multi_label: boolean; threshold: number; relation_threshold: number;
  labels: string[]; relations: string[]; texts: string[]; batch_size: number;
  expected: { entities: PyEntity[]; relations: PyRelation[] }[];
}
interface Fixture { upstream: { commit: string }; groups: RelexGroup[] }

const fixture = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/relex-parity.json'), 'utf8')) as Fixture;
const runners = new Map<RelexMicro, OnnxRunner>();
const removers: (() => void)[] = [];

beforeAll(async () => {
  for (const kind of ['span', 'token'] as const) {
    const { dir, remove } = relexMicroDir(kind);
    removers.push(remove);
    // The pair bound is the server's policy, not upstream's: the threshold-0 groups pass it.
    runners.set(kind, await OnnxRunner.load({ modelDir: dir, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false, maxRelationPairs: 1_000_000 }));
  }
});
afterAll(async () => {
  for (const runner of runners.values()) await runner.close();
  for (const remove of removers) remove();
});

async function problemsOf(group: RelexGroup): Promise<string[]> {
  const runner = runners.get(group.model);
  if (runner === undefined) throw new Error(`no runner for ${group.model}`);
  const answers = await extract(runner, {
    texts: group.texts, labels: group.labels, threshold: group.threshold, batchTexts: group.batch_size,
    options: { threshold: group.threshold, flatNer: group.flat_ner, multiLabel: group.multi_label },
    relations: { labels: group.relations, threshold: group.relation_threshold },
  });
  const problems: string[] = [];
  const close = (a: number, b: number | undefined): boolean => Math.abs(a - (b ?? NaN)) <= SCORE_TOLERANCE;
  group.expected.forEach((want, t) => {
    const got = answers[t];
    if (got?.refused !== undefined) return problems.push(`text ${t}: refused: ${got.refused.message}`);
    const entities = (got?.entities ?? []).map((e): PyEntity => [e.start, e.end, e.entity_type, e.score]);
    const relations = (got?.relations ?? []).map((r): PyRelation => [r.head.entity, r.tail.entity, r.relation, r.score]);
    const keys = (list: (PyEntity | PyRelation)[]): string => JSON.stringify(list.map((x) => x.slice(0, 3)));
    if (keys(entities) !== keys(want.entities)) return problems.push(`text ${t} entities: ours ${keys(entities).slice(0, 300)} python ${keys(want.entities).slice(0, 300)}`);
    if (keys(relations) !== keys(want.relations)) return problems.push(`text ${t} relations: ours ${keys(relations).slice(0, 300)} python ${keys(want.relations).slice(0, 300)}`);
    entities.forEach((e, i) => close(e[3], want.entities[i]?.[3]) || problems.push(`text ${t} entity ${i}: score ${e[3]} vs ${want.entities[i]?.[3]}`));
    relations.forEach((r, i) => close(r[3], want.relations[i]?.[3]) || problems.push(`text ${t} relation ${i}: score ${r[3]} vs ${want.relations[i]?.[3]}`));
    // The convenience fields are the entity's own.
    for (const r of got?.relations ?? []) {
      for (const end of [r.head, r.tail]) {
        const e = got?.entities[end.entity];
        if (e === undefined || e.text !== end.text || e.start !== end.start || e.end !== end.end || e.entity_type !== end.entity_type) problems.push(`text ${t}: relation end ${JSON.stringify(end)} is not entity ${end.entity}`);
      }
    }
    return undefined;
  });
  return problems;
}

describe('relation extraction: parity with upstream\'s PyTorch relex inference', () => {
  it('the fixture is upstream\'s, on both relex kinds, with relations in most groups', () => {
    expect(fixture.upstream.commit).toBe('c2bb58ddf569480ef7a9de03bef653723a42f5c2');
    expect(runners.get('span')?.kind.name).toBe('UniEncoderSpanRelex');
    expect(runners.get('token')?.kind.name).toBe('UniEncoderTokenRelex');
    const withRelations = fixture.groups.filter((g) => g.expected.some((e) => e.relations.length > 0));
    expect(withRelations.length).toBeGreaterThan(fixture.groups.length / 2);
  });

  it.each(fixture.groups.map((g) => [g.id, g] as const))('%s: same entities and relations', async (_id, group) => {
    expect(await problemsOf(group)).toEqual([]);
  });
});
