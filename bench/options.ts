// Bench options: what the CLI flags turn into, validated in one place.
import { parsePeer, type Peer } from './peers.js';
import { DEFAULT_SCENARIOS, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export interface Variant {
  readonly name: string;
  /** Server environment overrides on top of the default run's. */
  readonly env: Readonly<Record<string, string>>;
}

export interface BenchOptions {
  readonly url: string | undefined;
  readonly adminUrl: string | undefined;
  readonly apiKey: string | undefined;
  readonly model: string | undefined;
  readonly scenarios: readonly ScenarioName[];
  readonly concurrency: readonly number[];
  /** Open-loop rates in req/s; 'auto' = fractions of the scenario's measured peak. */
  readonly rates: readonly number[] | 'auto';
  readonly autoRateFractions: readonly number[];
  readonly rateScenarios: readonly ScenarioName[];
  readonly duration: number;
  readonly warmup: number;
  readonly timeout: number;
  readonly wsDepth: number;
  readonly raw: boolean;
  readonly rawScenario: ScenarioName;
  readonly rawBatchSizes: readonly number[];
  readonly rawSeconds: number;
  readonly rawOrder: 'sorted' | 'arrival';
  readonly batchingGain: boolean;
  readonly gainConcurrency: number;
  readonly compare: readonly Variant[];
  readonly compareConcurrency: readonly number[];
  /** Other servers driven with the same bodies in interleaved rounds (`--peer NAME=URL`). */
  readonly peers: readonly Peer[];
  /** The scenario the peers run (a POST /api/v1/predict one). */
  readonly peerScenario: ScenarioName;
  /** Rounds per point when peers run: each round gives every server duration/rounds seconds. */
  readonly peerRounds: number;
  /** Bodies sent to both servers before timing; every ASCII-only one must give the same entities. 0: no check (a peer that runs another model on purpose). */
  readonly peerCheck: number;
  /** Server settings of the default run (environment variable names). */
  readonly serverEnv: Readonly<Record<string, string>>;
  readonly serverNodeArgs: readonly string[];
  readonly serverReadyTimeout: number;
  readonly datasets: string | undefined;
  readonly seed: number;
  readonly longWords: number;
  readonly repeatShare: number;
  readonly json: string | undefined;
  readonly svg: string | undefined;
  readonly md: string | undefined;
  /** Thresholds file to check against, or undefined for no check. */
  readonly check: string | undefined;
  readonly progress: boolean;
  readonly quiet: boolean;
  /** Record the server's memory (RSS, and PSS for a server the bench starts) per server and per point. */
  readonly memory: boolean;
}

function share(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${what}: expected a number from 0 to 1, got "${typeof value === 'string' ? value : typeof value}"`);
  return n;
}

export function parseList(value: string, what: string): number[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const numbers = items.map(Number);
  if (items.length === 0 || numbers.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${what}: expected a comma-separated list of positive numbers, got "${value}"`);
  return numbers;
}

export function parseIntList(value: string, what: string): number[] {
  const numbers = parseList(value, what);
  if (numbers.some((n) => !Number.isInteger(n))) throw new Error(`${what}: expected whole numbers, got "${value}"`);
  return numbers;
}

export function parseScenarios(value: string, what = '--scenarios'): ScenarioName[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const name of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new Error(`${what}: unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
  }
  return names as ScenarioName[];
}

/** KEY=VALUE → [KEY, VALUE]. */
export function parseAssignment(value: string, what: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`${what}: expected KEY=VALUE, got "${value}"`);
  return [value.slice(0, eq).trim(), value.slice(eq + 1).trim()];
}

/**
 * "name:KEY=V,KEY=V" → a variant. A part without "=" continues the value before it, so a value may
 * hold commas itself: "je:MALLOC_CONF=background_thread:true,narenas:2,WORKERS=2".
 */
export function parseVariant(value: string): Variant {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (name.trim().length === 0) throw new Error(`--compare: expected NAME:KEY=VALUE,…, got "${value}"`);
  const env: Record<string, string> = {};
  if (colon >= 0) {
    let last: string | undefined;
    for (const part of value.slice(colon + 1).split(',').filter((s) => s.trim().length > 0)) {
      if (last !== undefined && !part.includes('=')) {
        env[last] = `${env[last] ?? ''},${part.trim()}`;
        continue;
      }
      const [k, v] = parseAssignment(part, '--compare');
      env[k] = v;
      last = k;
    }
  }
  return { name: name.trim(), env };
}

const positive = (value: unknown, what: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: expected a positive number, got ${JSON.stringify(value)}`);
  return n;
};

/** The raw commander option bag → BenchOptions. `--quick` is a smoke preset that explicit flags override. */
export function resolveOptions(raw: Record<string, unknown>): BenchOptions {
  const quick = raw.quick === true;
  const str = (key: string): string | undefined => {
    const value = raw[key];
    return typeof value === 'string' ? value : undefined;
  };
  const serverEnv: Record<string, string> = {};
  for (const assignment of (raw.serverEnv as string[] | undefined) ?? []) {
    const [k, v] = parseAssignment(assignment, '--server-env');
    serverEnv[k] = v;
  }
  const flagEnv: [string, string][] = [
    ['model', 'MODEL'], ['workers', 'WORKERS'], ['intraOpThreads', 'INTRA_OP_THREADS'], ['maxBatchRows', 'MAX_BATCH_ROWS'],
    ['maxBatchTokens', 'MAX_BATCH_TOKENS'], ['serverLogLevel', 'LOG_LEVEL'],
  ];
  for (const [flag, env] of flagEnv) {
    const value = str(flag);
    if (value !== undefined) serverEnv[env] = value;
  }
  const rateText = str('rates') ?? (quick ? 'none' : 'auto');
  const rates = rateText === 'auto' ? 'auto' : rateText === 'none' || rateText === '' ? [] : parseList(rateText, '--rates');
  const rawOrder = str('rawOrder') ?? 'sorted';
  if (rawOrder !== 'sorted' && rawOrder !== 'arrival') throw new Error(`--raw-order: "sorted" or "arrival", got "${rawOrder}"`);
  const scenarios = parseScenarios(str('scenarios') ?? (quick ? 'short,batch,stream' : DEFAULT_SCENARIOS.join(',')));
  const rawScenario = parseScenarios(str('rawScenario') ?? 'short', '--raw-scenario')[0] ?? 'short';
  const check = raw.check === true ? 'default' : str('check');
  const peers = ((raw.peer as string[] | undefined) ?? []).map(parsePeer);
  if (new Set(peers.map((p) => p.name)).size !== peers.length) throw new Error('--peer: each peer needs its own NAME');
  const peerScenario = parseScenarios(str('peerScenario') ?? rawScenario, '--peer-scenario')[0] ?? rawScenario;
  if (peers.length > 0 && ['batch', 'stream', 'extract'].includes(peerScenario)) throw new Error(`--peer-scenario: peers answer POST /api/v1/predict only, "${peerScenario}" is not such a scenario`);
  if (peers.length > 0 && !scenarios.includes(peerScenario)) throw new Error(`--peer-scenario: "${peerScenario}" is not among --scenarios (${scenarios.join(',')})`);
  return {
    url: str('url')?.replace(/\/$/, ''),
    adminUrl: str('adminUrl')?.replace(/\/$/, ''),
    apiKey: str('apiKey') ?? process.env.GLINER_API_KEY,
    model: str('model'),
    scenarios,
    concurrency: parseIntList(str('concurrency') ?? (quick ? '1,4' : '1,4,16,64,256'), '--concurrency'),
    rates,
    autoRateFractions: parseList(str('rateFractions') ?? '0.25,0.5,0.75,0.9', '--rate-fractions'),
    rateScenarios: parseScenarios(str('rateScenarios') ?? rawScenario, '--rate-scenarios'),
    duration: positive(raw.duration, '--duration', quick ? 1 : 5),
    warmup: raw.warmup === '0' ? 0 : positive(raw.warmup, '--warmup', quick ? 0.5 : 2),
    timeout: positive(raw.timeout, '--timeout', 60),
    wsDepth: positive(raw.wsDepth, '--ws-depth', 1),
    raw: raw.raw === true,
    rawScenario,
    rawBatchSizes: parseIntList(str('rawBatchSizes') ?? (quick ? '1,4' : '1,2,4,8,16,32'), '--raw-batch-sizes'),
    rawSeconds: positive(raw.rawSeconds, '--raw-seconds', quick ? 0.5 : 3),
    rawOrder,
    batchingGain: raw.batchingGain === true,
    gainConcurrency: positive(raw.gainConcurrency, '--gain-concurrency', quick ? 4 : 64),
    compare: ((raw.compare as string[] | undefined) ?? []).map(parseVariant),
    compareConcurrency: parseIntList(str('compareConcurrency') ?? '1,64', '--compare-concurrency'),
    peers,
    peerScenario,
    peerRounds: parseIntList(str('peerRounds') ?? '3', '--peer-rounds')[0] ?? 3,
    peerCheck: str('peerCheck') === '0' ? 0 : (parseIntList(str('peerCheck') ?? '100', '--peer-check')[0] ?? 100),
    serverEnv,
    serverNodeArgs: (str('serverNodeArgs') ?? '').split(/\s+/).filter((s) => s.length > 0),
    serverReadyTimeout: positive(raw.serverReadyTimeout, '--server-ready-timeout', 600),
    datasets: str('datasets'),
    seed: positive(raw.seed, '--seed', 1),
    longWords: positive(raw.longWords, '--long-words', 1500),
    repeatShare: share(raw.repeatShare, '--repeat-share', 0.5),
    json: str('json'),
    svg: str('svg'),
    md: str('md'),
    check,
    progress: raw.progress !== false,
    quiet: raw.quiet === true,
    memory: raw.memory !== false,
  };
}
