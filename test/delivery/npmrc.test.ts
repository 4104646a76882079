// The repository .npmrc: only settings npm itself knows (no "Unknown project config" warning on every
// npm command, npm 10 and 11), and dependency install scripts off so `npm ci` never reaches for
// api.nuget.org (onnxruntime-node's CUDA download), while the project's own scripts still run.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths.js';

/** The environment without npm_config_* (set when vitest itself runs under npm), so only .npmrc speaks. */
const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));

describe('.npmrc', () => {
  it('holds only settings npm knows: npm prints no warning, and ignore-scripts is on', () => {
    const r = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warn/i);
    expect(r.stdout.trim()).toBe('true');
  });

  it('the project has no pre/post script hooks (npm skips them under ignore-scripts)', async () => {
    const { scripts } = (await import('../../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> };
    const hooks = Object.keys(scripts).filter((name) => /^(pre|post)/.test(name));
    expect(hooks).toEqual([]);
  });
});
