// The random-weight models of the other GLiNER kinds (native-models/build-kinds.sh, git-ignored in
// native-models/.cache/). Built on first use when Debian's python3-torch and python3-onnx are there
// (about 10 s); otherwise the suites that need them skip with a note — except under CI=true, where
// .ci/run installs those packages and a missing model is a failure, never a skip.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './server.js';

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

/** The model directory, or why it is not available (only outside CI). */
export function kindModel(name: KindModel): { dir: string; skip?: undefined } | { dir?: undefined; skip: string } {
  const dir = path.join(ROOT, 'native-models/.cache', name);
  if (fresh(path.join(dir, 'model.onnx'))) return { dir };
  if (!pythonReady()) {
    const why = `${name} not built and /usr/bin/python3 lacks torch/onnx (apt-get install python3-torch python3-onnx, or run native-models/build-kinds.sh)`;
    if (process.env.CI === 'true') throw new Error(`CI: ${why}`);
    return { skip: why };
  }
  execFileSync(path.join(ROOT, 'native-models/build-kinds.sh'), { stdio: 'ignore', timeout: 300_000 });
  if (!fresh(path.join(dir, 'model.onnx'))) throw new Error(`native-models/build-kinds.sh did not build ${name}`);
  return { dir };
}
