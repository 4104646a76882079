// gliner_process_pss_bytes: the PSS line of smaps_rollup (not RSS), read at most every few seconds,
// off the event loop; absent where the kernel has no smaps_rollup. The real server's figure against
// its RSS, through a real Prometheus, is in live-prometheus.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/registry.js';
import { PssReader, procKib, pssAvailable } from '../../src/metrics/process-memory.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rollup = (rssKib: number, pssKib: number): string =>
  `55bb9ea0c000-7ffc003a5000 ---p 00000000 00:00 0 [rollup]\nRss:  ${rssKib} kB\nPss:  ${pssKib} kB\nPss_Anon:  7 kB\nAnonymous:  9 kB\n`;

describe('process memory (PSS)', () => {
  it('reads the Pss line, not Rss or Pss_Anon, in bytes', () => {
    const text = rollup(3000, 1000);
    expect(procKib(text, 'Pss')).toBe(1000 * 1024);
    expect(procKib(text, 'Rss')).toBe(3000 * 1024);
    expect(procKib(text, 'Pss_Anon')).toBe(7 * 1024);
    expect(procKib(text, 'Swap')).toBeNull();
  });

  it('reuses a reading younger than its interval, shares one read between concurrent scrapes, and reads again after', async () => {
    const file = path.join(dir, 'smaps_rollup');
    writeFileSync(file, rollup(3000, 1000));
    let now = 0;
    const reader = new PssReader(file, 5000, () => now);
    const [a, b] = await Promise.all([reader.read(), reader.read()]);
    expect([a, b]).toEqual([1000 * 1024, 1000 * 1024]);
    writeFileSync(file, rollup(3000, 2000));
    now = 4999;
    expect(await reader.read()).toBe(1000 * 1024);
    now = 5000;
    expect(await reader.read()).toBe(2000 * 1024);
  });

  it('gives null for a file it cannot read', async () => {
    expect(pssAvailable(path.join(dir, 'missing'))).toBe(false);
    expect(await new PssReader(path.join(dir, 'missing')).read()).toBeNull();
  });

  it('the registry exports this process\'s PSS at scrape where the kernel reports it (Linux), and no gauge elsewhere', async () => {
    const text = await new Metrics().render();
    if (!pssAvailable()) {
      expect(text).not.toContain('gliner_process_pss_bytes');
      return;
    }
    const exported = Number(/^gliner_process_pss_bytes (\S+)$/m.exec(text)?.[1]);
    const own = procKib(readFileSync('/proc/self/smaps_rollup', 'utf8'), 'Pss') ?? NaN;
    // Read a moment apart in a live process: within 20 %.
    expect(exported).toBeGreaterThan(own * 0.8);
    expect(exported).toBeLessThan(own * 1.2);
  });
});
