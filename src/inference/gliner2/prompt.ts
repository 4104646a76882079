// A GLiNER2 prompt: a request schema compiled into upstream's tasks, and one row (a text or a chunk
// of one) encoded as the model's input ids, with the positions our graphs read. Follows
// fastino-ai/GLiNER2 a91fd1d, processor.py SchemaTransformer (_collate_batch, _transform_record,
// _build_classification_prefix, _infer_from_json and the _process_* steps, _transform_schema,
// _format_input_with_mapping) at inference:
//
//   tasks, in this order: each structure, the entities, each relation, each classification;
//   a task's tokens:  ( [P] prompt ( [C]|[E]|[R]|[L] name … ) )
//   prompt: the task's name, then " [DESCRIPTION] name: description" per described field/entity
//   input:  task1 [SEP_STRUCT] task2 … [SEP_TEXT] prefix words
//   prefix: for structures with choice fields, ( struct: field ( c1 | c2 ) , field2 ( … ) ) as words
//
// Every token is tokenised on its own (no [CLS]/[SEP]); text words lower-cased. A text not ending in
// . ! or ? gets a "." appended (an empty one becomes "."), as upstream does before anything else.
// Deviation (documented): a structure's fields are prompted in declaration order; upstream iterates
// a set(), an order that changes with PYTHONHASHSEED.
import { PieceCache } from '../prompt.js';
import type { HfTokenizer } from '../tokenizer.js';
import { entityParts, SPECIAL_TOKENS, type ExtractSchema } from './schema.js';
import { lowered, splitGliner2Words, type Gliner2Word } from './words.js';

export interface FieldInfo {
  readonly name: string;
  readonly dtype: 'str' | 'list';
  readonly choices?: readonly string[];
}

export type CompiledTask =
  | { readonly kind: 'structure'; readonly name: string; readonly fields: readonly FieldInfo[]; readonly tokens: readonly string[] }
  | { readonly kind: 'entities'; readonly names: readonly string[]; readonly tokens: readonly string[] }
  | { readonly kind: 'relation'; readonly name: string; readonly tokens: readonly string[] }
  | { readonly kind: 'classification'; readonly name: string; readonly labels: readonly string[]; readonly multiLabel: boolean; readonly threshold: number; readonly tokens: readonly string[] };

export interface CompiledSchema {
  readonly tasks: readonly CompiledTask[];
  /** Words prepended to the text for choice fields (their scores are read at these positions). */
  readonly prefix: readonly string[];
}

/** The schema tokens of one task: ( [P] prompt ( marker field … ) ). */
function taskTokens(prompt: string, marker: string, fields: readonly string[], descriptions: readonly (readonly [string, string])[]): string[] {
  let text = prompt;
  for (const [name, description] of descriptions) text += ` [DESCRIPTION] ${name}: ${description}`;
  return ['(', '[P]', text, '(', ...fields.flatMap((f) => [marker, f]), ')', ')'];
}

/** The request schema as upstream's processor sees it at inference. */
export function compileSchema(schema: ExtractSchema): CompiledSchema {
  const tasks: CompiledTask[] = [];
  const prefix: string[] = [];
  for (const s of schema.structures ?? []) {
    const fields = s.fields.map((f): FieldInfo => ({ name: f.name, dtype: f.dtype ?? 'list', ...(f.choices === undefined ? {} : { choices: f.choices }) }));
    // StructureBuilder.field keeps only non-empty descriptions.
    const described = s.fields.filter((f) => f.description !== undefined && f.description !== '').map((f) => [f.name, f.description as string] as const);
    tasks.push({ kind: 'structure', name: s.name, fields, tokens: taskTokens(s.name, '[C]', fields.map((f) => f.name), described) });
    const inner = s.fields.filter((f) => f.choices !== undefined).flatMap((f) => [f.name, '(', ...(f.choices ?? []).flatMap((c, i) => (i > 0 ? ['|', c] : [c])), ')', ',']);
    if (inner.length > 0) prefix.push('(', `${s.name}:`, ...inner.slice(0, -1), ')');
  }
  if (schema.entities !== undefined) {
    const parts = schema.entities.map(entityParts);
    const names = parts.map((p) => p.name);
    // Upstream's dict form {name: description}: once any entity has a description, every entity is
    // prompted with one ("" for the others).
    const described = parts.some((p) => p.description !== undefined) ? parts.map((p) => [p.name, p.description ?? ''] as const) : [];
    tasks.push({ kind: 'entities', names, tokens: taskTokens('entities', '[E]', names, described) });
  }
  for (const name of schema.relations ?? []) tasks.push({ kind: 'relation', name, tokens: taskTokens(name, '[R]', ['head', 'tail'], []) });
  for (const c of schema.classifications ?? []) {
    tasks.push({ kind: 'classification', name: c.task, labels: c.labels, multiLabel: c.multi_label ?? false, threshold: c.cls_threshold ?? 0.5, tokens: taskTokens(c.task, '[L]', c.labels, []) });
  }
  return { tasks, prefix };
}

/** Upstream's text before splitting: "." appended unless it ends in . ! or ?; "" becomes ".". */
export function promptText(text: string): string {
  return /[.!?]$/u.test(text) ? text : `${text}.`;
}

export interface EncodedGliner2Row {
  /** The text the offsets refer to (promptText of the row's text). */
  readonly text: string;
  /** The text's words (after `maxWords`), offsets into `text`. */
  readonly words: readonly Gliner2Word[];
  readonly inputIds: readonly number[];
  /** For each word of the text segment (prefix words first), its first sub-token position. */
  readonly wordPositions: readonly number[];
  /** Per task: the positions of its [P] marker then of each field/label marker. */
  readonly markers: readonly (readonly number[])[];
  /** Words of the choice prefix (the first `prefixLength` entries of `wordPositions`). */
  readonly prefixLength: number;
  /** The prefix words, as upstream compares choices against them. */
  readonly prefix: readonly string[];
}

/** Marker ids (the first sub-token of a schema token that starts a task or a field). */
export interface Gliner2Ids {
  readonly sepStruct: number;
  readonly sepText: number;
  readonly markers: ReadonlySet<number>;
}

const MARKERS = ['[P]', '[C]', '[E]', '[R]', '[L]'];

/** Tokenises prompt items one at a time, cached (words repeat a lot), and encodes rows. */
export class Gliner2PromptEncoder {
  private readonly items: PieceCache;
  readonly ids: Gliner2Ids;

  constructor(tokenizer: HfTokenizer) {
    const id = (token: string): number => {
      const value = tokenizer.token_to_id(token);
      if (value === undefined) throw new Error(`tokenizer.json has no token ${token}: not a GLiNER2 tokenizer`);
      return value;
    };
    for (const token of SPECIAL_TOKENS) id(token);
    this.ids = { sepStruct: id('[SEP_STRUCT]'), sepText: id('[SEP_TEXT]'), markers: new Set(MARKERS.map(id)) };
    this.items = new PieceCache(tokenizer);
  }

  /** Sub-token ids of one prompt item, as upstream's tokenizer.tokenize then convert_tokens_to_ids. */
  pieces(item: string): readonly number[] {
    return this.items.pieces(item);
  }

  /**
   * One row: the schema's tasks, then the text. `maxWords` keeps the first words only, as
   * upstream's max_len (its long-text path passes the chunk size).
   */
  encode(schema: CompiledSchema, rawText: string, maxWords?: number): EncodedGliner2Row {
    const text = promptText(rawText);
    const all = splitGliner2Words(text);
    const words = maxWords === undefined ? all : all.slice(0, maxWords);
    const inputIds: number[] = [];
    const markers: number[][] = [];
    schema.tasks.forEach((task, t) => {
      if (t > 0) inputIds.push(this.ids.sepStruct);
      const own: number[] = [];
      for (const token of task.tokens) {
        const pieces = this.pieces(token);
        if (pieces.length > 0 && this.ids.markers.has(pieces[0] as number)) own.push(inputIds.length);
        for (const id of pieces) inputIds.push(id);
      }
      markers.push(own);
    });
    inputIds.push(this.ids.sepText);
    const wordPositions: number[] = [];
    const textItems = [...schema.prefix, ...words.map(lowered)];
    for (const item of textItems) {
      // A word with no sub-token keeps its place at the next boundary, as upstream's placeholder.
      wordPositions.push(inputIds.length);
      for (const id of this.pieces(item)) inputIds.push(id);
    }
    return { text, words, inputIds, wordPositions, markers, prefixLength: schema.prefix.length, prefix: schema.prefix };
  }
}
