// The eval command: every sentence of a CoNLL file through the same engine the server uses
// (planning, micro-batching, workers, merging), scored at entity level.
import { readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config/schema.js';
import type { Entity } from '../inference/merge.js';
import { createInferenceStack } from '../inference-stack.js';
import type { Logger } from '../logging.js';
import { Metrics } from '../metrics/registry.js';
import { parseConll } from './conll.js';
import { Scorer, type Report } from './score.js';

export interface EvalOptions {
  readonly data: string;
  readonly labels: readonly string[];
  readonly threshold: number;
  /** Sentences per engine submission. */
  readonly chunk: number;
  readonly limit?: number;
  readonly progress: boolean;
}

export async function runEval(config: Config, options: EvalOptions, logger: Logger): Promise<Report> {
  let sentences = parseConll(readFileSync(options.data, 'utf8'));
  if (options.limit !== undefined) sentences = sentences.slice(0, options.limit);
  // Offline: no admission budget or quota, just enough queue for the chunks kept in flight.
  const stack = createInferenceStack({ ...config, maxQueueRows: Math.max(config.maxQueueRows, options.chunk * 64), maxQueueWaitMs: 0, maxQueueRowsPerKey: 0 }, logger, new Metrics());
  try {
    await stack.loaded;
    const scorer = new Scorer(options.labels);
    const bar = options.progress ? new SingleBar({ format: 'eval [{bar}] {percentage}% | {value}/{total} sentences | {eta_formatted} left', hideCursor: true }, Presets.shades_classic) : undefined;
    bar?.start(sentences.length, 0);
    const decode = { threshold: options.threshold, flatNer: true, multiLabel: false };
    // Keep several chunks in flight so the batcher has rows to group.
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < sentences.length; i += options.chunk) {
      const chunk = sentences.slice(i, i + options.chunk);
      const job = stack.engine.submit({ texts: chunk.map((s) => s.text), labels: options.labels, options: decode }, { timeoutMs: 600_000 }).result.then((result) => {
        chunk.forEach((sentence, j) => {
          const entities = JSON.parse(result.texts[j]?.json ?? '[]') as Entity[];
          scorer.add(sentence.entities, entities.map((e) => ({ start: e.start, end: e.end, label: e.entity_type })));
        });
        bar?.increment(chunk.length);
      });
      inflight.add(job);
      void job.finally(() => inflight.delete(job)).catch(() => undefined);
      if (inflight.size >= 8) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    bar?.stop();
    return scorer.report();
  } finally {
    await stack.close();
  }
}
