// The CLI's small edges, over the built binary (dist/src/cli.js; `npm test` builds first): --version,
// command groups without a subcommand print their help and exit 0, and `models info` on an uncached
// hub id says to pull it instead of blaming HF_HUB_OFFLINE when that was never set.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './support/server.js';

const cache = mkdtempSync(path.join(tmpdir(), 'gliner-cli-cache-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'HF_HUB_OFFLINE' && k !== 'MODEL_CACHE_DIR'));
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...base, MODEL_CACHE_DIR: cache, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('gliner-serve CLI', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it.each(['models', 'keys'])('`%s` with no subcommand shows its help and exits 0', (group) => {
    const r = cli([group]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Usage: gliner-serve ${group}`);
    expect(r.stdout).toContain('Commands:');
  });

  it('`models info` of an uncached hub id says to pull it, and mentions HF_HUB_OFFLINE only when it is set', () => {
    const plain = cli(['models', 'info', 'onnx-community/gliner_medium-v2.1']);
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain('models pull onnx-community/gliner_medium-v2.1');
    expect(plain.stderr).not.toContain('HF_HUB_OFFLINE');

    const offline = cli(['models', 'info', 'onnx-community/gliner_medium-v2.1'], { HF_HUB_OFFLINE: 'true' });
    expect(offline.status).not.toBe(0);
    expect(offline.stderr).toContain('HF_HUB_OFFLINE');
  });

  it('`serve --help` lists the allowed values of enum settings; switches take no value', () => {
    const help = cli(['serve', '--help']);
    expect(help.status, help.stderr).toBe(0);
    const flat = help.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('One of: fatal, error, warn, info, debug, trace, silent. [env LOG_LEVEL]');
    expect(flat).toContain('One of: cpu, cuda. [env EXECUTION_PROVIDER]');
    expect(flat).toContain('--playground Serve the playground page');
    expect(flat).toContain('--no-playground');
    const valued = cli(['serve', '--playground', 'false', '--port', '1']);
    expect(valued.status).not.toBe(0);
    expect(valued.stderr).toContain("too many arguments for 'serve'");
  });

  it('`models pull` from a hub whose name does not resolve fails naming the ways out', () => {
    const r = cli(['models', 'pull', 'onnx-community/gliner_medium-v2.1'], { HF_ENDPOINT: 'http://gliner-hub.invalid' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('MODEL_DOWNLOAD_FAILED');
    for (const way of ['HF_HUB_OFFLINE=true', 'HF_ENDPOINT', 'MODEL to a local model directory']) expect(r.stderr).toContain(way);
  });
});
