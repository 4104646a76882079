// What both engines (engine.ts for GLiNER, extract-engine.ts for GLiNER2) do the same way around
// their requests: the requests still settling, which a drain waits for, and a helper job (planning
// or merging) on the next free worker, reported to the observers when it ends.
import { performance } from 'node:perf_hooks';

/** The admitted requests that have not settled yet. */
export class Settling {
  private readonly active = new Set<Promise<void>>();

  track(promise: Promise<unknown>): void {
    const settled = promise.then(() => undefined, () => undefined);
    this.active.add(settled);
    void settled.then(() => this.active.delete(settled));
  }

  /** Resolves once every request tracked so far has settled. */
  async all(): Promise<void> {
    await Promise.all([...this.active]);
  }
}

export type HelperKind = 'plan' | 'merge';

/** What an observer hears of a helper job (EngineEvents.helperDone). */
export type HelperDone = (job: { readonly kind: HelperKind; readonly context: unknown; readonly seconds: number; readonly ok: boolean }) => void;

/**
 * `job` as a helper job of the batcher (it runs on the next free worker, ahead of model rows), with
 * `done` told its kind, the request's context, its duration and whether it succeeded. Without an
 * observer the job is handed over as it is.
 */
export function helperJob<T>(batcher: { helper<R>(run: () => Promise<R>): Promise<R> }, done: HelperDone | undefined, kind: HelperKind, context: unknown, job: () => Promise<T>): Promise<T> {
  if (done === undefined) return batcher.helper(job);
  return batcher.helper(async () => {
    const started = performance.now();
    let ok = false;
    try {
      const value = await job();
      ok = true;
      return value;
    } finally {
      done({ kind, context, seconds: (performance.now() - started) / 1000, ok });
    }
  });
}
