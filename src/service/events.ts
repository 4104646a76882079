// The service's hooks: where a request starts and where it ends with its outcome, and the phase.
// Metrics subscribe to them (metrics/hooks.ts); so will tracing. Nothing here knows either.
import type { GlinerError } from '../errors.js';
import type { Caller, ServiceAnswer, ServiceRequest } from './request.js';

export type Phase = 'starting' | 'ready' | 'draining';

export type Outcome = { readonly ok: true; readonly answer: ServiceAnswer } | { readonly ok: false; readonly error: GlinerError };

export interface ServiceEvents {
  /** The lifecycle phase changed (and once at start, 'starting'). */
  phase?(phase: Phase): void;
  /**
   * A request reached the service (after the transport parsed it and admitted its key). What it
   * returns, if anything, becomes the caller's `context`: it rides with the request into the
   * engine's and batcher's events (the batches that served it, its planning and merge jobs).
   */
  started?(request: ServiceRequest, caller: Caller): unknown;
  /** A request left the service `seconds` after it started: answered, refused or failed. */
  finished?(request: ServiceRequest, caller: Caller, outcome: Outcome, seconds: number): void;
}
