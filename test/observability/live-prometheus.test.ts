// "Verified for real": the real server, scraped by a real Prometheus with the repository's recording
// rules, after real traffic. Every dashboard panel expression, recording rule and alert expression
// must evaluate without error, and the key series must have data.
//
// Needs the built server (dist/src/cli.js, `npm run build`), the test model (test/support/model.ts)
// and Debian's `prometheus` binary (`apt-get install prometheus`); without any of them it is skipped with
// the reason in the suite name, or fails under CI=true (test/support/tools.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MODEL } from '../support/model.js';
import { startServer, type RunningServer } from '../support/server.js';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { APT_HINT, RECORDING_RULES, ROOT, alertRules, dashboardExprs, recordingRules, waitFor } from './helpers.js';
import { prometheusBinary, startPrometheus, type RunningPrometheus } from './prometheus-harness.js';

const CLI = path.join(ROOT, 'dist/src/cli.js');
const hasServer = existsSync(CLI);
// TEST_MODEL is the embedded model directory unless GLINER_TEST_MODEL names another (or a hub id).
const hasModel = !path.isAbsolute(TEST_MODEL) || existsSync(TEST_MODEL);
const prometheus = prometheusBinary();
const NEEDS: ToolNeed[] = [
  { tool: 'dist/src/cli.js', present: hasServer, install: 'run `npm run build`' },
  { tool: `test model ${TEST_MODEL}`, present: hasModel, install: 'build it, or set GLINER_TEST_MODEL' },
  { tool: 'prometheus', present: prometheus !== undefined, install: APT_HINT },
];

const API_KEY = 'test-key';
const PREDICT_BODY = JSON.stringify({ text: 'I work at Microsoft based in Seattle, Washington.', labels: ['organization', 'location'] });

describe.skipIf(skipWithout('live Prometheus', NEEDS))(`live: server scraped by Prometheus${skipNote(NEEDS)}`, () => {
  let srv: RunningServer | undefined;
  let prom: RunningPrometheus | undefined;

  beforeAll(async () => {
    srv = await startServer({ env: { MODEL: TEST_MODEL, API_KEYS: API_KEY } });
    prom = await startPrometheus({ targets: [`127.0.0.1:${srv.adminPort}`], ruleFiles: [RECORDING_RULES] });

    // Traffic: 200s, 401s (no key), 400s (bad JSON), 404s (unknown path). One round first, so that
    // Prometheus has seen every series before the second round and rate() has an increase to show.
    const post = (body: string, key?: string): Promise<Response> => fetch(`${srv!.url}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key !== undefined ? { 'x-api-key': key } : {}) },
      body,
    });
    const round = async (n: number): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) statuses.push((await post(PREDICT_BODY, API_KEY)).status);
      for (let i = 0; i < n; i++) statuses.push((await post(PREDICT_BODY)).status);
      for (let i = 0; i < n; i++) statuses.push((await post('{"text": "unterminated', API_KEY)).status);
      for (let i = 0; i < n; i++) statuses.push((await fetch(`${srv!.url}/no/such/path-${i}`, { headers: { 'x-api-key': API_KEY } })).status);
      return statuses;
    };
    expect(await round(1)).toEqual([200, 401, 400, 404]);
    const p = prom;
    await waitFor('first round scraped', async () => {
      const s = await p.samples('gliner_http_requests_total{job="gliner",route="/api/v1/predict"}');
      return s.length >= 3 ? true : undefined;
    }, 20_000);
    expect(await round(3)).toEqual([200, 200, 200, 401, 401, 401, 400, 400, 400, 404, 404, 404]);
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await srv?.stop();
  });

  it('scrapes the key series after the traffic', async () => {
    const p = prom!;
    const required = [
      'up{job="gliner"} == 1',
      'gliner_http_requests_total{job="gliner",route="/api/v1/predict",status="200"} >= 4',
      'gliner_http_requests_total{job="gliner",route="/api/v1/predict",status="401"} >= 4',
      'gliner_http_requests_total{job="gliner",status="400"}',
      'gliner_http_requests_total{job="gliner",status="404"}',
      'gliner_batch_rows_count{job="gliner"} > 0',
      'gliner_inference_seconds_count{job="gliner"} > 0',
      'gliner_model_info{job="gliner"} == 1',
      'process_resident_memory_bytes{job="gliner"} > 0',
      'gliner_ready{job="gliner"} == 1',
    ];
    await waitFor('key series in Prometheus', async () => {
      for (const q of required) if ((await p.samples(q)).length === 0) throw new Error(`no data yet for ${q}`);
      return true;
    }, 30_000);
  }, 40_000);

  it('computes recording rules from the scraped data', async () => {
    const p = prom!;
    // The second round of traffic came after the first scrape of every series, so rate() > 0; the
    // rule group (every 1 s here) records it.
    await waitFor('recorded request rate', async () => {
      const s = await p.samples('job_route:gliner_http_requests:rate5m{job="gliner",route="/api/v1/predict"} > 0');
      if (s.length === 0) throw new Error('job_route:gliner_http_requests:rate5m not recorded yet');
      return true;
    }, 20_000);
    const ratio = await p.samples('job_route:gliner_http_errors:ratio_rate5m{job="gliner",route="/api/v1/predict"}');
    expect(ratio.map((s) => Number(s.value[1]))).toEqual([0]); // 401/400 are not 5xx
    expect((await p.samples('instance:gliner_memory_usage:ratio{job="gliner"} > 0')).length).toBe(1);
  }, 30_000);

  it('evaluates every recording rule, alert and dashboard expression without error', async () => {
    const p = prom!;
    const exprs = [
      ...recordingRules().map((r) => ({ where: `record ${r.record}`, expr: r.expr })),
      ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...dashboardExprs({ rateInterval: '1m' }).map((d) => ({ where: `${d.dashboard} / ${d.panel} / ${d.refId}`, expr: d.expr })),
    ];
    const failures: string[] = [];
    for (const { where, expr } of exprs) {
      const r = await p.query(expr);
      if (r.status !== 'success') failures.push(`${where}: ${r.errorType ?? ''} ${r.error ?? ''}\n  ${expr}`);
    }
    expect(failures).toEqual([]);
  }, 30_000);

  it('has data for the main dashboard panels', async () => {
    const p = prom!;
    const panels = dashboardExprs({ rateInterval: '1m' });
    const want = ['Requests/s by route and status', 'Loaded model', 'Rows and tokens per second', 'CPU (cores)', 'Memory vs limit', 'V8 heap'];
    for (const title of want) {
      const exprs = panels.filter((x) => x.panel === title);
      expect(exprs.length, title).toBeGreaterThan(0);
      const results = await Promise.all(exprs.map((x) => p.samples(x.expr)));
      expect(results.some((r) => r.length > 0), `no data for panel "${title}"`).toBe(true);
    }
  }, 30_000);
});
