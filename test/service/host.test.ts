// The service's one way in (ServiceHost over a PredictService on the fake runner): NOT_READY until
// the service is open, DRAINING (counted once as dropped{reason="draining"}) once shutting down, the
// request limits naming the client's field, refusal reasons and entity metrics from the outcome, and
// the started/finished events every request passes through.
import { describe, expect, it } from 'vitest';
import { GlinerError } from '../../src/errors.js';
import { serviceMetrics } from '../../src/metrics/hooks.js';
import { Metrics } from '../../src/metrics/registry.js';
import type { Outcome } from '../../src/service/events.js';
import { ServiceHost } from '../../src/service/host.js';
import type { PredictRequest, ServiceRequest } from '../../src/service/request.js';
import { PredictService } from '../../src/service/service.js';
import { singleTextFields } from '../../src/service/wire.js';
import { FakeRunner, inProcess } from '../support/fake-runner.js';
import { metricValue } from '../support/http.js';

const MODEL = { id: 'fake', revision: 'local', executionProvider: 'cpu', requestedProvider: 'cpu', quantization: 'fp32', workers: 1, intraOpThreads: 1, soloThreads: 0 };
const SETTINGS = { maxTextChars: 100, maxLabels: 3, maxLabelChars: 20, maxBatchTexts: 2, requestTimeoutMs: 10_000 };
const caller = { tenant: 't', requestId: 'r', noCache: false };
const predict = (text: string, labels = ['person']): PredictRequest => ({ operation: 'predict', inputs: { texts: [text], labels, options: { threshold: 0.5, flatNer: true, multiLabel: false } }, fields: singleTextFields('labels') });

function harness(maxQueueRows = 1000) {
  const metrics = new Metrics();
  const outcomes: Outcome[] = [];
  const events = serviceMetrics(metrics);
  const seen: { batches: unknown[][]; helpers: string[]; finishedWith: unknown[] } = { batches: [], helpers: [], finishedWith: [] };
  // An observer's context: the request's number, handed back by the engine's and batcher's events.
  const host = new ServiceHost({
    ...events,
    started: () => `request-${outcomes.length}`,
    finished: (request, who, outcome, seconds) => {
      outcomes.push(outcome);
      seen.finishedWith.push(who.context);
      events.finished?.(request, who, outcome, seconds);
    },
  });
  // Rows holding the word "Stall" wait until release(): the one worker is busy meanwhile.
  const fake = new FakeRunner();
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const runner = { config: fake.config, close: () => fake.close(), run: async (rows: Parameters<FakeRunner['run']>[0]) => { if (rows.some((r) => r.words.includes('Stall'))) await gate; return fake.run(rows); } };
  const { engine } = inProcess(runner, { limits: { windowWords: 20, overlapWords: 13, labelsPerRow: 1 }, maxEntities: 2 }, { maxQueueRows, maxBatchRows: 1 }, undefined, {
    batchStarted: (batch) => seen.batches.push(batch.tickets.map((ticket) => ticket.context)),
  }, undefined, { helperDone: (job) => seen.helpers.push(`${job.kind}:${String(job.context)}:${job.ok}`) });
  const service = new PredictService(engine, MODEL, SETTINGS);
  return { metrics, host, service, outcomes, release, seen };
}

const codeOf = async (work: Promise<unknown>): Promise<string> => work.then(() => 'ok', (error: unknown) => (error as GlinerError).code);

describe('ServiceHost', () => {
  it('answers NOT_READY until the service is open, then answers, with gliner_ready following the phase', async () => {
    const h = harness();
    expect(metricValue(await h.metrics.render(), 'gliner_ready')).toBe(0);
    expect(await codeOf(h.host.handle(predict('Ada'), caller))).toBe('NOT_READY');
    h.host.open(h.service);
    expect(metricValue(await h.metrics.render(), 'gliner_ready')).toBe(1);
    const answer = await h.host.handle(predict('Ada met Bob'), caller);
    expect(JSON.parse(answer.texts[0]?.json ?? '')).toHaveLength(2);
    expect(answer.model).toBe(MODEL);
    expect(h.outcomes.map((o) => o.ok)).toEqual([false, true]);
  });

  it('counts a DRAINING refusal as dropped{reason="draining"}, and refuses new connections too', async () => {
    const h = harness();
    h.host.open(h.service);
    expect(metricValue(await h.metrics.render(), 'gliner_requests_dropped_total', { reason: 'draining' })).toBe(0);
    await h.host.drain();
    expect(await codeOf(h.host.handle(predict('Ada'), caller))).toBe('DRAINING');
    expect(() => h.host.assertAccepting()).toThrow(GlinerError);
    expect(metricValue(await h.metrics.render(), 'gliner_requests_dropped_total', { reason: 'draining' })).toBe(1);
    expect(metricValue(await h.metrics.render(), 'gliner_ready')).toBe(0);
  });

  it('checks the limits naming the field as the transport names it', async () => {
    const h = harness();
    h.host.open(h.service);
    const fields = { text: (i: number) => `texts.${i}`, labels: 'entity_type', texts: 'Field "texts"' };
    const refused = (request: ServiceRequest) => h.host.handle(request, caller).then(() => undefined, (error: unknown) => [(error as GlinerError).code, (error as GlinerError).message]);
    expect(await refused({ ...predict('x'.repeat(101)), fields })).toEqual(['LIMIT_EXCEEDED', 'Field "texts.0": at most 100 characters are allowed (got 101).']);
    expect(await refused({ ...predict('a', ['a', 'b', 'c', 'd']), fields })).toEqual(['LIMIT_EXCEEDED', 'Field "entity_type": at most 3 labels are allowed (got 4).']);
    expect(await refused({ ...predict('a', ['a', ' ']), fields })).toEqual(['VALIDATION_FAILED', 'Field "entity_type.1": a label must not be empty or blank.']);
    const three = { ...predict('a'), inputs: { ...predict('a').inputs, texts: ['a', 'b', 'c'] }, fields };
    expect(await refused(three)).toEqual(['LIMIT_EXCEEDED', 'Field "texts": at most 2 texts per request (got 3).']);
  });

  it('counts admission refusals by their reason and answered entities (truncated ones too)', async () => {
    const h = harness(2);
    h.host.open(h.service);
    expect(await codeOf(h.host.handle(predict('Ada', ['a', 'b', 'c']), caller))).toBe('OVERLOADED');
    expect(metricValue(await h.metrics.render(), 'gliner_requests_dropped_total', { reason: 'overload' })).toBe(1);
    await h.host.handle(predict('Ann Bob Cy'), caller);
    const metrics = await h.metrics.render();
    expect(metricValue(metrics, 'gliner_entities_returned_total')).toBe(2);
    expect(metricValue(metrics, 'gliner_answers_truncated_total')).toBe(1);
  });

  it('hands the observer\'s context from the start event to the batches and helper jobs that served the request', async () => {
    const h = harness();
    h.host.open(h.service);
    await h.host.handle(predict('Ada'), caller);
    const long = Array.from({ length: 30 }, (_, i) => (i === 25 ? 'Zed' : 'w')).join(' ');
    await h.host.handle(predict(long), caller);
    // 30 words in windows of 20 overlapping by 13: three rows, three batches of one row.
    expect(h.seen.batches).toEqual([['request-0'], ['request-1'], ['request-1'], ['request-1']]);
    expect(h.seen.helpers).toEqual(['merge:request-1:true']);
    expect(h.seen.finishedWith).toEqual(['request-0', 'request-1']);
  });

  it('drops the work of a caller who leaves before it ran, and forgets the cancel once answered', async () => {
    const h = harness();
    h.host.open(h.service);
    const busy = h.host.handle(predict('Stall here'), caller);
    const cancels = new Set<() => void>();
    const onLeave = (cancel: () => void) => {
      cancels.add(cancel);
      return () => cancels.delete(cancel);
    };
    const gone = h.host.handle(predict('Ada'), { ...caller, onLeave });
    expect(cancels.size).toBe(1);
    for (const cancel of cancels) cancel();
    expect(await codeOf(gone)).toBe('DEADLINE_EXCEEDED');
    expect(cancels.size).toBe(0);
    h.release();
    expect(await codeOf(busy)).toBe('ok');
  });
});
