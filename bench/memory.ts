// A process's memory as the kernel counts it, from /proc (Linux; null elsewhere or when the process
// is gone). Two views, because they differ for memory-mapped weights:
// - RSS (VmRSS, and its anonymous / file / shmem parts): every resident page of every mapping. A file
//   page mapped by three ONNX Runtime sessions counts three times.
// - PSS (smaps_rollup): each page divided by the number of mappings that share it, so a file page
//   mapped three times in one process counts once. Pages shared with other processes (the node
//   binary with every node process on the host) are divided among them too, so neither view is what
//   a container's memory cgroup charges: bench/tools/pod-memory.sh measures that.
// Also where the bench tools and tests find jemalloc, as the CPU image preloads it.
import { existsSync, readFileSync } from 'node:fs';

/** Debian's libjemalloc2 on this machine's architecture; undefined where it is not installed. */
export const JEMALLOC = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'].find((file) => existsSync(file));

export interface ProcessMemory {
  /** Resident set, bytes (every mapping of a page counted). */
  readonly rss: number;
  readonly rssAnon: number;
  readonly rssFile: number;
  readonly rssShmem: number;
  /** Proportional set size, bytes (shared pages divided among their mappings); null where smaps_rollup is missing. */
  readonly pss: number | null;
  readonly pssAnon: number | null;
  readonly pssFile: number | null;
}

function kib(text: string, key: string, anchored: boolean): number | null {
  const match = new RegExp(`${anchored ? '^' : ''}${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return match?.[1] === undefined ? null : Number(match[1]) * 1024;
}

/**
 * Memory of `pid` (default: this process), or null when /proc cannot tell. `pss: false` skips
 * smaps_rollup, which walks every mapping under the process's mmap lock (the PSS fields are null):
 * for readings taken while the process is being measured.
 */
export function processMemory(pid: number | 'self' = 'self', options: { readonly pss?: boolean } = {}): ProcessMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const rss = kib(status, 'VmRSS', true);
  if (rss === null) return null;
  let rollup = '';
  if (options.pss !== false) {
    try {
      rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      // Kernels before 4.14, or no permission: RSS only.
    }
  }
  return {
    rss,
    rssAnon: kib(status, 'RssAnon', true) ?? 0,
    rssFile: kib(status, 'RssFile', true) ?? 0,
    rssShmem: kib(status, 'RssShmem', true) ?? 0,
    pss: kib(rollup, 'Pss', true),
    pssAnon: kib(rollup, 'Pss_Anon', true),
    pssFile: kib(rollup, 'Pss_File', true),
  };
}

/** Megabytes (10^6 bytes), one decimal: how the reports print memory. */
export function mb(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '—' : (bytes / 1e6).toFixed(0);
}
