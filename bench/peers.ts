// Other servers driven in the same run (`--peer NAME=URL`): reachability, the idle wait between
// rounds, the entity parity check that must pass before a peer is timed, and the ratios the report
// prints. The peer must speak gliner-serve's POST /api/v1/predict (bench/peers/ holds one around
// GLiNER.js).
import { closedLoopHttp, RequestCounter, type LoadResult, type Target } from './load.js';
import { bodyOf, pathOf, type Scenario } from './scenarios.js';
import type { PointRecord } from './report.js';

/** A failure the bench explains in one line (no stack trace): the run cannot go on. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
}

export interface Peer {
  readonly name: string;
  readonly url: string;
}

/** "NAME=URL" → a peer. */
export function parsePeer(value: string): Peer {
  const eq = value.indexOf('=');
  const name = eq < 0 ? '' : value.slice(0, eq).trim();
  const url = eq < 0 ? '' : value.slice(eq + 1).trim().replace(/\/$/, '');
  if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^https?:\/\/[^/]+/.test(url)) throw new Error(`--peer: expected NAME=URL (e.g. glinerjs=http://127.0.0.1:8010), got "${value}"`);
  if (['default', 'url', 'unbatched'].includes(name)) throw new Error(`--peer: "${name}" is a name the bench uses for its own server`);
  return { name, url };
}

/** Any HTTP answer from `url` counts; a refused or timed-out connection is a BenchError. */
export async function ensureReachable(url: string, what: string, timeoutMs = 5000): Promise<void> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    throw new BenchError(`cannot reach ${what} at ${url} (${reason}): is it running and listening there?`);
  }
}

/** Wait until a peer reports nothing queued (`{"queued": 0}` from /health/ready), or 500 ms when it cannot say. */
export async function waitPeerIdle(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let queued: unknown;
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
      queued = ((await response.json()) as { queued?: unknown }).queued;
    } catch {
      queued = undefined;
    }
    if (typeof queued !== 'number') {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return;
    }
    if (queued === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface RoundSide {
  readonly target: Target;
  /** Resolves when this server has nothing left over from the previous slice. */
  idle(): Promise<void>;
}

/**
 * `rounds` rounds; in each, every side in turn gets a closed-loop slice of seconds/rounds, after
 * waiting until it is idle. Within a round every side gets the same request numbers (the same
 * bodies); who goes first rotates. Returns each side's slices, in the order of `sides`.
 */
export async function interleavedRounds(
  sides: readonly RoundSide[], scenario: Scenario, counter: RequestCounter,
  load: { readonly concurrency: number; readonly seconds: number; readonly rounds: number; readonly timeout: number },
): Promise<LoadResult[][]> {
  const parts = sides.map((): LoadResult[] => []);
  const slice = load.seconds / load.rounds;
  for (let r = 0; r < load.rounds; r++) {
    const first = counter.position;
    let last = first;
    for (let i = 0; i < sides.length; i++) {
      const index = (i + r) % sides.length;
      const side = sides[index];
      if (side === undefined) continue;
      await side.idle();
      const own = new RequestCounter(first);
      parts[index]?.push(await closedLoopHttp(side.target, scenario, own, load.concurrency, slice, load.timeout));
      last = Math.max(last, own.position);
    }
    counter.skipTo(last);
  }
  return parts;
}

interface Entity {
  readonly start: number;
  readonly end: number;
  readonly entity_type: string;
  readonly score: number;
}

/**
 * Text of ASCII characters only. Anything else can differ with the GLiNER.js peer for reasons that
 * are not the serving: its word splitter is ASCII `\w` ("Thorbjørn" → "Thorbj", "ø", "rn"), and
 * transformers.js normalises non-ASCII characters its own way (the tokenizer's Precompiled charsmap).
 */
export function isAsciiOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

export interface ParityResult {
  /** Requests sent to both servers. */
  readonly checked: number;
  /** Of those, ASCII-only texts, and how many gave the same entities. */
  readonly asciiTexts: number;
  readonly asciiSame: number;
  /** Texts with non-ASCII characters (split or normalised differently by the GLiNER.js peer), and how many still agreed. */
  readonly nonAsciiTexts: number;
  readonly nonAsciiSame: number;
  /** Largest score difference over the entities both found in ASCII-only texts. */
  readonly maxScoreDiff: number;
  readonly passed: boolean;
  /** The first ASCII-only disagreement, for the error message. */
  readonly firstMismatch?: { readonly k: number; readonly ours: string; readonly peer: string };
}

async function entitiesOf(target: Target, body: string): Promise<Entity[]> {
  const response = await fetch(`${target.url}${pathOf('predict')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(target.apiKey === undefined ? {} : { 'x-api-key': target.apiKey }) },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new BenchError(`${target.url} answered ${response.status} during the parity check: ${text.slice(0, 200)}`);
  return ((JSON.parse(text) as { entities?: Entity[] }).entities ?? []).slice().sort((a, b) => a.start - b.start || a.end - b.end || a.entity_type.localeCompare(b.entity_type));
}

const spans = (entities: readonly Entity[]): string => entities.map((e) => `${e.start}-${e.end}:${e.entity_type}`).join(' ');

/**
 * The first `count` bodies of `scenario` through both servers, one at a time: the spans and labels
 * must be identical and the scores within `scoreTolerance` on every ASCII-only text.
 */
export async function checkParity(ours: Target, peer: Target, scenario: Scenario, count: number, scoreTolerance = 1e-4): Promise<ParityResult> {
  let asciiTexts = 0;
  let asciiSame = 0;
  let nonAsciiTexts = 0;
  let nonAsciiSame = 0;
  let maxScoreDiff = 0;
  let firstMismatch: ParityResult['firstMismatch'];
  for (let k = 0; k < count; k++) {
    const body = bodyOf(scenario, k);
    const [a, b] = [await entitiesOf(ours, body), await entitiesOf(peer, body)];
    const diff = spans(a) === spans(b) ? Math.max(0, ...a.map((e, i) => Math.abs(e.score - (b[i]?.score ?? Number.NaN)))) : Number.NaN;
    const same = diff <= scoreTolerance;
    const input = scenario.request(k);
    if (!isAsciiOnly([...input.texts, ...input.labels].join(' '))) {
      nonAsciiTexts++;
      if (same) nonAsciiSame++;
    } else {
      asciiTexts++;
      if (same) {
        asciiSame++;
        maxScoreDiff = Math.max(maxScoreDiff, diff);
      } else firstMismatch ??= { k, ours: spans(a), peer: spans(b) };
    }
  }
  return { checked: count, asciiTexts, asciiSame, nonAsciiTexts, nonAsciiSame, maxScoreDiff, passed: asciiTexts > 0 && asciiSame === asciiTexts, ...(firstMismatch === undefined ? {} : { firstMismatch }) };
}

export interface PeerComparison {
  readonly scenario: string;
  readonly concurrency: number;
  readonly oursRps: number;
  readonly peerRps: number;
  /** ours ÷ peer requests per second (> 1: we serve more). */
  readonly rpsRatio: number;
  readonly oursP99Ms: number;
  readonly peerP99Ms: number;
  /** ours ÷ peer p99 (< 1: our tail is shorter). */
  readonly p99Ratio: number;
  /** Answers that were not a success, by status ("503": n, "timeout": n): req/s counts successes only. */
  readonly oursErrors: Readonly<Record<string, number>>;
  readonly peerErrors: Readonly<Record<string, number>>;
}

export interface PeerRecord {
  readonly name: string;
  readonly url: string;
  /** null when the peer scenario was not run. */
  readonly parity: ParityResult | null;
  readonly comparisons: readonly PeerComparison[];
}

/** Our closed-loop points against the peer's at the same scenario and concurrency. */
export function comparePeer(points: readonly PointRecord[], ours: string, peer: string): PeerComparison[] {
  const out: PeerComparison[] = [];
  for (const p of points) {
    if (p.server !== peer || p.mode !== 'closed' || p.concurrency === undefined) continue;
    const o = points.find((q) => q.server === ours && q.mode === 'closed' && q.scenario === p.scenario && q.concurrency === p.concurrency);
    if (o === undefined) continue;
    out.push({
      scenario: p.scenario,
      concurrency: p.concurrency,
      oursRps: o.throughputRps,
      peerRps: p.throughputRps,
      rpsRatio: p.throughputRps > 0 ? o.throughputRps / p.throughputRps : Number.NaN,
      oursP99Ms: o.latencyMs.p99,
      peerP99Ms: p.latencyMs.p99,
      p99Ratio: p.latencyMs.p99 > 0 ? o.latencyMs.p99 / p.latencyMs.p99 : Number.NaN,
      oursErrors: o.errors,
      peerErrors: p.errors,
    });
  }
  return out;
}
