// deploy/bluegreen.sh (bash -n, shellcheck, and its behaviour against a fake kubectl that records
// calls and serves a fake API through "port-forward": no port-forward survives the script) and the
// Jenkinsfile's required structure.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipNote, skipWithout, type ToolNeed } from '../support/tools.js';
import { REPO_ROOT, hasCommand } from './k8s-render.js';

const SCRIPT = path.join(REPO_ROOT, 'deploy/bluegreen.sh');
const NEEDS_SHELLCHECK: ToolNeed[] = [{ tool: 'shellcheck', present: hasCommand('shellcheck', ['--version']), install: 'apt-get install -y shellcheck' }];
const NEEDS_CURL: ToolNeed[] = [{ tool: 'curl', present: hasCommand('curl', ['--version']), install: 'apt-get install -y curl' }];

describe('deploy/bluegreen.sh', () => {
  it('parses (bash -n)', () => {
    expect(() => execFileSync('bash', ['-n', SCRIPT])).not.toThrow();
  });

  it.skipIf(skipWithout('deploy scripts', NEEDS_SHELLCHECK))(`passes shellcheck${skipNote(NEEDS_SHELLCHECK)}`, () => {
    const r = spawnSync('shellcheck', ['-x', SCRIPT, path.join(REPO_ROOT, 'deploy/ci/lint-jenkinsfile.sh')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('uses strict mode', () => {
    expect(readFileSync(SCRIPT, 'utf8')).toMatch(/^set -euo pipefail$/m);
  });
});

// A fake kubectl (fixtures/fake-kubectl.sh): state (active colour, replicas) lives in files; `port-forward` starts a tiny
// node HTTP server that answers like gliner-serve (or without Microsoft when FAKE_BAD=1).
const FAKE_KUBECTL = readFileSync(path.join(REPO_ROOT, 'test/delivery/fixtures/fake-kubectl.sh'), 'utf8');

describe.skipIf(skipWithout('bluegreen.sh behaviour', NEEDS_CURL))(`deploy/bluegreen.sh against a fake kubectl${skipNote(NEEDS_CURL)}`, () => {
  let dir = '';
  let port = 18000;
  const state = (f: string) => readFileSync(path.join(dir, f), 'utf8').trim();
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('bash', [SCRIPT, '-n', 'gliner', ...args], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, KUBECTL: path.join(dir, 'kubectl'), FAKE_STATE: dir, LOCAL_PORT: String(port), SMOKE_API_KEY: 'k', ...env },
    });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bluegreen-'));
    port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(path.join(dir, 'kubectl'), FAKE_KUBECTL);
    chmodSync(path.join(dir, 'kubectl'), 0o755);
    writeFileSync(path.join(dir, 'color'), 'blue\n');
    writeFileSync(path.join(dir, 'idle'), 'green\n');
    writeFileSync(path.join(dir, 'replicas-blue'), '3\n');
    writeFileSync(path.join(dir, 'replicas-green'), '0\n');
  });
  // Port-forward processes (fake kubectl → node server) of this test's state dir that are still alive.
  const survivors = (): number[] => {
    let pids: number[];
    try {
      pids = state('port-forward-pids').split('\n').map(Number);
    } catch {
      return [];
    }
    return pids.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`FAKE_STATE=${dir}\0`);
      } catch {
        return false;
      }
    });
  };
  afterEach(() => {
    for (const pid of survivors()) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops every port-forward it starts: none survives the script, and each pod is tested through its own', () => {
    const r = run(['smoke', 'green']);
    expect(r.status, r.stderr).toBe(0);
    expect(state('port-forward-pids').split('\n')).toHaveLength(2);
    expect(survivors()).toEqual([]);
    expect(state('served').split('\n')).toEqual(['gliner-green-abc', 'gliner-green-def']);
  });

  it('stops the port-forward when the smoke test fails, and refuses a LOCAL_PORT something else answers on', () => {
    const failed = run(['smoke', 'green'], { FAKE_BAD: '1' });
    expect(failed.status).not.toBe(0);
    expect(survivors()).toEqual([]);
    const busy = createServer((_q, r) => r.end('{}'));
    return new Promise<void>((resolve, reject) => {
      busy.listen(port, '127.0.0.1', () => {
        // spawnSync would block the loop this server answers on: run the script asynchronously.
        const child = spawn('bash', [SCRIPT, '-n', 'gliner', 'smoke', 'green'], { env: { ...process.env, KUBECTL: path.join(dir, 'kubectl'), FAKE_STATE: dir, LOCAL_PORT: String(port) } });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => {
          busy.close();
          try {
            expect(code).not.toBe(0);
            expect(stderr).toContain(`something already listens on 127.0.0.1:${port}`);
            resolve();
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
    });
  });

  it('deploys to the idle colour, smoke-tests every idle pod, then switches the Service', () => {
    const r = run(['deploy', '--image', 'reg/gliner-serve:1.2.3', '--model', 'onnx-community/gliner_medium-v2.1']);
    expect(r.status, r.stderr).toBe(0);
    expect(state('color')).toBe('green');
    expect(state('replicas-green')).toBe('3');
    const calls = state('calls');
    expect(calls).toContain('set image deployment/gliner-green server=reg/gliner-serve:1.2.3');
    expect(calls).toContain('set env deployment/gliner-green --containers=server MODEL=onnx-community/gliner_medium-v2.1');
    expect(calls).toContain('rollout status deployment gliner-green');
    expect(calls).toContain('port-forward pod/gliner-green-abc');
    expect(calls).toContain('port-forward pod/gliner-green-def');
    expect(calls).not.toMatch(/gliner-blue server=/);
  });

  it('does not switch when the smoke test does not find Microsoft', () => {
    const r = run(['deploy', '--image', 'reg/gliner-serve:1.2.3'], { FAKE_BAD: '1' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Microsoft not found');
    expect(state('color')).toBe('blue');
  });

  it('refuses untagged and latest images', () => {
    expect(run(['deploy', '--image', 'reg/gliner-serve']).status).not.toBe(0);
    expect(run(['deploy', '--image', 'reg/gliner-serve:latest']).status).not.toBe(0);
    expect(state('color')).toBe('blue');
  });

  it('rolls back in one command, scaling the previous colour up if it was scaled down', () => {
    writeFileSync(path.join(dir, 'color'), 'green\n');
    writeFileSync(path.join(dir, 'replicas-green'), '4\n');
    writeFileSync(path.join(dir, 'replicas-blue'), '0\n');
    const r = run(['rollback']);
    expect(r.status, r.stderr).toBe(0);
    expect(state('color')).toBe('blue');
    expect(state('replicas-blue')).toBe('4');
  });
});

describe('Jenkinsfile', () => {
  const text = readFileSync(path.join(REPO_ROOT, 'Jenkinsfile'), 'utf8');
  it('is a parameterised declarative pipeline with timeouts and reports', () => {
    expect(text).toMatch(/^pipeline \{/m);
    for (const s of ['parameters {', 'timeout(time:', 'post {', 'always {', 'junit(', 'archiveArtifacts(']) expect(text).toContain(s);
  });
  it('has the delivery stages in order', () => {
    const stages = ['Build', 'Lint and test', 'Security', 'Package images', 'Deploy dev', 'Deploy staging', 'Approve production', 'Deploy prod (blue/green)', 'Post-deploy checks'];
    const positions = stages.map((s) => text.indexOf(`stage('${s}')`));
    expect(positions.every((p) => p >= 0), JSON.stringify(positions)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
  it('runs the security checks, both images, gated prod and the post-deploy bench', () => {
    for (const s of ['npm audit --omit=dev', 'npm sbom --sbom-format cyclonedx', 'trivy image', 'Dockerfile.cpu', 'Dockerfile.gpu', 'input(', "branch 'develop'", "branch 'staging'", "branch 'main'", 'deploy/bluegreen.sh', 'npm run bench -- --url', '--check']) {
      expect(text, s).toContain(s);
    }
  });
  it('takes credentials from the Jenkins store only', () => {
    expect(text).toContain('withCredentials(');
    expect(text).not.toMatch(/(password|token|api[_-]?key)\s*[:=]\s*['"][^'"$]+['"]/i);
  });
});
