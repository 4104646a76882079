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
import { relexMicroDir } from '../support/relex-micro.js';
import { startServer } from '../support/server.js';
import { skipNote, skipWithout } from '../support/tools.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CPU = { quantization: 'auto', executionProvider: 'cpu', cudaFallback: 'fail', cudaDeviceId: 0, intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', intraOpSpinning: false } as const;

function thrown(fn: () => unknown): GlinerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GlinerError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

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
    const config = parseGlinerConfig({ span_mode: 'markerV0', labels_decoder: 'gpt2' }, 'x/gliner_config.json');
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
    expect((error as GlinerError).message).toMatch(/x\/gliner_config.json: .*UniEncoderSpanDecoder.*runs UniEncoderSpan, UniEncoderToken, BiEncoderSpan, BiEncoderToken, UniEncoderSpanRelex, UniEncoderTokenRelex/);
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

  describe('relation extraction (relations_layer set)', () => {
    const span = parseGlinerConfig({ span_mode: 'markerV0', relations_layer: 'dot' }, 'x/gliner_config.json');
    const textInputs = ['input_ids', 'attention_mask', 'words_mask', 'text_lengths', 'span_idx', 'span_mask'];

    it('is a kind of its own, span or token, as upstream chooses the class', () => {
      expect(modelKind(span).name).toBe('UniEncoderSpanRelex');
      expect(modelKind(parseGlinerConfig({ span_mode: 'token_level', relations_layer: 'none' }, 'x')).name).toBe('UniEncoderTokenRelex');
    });

    it('refuses upstream\'s own relex export, saying why and what to use instead', () => {
      const error = thrown(() => modelKind(span, textInputs, 'x/model.onnx', ['logits', 'rel_idx', 'rel_logits', 'rel_mask']));
      expect(error.code).toBe('MODEL_UNSUPPORTED');
      expect(error.message).toMatch(/upstream GLiNER's own relation-extraction export .*fixes the number of entities.*native-models\/export_relex.py/);
    });

    it('refuses a model file without the relation head\'s inputs, naming the missing outputs', () => {
      const error = thrown(() => modelKind(span, textInputs, 'x/model.onnx', ['logits']));
      expect(error.message).toMatch(/UniEncoderSpanRelex GLiNER's ONNX file must have the outputs logits, words_embedding, relation_embeddings; it lacks words_embedding, relation_embeddings/);
    });

    it('loads the exported micro model, and refuses it without its relation head graphs', async () => {
      const micro = relexMicroDir('span');
      dirs.push(micro.dir);
      const runner = await OnnxRunner.load({ modelDir: micro.dir, ...CPU });
      expect(runner.kind.name).toBe('UniEncoderSpanRelex');
      await runner.close();
      rmSync(path.join(micro.dir, 'relex_pairs.onnx'));
      await expect(OnnxRunner.load({ modelDir: micro.dir, ...CPU })).rejects.toThrow(/UniEncoderSpanRelex GLiNER needs its relation head as relex_entities.onnx and relex_pairs.onnx/);
    });

    it('refuses a head whose adjacency does not match the config\'s relations_layer', async () => {
      const micro = relexMicroDir('span');
      dirs.push(micro.dir);
      const configPath = path.join(micro.dir, 'gliner_config.json');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      rmSync(configPath);
      writeFileSync(configPath, JSON.stringify({ ...config, relations_layer: 'none' }));
      await expect(OnnxRunner.load({ modelDir: micro.dir, ...CPU })).rejects.toThrow(/relations_layer is "none" but relex_entities.onnx has adjacency output/);
    });
  });
});
