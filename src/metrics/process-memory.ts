// The process's memory with the shared weights counted once: its proportional set size (PSS).
//
// With SHARE_WEIGHTS every ONNX Runtime session memory-maps the same weights, and the kernel's RSS
// (prom-client's process_resident_memory_bytes) counts a page once per mapping: three sessions, three
// times the weights (bench/RESULTS.md, "Memory": 1.46 GB RSS against a 537-MB working set on the
// bench-size model). PSS divides each page among the mappings and processes that share it, so the
// weights count once, as the container's memory cgroup charges them. The kernel computes it by
// walking every mapping (/proc/self/smaps_rollup: ~26 ms for the bench-size server), so it is read
// off the event loop (fs.promises, libuv's thread pool), at scrape time, and at most once per
// `minIntervalMs`. Linux only (kernel 4.14 and later); elsewhere the gauge is not registered at all.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const SMAPS_ROLLUP = '/proc/self/smaps_rollup';

/** A `Key:   123 kB` field of /proc/<pid>/status or smaps_rollup, in bytes; null when absent. */
export function procKib(text: string, key: string): number | null {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return match?.[1] === undefined ? null : Number(match[1]) * 1024;
}

/** Whether this system reports PSS for this process. */
export function pssAvailable(file = SMAPS_ROLLUP): boolean {
  return existsSync(file);
}

/** Reads PSS in bytes, reusing a reading younger than `minIntervalMs`; null when the file cannot be read. */
export class PssReader {
  private last: { readonly at: number; readonly bytes: number | null } | undefined;
  private pending: Promise<number | null> | undefined;

  constructor(
    private readonly file = SMAPS_ROLLUP,
    private readonly minIntervalMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async read(): Promise<number | null> {
    const last = this.last;
    if (last !== undefined && this.now() - last.at < this.minIntervalMs) return last.bytes;
    // Two scrapes at once share one walk of the mappings.
    this.pending ??= readFile(this.file, 'utf8')
      .then((text) => procKib(text, 'Pss'), () => null)
      .then((bytes) => {
        this.last = { at: this.now(), bytes };
        this.pending = undefined;
        return bytes;
      });
    return this.pending;
  }
}
