// The engine: admission, planning, rows and answers around the batcher. The front end gives it texts
// and labels; it admits the request or refuses it at once (OVERLOADED, QUEUE_QUOTA_EXCEEDED,
// DRAINING), plans each text into rows (windows × label groups), queues them fairly, and collects
// the answers. This runs on the HTTP thread, so it only does constant work per request and per row:
// a short request is planned here (bounded by INLINE_PLAN_CHARS, admitted.ts), a long one by a worker; a text
// that is one row is decoded and answered by the worker that ran it; a long text's rows are merged
// by a worker. Deadlines fire on a timer: the request's unrun rows are dropped and it answers 504 at once.
import { GlinerError } from '../errors.js';
import type { DecodeOptions } from '../inference/decode.js';
import type { RowSpans } from '../inference/merge.js';
import { dedupeLabels, estimateTokens, labelGroups, labelGroupsFor, planText, textRows, type LabelGroup, type PlanLimits, type TextPlan } from '../inference/plan.js';
import { relationBuffers } from '../inference/relations.js';
import { spanBuffers } from '../inference/spans.js';
import type { MergeTask, PlanResult, PlanTask, RelationTask, RowResult, RowTask, TextAnswer } from '../worker/messages.js';
import { AdmissionGate, inlinePlans, roughWindows, type RunState } from './admitted.js';
import type { AnyRowResult, Batcher, DispatchedBatch, QueuedRow } from './batcher.js';
import { helperJob, type HelperDone, type HelperKind } from './jobs.js';
import type { ExtractJob } from './extract-engine.js';


export interface PredictRequest {
  readonly texts: readonly string[];
  readonly labels: readonly string[];
  readonly options: DecodeOptions;
  /** Relation-extraction models: relation labels and threshold (docs/relations.md). */
  readonly relations?: RelationTask;
  /** GLiNER2: answer each text against this schema instead (only the extract engine takes it; extract-engine.ts). */
  readonly extract?: ExtractJob;
}

export interface WindowUpdate {
  readonly text: number;
  readonly window: number;
  readonly windows: number;
  /** Entities found in this window alone (offsets in the original text). */
  readonly answer: TextAnswer;
}

export interface PredictContext {
  /** Milliseconds from now. */
  readonly timeoutMs: number;
  /** Who is asking (the API key's name): the unit of fairness and of the queue quota. */
  readonly tenant?: string;
  readonly onWindow?: (update: WindowUpdate) => void;
  /** An observer's context for the request (a trace span): handed back in the engine's and batcher's events. */
  readonly context?: unknown;
}

/** What the engine reports, for observers (tracing); nothing here is needed to answer. */
export interface EngineEvents {
  /** A helper job of a request ran on a worker: planning its long texts, or merging a text's rows. */
  helperDone?: HelperDone;
  /** A request was admitted with an estimate of `rows` rows (refusals are the service's finished event). */
  admitted?: (context: unknown, rows: number) => void;
  /** A request's texts are planned and its `rows` rows (`windows` windows × label groups) join the queue. */
  queued?: (context: unknown, windows: number, rows: number) => void;
}

export interface StageTimings {
  /** Longest time any of the request's rows waited in the queue. */
  queueSeconds: number;
  /** ONNX Runtime time of the batches that carried the request's rows (summed). */
  inferenceSeconds: number;
  totalSeconds: number;
}

export interface PredictResult {
  /** One answer per text, in order. */
  readonly texts: readonly TextAnswer[];
  readonly timings: StageTimings;
  readonly batchIds: readonly number[];
}

export interface Submission {
  readonly result: Promise<PredictResult>;
  /** The client went away: rows not yet dispatched are dropped. */
  cancel(): void;
}

/** The workers' helper jobs the engine needs (planning and merging long texts). */
export interface WorkerPort {
  plan(task: PlanTask): Promise<PlanResult>;
  merge(task: MergeTask, transfer: ArrayBuffer[]): Promise<TextAnswer>;
}

export interface EngineSettings {
  readonly limits: PlanLimits;
  /** Most entities in one text's answer. */
  readonly maxEntities: number;
}

/** Why admission refused, as its error's `extra.reason` says (gliner_requests_dropped_total{reason}). */
export type { AdmissionReason } from './admitted.js';

/** The answer of a text with no words (or of a missing one). */
export const EMPTY_ANSWER: TextAnswer = { json: '[]', count: 0, truncated: false };

/** The answer of a text with no words when relations are asked: no relations either. */
const EMPTY_WITH_RELATIONS: TextAnswer = { ...EMPTY_ANSWER, relations: { json: '[]', count: 0 } };

/**
 * The label groups of a request. Relations pair the entities of one row, so a request asking for
 * relations keeps all its entity labels in one group (as upstream's prompt holds them all); its
 * relation labels cost each row their prompt tokens (`<<REL>>` and the label each, and a `<<SEP>>`).
 */
function requestGroups(labels: readonly string[], limits: PlanLimits, relations: RelationTask | undefined): LabelGroup[] {
  if (relations === undefined) return labelGroupsFor(labels, limits);
  const extra = relations.labels.reduce((sum, label) => sum + 1 + estimateTokens(label), 1);
  return labelGroups(labels, Math.max(1, labels.length), limits.promptLabels ?? true).map((group) => ({ ...group, tokens: group.tokens + extra }));
}

export class Engine {
  private readonly gate = new AdmissionGate();

  /** Built once the model is known and the workers are up, with its final settings (startup/settings.ts). */
  constructor(
    private readonly batcher: Batcher,
    private readonly settings: EngineSettings,
    private readonly port: WorkerPort,
    private readonly events: EngineEvents = {},
  ) {}

  get isDraining(): boolean {
    return this.gate.isDraining;
  }

  /**
   * Admit and run a request. Throws OVERLOADED, QUEUE_QUOTA_EXCEEDED (with `extra.reason`) or
   * DRAINING synchronously when refused.
   */
  submit(request: PredictRequest, context: PredictContext): Submission {
    this.gate.check();
    const { limits } = this.settings;
    const labels = dedupeLabels(request.labels);
    const relations = request.relations === undefined ? undefined : { ...request.relations, labels: dedupeLabels(request.relations.labels) };
    const groups = requestGroups(labels, limits, relations);
    const { plans, rows } = inlinePlans(
      request.texts,
      (text) => planText(text, limits),
      (plan) => plan.windows.length * groups.length,
      (chars) => roughWindows(chars, limits.windowWords, limits.overlapWords) * groups.length,
    );
    const asked = relations === undefined ? request : { ...request, relations };
    return this.gate.admit(this.batcher, rows, context, this.events, (state) => new RequestRun(this.batcher, this.port, this.settings, state, asked, labels, groups, context, this.events).answers(plans));
  }

  /** Stop admitting, then wait until every admitted request has settled. */
  drain(): Promise<void> {
    return this.gate.drain(this.batcher);
  }
}

/** One admitted request on its way through the workers. */
class RequestRun {
  constructor(
    private readonly batcher: Batcher,
    private readonly port: WorkerPort,
    private readonly settings: EngineSettings,
    private readonly state: RunState,
    private readonly request: PredictRequest,
    private readonly labels: readonly string[],
    private readonly groups: readonly LabelGroup[],
    private readonly context: PredictContext,
    private readonly events: EngineEvents,
  ) {}

  /** A helper job on the next free worker, reported to the observers when it ends. */
  private helper<T>(kind: HelperKind, job: () => Promise<T>): Promise<T> {
    return helperJob(this.batcher, this.events.helperDone, kind, this.context.context, job);
  }

  private get cancelled(): boolean {
    return this.state.queue.ticket.cancelled !== undefined;
  }

  async answers(inlinePlans: readonly TextPlan[] | undefined): Promise<TextAnswer[]> {
    const plans = inlinePlans ?? (await this.helper('plan', () => this.port.plan({ kind: 'plan', texts: this.request.texts, limits: this.settings.limits }))).plans;
    if (this.cancelled) throw new GlinerError('DEADLINE_EXCEEDED', 'The request was dropped before it could run.');
    const queued: QueuedRow[] = [];
    const texts = plans.map((plan, t) => this.textAnswer(plan, this.request.texts[t] ?? '', t, queued));
    if (this.events.queued !== undefined) this.events.queued(this.context.context, plans.reduce((sum, plan) => sum + plan.windows.length, 0), queued.length);
    this.batcher.enqueue(this.state.queue, queued);
    return Promise.all(texts);
  }

  /** Queue a row; its promise settles with the row's result when its batch is back. */
  private row(task: RowTask, tokens: number, queued: QueuedRow[]): Promise<RowResult> {
    return new Promise<RowResult>((resolve, reject) => {
      queued.push({
        task,
        ticket: this.state.queue.ticket,
        tokens,
        enqueuedAt: 0,
        resolve: (result: AnyRowResult, batch: DispatchedBatch) => {
          if (result.kind === 'extract') {
            reject(new GlinerError('INTERNAL', 'A GLiNER row came back as an extract row: this is a bug.'));
            return;
          }
          this.state.served(batch);
          // A window past MAX_RELATION_PAIRS fails its own request only (its batch neighbours answer).
          if (result.relationsRefused === undefined) resolve(result);
          else reject(new GlinerError(result.relationsRefused.code, result.relationsRefused.message));
        },
        reject,
      });
    });
  }

  private async textAnswer(plan: TextPlan, text: string, textIndex: number, queued: QueuedRow[]): Promise<TextAnswer> {
    const { options, relations } = this.request;
    if (plan.windows.length === 0 || this.groups.length === 0) return relations === undefined ? EMPTY_ANSWER : EMPTY_WITH_RELATIONS;
    const { maxEntities } = this.settings;
    const solo = plan.windows.length === 1 && this.groups.length === 1;
    // With relations, a window's own greedy pass decides which of its entities carry relations.
    const finish: RowTask['finish'] = solo
      ? { kind: 'answer', options, maxEntities }
      : { kind: 'spans', bestLabelOnly: !options.multiLabel, maxSpans: maxEntities, ...(relations === undefined ? {} : { options }) };
    const asks = relations === undefined ? {} : { relations };
    const windows = textRows(text, plan, this.groups).map((rows) =>
      rows.map((row) => this.row({ text: row.text, codePoint: row.codePoint, labels: row.labels, threshold: options.threshold, finish, ...asks }, row.tokens, queued)));
    if (solo) {
      const only = await windows[0]?.[0];
      return only?.kind === 'answer' ? only.answer : EMPTY_ANSWER;
    }
    const spansOf = (results: readonly RowResult[], w: number): RowSpans[] => {
      const window = plan.windows[w];
      if (window === undefined) return [];
      return results.flatMap((result, g) => (result.kind === 'spans'
        ? [{ wordOffset: window.wordOffset, wordCount: window.wordCount, labelOffset: this.groups[g]?.offset ?? 0, spans: result.spans, ...(result.relations === undefined ? {} : { relations: result.relations }) }]
        : []));
    };
    const onWindow = this.context.onWindow;
    const updates: Promise<void>[] = [];
    if (onWindow !== undefined) {
      windows.forEach((rows, w) => {
        const window = plan.windows[w];
        if (window === undefined) return;
        updates.push(Promise.all(rows)
          .then((done) => this.merge(text.slice(window.utf16Start, window.utf16End), spansOf(done, w), { word: window.wordOffset, codePoint: window.codePoint, totalWords: plan.totalWords }, false))
          .then((answer) => {
            if (!this.cancelled) onWindow({ text: textIndex, window: w, windows: plan.windows.length, answer });
          }, () => undefined)); // the request's own promise reports the failure
      });
    }
    const done = await Promise.all(windows.map((rows) => Promise.all(rows)));
    const clipped = done.some((results) => results.some((result) => result.kind === 'spans' && result.clipped));
    // Window merges (streaming) read the same buffers: hand them over only when nothing else will.
    const answer = await this.merge(text, done.flatMap(spansOf), { word: 0, codePoint: 0, totalWords: plan.totalWords }, onWindow === undefined);
    // Window merges run on any free worker, beside the final one: every update goes out before the answer.
    await Promise.all(updates);
    return clipped && !answer.truncated ? { ...answer, truncated: true } : answer;
  }

  /** Merge rows in a worker; the final merge hands over the rows' buffers instead of copying them. */
  private merge(text: string, rows: readonly RowSpans[], segment: MergeTask['segment'], transfer: boolean): Promise<TextAnswer> {
    const task: MergeTask = {
      kind: 'merge',
      text,
      labels: this.labels,
      rows,
      segment,
      options: this.request.options,
      maxEntities: this.settings.maxEntities,
      ...(this.request.relations === undefined ? {} : { relationLabels: this.request.relations.labels }),
    };
    return this.helper('merge', () => this.port.merge(task, transfer ? task.rows.flatMap((row) => [...spanBuffers(row.spans), ...(row.relations === undefined ? [] : relationBuffers(row.relations))]) : []));
  }
}
