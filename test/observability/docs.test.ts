// docs/metrics.md catalogues every metric of src/metrics/registry.ts (one row each) and the values of
// its enumerated labels (exported from start-up, and the only ones rules, dashboards and runbooks may
// name), and docs/runbooks.md has a section for every alert.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/registry.js';
import { DASHBOARDS_DIR, PROM_TESTS_DIR, ROOT, RULES_DIR, RUNBOOKS, alertRules, catalogue, markdownAnchors } from './helpers.js';

/** metric -> label -> documented values, from catalogue cells like `reason` (`overload`, `draining`). */
function documentedValues(): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const row of catalogue()) {
    for (const m of row.labels.matchAll(/`([a-z_]+)` \(((?:`[^`]+`(?:, )?)+)\)/g)) {
      const values = [...m[2]!.matchAll(/`([^`]+)`/g)].map((v) => v[1]!);
      out.set(row.name, (out.get(row.name) ?? new Map<string, string[]>()).set(m[1]!, values));
    }
  }
  return out;
}

/** name -> prom-client class, read from the registry source. */
function registryMetrics(): Map<string, string> {
  const src = readFileSync(path.join(ROOT, 'src/metrics/registry.ts'), 'utf8');
  const out = new Map<string, string>();
  for (const m of src.matchAll(/new client\.(Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([^']+)'/g)) out.set(m[2]!, m[1]!.toLowerCase());
  return out;
}

describe('docs/metrics.md', () => {
  const rows = catalogue();

  it('has exactly one row per metric', () => {
    const names = rows.map((r) => r.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('catalogues every metric in src/metrics/registry.ts with its type', () => {
    const defined = registryMetrics();
    expect(defined.size).toBeGreaterThanOrEqual(24);
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const [name, type] of defined) {
      expect(byName.has(name), `${name} missing from docs/metrics.md`).toBe(true);
      expect(byName.get(name)?.type, name).toBe(type);
    }
    // and nothing gliner_* that the registry does not define
    for (const r of rows.filter((x) => x.name.startsWith('gliner_'))) expect(defined.has(r.name), `${r.name} is not in registry.ts`).toBe(true);
  });

  it('gives every row a type, labels and a meaning', () => {
    for (const r of rows) {
      expect(['counter', 'gauge', 'histogram', 'summary'], r.name).toContain(r.type);
      expect(r.labels, r.name).not.toBe('');
      expect(r.meaning.length, r.name).toBeGreaterThan(10);
    }
  });
});

describe('label values', () => {
  const documented = documentedValues();

  it('docs/metrics.md enumerates the values of reason and direction', () => {
    expect(documented.get('gliner_requests_dropped_total')?.get('reason')).toEqual(['overload', 'queue_wait', 'key_quota', 'draining', 'deadline', 'disconnect', 'worker_crash']);
    expect(documented.get('gliner_rows_dropped_total')?.get('reason')).toEqual(['deadline', 'disconnect']);
    expect(documented.get('gliner_websocket_messages_total')?.get('direction')).toEqual(['in', 'out']);
  });

  it('a fresh server exports every documented value at 0, and no other value', async () => {
    const text = await new Metrics().render();
    for (const [metric, labels] of documented) {
      for (const [label, values] of labels) {
        const exported = [...text.matchAll(new RegExp(`^${metric}\\{[^}]*\\b${label}="([^"]+)"[^}]*\\} (\\S+)$`, 'gm'))];
        expect(exported.map((m) => m[1]).sort(), `${metric}{${label}}`).toEqual([...values].sort());
        for (const m of exported) expect(Number(m[2]), `${metric}{${label}="${m[1]}"}`).toBe(0);
      }
    }
  });

  it('rules, dashboards and runbooks only name documented values', () => {
    const allowed = new Map<string, Set<string>>();
    for (const labels of documented.values()) for (const [label, values] of labels) allowed.set(label, new Set([...(allowed.get(label) ?? []), ...values]));
    const files = [
      ...readdirSync(RULES_DIR).map((f) => path.join(RULES_DIR, f)),
      ...readdirSync(PROM_TESTS_DIR).map((f) => path.join(PROM_TESTS_DIR, f)),
      ...readdirSync(DASHBOARDS_DIR).map((f) => path.join(DASHBOARDS_DIR, f)),
      RUNBOOKS,
    ];
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(reason|direction)\s*=~?\s*\\?"?([a-z_|]+)/g)) {
        for (const value of m[2]!.split('|')) {
          seen++;
          expect(allowed.get(m[1]!), `${path.relative(ROOT, file)}: ${m[0]}`).toContain(value);
        }
      }
    }
    expect(seen).toBeGreaterThan(3);
  });
});

describe('docs/runbooks.md', () => {
  it('has a section for every alert (heading = alert name) and none for alerts that do not exist', () => {
    const anchors = markdownAnchors(RUNBOOKS);
    const alerts = alertRules().map((a) => a.alert.toLowerCase());
    for (const a of alerts) expect(anchors, a).toContain(a);
    expect([...anchors].filter((a) => a.startsWith('gliner') && !alerts.includes(a))).toEqual([]);
  });

  it('describes what it means, what to check and what to do in every section', () => {
    const sections = readFileSync(RUNBOOKS, 'utf8').split(/^## /m).slice(1);
    for (const s of sections) {
      const title = s.split('\n')[0]!;
      for (const part of ['**Means.**', '**Check.**', '**Do.**']) expect(s, `${title}: ${part}`).toContain(part);
    }
  });
});
