// Where a pool thread's code is: the compiled worker module, or its TypeScript source through tsx
// when running from sources (vitest, `npm run dev`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function workerEntry(name: 'worker' | 'map-weights'): { filename: string; execArgv: string[] } {
  const js = fileURLToPath(new URL(`../worker/${name}.js`, import.meta.url));
  if (existsSync(js)) return { filename: js, execArgv: [] };
  return { filename: fileURLToPath(new URL(`../worker/${name}.ts`, import.meta.url)), execArgv: ['--import', 'tsx'] };
}
