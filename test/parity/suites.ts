// The three model-level parity suites as data: which fixture, which model directory, which groups.
// The tests (parity, token-model, bi-model) and the tolerance measurement (tolerance/measure.ts) open
// their runners here, so both run exactly the same model files with the same session settings.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SessionSettings } from '../../src/model/session.js';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { EMBEDDED_MODEL, ROOT } from '../support/paths.js';
import type { PyGroup } from './adapter.js';

export type SuiteName = 'span' | 'token' | 'bi';

/** The session settings the parity tests use: CPU, one thread each, every graph optimisation. */
export const PARITY_SESSION: Omit<SessionSettings, 'cudaDeviceId'> & { cudaDeviceId: number } = {
  executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false,
};

interface Fixture { upstream: { commit: string }; model?: string; groups: (PyGroup & { deviation?: string | null })[] }

interface SuiteSpec {
  readonly fixture: string;
  /** Files of the model directory, symlinked from the repo; the embedded model's tokenizer beside them. */
  readonly files?: { readonly from: string; readonly names: readonly string[] };
}

const SPECS: Record<SuiteName, SuiteSpec> = {
  span: { fixture: 'test/fixtures/gliner-parity.json' },
  token: { fixture: 'test/fixtures/token-model-parity.json', files: { from: 'test/fixtures/token-micro', names: ['model.onnx', 'gliner_config.json'] } },
  bi: { fixture: 'test/fixtures/bi-model-parity.json', files: { from: 'test/fixtures/bi-span-micro', names: ['model.onnx', 'labels_encoder.onnx', 'gliner_config.json'] } },
};

export function readFixture<T = Fixture>(suite: SuiteName): T {
  return JSON.parse(readFileSync(path.join(ROOT, SPECS[suite].fixture), 'utf8')) as T;
}

/** Groups compared as they are (no deliberate deviation, or per-row labels, where each text equals Python alone). */
export function plainGroups(suite: SuiteName): PyGroup[] {
  return readFixture(suite).groups.filter((g) => g.deviation === undefined || g.deviation === null || g.deviation === 'per-row-labels');
}

export interface OpenSuite { readonly runner: OnnxRunner; close(): Promise<void> }

/** Open the suite's model with the parity settings, overridden by `settings`. */
export async function openSuite(suite: SuiteName, settings: Partial<SessionSettings> = {}): Promise<OpenSuite> {
  const spec = SPECS[suite];
  let dir: string | undefined;
  let modelDir = path.join(ROOT, readFixture(suite).model ?? '');
  if (spec.files !== undefined) {
    dir = mkdtempSync(path.join(tmpdir(), `gliner-parity-${suite}-`));
    for (const file of spec.files.names) symlinkSync(path.join(ROOT, spec.files.from, file), path.join(dir, file));
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(path.join(EMBEDDED_MODEL, file), path.join(dir, file));
    modelDir = dir;
  }
  const runner = await OnnxRunner.load({ modelDir, quantization: 'auto', ...PARITY_SESSION, ...settings });
  return {
    runner,
    async close() {
      await runner.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
