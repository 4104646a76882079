// The committed micro relation-extraction models (test/fixtures/relex-span-micro, relex-token-micro:
// model.onnx + relex_entities.onnx + relex_pairs.onnx + gliner_config.json, written by
// native-models/export_relex.py) as servable model directories. Their tokenizer is the embedded
// model's with upstream's relation marker added after <<SEP>> (<<REL>> = 8004), built here rather than
// committed twice (test/parity/relex_micro.py gives the checkpoints the same file).
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMBEDDED_MODEL, FIXTURES } from './paths.js';

export type RelexMicro = 'span' | 'token';

interface AddedToken { id: number; content: string }

/** The embedded tokenizer.json with <<REL>> added as token 8004. */
export function relexTokenizerJson(): unknown {
  const tokenizer = JSON.parse(readFileSync(path.join(EMBEDDED_MODEL, 'tokenizer.json'), 'utf8')) as { added_tokens: AddedToken[] };
  const last = tokenizer.added_tokens.at(-1);
  if (last?.content !== '<<SEP>>' || last.id !== 8003) throw new Error('the embedded tokenizer no longer ends with <<SEP>> = 8003');
  tokenizer.added_tokens.push({ ...last, id: 8004, content: '<<REL>>' });
  return tokenizer;
}

/** A temporary model directory for the micro model; `remove()` deletes it. */
export function relexMicroDir(kind: RelexMicro): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `gliner-relex-${kind}-`));
  const source = path.join(FIXTURES, `relex-${kind}-micro`);
  for (const file of ['model.onnx', 'relex_entities.onnx', 'relex_pairs.onnx', 'gliner_config.json']) symlinkSync(path.join(source, file), path.join(dir, file));
  symlinkSync(path.join(EMBEDDED_MODEL, 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(relexTokenizerJson()));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
