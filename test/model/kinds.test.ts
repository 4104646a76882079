// Choosing the model kind: from gliner_config.json as upstream's GLiNER._get_gliner_class chooses a
// class, then checked against the ONNX file's inputs. Unsupported kinds and mismatched exports are
// MODEL_UNSUPPORTED at start-up, naming what was found.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GlinerError } from '../../src/errors.js';
import { modelKind } from '../../src/inference/kinds/index.js';
import { kindOfConfig, parseGlinerConfig } from '../../src/model/gliner-config.js';
import { OnnxRunner } from '../../src/worker/onnx-runner.js';
import { EMBEDDED_MODEL } from '../support/paths.js';
import { kindModel } from '../support/kind-models.js';
import { startServer } from '../support/server.js';
import { skipNote, skipWithout } from '../support/tools.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A model directory with the embedded (span) ONNX file and tokenizer, and the given config changes. */
function modelDir(changes: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gliner-kind-'));
  dirs.push(dir);
  symlinkSync(path.join(EMBEDDED_MODEL, 'model.onnx'), path.join(dir, 'model.onnx'));
  copyFileSync(path.join(EMBEDDED_MODEL, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  const config = JSON.parse(readFileSync(path.join(EMBEDDED_MODEL, 'gliner_config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(dir, 'gliner_config.json'), JSON.stringify({ ...config, ...changes }));
  return dir;
}

describe('model kind', () => {
  it('follows upstream\'s order: relations, labels decoder, labels encoder, then span mode', () => {
    expect(kindOfConfig({})).toBe('UniEncoderSpan');
    expect(kindOfConfig({ span_mode: 'markerV0', labels_encoder: null })).toBe('UniEncoderSpan');
    expect(kindOfConfig({ span_mode: 'token_level' })).toBe('UniEncoderToken');
    expect(kindOfConfig({ labels_encoder: 'BAAI/bge-small-en-v1.5' })).toBe('BiEncoderSpan');
    expect(kindOfConfig({ span_mode: 'token_level', labels_encoder: 'x' })).toBe('BiEncoderToken');
    expect(kindOfConfig({ labels_encoder: 'x', labels_decoder: 'gpt2' })).toBe('UniEncoderSpanDecoder');
    expect(kindOfConfig({ span_mode: 'token_level', labels_decoder: 'gpt2', relations_layer: 'x' })).toBe('UniEncoderTokenRelex');
  });

  it('an unsupported kind is MODEL_UNSUPPORTED naming it', () => {
    const config = parseGlinerConfig({ span_mode: 'markerV0', relations_layer: 'biaffine' }, 'x/gliner_config.json');
    const error = (() => {
      try {
        modelKind(config, undefined, 'x/gliner_config.json');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(GlinerError);
    expect((error as GlinerError).code).toBe('MODEL_UNSUPPORTED');
    expect((error as GlinerError).message).toMatch(/x\/gliner_config.json: .*UniEncoderSpanRelex.*runs UniEncoderSpan, UniEncoderToken, BiEncoderSpan, BiEncoderToken/);
  });

  it('a config whose kind does not match the ONNX inputs is refused when the session opens, naming both', async () => {
    const dir = modelDir({ span_mode: 'token_level' });
    const load = OnnxRunner.load({ modelDir: dir, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false });
    await expect(load).rejects.toThrow(/UniEncoderToken GLiNER, whose ONNX inputs are input_ids, attention_mask, words_mask, text_lengths; the ONNX file's inputs are input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask/);
  });

  const bi = kindModel('random-bi-span');
  it.skipIf(skipWithout('bi-encoder without its label encoder', bi.needs))(`a bi-encoder without its label encoder (labels_encoder.onnx) is refused, saying what is missing${skipNote(bi.needs)}`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gliner-kind-'));
    dirs.push(dir);
    for (const file of ['model.onnx', 'tokenizer.json', 'gliner_config.json']) symlinkSync(path.join(bi.dir, file), path.join(dir, file));
    const load = OnnxRunner.load({ modelDir: dir, quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false });
    await expect(load).rejects.toThrow(/BiEncoderSpan GLiNER needs its label encoder as labels_encoder.onnx/);
  });

  it('the server refuses to start on an unsupported kind, and says why', async () => {
    const dir = modelDir({ labels_decoder: 'gpt2' });
    await expect(startServer({ env: { MODEL: dir, WORKERS: '1' }, timeoutMs: 30_000 })).rejects.toThrow(/UniEncoderSpanDecoder/);
  });
});
