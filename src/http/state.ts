// The server's lifecycle phase, shared by readiness, admission and the metrics gauge.
export type Phase = 'starting' | 'ready' | 'draining';

export interface ModelSummary {
  readonly id: string;
  readonly revision: string;
  readonly executionProvider: string;
  readonly requestedProvider: string;
  readonly quantization: string;
  readonly fallbackReason?: string;
  readonly workers: number;
  /** ONNX Runtime threads of each worker's session. */
  readonly intraOpThreads: number;
  /** Threads of the solo session (SOLO_SESSION); 0 = none. */
  readonly soloThreads: number;
}

export class ServerState {
  phase: Phase = 'starting';
  model: ModelSummary | undefined;
  /** Set when the model failed to load: readiness then explains why. */
  failure: string | undefined;
  /** HTTP exchanges received and not yet answered (shutdown waits for 0). */
  inFlight = 0;
}
