// The result cache with single-flight, a thin layer over the engine with the same submit contract.
// Per text: a fresh answer in memory is a `hit`; the same key already running for someone else is
// joined (`shared`, it runs once); otherwise the text runs (`miss`) and others may join it until it
// settles. Only answers are cached, never failures. A request may opt out (`noCache`: it neither
// reads nor joins, but its fresh answers are stored). Answers are shared across API keys only when
// configured: a hit is fast, so a shared cache would tell one tenant what another has sent.
import type { TextAnswer } from '../worker/messages.js';
import { AnswerStore, keyer, type CacheEvents } from './cache.js';
import { withDeadline } from './deadline.js';
import { EMPTY_ANSWER, type PredictContext, type PredictRequest, type PredictResult, type Submission, type WindowUpdate } from './engine.js';

export type CacheStatus = 'hit' | 'miss' | 'shared';

export interface CachedContext extends PredictContext {
  /** Cache-Control: no-cache — do not read the cache or join a text in flight. */
  readonly noCache?: boolean;
}

export interface CachedResult extends PredictResult {
  /** Per text, in order; absent when the cache is off. */
  readonly cache?: readonly CacheStatus[];
}

export interface CachedSubmission {
  readonly result: Promise<CachedResult>;
  cancel(): void;
}

/** What the service predicts with: the engine itself, or the engine behind the cache. */
export interface Predictor {
  submit(request: PredictRequest, context: CachedContext): CachedSubmission;
  /** Stop admitting, then wait until every admitted request has settled. */
  drain(): Promise<void>;
}

/** One status for a whole request: miss if any text ran, else shared if any joined, else hit. */
export function requestCacheStatus(statuses: readonly CacheStatus[]): CacheStatus {
  if (statuses.includes('miss')) return 'miss';
  return statuses.includes('shared') ? 'shared' : 'hit';
}

export interface CacheSettings {
  readonly maxBytes: number;
  readonly ttlSeconds: number;
  /** Answers of one API key may serve another (off by default: see the header). */
  readonly sharedAcrossKeys: boolean;
  /** Most entities per text (part of the key). */
  readonly maxEntities: number;
}

export interface CacheCounters extends CacheEvents {
  onLookup(status: CacheStatus | 'bypass', count: number): void;
}

/** An engine submission others may have joined: cancelled only when nobody waits for it any more. */
interface Run {
  readonly submission: Submission;
  refs: number;
  /** Keys of its texts that others may join. */
  readonly keys: string[];
}

interface Flight {
  readonly answer: Promise<TextAnswer>;
  readonly run: Run;
}

export class CachedEngine implements Predictor {
  private readonly store: AnswerStore;
  private readonly flights = new Map<string, Flight>();

  constructor(
    private readonly engine: Predictor,
    private readonly settings: CacheSettings,
    /** Model id, revision and quantization, once loaded. */
    private readonly model: () => string,
    private readonly counters: CacheCounters,
  ) {
    this.store = new AnswerStore(settings.maxBytes, settings.ttlSeconds * 1000, counters);
  }

  /** Texts running now that others may join (for tests and shutdown checks). */
  get inFlight(): number {
    return this.flights.size;
  }

  submit(request: PredictRequest, context: CachedContext): CachedSubmission {
    const started = performance.now();
    const noCache = context.noCache === true;
    const keyOf = keyer({
      model: this.model(),
      scope: this.settings.sharedAcrossKeys ? '' : `key:${context.tenant ?? ''}`,
      labels: request.labels,
      options: request.options,
      maxEntities: this.settings.maxEntities,
      relations: request.relations,
      ...(request.extract === undefined ? {} : { extract: request.extract }),
    });
    const keys = request.texts.map((text) => keyOf(text));
    const statuses: CacheStatus[] = [];
    const known: (TextAnswer | Flight | number)[] = []; // an answer, a flight to join, or an index into `run`
    const run: number[] = [];
    const mine = new Map<string, number>();
    const joined = new Set<Run>();
    keys.forEach((key, i) => {
      const again = noCache ? undefined : mine.get(key);
      const hit = noCache || again !== undefined ? undefined : this.store.get(key);
      const flight = noCache || again !== undefined || hit !== undefined ? undefined : this.flights.get(key);
      if (again !== undefined) {
        known.push(again);
        statuses.push('shared');
      } else if (hit !== undefined) {
        known.push(hit);
        statuses.push('hit');
      } else if (flight !== undefined) {
        known.push(flight);
        joined.add(flight.run);
        statuses.push('shared');
      } else {
        mine.set(key, run.length);
        known.push(run.length);
        run.push(i);
        statuses.push('miss');
      }
    });

    // Admission errors are thrown here, synchronously, before anything is registered or counted.
    let own: Run | undefined;
    let ownResult: Promise<PredictResult> | undefined;
    if (run.length > 0) {
      const onWindow = context.onWindow;
      const submission = this.engine.submit(
        { texts: run.map((i) => request.texts[i] ?? ''), labels: request.labels, options: request.options, ...(request.relations === undefined ? {} : { relations: request.relations }), ...(request.extract === undefined ? {} : { extract: request.extract }) },
        {
          timeoutMs: context.timeoutMs,
          ...(context.tenant === undefined ? {} : { tenant: context.tenant }),
          ...(context.context === undefined ? {} : { context: context.context }),
          ...(onWindow === undefined ? {} : { onWindow: (update: WindowUpdate) => onWindow({ ...update, text: run[update.text] ?? update.text }) }),
        },
      );
      own = { submission, refs: 1, keys: [] };
      ownResult = submission.result;
    }
    for (const shared of joined) shared.refs++;
    this.count(statuses, noCache);

    const ownAnswers = run.map((_, j) => {
      const answer = (ownResult as Promise<PredictResult>).then((result) => result.texts[j] ?? EMPTY_ANSWER);
      answer.catch(() => undefined);
      const key = keys[run[j] ?? 0] ?? '';
      const flight: Flight = { answer, run: own as Run };
      if (!noCache) {
        this.flights.set(key, flight);
        own?.keys.push(key);
      }
      answer.then(
        (value) => {
          if (this.flights.get(key) === flight) this.flights.delete(key);
          this.store.set(key, value);
        },
        () => {
          if (this.flights.get(key) === flight) this.flights.delete(key);
        },
      );
      return answer;
    });

    const waits = known.map((entry): Promise<TextAnswer> => (typeof entry === 'number' ? (ownAnswers[entry] as Promise<TextAnswer>) : 'run' in entry ? entry.answer : Promise.resolve(entry)));
    const all = Promise.all(waits);
    // A request that only joined others' texts still answers 504 at its own deadline.
    const result = (joined.size === 0 ? all : withDeadline(all, context.timeoutMs))
      .then(async (texts): Promise<CachedResult> => {
        const base = ownResult === undefined ? undefined : await ownResult;
        return {
          texts,
          timings: { queueSeconds: base?.timings.queueSeconds ?? 0, inferenceSeconds: base?.timings.inferenceSeconds ?? 0, totalSeconds: (performance.now() - started) / 1000 },
          batchIds: base?.batchIds ?? [],
          cache: statuses,
        };
      });

    let released = false;
    return {
      result,
      cancel: () => {
        if (released) return;
        released = true;
        for (const held of own === undefined ? joined : [own, ...joined]) {
          held.refs--;
          if (held.refs > 0) continue;
          // Nobody waits for it any more: stop it, and let no one join it from now on.
          for (const key of held.keys) if (this.flights.get(key)?.run === held) this.flights.delete(key);
          held.submission.cancel();
        }
      },
    };
  }

  drain(): Promise<void> {
    return this.engine.drain();
  }

  private count(statuses: readonly CacheStatus[], noCache: boolean): void {
    const tally = { hit: 0, miss: 0, shared: 0 };
    for (const status of statuses) tally[status]++;
    if (noCache) {
      this.counters.onLookup('bypass', tally.miss);
      return;
    }
    for (const status of ['hit', 'miss', 'shared'] as const) if (tally[status] > 0) this.counters.onLookup(status, tally[status]);
  }
}
