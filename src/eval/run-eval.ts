// The eval command: every sentence of a CoNLL file — or, with `documents`, every whole document or
// passage — through the same engine the server uses (planning and windowing, micro-batching,
// workers, merging), scored at entity level.
import { readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config/schema.js';
import { GlinerError } from '../errors.js';
import type { Entity } from '../inference/merge.js';
import type { Logger } from '../logging.js';
import { Metrics } from '../metrics/registry.js';
import { loadModel } from '../startup/model.js';
import { resolveSettings, thisMachine } from '../startup/settings.js';
import { startStack } from '../startup/stack.js';
import { groupPassages, parseConll, type GoldEntity } from './conll.js';
import { Scorer, type Report } from './score.js';

export interface EvalOptions {
  readonly data: string;
  readonly labels: readonly string[];
  readonly threshold: number;
  /** Sentences per engine submission (documents are sent a few at a time). */
  readonly chunk: number;
  readonly limit?: number;
  readonly progress: boolean;
  /** Send whole documents (or, in files without document marks, passages up to `passageWords`). */
  readonly documents?: { readonly passageWords: number };
}

interface Unit {
  readonly text: string;
  readonly entities: readonly GoldEntity[];
  readonly sentences: number;
}

/** Read and parse the data file; a missing file or a non-CoNLL file is a coded error naming it. */
export function readUnits(options: Pick<EvalOptions, 'data' | 'limit' | 'documents'>): Unit[] {
  let contents: string;
  try {
    contents = readFileSync(options.data, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new GlinerError('DATA_NOT_FOUND', `Cannot read the data file ${options.data}: ${why}.`);
  }
  let sentences = parseConll(contents, options.data);
  // --limit counts sentences in both modes, so the two modes score the same gold entities.
  if (options.limit !== undefined) sentences = sentences.slice(0, options.limit);
  if (options.documents === undefined) return sentences.map((s) => ({ text: s.text, entities: s.entities, sentences: 1 }));
  return groupPassages(sentences, options.documents.passageWords);
}

export async function runEval(config: Config, options: EvalOptions, logger: Logger): Promise<Report> {
  const units = readUnits(options);
  const chunkSize = options.documents === undefined ? options.chunk : 1;
  const model = await loadModel(config, logger);
  if (model.kind === 'gliner2') throw new GlinerError('MODEL_UNSUPPORTED', `${model.displayId} is a GLiNER2 model: eval scores NER with labels (a GLiNER model); a GLiNER2 model answers schemas (serve, POST /api/v1/extract; docs/gliner2.md).`);
  // Offline: no admission budget or quota, just enough queue for the chunks kept in flight.
  const settings = resolveSettings(config, model, thisMachine(), { queueRows: options.chunk * 64 });
  const stack = await startStack(settings, model, { metrics: new Metrics(), logger });
  try {
    const scorer = new Scorer(options.labels);
    const what = options.documents === undefined ? 'sentences' : 'documents';
    const bar = options.progress ? new SingleBar({ format: `eval [{bar}] {percentage}% | {value}/{total} ${what} | {eta_formatted} left`, hideCursor: true }, Presets.shades_classic) : undefined;
    bar?.start(units.length, 0);
    const decode = { threshold: options.threshold, flatNer: true, multiLabel: false };
    // Keep several chunks in flight so the batcher has rows to group.
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < units.length; i += chunkSize) {
      const chunk = units.slice(i, i + chunkSize);
      const job = stack.engine.submit({ texts: chunk.map((u) => u.text), labels: options.labels, options: decode }, { timeoutMs: 600_000 }).result.then((result) => {
        chunk.forEach((unit, j) => {
          const entities = JSON.parse(result.texts[j]?.json ?? '[]') as Entity[];
          scorer.add(unit.entities, entities.map((e) => ({ start: e.start, end: e.end, label: e.entity_type })), unit.sentences);
        });
        bar?.increment(chunk.length);
      });
      inflight.add(job);
      void job.finally(() => inflight.delete(job)).catch(() => undefined);
      if (inflight.size >= 8) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    bar?.stop();
    const report = scorer.report();
    return options.documents === undefined ? report : { ...report, documents: units.length };
  } finally {
    await stack.close();
  }
}
