// Unit tests of the benchmark's pieces that need no server: inputs, histogram maths, options,
// budgets and the report renderers.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDatasetsDir, loadCorpus, parseConll, reportPath } from '../../bench/corpus.js';
import { parseVariant, resolveOptions } from '../../bench/options.js';
import { comparePeer, isAsciiOnly, parsePeer } from '../../bench/peers.js';
import { diffHistogram, histogram, parseProm, quantile, serverView } from '../../bench/prom.js';
import { modelRows, scenarioRows } from '../../bench/raw.js';
import { labelGroupsFor, planText, textRows } from '../../src/inference/plan.js';
import { markdown } from '../../bench/markdown.js';
import type { BenchReport } from '../../bench/report.js';
import { svgChart } from '../../bench/svg.js';
import { bodyOf, makeScenario, REPEAT_POOL, SCENARIO_NAMES } from '../../bench/scenarios.js';
import { percentile, summarize } from '../../bench/stats.js';
import { DEFAULT_THRESHOLDS, evaluate } from '../../bench/thresholds.js';

const corpus = loadCorpus('/nonexistent-datasets-dir', 3); // generated sentences: no data needed
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('inputs', () => {
  it("reads the repository's own datasets/ by default and records the path relative to the repository", () => {
    expect(defaultDatasetsDir(ROOT)).toBe(path.join(ROOT, 'datasets'));
    const shipped = loadCorpus(defaultDatasetsDir(ROOT), 1, ROOT);
    expect(shipped.source).toBe('datasets/crossner');
    expect(shipped.sentences.length).toBeGreaterThan(1000);
    expect(shipped.labels).toContain('political party');
    expect(reportPath('/elsewhere/data/crossner', '/repo')).toBe('../elsewhere/data/crossner');
  });

  it('parses CoNLL into sentences and tag counts', () => {
    const parsed = parseConll('Alice\tB-person\nlives\tO\nin\tO\nParis\tB-location\n\nBob\tB-person\nsleeps\tO\n');
    expect(parsed.sentences).toEqual(['Alice lives in Paris', 'Bob sleeps']);
    expect(parsed.tags.get('person')).toBe(2);
  });

  it('never repeats a body within a scenario (but repeat)', () => {
    for (const name of SCENARIO_NAMES.filter((n) => n !== 'repeat')) {
      const scenario = makeScenario(name, corpus, { longWords: 300, batchTexts: 8, seed: 1 });
      const bodies = new Set<string>();
      for (let k = 0; k < 3000; k++) bodies.add(bodyOf(scenario, k));
      expect(bodies.size, name).toBe(3000);
    }
  });

  it('repeat: about --repeat-share of the bodies are one of the popular ones, the rest unique', () => {
    for (const repeatShare of [0, 0.3, 0.8]) {
      const scenario = makeScenario('repeat', corpus, { longWords: 300, batchTexts: 8, seed: 1, repeatShare });
      const counts = new Map<string, number>();
      for (let k = 0; k < 4000; k++) {
        const body = bodyOf(scenario, k);
        counts.set(body, (counts.get(body) ?? 0) + 1);
      }
      const repeated = [...counts.values()].filter((n) => n > 1);
      const repeatedRequests = repeated.reduce((sum, n) => sum + n, 0);
      expect(repeated.length, String(repeatShare)).toBeLessThanOrEqual(REPEAT_POOL);
      expect(Math.abs(repeatedRequests / 4000 - repeatShare), String(repeatShare)).toBeLessThan(0.03);
    }
  });

  it('shapes each scenario as described', () => {
    const limits = { windowWords: 384, overlapWords: 32, labelsPerRow: 25 };
    const long = scenarioRows(makeScenario('long', corpus, { longWords: 1500, batchTexts: 8, seed: 1 }), 20, limits);
    expect(long.rowsPerRequest).toBeGreaterThanOrEqual(4);
    const labels = scenarioRows(makeScenario('labels', corpus), 20, limits);
    expect(labels.rowsPerRequest).toBeGreaterThanOrEqual(2);
    const short = scenarioRows(makeScenario('short', corpus), 20, limits);
    expect(short.rowsPerRequest).toBe(1);
    const batch = makeScenario('batch', corpus).request(5);
    expect(batch.texts).toHaveLength(8);
    expect(JSON.parse(bodyOf(makeScenario('stream', corpus), 7))).toMatchObject({ id: 7 });
  });

  it('plans rows with the engine\'s own row builder: a bi-encoder\'s labels cost no tokens, as in the server', () => {
    const text = 'Ada Lovelace worked with Charles Babbage in London.';
    const labels = ['person', 'organization', 'location'];
    const plan = planText(text, { windowWords: 384, overlapWords: 32, labelsPerRow: 25 });
    const uni = { windowWords: 384, overlapWords: 32, labelsPerRow: 25, promptLabels: true };
    const bi = { ...uni, labelsPerRow: 100, promptLabels: false };
    for (const limits of [uni, bi]) {
      const engine = textRows(text, plan, labelGroupsFor(labels, limits)).flat();
      expect(modelRows(text, labels, limits).map((row) => [row.tokens, row.labels])).toEqual(engine.map((row) => [row.tokens, row.labels]));
    }
    // The window's words and the special tokens only: nothing for the labels.
    expect(modelRows(text, labels, bi)[0]?.tokens).toBe(3 + (plan.windows[0]?.tokens ?? 0));
    expect(modelRows(text, labels, uni)[0]?.tokens).toBeGreaterThan(modelRows(text, labels, bi)[0]?.tokens ?? 0);
  });
});

const SCRAPE_1 = `# HELP gliner_batch_rows Rows per model batch.
gliner_batch_rows_bucket{le="1"} 10
gliner_batch_rows_bucket{le="2"} 10
gliner_batch_rows_bucket{le="4"} 10
gliner_batch_rows_bucket{le="+Inf"} 10
gliner_batch_rows_sum 10
gliner_batch_rows_count 10
gliner_queue_wait_seconds_bucket{le="0.001"} 10
gliner_queue_wait_seconds_bucket{le="0.01"} 10
gliner_queue_wait_seconds_bucket{le="+Inf"} 10
gliner_queue_wait_seconds_sum 0.005
gliner_queue_wait_seconds_count 10
gliner_rows_processed_total 10
gliner_workers 2
gliner_worker_busy_seconds_total 1
process_cpu_seconds_total 5
`;
const SCRAPE_2 = `gliner_batch_rows_bucket{le="1"} 10
gliner_batch_rows_bucket{le="2"} 10
gliner_batch_rows_bucket{le="4"} 20
gliner_batch_rows_bucket{le="+Inf"} 20
gliner_batch_rows_sum 50
gliner_batch_rows_count 20
gliner_queue_wait_seconds_bucket{le="0.001"} 10
gliner_queue_wait_seconds_bucket{le="0.01"} 50
gliner_queue_wait_seconds_bucket{le="+Inf"} 50
gliner_queue_wait_seconds_sum 0.205
gliner_queue_wait_seconds_count 50
gliner_rows_processed_total 50
gliner_workers 2
gliner_worker_busy_seconds_total 3
process_cpu_seconds_total 8
`;

describe('server metrics', () => {
  it('diffs histograms and estimates quantiles like histogram_quantile()', () => {
    const h = diffHistogram(histogram(parseProm(SCRAPE_2), 'gliner_batch_rows'), histogram(parseProm(SCRAPE_1), 'gliner_batch_rows'));
    expect(h.count).toBe(10);
    expect(h.sum).toBe(40);
    expect(quantile(h, 0.5)).toBeCloseTo(3, 6); // all 10 in (2, 4]: halfway
    const view = serverView(parseProm(SCRAPE_1), parseProm(SCRAPE_2), 2);
    expect(view.meanBatchRows).toBe(4);
    expect(view.rows).toBe(40);
    expect(view.queueWaitP50Ms).toBeCloseTo(5.5, 6); // 40 waits in (1 ms, 10 ms]
    expect(view.workerUtilization).toBeCloseTo(0.5, 6);
    expect(view.serverCpuCores).toBeCloseTo(1.5, 6);
  });

  it('parses labels with escapes and ignores comments', () => {
    const samples = parseProm('# TYPE x counter\nx_total{route="/a",msg="say \\"hi\\""} 3\n');
    expect(samples).toEqual([{ name: 'x_total', labels: { route: '/a', msg: 'say "hi"' }, value: 3 }]);
  });
});

describe('stats', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    const s = summarize([3, 1, 2]);
    expect([s.p50, s.max, s.min, s.mean]).toEqual([2, 3, 1, 2]);
    expect(Number.isNaN(summarize([]).p50)).toBe(true);
  });
});

describe('options', () => {
  it('applies the quick preset and lets explicit flags win', () => {
    const quick = resolveOptions({ quick: true, concurrency: '2,8', workers: '2', serverEnv: ['MAX_BATCH_TOKENS=4096'] });
    expect(quick.concurrency).toEqual([2, 8]);
    expect(quick.duration).toBe(1);
    expect(quick.rates).toEqual([]);
    expect(quick.serverEnv).toEqual({ MAX_BATCH_TOKENS: '4096', WORKERS: '2' });
    const full = resolveOptions({});
    expect(full.concurrency).toEqual([1, 4, 16, 64, 256]);
    expect(full.rates).toBe('auto');
    expect(full.scenarios).toEqual(SCENARIO_NAMES.filter((n) => n !== 'relations' && n !== 'extract'));
  });

  it('rejects bad values with the flag name', () => {
    expect(() => resolveOptions({ concurrency: '1,x' })).toThrow(/--concurrency/);
    expect(() => resolveOptions({ scenarios: 'short,nope' })).toThrow(/unknown scenario "nope"/);
    expect(() => resolveOptions({ serverEnv: ['NOEQUALS'] })).toThrow(/KEY=VALUE/);
    expect(parseVariant('w2t1:WORKERS=2,INTRA_OP_THREADS=1')).toEqual({ name: 'w2t1', env: { WORKERS: '2', INTRA_OP_THREADS: '1' } });
    // A part without "=" belongs to the value before it (values with commas: MALLOC_CONF).
    expect(parseVariant('je:MALLOC_CONF=background_thread:true,narenas:2,WORKERS=2')).toEqual({ name: 'je', env: { MALLOC_CONF: 'background_thread:true,narenas:2', WORKERS: '2' } });
    expect(() => parseVariant('bad:narenas:2')).toThrow(/expected KEY=VALUE/);
  });

  it('parses --peer NAME=URL and refuses peers it cannot drive', () => {
    expect(parsePeer('glinerjs=http://127.0.0.1:8010/')).toEqual({ name: 'glinerjs', url: 'http://127.0.0.1:8010' });
    expect(() => parsePeer('http://127.0.0.1:8010')).toThrow(/NAME=URL/);
    expect(() => parsePeer('default=http://127.0.0.1:8010')).toThrow(/own server/);
    expect(resolveOptions({ peer: ['a=http://h:1', 'b=http://h:2'] }).peers).toHaveLength(2);
    expect(() => resolveOptions({ peer: ['a=http://h:1', 'a=http://h:2'] })).toThrow(/its own NAME/);
    expect(() => resolveOptions({ peer: ['a=http://h:1'], peerScenario: 'batch' })).toThrow(/predict only/);
    expect(() => resolveOptions({ peer: ['a=http://h:1'], scenarios: 'batch' })).toThrow(/not among --scenarios/);
    expect(resolveOptions({ peer: ['a=http://h:1'], peerCheck: '0' }).peerCheck).toBe(0);
    expect(() => resolveOptions({ peerCheck: '-1' })).toThrow(/peer-check/);
  });

  it('tells ASCII-only texts (where the GLiNER.js peer must agree exactly) from the rest', () => {
    expect(isAsciiOnly('Kid A received a Grammy Award in 2001 .')).toBe(true);
    expect(isAsciiOnly('Thorbjørn Jagland spoke')).toBe(false);
    expect(isAsciiOnly('Paris – 5 €')).toBe(false);
  });
});

describe('budgets and report', () => {
  it('passes, fails and skips checks', () => {
    const checks = evaluate({ serverToRawRatio: 0.95, rawSingleRowMs: 10, rawSingleRowP99Ms: 20, p50AtConcurrency1Ms: 13, p99AtConcurrency1Ms: 25, batchingGain: null }, DEFAULT_THRESHOLDS);
    expect(Object.fromEntries(checks.map((c) => [c.name, c.status]))).toEqual({ serverToRaw: 'pass', p50AtC1: 'fail', p99LowLoad: 'pass', batchingGain: 'skipped' });
  });

  it('renders markdown and an SVG from a report', () => {
    const point = {
      server: 'default', scenario: 'short', transport: 'predict', mode: 'closed' as const, concurrency: 4, seconds: 1, responses: 10, ok: 10,
      throughputRps: 10, textsPerSecond: 10, rowsPerSecond: 10, latencyMs: { mean: 5, p50: 4, p90: 8, p99: 9, max: 10 }, errors: { '503': 1 }, errors5xx: 1, foreignCpuCores: 0, benchCpuCores: 0.1,
    };
    const report: BenchReport = {
      version: 1, startedAt: 'now', durationSeconds: 1, command: 'bench', machine: { cpus: 2, cpuModel: 'cpu', memoryGiB: 1, node: '20', platform: 'linux' },
      target: { url: null, ownServer: true, model: 'm' }, serverEnv: {}, threads: { workers: 2, intraOpThreads: 1, soloThreads: 2, note: '' }, scenarios: ['short'], corpus: 'c',
      rawCeilingRps: 20, rawCeilingRowsPerSecond: 20, rawBestBatchSize: 8, rawSingleRowMs: 3, rawSingleRowP99Ms: 6, rawSingleRowInterleavedMs: 3, rawSingleRowBeforeMs: 3, rawSingleRowAfterMs: 3, rawScenario: 'short', serverPeakRps: 10, serverPeakConcurrency: 4,
      serverToRawRatio: 0.5, batchingGain: null, batchingGainDetail: null, p50AtConcurrency1Ms: null, p99AtConcurrency1Ms: null, raw: null, variants: [],
      peers: [], points: [point, { ...point, concurrency: 16, throughputRps: 12, textsPerSecond: 12 }, { ...point, server: 'js', throughputRps: 5, latencyMs: { ...point.latencyMs, p99: 36 }, errors: {} }], checks: [],
    };
    const comparisons = comparePeer(report.points, 'default', 'js');
    expect(comparisons).toEqual([{ scenario: 'short', concurrency: 4, oursRps: 10, peerRps: 5, rpsRatio: 2, oursP99Ms: 9, peerP99Ms: 36, p99Ratio: 0.25, oursErrors: { '503': 1 }, peerErrors: {} }]);
    const parity = { checked: 10, asciiTexts: 9, asciiSame: 9, nonAsciiTexts: 1, nonAsciiSame: 0, maxScoreDiff: 1e-6, passed: true };
    const withPeer = markdown({ ...report, peers: [{ name: 'js', url: 'http://h:1', parity, comparisons }] });
    // req/s counts successes only, so each side's refusals stand next to the ratio.
    expect(withPeer).toContain('| js | short | c=4 | 10 | 5 | 2.00 | 9 | 36 | 0.25 | 503:1 | 0 |');
    expect(withPeer).toContain('same entities on 9/9 ASCII-only texts (scores within 1.0e-6)');
    expect(markdown(report)).toContain('| default | short | c=4 | 10 |');
    expect(markdown(report)).toContain('Threads: 2 worker(s) × 1 intra-op thread(s), solo session 2 thread(s).');
    const svg = svgChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('raw ceiling');
    expect(svg.match(/<polyline/g)).toHaveLength(4); // two series (default, js), p50 and p99 each
  });
});
