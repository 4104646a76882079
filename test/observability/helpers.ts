// Shared helpers for the observability tests: where the configs are, finding promtool/amtool and the
// Prometheus/Alertmanager binaries, reading the rule files and dashboards, and pulling metric names
// out of PromQL.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OBS = path.join(ROOT, 'observability');
export const PROM_DIR = path.join(OBS, 'prometheus');
export const RULES_DIR = path.join(PROM_DIR, 'rules');
export const RECORDING_RULES = path.join(RULES_DIR, 'gliner-recording.rules.yml');
export const ALERT_RULES = path.join(RULES_DIR, 'gliner-alerts.rules.yml');
export const PROM_TESTS_DIR = path.join(PROM_DIR, 'tests');
export const AM_DIR = path.join(OBS, 'alertmanager');
export const AM_CONFIG = path.join(AM_DIR, 'alertmanager.yml');
export const DASHBOARDS_DIR = path.join(OBS, 'grafana', 'dashboards');
export const RUNBOOKS = path.join(ROOT, 'docs', 'runbooks.md');
export const METRICS_DOC = path.join(ROOT, 'docs', 'metrics.md');

/** Debian packages: prometheus (prometheus, promtool), prometheus-alertmanager (prometheus-alertmanager, amtool). */
export const APT_HINT = 'apt-get install -y prometheus prometheus-alertmanager';

/** The first of `names` found on PATH (or in /usr/bin, /usr/local/bin), or undefined. */
export function findBinary(...names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'].filter((d) => d !== '');
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const execFileAsync = promisify(execFile);

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; never throws on a non-zero exit (the test asserts on `code`). */
export async function run(file: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], { cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: (e.stderr ?? '') + (typeof e.code === 'number' ? '' : e.message) };
  }
}

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8')) as unknown;
}

export interface RecordingRule { readonly record: string; readonly expr: string }
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
interface RuleFile { groups: { name: string; interval?: string; rules: (Partial<RecordingRule> & Partial<AlertRule>)[] }[] }

function rulesOf(file: string): (Partial<RecordingRule> & Partial<AlertRule>)[] {
  const doc = readYaml(file) as RuleFile;
  return doc.groups.flatMap((g) => g.rules);
}

export function recordingRules(): RecordingRule[] {
  return rulesOf(RECORDING_RULES).filter((r): r is RecordingRule => typeof r.record === 'string' && typeof r.expr === 'string');
}

export function alertRules(): AlertRule[] {
  return rulesOf(ALERT_RULES).filter((r): r is AlertRule => typeof r.alert === 'string' && typeof r.expr === 'string');
}

export function promTestFiles(): string[] {
  return readdirSync(PROM_TESTS_DIR).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).sort().map((f) => path.join(PROM_TESTS_DIR, f));
}

// ------------------------------------------------------------------------------------ dashboards

export interface PanelTarget { refId?: string; expr?: string; datasource?: unknown }
export interface Panel {
  id?: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string } | null;
  targets?: PanelTarget[];
  panels?: Panel[];
}
export interface Dashboard { uid: string; title: string; panels: Panel[]; templating?: { list: { name: string; type: string; query?: unknown }[] } }

export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(DASHBOARDS_DIR, f));
}

export function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every non-row panel, including those nested in collapsed rows. */
export function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: Panel[]): void => {
    for (const p of ps) {
      if (p.type === 'row') walk(p.panels ?? []);
      else out.push(p);
    }
  };
  walk(d.panels);
  return out;
}

/** Grafana template variables replaced by values Prometheus accepts. */
export function substituteGrafanaVars(expr: string, vars: { job?: string; instance?: string; rateInterval?: string } = {}): string {
  const rate = vars.rateInterval ?? '1m';
  return expr
    .replaceAll('$__rate_interval', rate)
    .replaceAll('${__rate_interval}', rate)
    .replaceAll('$__interval', rate)
    .replaceAll('$__range', '1h')
    .replaceAll('${job}', vars.job ?? 'gliner')
    .replaceAll('$job', vars.job ?? 'gliner')
    .replaceAll('${instance}', vars.instance ?? '.*')
    .replaceAll('$instance', vars.instance ?? '.*');
}

export interface PanelExpr { readonly dashboard: string; readonly panel: string; readonly refId: string; readonly expr: string }

/** Every panel target expression of every dashboard, with Grafana variables substituted. */
export function dashboardExprs(vars?: Parameters<typeof substituteGrafanaVars>[1]): PanelExpr[] {
  return dashboardFiles().flatMap((file) => {
    const d = loadDashboard(file);
    return allPanels(d).flatMap((p) => (p.targets ?? [])
      .filter((t): t is PanelTarget & { expr: string } => typeof t.expr === 'string')
      .map((t) => ({ dashboard: d.uid, panel: p.title, refId: t.refId ?? '?', expr: substituteGrafanaVars(t.expr, vars) })));
  });
}

// ------------------------------------------------------------------------------------ PromQL names

const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan',
]);

/**
 * Metric names an expression selects: identifiers that are not functions, keywords, label names in
 * grouping clauses, label matchers, strings or durations. Good enough for the expressions in this repo.
 */
export function metricNames(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\]|\\.)*'/g, "''")
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = stripped.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(')) continue; // function call
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    if (/^\d/.test(word)) continue;
    // a number like 1e3 never matches (starts with a digit); exponent tails such as "e" after digits:
    const before = stripped.slice(0, m.index ?? 0);
    if (/[0-9.]$/.test(before)) continue;
    names.add(word);
  }
  return names;
}

/** Metric names (first column, in backticks) of the catalogue table in docs/metrics.md. */
export function catalogue(): { name: string; type: string; labels: string; meaning: string }[] {
  const rows: { name: string; type: string; labels: string; meaning: string }[] = [];
  for (const line of readFileSync(METRICS_DOC, 'utf8').split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|([^|]*)\|([^|]*)\|(.*)\|\s*$/.exec(line);
    if (m) rows.push({ name: m[1]!, type: m[2]!.trim(), labels: m[3]!.trim(), meaning: m[4]!.trim() });
  }
  return rows;
}

/** Every series name an expression may legitimately use: catalogue (+ histogram series), recording rules, external (docs/metrics.md, "Series from elsewhere"). */
export function knownSeries(): Set<string> {
  const known = new Set<string>(['up', 'scrape_duration_seconds', 'kube_pod_container_resource_limits', 'container_memory_working_set_bytes']);
  for (const row of catalogue()) {
    known.add(row.name);
    if (row.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(row.name + s);
  }
  for (const r of recordingRules()) known.add(r.record);
  return known;
}

/** GitHub-style anchors of the level-2 headings in a markdown file. */
export function markdownAnchors(file: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^##\s+(.+?)\s*$/.exec(line);
    if (m) anchors.add(m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
