// The random-weight models of the other GLiNER kinds (native-models/build-kinds.sh, git-ignored in
// native-models/.cache/). Built on first use when Debian's python3-torch and python3-onnx are there
// (about 10 s); otherwise they are a missing tool for the one skip policy (test/support/tools.ts):
// the suites skip with a note on a developer machine and fail under CI (where .ci/run installs them).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './server.js';
import type { ToolNeed } from './tools.js';

export type KindModel = 'random-token' | 'random-bi-span' | 'random-bi-token';

const SOURCES = ['native-models/gliner_native/kinds.py', 'native-models/gliner_native/make_kinds.py', 'native-models/build-kinds.sh'];

function fresh(onnx: string): boolean {
  if (!existsSync(onnx)) return false;
  const built = statSync(onnx).mtimeMs;
  return SOURCES.every((file) => statSync(path.join(ROOT, file)).mtimeMs <= built);
}

function pythonReady(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The model's directory, built now if it is stale and Python can build it, and what it needs when it cannot be. */
export function kindModel(name: KindModel): { dir: string; needs: ToolNeed[] } {
  const dir = path.join(ROOT, 'native-models/.cache', name);
  const onnx = path.join(dir, 'model.onnx');
  if (!fresh(onnx) && pythonReady()) {
    execFileSync(path.join(ROOT, 'native-models/build-kinds.sh'), { stdio: 'ignore', timeout: 300_000 });
    if (!fresh(onnx)) throw new Error(`native-models/build-kinds.sh did not build ${name}`);
  }
  const tool = `native-models/.cache/${name} (built by native-models/build-kinds.sh with /usr/bin/python3, torch and onnx)`;
  return { dir, needs: [{ tool, present: fresh(onnx), install: 'apt-get install python3-torch python3-onnx, or run native-models/build-kinds.sh' }] };
}
