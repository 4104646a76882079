// POST /api/v1/predict and /api/v1/predict/batch: validate, apply limits, submit to the engine,
// answer entities with per-stage timing headers (and X-Cache when the result cache is on).
import { GlinerError } from '../../errors.js';
import { requestCacheStatus, type CachedResult, type Predictor } from '../../engine/cached-engine.js';
import { EMPTY_ANSWER, type PredictResult } from '../../engine/engine.js';
import type { DecodeOptions } from '../../inference/decode.js';
import type { Metrics } from '../../metrics/registry.js';
import type { HeaderBag, RequestContext } from '../context.js';
import { send } from '../respond.js';
import type { Route } from '../router.js';
import { BatchBody, PredictBody } from '../schemas.js';
import type { ServerState } from '../state.js';
import { validator } from '../validate.js';
import type { TextAnswer } from '../../worker/messages.js';

export interface RequestLimits {
  readonly maxTextChars: number;
  readonly maxLabels: number;
  readonly maxLabelChars: number;
  readonly maxBatchTexts: number;
  readonly requestTimeoutMs: number;
}

export interface PredictDeps {
  readonly engine: Predictor;
  readonly state: ServerState;
  readonly metrics: Metrics;
  readonly limits: RequestLimits;
}

/**
 * A text's answer as JSON members: the worker serialised the entities, so the HTTP thread only
 * splices strings (and counts) — `"entities":[…],"truncated":false`.
 */
export function answerMembers(answer: TextAnswer, metrics: Metrics): string {
  metrics.entities.inc(answer.count);
  if (answer.truncated) metrics.truncated.inc();
  return `"entities":${answer.json},"truncated":${answer.truncated}`;
}

export function checkLabels(labels: readonly string[], limits: RequestLimits, field = 'labels'): void {
  if (labels.length > limits.maxLabels) throw new GlinerError('LIMIT_EXCEEDED', `Field "${field}": at most ${limits.maxLabels} labels are allowed (got ${labels.length}).`);
  labels.forEach((label, i) => {
    if (label.trim().length === 0) throw new GlinerError('VALIDATION_FAILED', `Field "${field}.${i}": a label must not be empty or blank.`);
    if (label.length > limits.maxLabelChars) throw new GlinerError('LIMIT_EXCEEDED', `Field "${field}.${i}": a label may have at most ${limits.maxLabelChars} characters.`);
  });
}

export function checkText(text: string, limits: RequestLimits, field = 'text'): void {
  if (text.length > limits.maxTextChars) throw new GlinerError('LIMIT_EXCEEDED', `Field "${field}": at most ${limits.maxTextChars} characters are allowed (got ${text.length}).`);
}

/** The request's labels: "labels", or "entity_type" as a one-label list; exactly one of them. */
export function labelsOf(body: { labels?: string[] | undefined; entity_type?: string | undefined }): { labels: string[]; field: string } {
  if (body.labels !== undefined && body.entity_type !== undefined) throw new GlinerError('VALIDATION_FAILED', 'Give either "labels" or "entity_type", not both.');
  if (body.labels !== undefined) return { labels: body.labels, field: 'labels' };
  if (body.entity_type !== undefined) return { labels: [body.entity_type], field: 'entity_type' };
  throw new GlinerError('VALIDATION_FAILED', 'Field "labels" is required (or give "entity_type").');
}

export function decodeOptions(body: { threshold?: number; flat_ner?: boolean; multi_label?: boolean }): DecodeOptions {
  return { threshold: body.threshold ?? 0.5, flatNer: body.flat_ner ?? true, multiLabel: body.multi_label ?? false };
}

export function assertReady(state: ServerState): void {
  if (state.phase === 'starting') throw new GlinerError('NOT_READY', 'The model is still loading.', { retryAfterSeconds: 5 });
  if (state.phase === 'draining') throw new GlinerError('DRAINING', 'The server is shutting down.', { retryAfterSeconds: 1 });
}

/** Server-Timing plus plain X-* headers, in milliseconds. */
export function timingHeaders(result: PredictResult): [string, string][] {
  const ms = (seconds: number): string => (seconds * 1000).toFixed(2);
  const { queueSeconds, inferenceSeconds, totalSeconds } = result.timings;
  return [
    ['X-Queue-Time', ms(queueSeconds)],
    ['X-Inference-Time', ms(inferenceSeconds)],
    ['X-Total-Time', ms(totalSeconds)],
    ['Server-Timing', `queue;dur=${ms(queueSeconds)}, inference;dur=${ms(inferenceSeconds)}, total;dur=${ms(totalSeconds)}`],
  ];
}

/** Cache-Control: no-cache (or no-store) on a request: do not answer it from the cache or from a text in flight. */
export function wantsNoCache(headers: HeaderBag): boolean {
  return /(^|,)\s*no-(cache|store)\s*(,|=|$)/i.test(headers.get('cache-control') ?? '');
}

/**
 * X-Cache: `hit` when every text came from the cache, `shared` when none ran but some joined a text
 * in flight, `miss` when any text ran; X-Cache-Texts counts each (`hit=2, shared=0, miss=1`).
 */
export function cacheHeaders(result: CachedResult): [string, string][] {
  if (result.cache === undefined) return [];
  const count = (status: string): number => result.cache?.filter((s) => s === status).length ?? 0;
  return [['X-Cache', requestCacheStatus(result.cache)], ['X-Cache-Texts', `hit=${count('hit')}, shared=${count('shared')}, miss=${count('miss')}`]];
}

export async function run(deps: PredictDeps, ctx: RequestContext, texts: string[], labels: string[], options: DecodeOptions): Promise<CachedResult> {
  assertReady(deps.state);
  const submission = deps.engine.submit({ texts, labels, options }, { timeoutMs: deps.limits.requestTimeoutMs, tenant: ctx.keyName ?? 'anonymous', noCache: wantsNoCache(ctx.headers) });
  ctx.onAbort.push(() => submission.cancel());
  const result = await submission.result;
  ctx.log.batches = result.batchIds;
  ctx.log.queueMs = Math.round(result.timings.queueSeconds * 1e4) / 10;
  ctx.log.inferenceMs = Math.round(result.timings.inferenceSeconds * 1e4) / 10;
  if (result.cache !== undefined) ctx.log.cache = requestCacheStatus(result.cache);
  return result;
}

export function predictRoutes(deps: PredictDeps): Route[] {
  const predictBody = validator(PredictBody);
  const batchBody = validator(BatchBody);
  const modelId = (): string => deps.state.model?.id ?? 'unknown';
  return [
    {
      method: 'post', path: '/api/v1/predict', name: '/api/v1/predict', auth: true, body: true,
      async handle(ctx, raw) {
        const body = predictBody.parse(raw ?? Buffer.alloc(0));
        const { labels, field } = labelsOf(body);
        checkText(body.text, deps.limits);
        checkLabels(labels, deps.limits, field);
        const result = await run(deps, ctx, [body.text], labels, decodeOptions(body));
        const answer = result.texts[0] ?? EMPTY_ANSWER;
        const json = `{${answerMembers(answer, deps.metrics)},"processing_time":${result.timings.totalSeconds},"model":${JSON.stringify(modelId())}}`;
        send(ctx.ex, 200, json, 'application/json', [...timingHeaders(result), ...cacheHeaders(result)]);
      },
    },
    {
      method: 'post', path: '/api/v1/predict/batch', name: '/api/v1/predict/batch', auth: true, body: true,
      async handle(ctx, raw) {
        const body = batchBody.parse(raw ?? Buffer.alloc(0));
        if (body.texts.length > deps.limits.maxBatchTexts) throw new GlinerError('LIMIT_EXCEEDED', `Field "texts": at most ${deps.limits.maxBatchTexts} texts per batch (got ${body.texts.length}).`);
        const { labels, field } = labelsOf(body);
        body.texts.forEach((text, i) => checkText(text, deps.limits, `texts.${i}`));
        checkLabels(labels, deps.limits, field);
        const result = await run(deps, ctx, body.texts, labels, decodeOptions(body));
        const results = result.texts.map((answer) => `{${answerMembers(answer, deps.metrics)}}`).join(',');
        const json = `{"results":[${results}],"processing_time":${result.timings.totalSeconds},"model":${JSON.stringify(modelId())}}`;
        send(ctx.ex, 200, json, 'application/json', [...timingHeaders(result), ...cacheHeaders(result)]);
      },
    },
  ];
}
