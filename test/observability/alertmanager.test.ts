// Alertmanager side: the config is valid (amtool check-config), routes by severity (amtool config
// routes test against observability/alertmanager/routes.cases), keeps secrets in files, and its
// inhibition rules really suppress what they should (checked on a real Alertmanager process).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { AM_CONFIG, AM_DIR, APT_HINT, findBinary, freePort, readYaml, run, waitFor } from './helpers.js';

const amtool = findBinary('amtool');
const alertmanager = findBinary('prometheus-alertmanager', 'alertmanager');
const NEEDS_AMTOOL: ToolNeed[] = [{ tool: 'amtool', present: amtool !== undefined, install: APT_HINT }];
const NEEDS_ALERTMANAGER: ToolNeed[] = [{ tool: 'prometheus-alertmanager', present: alertmanager !== undefined, install: APT_HINT }];

interface Route { receiver?: string; matchers?: string[]; group_by?: string[]; routes?: Route[] }
interface AmConfig {
  global: Record<string, unknown>;
  route: Route;
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: { name: string; [k: string]: unknown }[];
}
const config = readYaml(AM_CONFIG) as AmConfig;

function cases(): { expected: string; labels: string[] }[] {
  return readFileSync(path.join(AM_DIR, 'routes.cases'), 'utf8').split('\n')
    .map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [expected, ...labels] = l.split(/\s+/);
      return { expected: expected!, labels };
    });
}

describe('alertmanager.yml (static checks)', () => {
  it('groups by alertname, job and instance and routes each severity', () => {
    expect(config.route.group_by).toEqual(['alertname', 'job', 'instance']);
    const bySeverity = Object.fromEntries((config.route.routes ?? []).map((r): [string, string | undefined] => [(r.matchers ?? []).join(','), r.receiver]));
    expect(bySeverity).toEqual({ 'severity="page"': 'oncall-pager', 'severity="ticket"': 'team-tickets', 'severity="info"': 'info-webhook' });
  });

  it('has Slack, PagerDuty, e-mail and webhook receivers', () => {
    const kinds = new Set(config.receivers.flatMap((r) => Object.keys(r).filter((k) => k.endsWith('_configs'))));
    for (const k of ['slack_configs', 'pagerduty_configs', 'email_configs', 'webhook_configs']) expect(kinds).toContain(k);
  });

  it('reads every secret from a file, never inline', () => {
    const text = readFileSync(AM_CONFIG, 'utf8');
    for (const inline of [/^\s*(smtp_auth_password|auth_password|api_url|slack_api_url|routing_key|service_key|credentials|bearer_token|password)\s*:/m]) {
      expect(text).not.toMatch(inline);
    }
    for (const file of ['slack_api_url_file', 'api_url_file', 'routing_key_file', 'auth_password_file', 'credentials_file']) expect(text).toContain(`${file}:`);
  });

  it('has a routing case for each receiver', () => {
    const expected = new Set(cases().flatMap((c) => c.expected.split(',')));
    for (const r of config.receivers) expect(expected, r.name).toContain(r.name);
  });
});

describe.skipIf(skipWithout('amtool checks', NEEDS_AMTOOL))(`amtool${amtool ? ` (${amtool})` : skipNote(NEEDS_AMTOOL)}`, () => {
  const tool = amtool!;

  it('check-config passes', async () => {
    const r = await run(tool, ['check-config', AM_CONFIG]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it.each(cases())('routes $labels to $expected', async ({ expected, labels }) => {
    const r = await run(tool, ['config', 'routes', 'test', `--config.file=${AM_CONFIG}`, ...labels]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(expected);
  });

  it('the routes script agrees', async () => {
    const r = await run('/bin/sh', [path.join(AM_DIR, 'test-routes.sh')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe.skipIf(skipWithout('Alertmanager inhibition', NEEDS_ALERTMANAGER))(`inhibition on a real Alertmanager${alertmanager ? ` (${alertmanager})` : skipNote(NEEDS_ALERTMANAGER)}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gliner-am-'));
  let child: ChildProcess | undefined;
  let logs = '';
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('suppresses the targets of each inhibit rule and nothing else', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(alertmanager!, [
      `--config.file=${AM_CONFIG}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => { logs += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => { logs += c.toString(); });
    await waitFor('alertmanager ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined), 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs}`);
    });

    const alert = (labels: Record<string, string>): object => ({
      labels, annotations: { summary: 'test' }, startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    });
    const sent = [
      alert({ alertname: 'GlinerInstanceDown', severity: 'page', job: 'gliner', instance: 'a:9464' }),
      alert({ alertname: 'GlinerEventLoopLag', severity: 'ticket', job: 'gliner', instance: 'a:9464' }),
      alert({ alertname: 'GlinerEventLoopLag', severity: 'ticket', job: 'gliner', instance: 'b:9464' }),
      alert({ alertname: 'GlinerMemoryNearLimit', severity: 'ticket', job: 'gliner', instance: 'a:9464' }),
      alert({ alertname: 'GlinerHighLatencyP99', severity: 'ticket', job: 'gliner', route: '/api/v1/predict' }),
      alert({ alertname: 'GlinerErrorBudgetFastBurn', severity: 'page', job: 'gliner' }),
      alert({ alertname: 'GlinerErrorBudgetSlowBurn', severity: 'ticket', job: 'gliner' }),
      alert({ alertname: 'GlinerErrorBudgetSlowBurn', severity: 'ticket', job: 'other' }),
      alert({ alertname: 'GlinerNoReadyInstances', severity: 'page', job: 'gliner' }),
      alert({ alertname: 'GlinerNotReady', severity: 'ticket', job: 'gliner', instance: 'c:9464' }),
    ];
    const post = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sent) });
    expect(post.status, await post.text()).toBe(200);

    interface Got { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }
    const key = (l: Record<string, string>): string => [l.alertname, l.job, l.instance ?? l.route ?? ''].join(' ');
    const states = await waitFor('all alerts listed', async () => {
      const got = (await (await fetch(`${base}/api/v2/alerts`)).json()) as Got[];
      return got.length === sent.length ? Object.fromEntries(got.map((g) => [key(g.labels), g.status.state])) : undefined;
    }, 10_000);
    expect(states).toEqual({
      'GlinerInstanceDown gliner a:9464': 'active',
      'GlinerEventLoopLag gliner a:9464': 'suppressed', // same instance as InstanceDown
      'GlinerEventLoopLag gliner b:9464': 'active', // another instance
      'GlinerMemoryNearLimit gliner a:9464': 'suppressed',
      'GlinerHighLatencyP99 gliner /api/v1/predict': 'active', // per-route, not about one instance
      'GlinerErrorBudgetFastBurn gliner ': 'active',
      'GlinerErrorBudgetSlowBurn gliner ': 'suppressed', // page-level burn inhibits ticket-level
      'GlinerErrorBudgetSlowBurn other ': 'active', // different job
      'GlinerNoReadyInstances gliner ': 'active',
      'GlinerNotReady gliner c:9464': 'suppressed',
    });
  });
});
