// The prepared GPU-device scripts (deploy/gpu/*.sh, native-models/train-gpu.sh, after-gpu.sh): they
// run once, on a machine lent for minutes, so a syntax error there costs the whole lease. Checked
// here: they parse, and the training run refuses to start without CoNLL-2003 instead of silently
// training a different model.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './k8s-render.js';

const SCRIPTS = ['deploy/gpu/probe.sh', 'deploy/gpu/bench.sh', 'deploy/gpu/pack.sh', 'native-models/train-gpu.sh', 'native-models/after-gpu.sh'];

describe('GPU device scripts', () => {
  it.each(SCRIPTS)('%s parses (bash -n)', (script) => {
    expect(() => execFileSync('bash', ['-n', path.join(REPO_ROOT, script)])).not.toThrow();
  });

  it('train-gpu.sh stops with exit 3 and says what to carry when CoNLL-2003 is missing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'train-gpu-'));
    const env = { ...process.env, OUT: path.join(dir, 'out'), WORK: path.join(dir, 'work'), CONLL_DIR: '', REQUIRE_CONLL: '1' };
    const r = spawnSync('bash', [path.join(REPO_ROOT, 'native-models/train-gpu.sh')], { encoding: 'utf8', env, cwd: dir, timeout: 20_000 });
    expect(r.status).toBe(3);
    expect(r.stdout + r.stderr).toContain('CoNLL-2003 not found: carry native-models/.cache/conll2003');
  });
});
