// Where a pool thread's code is: the compiled worker module, or its TypeScript source through tsx
// when running from sources (vitest, `npm run dev`); and the node flags a thread takes from the
// process: the CPU and heap profilers' (`node --cpu-prof`: one profile per thread, workers included).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PROFILER_FLAG = /^--(cpu|heap)-prof(-|=|$)/;

/** The process's profiler flags, which a worker thread given its own execArgv would not inherit. */
export function profilerFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.filter((flag) => PROFILER_FLAG.test(flag));
}

export function workerEntry(name: 'worker' | 'map-weights'): { filename: string; execArgv: string[] } {
  const js = fileURLToPath(new URL(`../worker/${name}.js`, import.meta.url));
  if (existsSync(js)) return { filename: js, execArgv: profilerFlags() };
  return { filename: fileURLToPath(new URL(`../worker/${name}.ts`, import.meta.url)), execArgv: ['--import', 'tsx', ...profilerFlags()] };
}
