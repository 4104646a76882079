// The predict service, built once the model is loaded, with its final settings: it checks the
// request limits, submits to the engine (through the result cache when it is on) with the caller's
// tenant, deadline and cache choice, cancels the work when the caller leaves, and answers
// one TextAnswer per text with the timings and log fields. Readiness, draining and the request's
// start and end events are the host's (host.ts), which holds this object once it exists.
import type { Predictor } from '../engine/cached-engine.js';
import { requestCacheStatus } from '../engine/cached-engine.js';
import type { PredictRequest as EngineRequest } from '../engine/engine.js';
import { GlinerError } from '../errors.js';
import { checkExtract, checkPredict, checkRelations, type RequestLimits } from './limits.js';
import type { Caller, ModelSummary, ServiceAnswer, ServiceRequest } from './request.js';

export interface ServiceSettings extends RequestLimits {
  /** Deadline of a request (REQUEST_TIMEOUT_MS), unless the caller sets its own. */
  readonly requestTimeoutMs: number;
}

const ms = (seconds: number): number => Math.round(seconds * 1e4) / 10;

export class PredictService {
  constructor(
    private readonly predictor: Predictor,
    readonly model: ModelSummary,
    private readonly settings: ServiceSettings,
  ) {}

  /** The engine's request for a service request: checked against the limits and the model's kind. */
  private engineRequest(request: ServiceRequest): EngineRequest {
    const gliner2 = this.model.kind === 'gliner2';
    if (request.operation === 'extract') {
      if (!gliner2) throw new GlinerError('WRONG_ENDPOINT', `The model ${this.model.id} is a GLiNER model: it answers labels at POST /api/v1/predict. Schema extraction (/api/v1/extract, a "schema") needs a GLiNER2 model (docs/gliner2.md).`);
      const { inputs } = request;
      checkExtract(inputs, this.settings, request.fields);
      const extract = { schema: inputs.schema, schemaJson: JSON.stringify(inputs.schema), threshold: inputs.threshold, includeConfidence: inputs.includeConfidence, includeSpans: inputs.includeSpans };
      return { texts: [inputs.text], labels: [], options: { threshold: inputs.threshold, flatNer: true, multiLabel: false }, extract };
    }
    if (gliner2) throw new GlinerError('WRONG_ENDPOINT', `The model ${this.model.id} is a GLiNER2 model: it answers schemas at POST /api/v1/extract (over WebSocket, a message with "schema" instead of "labels"; over OIP, a "schema" input), not labels.`);
    const { inputs } = request;
    checkPredict(inputs, this.settings, request.fields);
    checkRelations(inputs, this.settings, this.model);
    return { texts: inputs.texts, labels: inputs.labels, options: inputs.options, ...(inputs.relations === undefined ? {} : { relations: inputs.relations }) };
  }

  async handle(request: ServiceRequest, caller: Caller): Promise<ServiceAnswer> {
    const submission = this.predictor.submit(
      this.engineRequest(request),
      {
        timeoutMs: caller.timeoutMs ?? this.settings.requestTimeoutMs,
        tenant: caller.tenant,
        noCache: caller.noCache,
        ...(caller.context === undefined ? {} : { context: caller.context }),
        ...(request.operation === 'predict' && request.onPartial !== undefined ? { onWindow: request.onPartial } : {}),
      },
    );
    const forget = caller.onLeave?.(() => submission.cancel());
    try {
      const result = await submission.result;
      if (caller.log !== undefined) {
        caller.log.batches = result.batchIds;
        caller.log.queueMs = ms(result.timings.queueSeconds);
        caller.log.inferenceMs = ms(result.timings.inferenceSeconds);
        if (result.cache !== undefined) caller.log.cache = requestCacheStatus(result.cache);
      }
      return { texts: result.texts, timings: result.timings, batchIds: result.batchIds, ...(result.cache === undefined ? {} : { cache: result.cache }), model: this.model };
    } finally {
      forget?.();
    }
  }

  /** Stop admitting, then wait until every admitted request has settled. */
  drain(): Promise<void> {
    return this.predictor.drain();
  }
}
