// The extract request schema: its TypeBox shape, the checks beyond shape (each error names the field)
// and the limits (each names its configuration variable); and how a text becomes rows (one row up to
// the chunk size, then upstream's overlapping chunks).
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { GlinerError } from '../../src/errors.js';
import { checkExtractSchema, DEFAULT_EXTRACT_LIMITS, ExtractRequest, type ExtractSchema } from '../../src/inference/gliner2/schema.js';
import { planExtractText } from '../../src/worker/gliner2-tasks.js';

function errorOf(schema: ExtractSchema, limits = DEFAULT_EXTRACT_LIMITS): GlinerError {
  try {
    checkExtractSchema(schema, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(GlinerError);
    return error as GlinerError;
  }
  throw new Error('expected the schema to be refused');
}

describe('the extract request schema', () => {
  it('accepts its own example, every section at once', () => {
    const example = (ExtractRequest.examples as { schema: ExtractSchema }[])[0];
    expect(Value.Check(ExtractRequest, example)).toBe(true);
    expect(() => checkExtractSchema(example?.schema ?? {})).not.toThrow();
  });

  it('refuses the shapes upstream refuses: no section, one label, empty choices, an unknown dtype or field', () => {
    expect(Value.Check(ExtractRequest, { text: 'a', schema: { classifications: [{ task: 't', labels: ['only'] }] } })).toBe(false);
    expect(Value.Check(ExtractRequest, { text: 'a', schema: { structures: [{ name: 's', fields: [{ name: 'f', choices: [] }] }] } })).toBe(false);
    expect(Value.Check(ExtractRequest, { text: 'a', schema: { structures: [{ name: 's', fields: [{ name: 'f', dtype: 'int' }] }] } })).toBe(false);
    expect(Value.Check(ExtractRequest, { text: 'a', schema: { entities: ['x'], threshold: 0.5 } })).toBe(false);
    expect(errorOf({}).message).toBe('schema: needs at least one of entities, classifications, relations, structures');
  });

  it.each([
    [{ entities: ['person', 'person'] }, 'schema.entities[1]: duplicate entity type "person"'],
    [{ entities: ['person', { name: 'person', description: 'x' }] }, 'schema.entities[1]: duplicate entity type "person"'],
    [{ entities: ['  '] }, 'schema.entities[0]: must hold a non-space character'],
    [{ classifications: [{ task: 't', labels: ['a', 'b', 'a'] }] }, 'schema.classifications[0].labels[2]: duplicate label "a"'],
    [{ relations: ['works_for', 'works_for'] }, 'schema.relations[1]: duplicate relation "works_for"'],
    [{ structures: [{ name: 's', fields: [{ name: 'f' }, { name: 'f', dtype: 'str' }] }] }, 'schema.structures[0].fields[1]: duplicate field "f"'],
    [{ entities: ['a [E] b'] }, 'schema.entities[0]: must not contain [E], one of GLiNER2\'s prompt tokens'],
    [{ structures: [{ name: 's', fields: [{ name: 'f', choices: ['x', '[SEP_TEXT]'] }] }] }, 'schema.structures[0].fields[0].choices[1]: must not contain [SEP_TEXT], one of GLiNER2\'s prompt tokens'],
    [{ structures: [{ name: 'entities', fields: [{ name: 'f' }] }] }, 'schema.structures[0].name: "entities" is a key of the answer itself'],
    [{ relations: ['relation_extraction'] }, 'schema.relations[0]: "relation_extraction" is a key of the answer itself'],
    [
      { classifications: [{ task: 'topic', labels: ['a', 'b'] }], relations: ['topic'] },
      'schema.relations[0]: "topic" is already used by schema.classifications[0].task: structures, classifications and relations share the answer\'s keys',
    ],
  ] as [ExtractSchema, string][])('%#: %j → %s', (schema, message) => {
    const error = errorOf(schema);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(message);
  });

  it('each limit is refused as LIMIT_EXCEEDED naming its configuration variable', () => {
    const limits = { ...DEFAULT_EXTRACT_LIMITS, maxEntityTypes: 2, maxLabels: 2, maxFields: 1, maxChoices: 1, maxNameChars: 5, maxDescriptionChars: 3, maxSchemaItems: 4, maxRelations: 1, maxStructures: 1, maxClassifications: 1 };
    const cases: [ExtractSchema, string][] = [
      [{ entities: ['a', 'b', 'c'] }, 'EXTRACT_MAX_ENTITY_TYPES'],
      [{ classifications: [{ task: 't', labels: ['a', 'b', 'c'] }] }, 'EXTRACT_MAX_LABELS'],
      [{ classifications: [{ task: 't', labels: ['a', 'b'] }, { task: 'u', labels: ['a', 'b'] }] }, 'EXTRACT_MAX_CLASSIFICATIONS'],
      [{ relations: ['r', 's'] }, 'EXTRACT_MAX_RELATIONS'],
      [{ structures: [{ name: 's', fields: [{ name: 'f' }] }, { name: 't', fields: [{ name: 'f' }] }] }, 'EXTRACT_MAX_STRUCTURES'],
      [{ structures: [{ name: 's', fields: [{ name: 'f' }, { name: 'g' }] }] }, 'EXTRACT_MAX_FIELDS'],
      [{ structures: [{ name: 's', fields: [{ name: 'f', choices: ['x', 'y'] }] }] }, 'EXTRACT_MAX_CHOICES'],
      [{ entities: ['abcdef'] }, 'MAX_LABEL_CHARS'],
      [{ entities: [{ name: 'a', description: 'abcd' }] }, 'EXTRACT_MAX_DESCRIPTION_CHARS'],
      [{ entities: ['a', 'b'], relations: ['r'], structures: [{ name: 's', fields: [{ name: 'f' }] }] }, 'EXTRACT_MAX_SCHEMA_ITEMS'],
    ];
    for (const [schema, variable] of cases) {
      const error = errorOf(schema, limits);
      expect(error.code, variable).toBe('LIMIT_EXCEEDED');
      expect(error.message, variable).toContain(variable);
    }
  });
});

describe('extract rows: one per text up to the chunk size, then upstream\'s chunks', () => {
  const chunking = { chunkWords: 4, overlapWords: 1 };

  it('a text of at most chunkWords words is one row: the whole text, leading spaces and all', () => {
    const plan = planExtractText('  one two, three', chunking);
    expect(plan.long).toBe(false);
    expect(plan.chunks).toEqual([{ utf16Start: 0, utf16End: 16, startChar: 0, endChar: 16, startWord: 0, endWord: 4 }]);
  });

  it('a longer one is split into windows of chunkWords words advancing by chunkWords − overlap, offsets in code points', () => {
    const text = '🎉 a b c d e f';
    const plan = planExtractText(text, chunking);
    expect(plan.long).toBe(true);
    expect(plan.chunks.map((c) => [text.slice(c.utf16Start, c.utf16End), c.startChar, c.startWord, c.endWord])).toEqual([
      ['🎉 a b c', 0, 0, 4],
      ['c d e f', 6, 3, 7],
    ]);
  });
});
