// Usage (from the repo root): node native-models/gliner_native/tok_parity.mjs <model_dir> <expected.json>
// expected.json: [[word, [ids...]], ...] produced by the Python side; prints mismatches.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
const [dir, expPath] = process.argv.slice(2);
const tj = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8'));
const tc = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8'));
const t = new Tokenizer(tj, tc);
const exp = JSON.parse(readFileSync(expPath, 'utf8'));
let bad = 0;
const examples = [];
for (const [w, ids] of exp) {
  const got = t.encode(w, { add_special_tokens: false }).ids;
  if (JSON.stringify(got) !== JSON.stringify(ids)) { bad++; if (examples.length < 40) examples.push([w, ids, got]); }
}
const full = t.encode('Microsoft', { add_special_tokens: true }).ids;
console.log(JSON.stringify({ total: exp.length, mismatches: bad, examples, withSpecials: full,
  ent: t.token_to_id('<<ENT>>'), sep: t.token_to_id('<<SEP>>'), entEnc: t.encode('<<ENT>>', { add_special_tokens: false }).ids }, null, 0));
