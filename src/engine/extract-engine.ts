// The engine of schema extraction (GLiNER2), beside engine.ts and with its contract (a Predictor, so
// the result cache wraps it unchanged): admission, planning, rows and answers around the same
// batcher. A text of at most EXTRACT_CHUNK_WORDS words is one row, answered by the worker that ran
// it; a longer one is one row per overlapping chunk (global offsets), merged by a worker as
// upstream's extract_long. Rows of any requests and schemas share batches, fairly (fair-queue.ts);
// deadlines, cancellation and admission are the batcher's, as for NER. On the HTTP thread: constant
// work per request and per row (a short text is planned here, bounded by INLINE_PLAN_CHARS).
import { GlinerError } from '../errors.js';
import type { ExtractSchema } from '../inference/gliner2/schema.js';
import type { ExtractChunking, ExtractMergeTask, ExtractPlan, ExtractPlanResult, ExtractPlanTask, ExtractAnswerResult, ExtractRowResult, ExtractRowTask } from '../worker/gliner2-messages.js';
import { planExtractText } from '../worker/gliner2-tasks.js';
import type { TextAnswer } from '../worker/messages.js';
import type { Batcher } from './batcher.js';
import { AdmissionGate, inlinePlans, roughWindows, type RunState } from './admitted.js';
import { helperJob, type HelperKind } from './jobs.js';
import type { AnyRowResult, AnyRowTask, DispatchedBatch, QueuedRow } from './fair-queue.js';
import type { EngineEvents, PredictContext, PredictRequest, Submission } from './engine.js';

/** What an extract request asks of each text: the schema (and its canonical JSON, the cache's key) and extract's options. */
export interface ExtractJob {
  readonly schema: ExtractSchema;
  /** JSON.stringify of the validated schema: the same schema gives the same key. */
  readonly schemaJson: string;
  readonly threshold: number;
  readonly includeConfidence: boolean;
  readonly includeSpans: boolean;
}

/** The workers' helper jobs of extraction. */
export interface ExtractPort {
  plan(task: ExtractPlanTask): Promise<ExtractPlanResult>;
  merge(task: ExtractMergeTask): Promise<ExtractAnswerResult>;
}

export interface ExtractEngineSettings {
  readonly chunking: ExtractChunking;
}

/** The batch budget's estimate of a row's tokens: the text's words and the schema's prompt. */
function rowTokens(words: number, schemaJson: string): number {
  return Math.ceil(words * 1.3 + schemaJson.length / 4);
}

export const answerOfJson = (json: string): TextAnswer => ({ json, count: 0, truncated: false });

export class ExtractEngine {
  private readonly gate = new AdmissionGate();

  constructor(
    private readonly batcher: Batcher<AnyRowTask>,
    private readonly settings: ExtractEngineSettings,
    private readonly port: ExtractPort,
    private readonly events: EngineEvents = {},
  ) {}

  /** Admit and run an extract request (`request.extract`); refusals are thrown synchronously, as Engine's. */
  submit(request: PredictRequest, context: PredictContext): Submission {
    this.gate.check();
    const job = request.extract;
    if (job === undefined) throw new GlinerError('INTERNAL', 'A GLiNER2 model was asked to predict with labels: this is a bug (the service refuses it).');
    const { chunking } = this.settings;
    const { plans, rows } = inlinePlans(
      request.texts,
      (text) => planExtractText(text, chunking),
      (plan) => plan.chunks.length,
      (chars) => roughWindows(chars, chunking.chunkWords, chunking.overlapWords),
    );
    return this.gate.admit(this.batcher, rows, context, this.events, (state) => this.answers(request.texts, job, plans, state, context));
  }

  /** Stop admitting, then wait until every admitted request has settled. */
  drain(): Promise<void> {
    return this.gate.drain(this.batcher);
  }

  private helper<T>(kind: HelperKind, context: PredictContext, job: () => Promise<T>): Promise<T> {
    return helperJob(this.batcher, this.events.helperDone, kind, context.context, job);
  }

  private async answers(texts: readonly string[], job: ExtractJob, inline: readonly ExtractPlan[] | undefined, state: RunState, context: PredictContext): Promise<TextAnswer[]> {
    const { chunking } = this.settings;
    const plans = inline ?? (await this.helper('plan', context, () => this.port.plan({ kind: 'extract-plan', texts, chunking }))).plans;
    if (state.queue.ticket.cancelled !== undefined) throw new GlinerError('DEADLINE_EXCEEDED', 'The request was dropped before it could run.');
    const queued: QueuedRow[] = [];
    const answers = plans.map(async (plan, t): Promise<TextAnswer> => {
      const text = texts[t] ?? '';
      const finish: ExtractRowTask['finish'] = plan.long
        ? { kind: 'chunk', maxWords: chunking.chunkWords }
        : { kind: 'answer', includeConfidence: job.includeConfidence, includeSpans: job.includeSpans };
      const rows = plan.chunks.map((chunk) => this.row(state, {
        text: text.slice(chunk.utf16Start, chunk.utf16End),
        schema: job.schema,
        threshold: job.threshold,
        finish,
      }, rowTokens(chunk.endWord - chunk.startWord, job.schemaJson), queued));
      const done = await Promise.all(rows);
      if (!plan.long) return answerOfJson(done[0]?.json ?? '{}');
      const chunks = done.map((row, c) => ({ startChar: plan.chunks[c]?.startChar ?? 0, json: row.json }));
      const merged = await this.helper('merge', context, () => this.port.merge({ kind: 'extract-merge', text, chunks, includeConfidence: job.includeConfidence, includeSpans: job.includeSpans }));
      return answerOfJson(merged.json);
    });
    this.events.queued?.(context.context, plans.reduce((sum, plan) => sum + plan.chunks.length, 0), queued.length);
    this.batcher.enqueue(state.queue, queued);
    return Promise.all(answers);
  }

  /** Queue a row; its promise settles with the row's result when its batch is back. */
  private row(state: RunState, task: ExtractRowTask, tokens: number, queued: QueuedRow[]): Promise<ExtractRowResult> {
    return new Promise<ExtractRowResult>((resolve, reject) => {
      queued.push({
        task,
        ticket: state.queue.ticket,
        tokens,
        enqueuedAt: 0,
        resolve: (result: AnyRowResult, batch: DispatchedBatch) => {
          if (result.kind !== 'extract') {
            reject(new GlinerError('INTERNAL', 'An extract row came back as a GLiNER row: this is a bug.'));
            return;
          }
          state.served(batch);
          resolve(result);
        },
        reject,
      });
    });
  }
}
