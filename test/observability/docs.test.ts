// docs/metrics.md catalogues every metric of src/metrics/registry.ts (one row each), and
// docs/runbooks.md has a section for every alert.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, RUNBOOKS, alertRules, catalogue, markdownAnchors } from './helpers.js';

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
