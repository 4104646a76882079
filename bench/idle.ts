// Reading a server's state between points: one /metrics scrape, and the wait until a server is
// idle so one point's leftovers do not run into the next point's window.
import { performance } from 'node:perf_hooks';
import { parseProm, total, type Scrape } from './prom.js';

export async function scrape(adminUrl: string | undefined): Promise<Scrape | undefined> {
  if (adminUrl === undefined) return undefined;
  try {
    const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) return undefined;
    return parseProm(await response.text());
  } catch {
    return undefined;
  }
}

/**
 * Wait until the server is idle — nothing queued, nothing in flight, and its CPU quiet (a batch a
 * worker is still running for requests the load generator abandoned shows only as CPU) — so one
 * point's leftovers do not run into the next point's window.
 */
export async function waitIdle(adminUrl: string | undefined, timeoutMs: number): Promise<void> {
  if (adminUrl === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return;
  }
  const deadline = Date.now() + timeoutMs;
  let emptySince: number | undefined;
  let last: { at: number; cpu: number } | undefined;
  while (Date.now() < deadline) {
    const now = await scrape(adminUrl);
    if (now === undefined) return;
    const at = performance.now();
    const cpu = total(now, 'process_cpu_seconds_total');
    const cpuCores = last === undefined ? Infinity : (cpu - last.cpu) / ((at - last.at) / 1000);
    last = { at, cpu };
    // The scrape itself is one request in flight. Requests that were abandoned may stay counted
    // until their rows finish, so an empty queue for a few seconds also does.
    const empty = total(now, 'gliner_queue_depth_rows') === 0;
    emptySince = empty ? (emptySince ?? Date.now()) : undefined;
    const quiet = total(now, 'gliner_http_requests_in_flight') <= 1 || Date.now() - (emptySince ?? Date.now()) > 3000;
    if (empty && quiet && cpuCores < 0.3) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
