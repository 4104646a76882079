// Prometheus side of observability/: configs and rules pass promtool, the promtool unit tests pass
// and cover every alert both firing and not firing, every alert is labelled and documented, and
// every expression (rules and dashboards) is valid PromQL over series that exist.
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { stringify } from 'yaml';
import {
  ALERT_RULES, APT_HINT, PROM_DIR, RECORDING_RULES, RUNBOOKS, RULES_DIR, alertRules, dashboardExprs, findBinary,
  knownSeries, markdownAnchors, metricNames, promTestFiles, readYaml, recordingRules, run,
} from './helpers.js';

const promtool = findBinary('promtool');
const NEEDS_PROMTOOL: ToolNeed[] = [{ tool: 'promtool', present: promtool !== undefined, install: APT_HINT }];
const tmp = mkdtempSync(path.join(tmpdir(), 'gliner-promtool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rules and alerts (static checks)', () => {
  const alerts = alertRules();
  const recorded = new Set(recordingRules().map((r) => r.record));

  it('has the alerts the issue asks for', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'GlinerAuthFailureSurge', 'GlinerErrorBudgetFastBurn', 'GlinerErrorBudgetSlowBurn', 'GlinerEventLoopLag',
      'GlinerHighErrorRatio', 'GlinerHighLatencyP99', 'GlinerInstanceDown', 'GlinerMemoryNearLimit',
      'GlinerNoReadyInstances', 'GlinerNotReady', 'GlinerOverloadRejections', 'GlinerQueueSaturated', 'GlinerWorkerRestarts',
    ]);
  });

  it('records burn rates for every SLO window and latency quantiles from histograms', () => {
    for (const w of ['5m', '30m', '1h', '2h', '6h', '1d', '3d']) {
      expect(recorded, w).toContain(`job:gliner_slo_burnrate:rate${w}`);
      expect(recorded, w).toContain(`job:gliner_slo_errors:ratio_rate${w}`);
    }
    for (const q of ['p50', 'p90', 'p99']) expect(recorded).toContain(`job_route:gliner_http_request_duration_seconds:${q}_rate5m`);
    for (const r of ['job:gliner_http_requests:rate5m', 'job:gliner_http_errors:ratio_rate5m', 'instance:gliner_queue_saturation:ratio',
      'job:gliner_batch_rows:mean_rate5m', 'job:gliner_tokens_processed:rate5m', 'instance:gliner_worker_utilisation:ratio_rate5m']) {
      expect(recorded).toContain(r);
    }
  });

  it('counts only 5xx on /api/* as SLO errors', () => {
    for (const r of recordingRules().filter((x) => x.record.startsWith('job:gliner_slo_errors:'))) {
      expect(r.expr).toContain('status=~"5.."');
      expect(r.expr).toContain('route=~"/api/.*"');
      expect(r.expr).not.toMatch(/4\.\.|429/);
    }
  });

  it('uses the multi-window multi-burn-rate thresholds', () => {
    const fast = alerts.find((a) => a.alert === 'GlinerErrorBudgetFastBurn')!.expr.replace(/\s+/g, ' ');
    const slow = alerts.find((a) => a.alert === 'GlinerErrorBudgetSlowBurn')!.expr.replace(/\s+/g, ' ');
    expect(fast).toContain('job:gliner_slo_burnrate:rate1h > 14.4 and job:gliner_slo_burnrate:rate5m > 14.4');
    expect(fast).toContain('job:gliner_slo_burnrate:rate6h > 6 and job:gliner_slo_burnrate:rate30m > 6');
    expect(slow).toContain('job:gliner_slo_burnrate:rate1d > 3 and job:gliner_slo_burnrate:rate2h > 3');
    expect(slow).toContain('job:gliner_slo_burnrate:rate3d > 1 and job:gliner_slo_burnrate:rate6h > 1');
  });

  it('gives every alert a severity, a summary, a description and a runbook_url with a matching section', () => {
    const anchors = markdownAnchors(RUNBOOKS);
    for (const a of alerts) {
      expect(['page', 'ticket', 'info'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      const url = a.annotations?.runbook_url ?? '';
      const m = /docs\/runbooks\.md#([a-z0-9_-]+)$/.exec(url);
      expect(m, `${a.alert} runbook_url ${url}`).not.toBeNull();
      expect(m![1], a.alert).toBe(a.alert.toLowerCase());
      expect(anchors, `docs/runbooks.md has no "## ${a.alert}" section`).toContain(m![1]);
    }
  });

  it('only uses series that exist (catalogue, recording rules, up, kube-state-metrics, cAdvisor)', () => {
    const known = knownSeries();
    const exprs = [
      ...recordingRules().map((r) => ({ where: `record ${r.record}`, expr: r.expr })),
      ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...dashboardExprs().map((d) => ({ where: `${d.dashboard} / ${d.panel} / ${d.refId}`, expr: d.expr })),
    ];
    const unknown = exprs.flatMap(({ where, expr }) => [...metricNames(expr)].filter((n) => !known.has(n)).map((n) => `${where}: ${n}`));
    expect(unknown).toEqual([]);
  });

  it('has promtool unit tests in which every alert fires and, in another case, does not', () => {
    interface AlertTest { alertname: string; exp_alerts?: unknown[] }
    interface TestFile { rule_files: string[]; tests: { alert_rule_test?: AlertTest[] }[] }
    const firing = new Set<string>();
    const silent = new Set<string>();
    for (const file of promTestFiles()) {
      const doc = readYaml(file) as TestFile;
      expect(doc.rule_files.map((f) => path.resolve(path.dirname(file), f)).sort()).toEqual([ALERT_RULES, RECORDING_RULES].sort());
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : silent).add(a.alertname);
      }
    }
    for (const a of alertRules()) {
      expect(firing, `${a.alert} never fires in observability/prometheus/tests`).toContain(a.alert);
      expect(silent, `${a.alert} is never checked NOT to fire in observability/prometheus/tests`).toContain(a.alert);
    }
  });
});

describe.skipIf(skipWithout('promtool checks', NEEDS_PROMTOOL))(`promtool${promtool ? ` (${promtool})` : skipNote(NEEDS_PROMTOOL)}`, () => {
  const tool = promtool!;

  it('checks the Compose prometheus.yml (and the rule files it loads)', async () => {
    const r = await run(tool, ['check', 'config', 'prometheus.yml'], { cwd: PROM_DIR });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('checks the Kubernetes example (kubernetes_sd_configs swapped for static_configs, Debian builds lack k8s SD)', async () => {
    interface Sd { kubernetes_sd_configs?: unknown; static_configs?: unknown }
    const doc = readYaml(path.join(PROM_DIR, 'prometheus.kubernetes.yml')) as {
      scrape_configs: (Sd & { job_name: string })[]; alerting: { alertmanagers: Sd[] };
    };
    expect(doc.scrape_configs.find((s) => s.job_name === 'gliner')?.kubernetes_sd_configs).toBeTruthy();
    const swap = (s: Sd): void => {
      if (s.kubernetes_sd_configs !== undefined) {
        delete s.kubernetes_sd_configs;
        s.static_configs = [{ targets: ['placeholder:9464'] }];
      }
    };
    doc.scrape_configs.forEach(swap);
    doc.alerting.alertmanagers.forEach(swap);
    const dir = path.join(tmp, 'k8s');
    cpSync(RULES_DIR, path.join(dir, 'rules'), { recursive: true });
    writeFileSync(path.join(dir, 'prometheus.yml'), stringify(doc));
    const r = await run(tool, ['check', 'config', 'prometheus.yml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('checks the rule files', async () => {
    const r = await run(tool, ['check', 'rules', RECORDING_RULES, ALERT_RULES]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/FAILED/);
  });

  it('passes the rule unit tests (observability/prometheus/tests/*.yml)', async () => {
    const files = promTestFiles().map((f) => path.relative(PROM_DIR, f));
    expect(files.length).toBeGreaterThan(0);
    const r = await run(tool, ['test', 'rules', ...files], { cwd: PROM_DIR, timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('parses every dashboard panel expression as PromQL', async () => {
    const exprs = dashboardExprs();
    const rules = { groups: [{ name: 'dashboards', rules: exprs.map((e, i) => ({ record: `dashboard:check:${i}`, expr: e.expr })) }] };
    const file = path.join(tmp, 'dashboard-exprs.rules.yml');
    writeFileSync(file, stringify(rules));
    const r = await run(tool, ['check', 'rules', file]);
    const failed = [...(r.stdout + r.stderr).matchAll(/dashboard:check:(\d+)/g)].map((m) => exprs[Number(m[1])]);
    expect({ code: r.code, failed }, r.stdout + r.stderr).toEqual({ code: 0, failed: [] });
  });
});
