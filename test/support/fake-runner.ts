// A fake model runner for engine tests: every capitalised word is an entity of the row's first
// label (score 0.9), a capitalised pair is one span of the second label (score 0.95). Implements
// the same ModelRunner interface as OnnxRunner and passes the same contract suite. `inProcess`
// wires an engine to it the way the pool wires the real workers, without threads.
import { Batcher, type BatcherEvents, type BatcherSettings } from '../../src/engine/batcher.js';
import { Engine, type EngineEvents, type EngineSettings, type WorkerPort } from '../../src/engine/engine.js';
import { SpanListBuilder } from '../../src/inference/spans.js';
import type { GlinerConfig } from '../../src/model/gliner-config.js';
import type { ModelRow, RowTask } from '../../src/worker/messages.js';
import type { ModelRunner, RunOutput } from '../../src/worker/onnx-runner.js';
import { runBatch, runMerge, runPlan } from '../../src/worker/tasks.js';

const capital = (word: string | undefined): boolean => word !== undefined && /^\p{Lu}/u.test(word);

export class FakeRunner implements ModelRunner {
  readonly config: GlinerConfig = { kind: 'UniEncoderSpan', modelName: 'fake', spanMode: 'markerV0', maxWidth: 12, maxLen: 384, entToken: '<<ENT>>', sepToken: '<<SEP>>', maxTypes: 25 };
  calls = 0;
  /** Every row the runner was given, in order. */
  readonly seen: ModelRow[] = [];

  run(rows: readonly ModelRow[]): Promise<RunOutput> {
    this.calls++;
    this.seen.push(...rows);
    const out = rows.map((row) => {
      const spans = new SpanListBuilder();
      row.words.forEach((word, i) => {
        if (!capital(word)) return;
        if (row.threshold < 0.9) spans.push(i, i, 0, 0.9);
        if (row.labels.length > 1 && capital(row.words[i + 1]) && row.threshold < 0.95) spans.push(i, i + 1, 1, 0.95);
      });
      return { spans: spans.build(), tokens: row.words.length + 2 };
    });
    const longest = Math.max(0, ...out.map((r) => r.tokens));
    return Promise.resolve({ rows: out, paddedTokens: longest * rows.length, timings: { preprocessSeconds: 0, inferenceSeconds: 0.001, postprocessSeconds: 0 } });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const TEST_BATCHER: BatcherSettings = { maxBatchRows: 8, maxBatchTokens: 100_000, maxBatchPadding: 1, maxQueueRows: 1000, maxQueueRowsPerKey: 0, maxQueueWaitSeconds: 0, lookahead: 64, maxInflight: 1 };

/** The workers' planning and merging, run in-process. */
export const IN_PROCESS_PORT: WorkerPort = { plan: (task) => Promise.resolve(runPlan(task)), merge: (task) => Promise.resolve(runMerge(task)) };

/** An engine over `runner`, its batcher dispatching in-process as the pool's workers would. */
export function inProcess(runner: ModelRunner, settings: EngineSettings, batcher: Partial<BatcherSettings> = {}, onBatch?: (rows: readonly RowTask[]) => void, events: BatcherEvents = {}, port: WorkerPort = IN_PROCESS_PORT, engineEvents: EngineEvents = {}) {
  const b = new Batcher({ ...TEST_BATCHER, ...batcher }, (id, rows) => {
    onBatch?.(rows);
    return runBatch(runner, { kind: 'batch', batchId: id, rows }, 1);
  }, events);
  return { engine: new Engine(b, settings, port, engineEvents), batcher: b };
}
