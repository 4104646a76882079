// `npm start` / `npm run eval|bench|models` build step: compile with tsc only when a source is newer than
// the last build (dist/.build-stamp, or tsc's own dist/.tsbuildinfo after `npm run build`), so starting an up-to-date checkout costs milliseconds instead of a
// tsc run. A fresh clone (no dist) builds; so does any edit, checkout, added or deleted file (directory
// mtimes change too). Plain JavaScript on purpose: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What the build reads: tsconfig.build.json compiles src and bench. */
const INPUTS = ['src', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** Newest mtime (ms) under `p`, directories included. */
function newest(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(p)) if (entry !== 'out' && entry !== 'node_modules') max = Math.max(max, newest(path.join(p, entry)));
  return max;
}

/** True when dist is missing or older than some input. */
export function stale(root = ROOT) {
  if (!existsSync(path.join(root, 'dist/src/cli.js'))) return true;
  const built = Math.max(...['dist/.build-stamp', 'dist/.tsbuildinfo'].map((f) => statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? 0));
  return built === 0 || INPUTS.some((input) => newest(path.join(root, input)) > built);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (stale()) {
    const startedAt = Date.now();
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) process.exit(r.status ?? 1);
    // The stamp's mtime is when the build started, so an edit made while tsc ran still counts as newer.
    const stamp = path.join(ROOT, 'dist/.build-stamp');
    writeFileSync(stamp, `${new Date(startedAt).toISOString()}\n`);
    utimesSync(stamp, startedAt / 1000, startedAt / 1000);
    process.stderr.write(`built dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
  }
}
