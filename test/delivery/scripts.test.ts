// deploy/bluegreen.sh (bash -n, shellcheck, and its behaviour against a fake kubectl that records
// calls and serves a fake API through "port-forward") and the Jenkinsfile's required structure.
import { execFileSync, spawnSync } from 'node:child_process';
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
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
