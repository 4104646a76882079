// The server's memory around each point, so that a change that makes it grow (or stop giving memory
// back) shows in the report. A server the bench started is read from /proc (RSS and PSS, see
// memory.ts); a server on --url from its own process_resident_memory_bytes in /metrics (RSS only).
// Per point: before the load (after the wait for an idle server), the highest RSS seen while it ran
// (sampled every 250 ms), and right after it. Per server: idle (ready, before the warm-up), warm (after
// it) and at the end, before it is stopped.
import { mb, processMemory, type ProcessMemory } from './memory.js';

export interface MemorySample {
  /** Bytes. */
  readonly rss: number;
  /** Bytes; null where only RSS can be read (a server on --url, no smaps_rollup). */
  readonly pss: number | null;
  readonly rssAnon: number | null;
  readonly rssFile: number | null;
}

export interface PointMemory {
  readonly before: MemorySample | null;
  /** Highest RSS sampled during the point. */
  readonly peakRss: number | null;
  readonly after: MemorySample | null;
}

export interface ServerMemory {
  readonly idle: MemorySample | null;
  readonly warm: MemorySample | null;
  readonly end: MemorySample | null;
}

export interface MemoryTarget {
  readonly pid?: number | undefined;
  readonly adminUrl?: string | undefined;
}

const fromProc = (m: ProcessMemory): MemorySample => ({ rss: m.rss, pss: m.pss, rssAnon: m.rssAnon, rssFile: m.rssFile });

async function fromMetrics(adminUrl: string): Promise<MemorySample | null> {
  try {
    const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    const match = /^process_resident_memory_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(await response.text());
    return match?.[1] === undefined ? null : { rss: Number(match[1]), pss: null, rssAnon: null, rssFile: null };
  } catch {
    return null;
  }
}

/** One reading; `cheap` leaves out PSS (smaps_rollup walks every mapping). */
export async function readMemory(target: MemoryTarget, cheap = false): Promise<MemorySample | null> {
  if (target.pid !== undefined) {
    const m = processMemory(target.pid, { pss: !cheap });
    return m === null ? null : fromProc(m);
  }
  return target.adminUrl === undefined ? null : fromMetrics(target.adminUrl);
}

/** Start watching a point: call finish() when its load is over. */
export async function watchMemory(target: MemoryTarget, intervalMs = 250): Promise<{ finish(): Promise<PointMemory> }> {
  const before = await readMemory(target);
  let peak = before?.rss ?? null;
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = readMemory(target, true).then((m) => {
      if (m !== null && (peak === null || m.rss > peak)) peak = m.rss;
    });
  }, intervalMs);
  return {
    async finish() {
      clearInterval(timer);
      await sampling;
      const after = await readMemory(target);
      if (after !== null && (peak === null || after.rss > peak)) peak = after.rss;
      return { before, peakRss: peak, after };
    },
  };
}

/** The markdown section: per server idle / warm / end, then per point before / peak / after. */
export function memorySection(servers: readonly { readonly name: string; readonly memory?: ServerMemory | undefined }[], points: readonly { readonly server: string; readonly scenario: string; readonly label: string; readonly memory?: PointMemory | undefined }[]): string {
  const measured = points.filter((p) => p.memory !== undefined);
  const known = servers.filter((s) => s.memory !== undefined);
  if (measured.length === 0 && known.length === 0) return '';
  const both = (m: MemorySample | null | undefined): string => (m === null || m === undefined ? '—' : `${mb(m.rss)} / ${mb(m.pss)}`);
  const lines = ['### Server memory (MB, RSS / PSS)', ''];
  if (known.length > 0) {
    lines.push('| server | idle | warm | end |', '| --- | ---: | ---: | ---: |');
    for (const s of known) lines.push(`| ${s.name} | ${both(s.memory?.idle)} | ${both(s.memory?.warm)} | ${both(s.memory?.end)} |`);
    lines.push('');
  }
  if (measured.length > 0) {
    lines.push('| server | scenario | load | before | peak RSS | after |', '| --- | --- | --- | ---: | ---: | ---: |');
    for (const p of measured) lines.push(`| ${p.server} | ${p.scenario} | ${p.label} | ${both(p.memory?.before)} | ${mb(p.memory?.peakRss)} | ${both(p.memory?.after)} |`);
  }
  return lines.join('\n');
}
