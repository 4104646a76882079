// The relation head of a relation-extraction model: its two graphs (native-models/export_relex.py)
// and the batch around them. After the encoder has run a batch, the rows that asked for relations
// come here with the entities their kind selected; each row's entities get representations and an
// adjacency (relex_entities.onnx), the pairs above the threshold are built here (inference/
// relations.ts), and the pairs get one logit per relation label (relex_pairs.onnx). Rows go through
// both graphs together, padded and masked, so a batch of rows costs two runs.
//
// Bound: a row whose entities would make more than `maxPairs` candidate pairs (E × (E − 1), what the
// adjacency and, at worst, the pair scorer cost) is refused before either graph runs, with a
// LIMIT_EXCEEDED the request reports; the other rows of the batch are not affected.
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { GlinerError } from '../errors.js';
import { entityPairs, relationCandidates, RelationListBuilder, type RelationList } from '../inference/relations.js';
import { openSession, type SessionSettings } from '../model/session.js';
import type { RelationsRefused } from './messages.js';

export const ENTITIES_INPUTS = ['words_embedding', 'entity_spans', 'entity_mask'] as const;
export const PAIRS_INPUTS = ['entity_embeddings', 'pair_idx', 'relation_embeddings'] as const;

/** A row of the encoder's batch that asked for relations. */
export interface RelationRow {
  /** The row's index in the encoder's batch. */
  readonly b: number;
  /** Its entities (kind.relex.entityPositions), flat [start, end, …] in model word positions. */
  readonly positions: Int32Array;
  /** The entity threshold, which also bounds the adjacency (upstream's default). */
  readonly threshold: number;
  readonly relationThreshold: number;
  readonly numRelations: number;
  /** Names the row in a refusal: "text 2, words 384–767" is the engine's; the runner says "a row". */
  readonly where?: string;
}

export type RelationOutcome = { readonly relations: RelationList } | { readonly refused: RelationsRefused };

/** The encoder's two extra outputs, as onnxruntime returned them. */
export interface EncoderStates {
  /** words_embedding [B, W, D] */
  readonly words: ort.Tensor;
  /** relation_embeddings [B, R, D] */
  readonly relations: ort.Tensor;
}

function sameNames(have: readonly string[], want: readonly string[]): boolean {
  return have.length === want.length && [...want].sort().every((name, i) => name === [...have].sort()[i]);
}

/** Rows `rows` of a [B, …] float tensor as a new tensor (or the tensor itself when that is all of it, in order). */
function pickRows(tensor: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const [B = 0, ...rest] = tensor.dims;
  if (rows.length === B && rows.every((r, i) => r === i)) return tensor;
  const size = rest.reduce((a, b) => a * b, 1);
  const data = tensor.data as Float32Array;
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => out.set(data.subarray(r * size, (r + 1) * size), i * size));
  return new ort.Tensor('float32', out, [rows.length, ...rest]);
}

/** int64 [rows, width, 2] of index pairs, zero-padded. */
function pairTensor(lists: readonly Int32Array[], width: number): ort.Tensor {
  const data = new BigInt64Array(lists.length * width * 2);
  lists.forEach((list, r) => list.forEach((value, i) => {
    data[r * width * 2 + i] = BigInt(value);
  }));
  return new ort.Tensor('int64', data, [lists.length, width, 2]);
}

export class RelationHead {
  private constructor(
    private readonly entities: ort.InferenceSession,
    private readonly pairs: ort.InferenceSession,
    /** Whether the model has a relations layer (an adjacency output); "none" scores every pair. */
    private readonly adjacency: boolean,
    private readonly maxPairs: number,
  ) {}

  static async open(paths: { entitiesPath: string; pairsPath: string }, settings: SessionSettings, relationsLayer: string | undefined, maxPairs: number): Promise<RelationHead> {
    const entities = (await openSession(paths.entitiesPath, settings)).session;
    const pairs = await openSession(paths.pairsPath, settings).then((opened) => opened.session, async (error: unknown) => {
      await entities.release();
      throw error;
    });
    const adjacency = entities.outputNames.includes('adjacency');
    const problems: string[] = [];
    if (!sameNames(entities.inputNames, ENTITIES_INPUTS) || !entities.outputNames.includes('entity_embeddings') || entities.outputNames.length !== (adjacency ? 2 : 1)) {
      problems.push(`relex_entities.onnx takes ${entities.inputNames.join(', ')} and gives ${entities.outputNames.join(', ')} (expected ${ENTITIES_INPUTS.join(', ')} -> entity_embeddings[, adjacency])`);
    }
    if (!sameNames(pairs.inputNames, PAIRS_INPUTS) || !sameNames(pairs.outputNames, ['relation_logits'])) {
      problems.push(`relex_pairs.onnx takes ${pairs.inputNames.join(', ')} and gives ${pairs.outputNames.join(', ')} (expected ${PAIRS_INPUTS.join(', ')} -> relation_logits)`);
    }
    if (adjacency !== (relationsLayer !== 'none')) {
      problems.push(`gliner_config.json's relations_layer is "${relationsLayer ?? ''}" but relex_entities.onnx ${adjacency ? 'has' : 'has no'} adjacency output`);
    }
    if (problems.length > 0) {
      await Promise.all([entities.release(), pairs.release()]);
      throw new GlinerError('MODEL_UNSUPPORTED', `${paths.entitiesPath}: ${problems.join('; ')}. Re-export the checkpoint with native-models/export_relex.py.`);
    }
    return new RelationHead(entities, pairs, adjacency, maxPairs);
  }

  /** Each row's relation candidates (model word positions), or its refusal; milliseconds spent in run(). */
  async run(states: EncoderStates, rows: readonly RelationRow[]): Promise<{ outcomes: RelationOutcome[]; runMs: number }> {
    const outcomes: RelationOutcome[] = rows.map((row) => {
      const e = row.positions.length / 2;
      if (e * (e - 1) <= this.maxPairs) return { relations: new RelationListBuilder(1).build() };
      const message = `${row.where ?? 'a row'}: ${e.toLocaleString('en-US')} entities above threshold ${row.threshold} make ${(e * (e - 1)).toLocaleString('en-US')} candidate pairs for relations; the most is MAX_RELATION_PAIRS (${this.maxPairs.toLocaleString('en-US')}). Raise threshold or send shorter texts.`;
      return { refused: { code: 'LIMIT_EXCEEDED', message } };
    });
    // Rows with two or more entities (and within the bound) go through the graphs.
    const live = rows.map((_, i) => i).filter((i) => 'relations' in (outcomes[i] as RelationOutcome) && (rows[i]?.positions.length ?? 0) >= 4);
    if (live.length === 0) return { outcomes, runMs: 0 };
    let runMs = 0;
    const timed = async (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> => {
      const t0 = performance.now();
      const out = await session.run(feeds);
      runMs += performance.now() - t0;
      return out;
    };
    const liveRows = live.map((i) => rows[i] as RelationRow);
    const widest = Math.max(...liveRows.map((row) => row.positions.length / 2));
    const mask = new Uint8Array(liveRows.length * widest);
    liveRows.forEach((row, r) => mask.fill(1, r * widest, r * widest + row.positions.length / 2));
    const heads = await timed(this.entities, {
      words_embedding: pickRows(states.words, liveRows.map((row) => row.b)),
      entity_spans: pairTensor(liveRows.map((row) => row.positions), widest),
      entity_mask: new ort.Tensor('bool', mask, [liveRows.length, widest]),
    });
    const embeddings = heads.entity_embeddings as ort.Tensor;
    const adjacency = this.adjacency ? (heads.adjacency as ort.Tensor) : undefined;
    const pairs = liveRows.map((row, r) => entityPairs(row.positions.length / 2, row.threshold,
      adjacency === undefined ? undefined : { data: adjacency.data as Float32Array, offset: r * widest * widest, stride: widest }));
    adjacency?.dispose();
    const scored = liveRows.map((_, r) => r).filter((r) => (pairs[r]?.length ?? 0) > 0);
    if (scored.length > 0) {
      const most = Math.max(...scored.map((r) => (pairs[r]?.length ?? 0) / 2));
      const out = await timed(this.pairs, {
        entity_embeddings: pickRows(embeddings, scored),
        pair_idx: pairTensor(scored.map((r) => pairs[r] as Int32Array), most),
        relation_embeddings: pickRows(states.relations, scored.map((r) => liveRows[r]?.b ?? 0)),
      });
      const logits = out.relation_logits as ort.Tensor;
      const R = logits.dims[2] ?? 0;
      scored.forEach((r, s) => {
        const row = liveRows[r] as RelationRow;
        const list = relationCandidates(row.positions, pairs[r] as Int32Array, { data: logits.data as Float32Array, offset: s * most * R, stride: R }, row.numRelations, row.relationThreshold);
        outcomes[live[r] ?? 0] = { relations: list };
      });
      logits.dispose();
    }
    embeddings.dispose();
    return { outcomes, runMs };
  }

  async close(): Promise<void> {
    await Promise.all([this.entities.release(), this.pairs.release()]);
  }
}
