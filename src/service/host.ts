// What the transports call: the service's lifecycle and its one way in. The host exists from the
// start, so liveness answers and requests get NOT_READY while the model loads; once the model is
// loaded and the PredictService built with its final settings, `open` puts it in place (one swap of
// a fully built object, never a setting patched on a live one) and the phase becomes ready. On
// shutdown `drain` refuses new work with DRAINING and waits for what was admitted. Every request
// starts and ends here, with its outcome (events.ts): the one place metrics and tracing listen to.
import { performance } from 'node:perf_hooks';
import { asGlinerError, drainingError, GlinerError } from '../errors.js';
import type { Phase, ServiceEvents } from './events.js';
import type { Caller, ModelSummary, ServiceAnswer, ServiceRequest } from './request.js';
import type { PredictService } from './service.js';

export class ServiceHost {
  private current: PredictService | undefined;
  private state: Phase = 'starting';
  /** Why the model failed to load, for readiness. */
  private loadFailure: string | undefined;

  constructor(private readonly events: ServiceEvents = {}) {
    events.phase?.('starting');
  }

  get phase(): Phase {
    return this.state;
  }

  /** The loaded model, once the service is open. */
  get model(): ModelSummary | undefined {
    return this.current?.model;
  }

  get failure(): string | undefined {
    return this.loadFailure;
  }

  /** The model is loaded and the service built: start answering. Ignored once draining. */
  open(service: PredictService): void {
    if (this.state !== 'starting') return;
    this.current = service;
    this.setPhase('ready');
  }

  /** The model could not be loaded: readiness says why. */
  fail(message: string): void {
    this.loadFailure = message;
  }

  /** Refuse new work from now on, and resolve once the admitted work has settled. */
  async drain(): Promise<void> {
    if (this.state !== 'draining') this.setPhase('draining');
    await this.current?.drain();
  }

  /** Throws DRAINING once shutting down (a new WebSocket connection, say). */
  assertAccepting(): void {
    if (this.state === 'draining') throw drainingError();
  }

  /** The one way in: readiness, then the service; started and finished events around it. */
  async handle(request: ServiceRequest, asked: Caller): Promise<ServiceAnswer> {
    const started = performance.now();
    const context = this.events.started?.(request, asked);
    const caller = context === undefined ? asked : { ...asked, context };
    try {
      const answer = await this.service().handle(request, caller);
      this.events.finished?.(request, caller, { ok: true, answer }, (performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      const failure = asGlinerError(error);
      this.events.finished?.(request, caller, { ok: false, error: failure }, (performance.now() - started) / 1000);
      throw failure;
    }
  }

  private service(): PredictService {
    if (this.state === 'draining') throw drainingError();
    if (this.current === undefined) throw new GlinerError('NOT_READY', 'The model is still loading.', { retryAfterSeconds: 5 });
    return this.current;
  }

  private setPhase(phase: Phase): void {
    this.state = phase;
    this.events.phase?.(phase);
  }
}
