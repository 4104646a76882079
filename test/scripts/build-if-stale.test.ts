// scripts/build-if-stale.mjs (what `npm start` runs before serving): rebuild only when dist is missing or a
// build input changed since the last build, and also after a file is added or deleted.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stale } from '../../scripts/build-if-stale.mjs';

let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.now() / 1000 - 1000;
function file(rel: string, at: number): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, rel);
  utimesSync(p, at, at);
}
/** A checkout built at T0 + 10, every source at T0 (directories too). */
function builtCheckout(): void {
  root = mkdtempSync(path.join(tmpdir(), 'gliner-stale-'));
  for (const f of ['src/cli.ts', 'src/http/server.ts', 'bench/run.ts', 'tsconfig.json', 'package.json']) file(f, T0);
  for (const d of ['src', 'src/http', 'bench']) utimesSync(path.join(root, d), T0, T0);
  file('dist/src/cli.js', T0 + 10);
  file('dist/.build-stamp', T0 + 10);
}

describe('build-if-stale', () => {
  it('an up-to-date build is not rebuilt', () => {
    builtCheckout();
    expect(stale(root)).toBe(false);
  });

  it('builds when dist is missing (a fresh clone) or was never stamped', () => {
    builtCheckout();
    rmSync(path.join(root, 'dist/.build-stamp'));
    expect(stale(root)).toBe(true);
    rmSync(path.join(root, 'dist'), { recursive: true });
    expect(stale(root)).toBe(true);
  });

  it("counts tsc's own build info (`npm run build`) as a build", () => {
    builtCheckout();
    rmSync(path.join(root, 'dist/.build-stamp'));
    file('dist/.tsbuildinfo', T0 + 10);
    expect(stale(root)).toBe(false);
  });

  it('rebuilds after a source edit deep in src, a config change, or a deleted file', () => {
    builtCheckout();
    utimesSync(path.join(root, 'src/http/server.ts'), T0 + 20, T0 + 20);
    expect(stale(root)).toBe(true);

    builtCheckout();
    utimesSync(path.join(root, 'tsconfig.json'), T0 + 20, T0 + 20);
    expect(stale(root)).toBe(true);

    builtCheckout();
    rmSync(path.join(root, 'bench/run.ts'));
    expect(stale(root)).toBe(true);
  });
});
