// The request schema of schema-based extraction (GLiNER2), as TypeBox, and its checks beyond shape:
// the body of `POST /api/v1/extract` (wired by the HTTP layer; nothing here depends on it) and of
// the worker's extract rows. It mirrors upstream's schema builder (fastino-ai/GLiNER2 a91fd1d,
// inference/schema.py Schema) and its JSON validator (inference/schema_model.py SchemaInput):
//
//   entities         names, each optionally with a description        Schema.entities
//   classifications  task, labels (≥ 2), multi_label, cls_threshold   Schema.classification
//   relations        names                                             Schema.relations
//   structures       name, fields: name, dtype str|list, choices, description   Schema.structure().field()
//
// Lists, not objects keyed by name: the order is part of the prompt, and a JSON object's key order
// does not survive every parser (JS puts keys such as "2024" first). The rules upstream's validator
// applies hold (non-blank unique names, ≥ 2 unique labels, non-empty choices, at least one
// section); on top, names that would collide in the answer or carry GLiNER2's own prompt tokens are
// refused, where upstream silently overwrites or misreads them (docs/gliner2.md, "Deviations").
import { Type, type Static } from '@sinclair/typebox';
import { GlinerError } from '../../errors.js';

const Name = Type.String({ minLength: 1, description: 'Passed to the model verbatim; must hold a non-space character.' });
const Description = Type.String({ description: 'Natural-language hint added to the prompt ("[DESCRIPTION] name: description").' });
const Threshold = Type.Number({ minimum: 0, maximum: 1 });

export const EntitySpec = Type.Union([Name, Type.Object({ name: Name, description: Type.Optional(Description) }, { additionalProperties: false })], {
  description: 'An entity type: its name, or {name, description}.',
});

export const ClassificationSpec = Type.Object(
  {
    task: Name,
    labels: Type.Array(Name, { minItems: 2, description: 'The labels to choose from (at least two, unique).' }),
    multi_label: Type.Optional(Type.Boolean({ default: false, description: 'Independent sigmoid per label (all labels at or above cls_threshold; the best one if none) instead of one softmax choice.' })),
    cls_threshold: Type.Optional({ ...Threshold, default: 0.5, description: 'Multi-label only: keep labels whose probability is at least this.' }),
  },
  { additionalProperties: false },
);

export const FieldSpec = Type.Object(
  {
    name: Name,
    dtype: Type.Optional(Type.Union([Type.Literal('str'), Type.Literal('list')], { default: 'list', description: '"str": one value (or null); "list": every value found.' })),
    choices: Type.Optional(Type.Array(Name, { minItems: 1, description: 'The value is one (str) or several (list) of these, not a span of the text.' })),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

export const StructureSpec = Type.Object(
  { name: Name, fields: Type.Array(FieldSpec, { minItems: 1 }) },
  { additionalProperties: false, description: 'A record type: the answer lists each instance found, field by field.' },
);

export const ExtractSchema = Type.Object(
  {
    entities: Type.Optional(Type.Array(EntitySpec, { minItems: 1 })),
    classifications: Type.Optional(Type.Array(ClassificationSpec, { minItems: 1 })),
    relations: Type.Optional(Type.Array(Name, { minItems: 1, description: 'Relation types; each answer is a (head, tail) pair.' })),
    structures: Type.Optional(Type.Array(StructureSpec, { minItems: 1 })),
  },
  { additionalProperties: false, description: 'What to extract: at least one of the four sections.' },
);
export type ExtractSchema = Static<typeof ExtractSchema>;
export type EntitySpec = Static<typeof EntitySpec>;
export type FieldSpec = Static<typeof FieldSpec>;

/** The options of upstream's `extract` (same names and defaults). */
export const ExtractOptions = {
  threshold: Type.Optional({ ...Threshold, default: 0.5, description: 'Spans (entities, relation arguments, structure fields) whose probability is at least this.' }),
  include_confidence: Type.Optional(Type.Boolean({ default: false, description: 'Answer {text, confidence} (and {label, confidence}) instead of bare strings.' })),
  include_spans: Type.Optional(Type.Boolean({ default: false, description: 'Add start and end (Unicode code points, end exclusive) to every span.' })),
};

export const ExtractRequest = Type.Object(
  { text: Type.String({ description: 'The text. Offsets count Unicode code points.' }), schema: ExtractSchema, ...ExtractOptions },
  {
    additionalProperties: false,
    examples: [{
      text: 'Apple CEO Tim Cook unveiled the iPhone 15 Pro for $999 in Cupertino.',
      schema: {
        entities: ['person', { name: 'company', description: 'Organizations and businesses' }, 'product', 'location'],
        classifications: [{ task: 'sentiment', labels: ['positive', 'negative', 'neutral'] }],
        relations: ['works_for'],
        structures: [{ name: 'product_info', fields: [{ name: 'name', dtype: 'str' }, { name: 'price', dtype: 'str' }, { name: 'availability', dtype: 'str', choices: ['in_stock', 'pre_order'] }] }],
      },
    }],
  },
);
export type ExtractRequest = Static<typeof ExtractRequest>;

/** Size limits of one schema; the environment names are the configuration's (docs/gliner2.md). */
export interface ExtractLimits {
  /** EXTRACT_MAX_ENTITY_TYPES */
  readonly maxEntityTypes: number;
  /** EXTRACT_MAX_CLASSIFICATIONS */
  readonly maxClassifications: number;
  /** EXTRACT_MAX_LABELS: labels of one classification. */
  readonly maxLabels: number;
  /** EXTRACT_MAX_RELATIONS */
  readonly maxRelations: number;
  /** EXTRACT_MAX_STRUCTURES */
  readonly maxStructures: number;
  /** EXTRACT_MAX_FIELDS: fields of one structure. */
  readonly maxFields: number;
  /** EXTRACT_MAX_CHOICES: choices of one field. */
  readonly maxChoices: number;
  /** EXTRACT_MAX_SCHEMA_ITEMS: entity types + labels + 2 per relation + fields + choices, all sections. */
  readonly maxSchemaItems: number;
  /** MAX_LABEL_CHARS (shared with /predict): any name, label or choice. */
  readonly maxNameChars: number;
  /** EXTRACT_MAX_DESCRIPTION_CHARS */
  readonly maxDescriptionChars: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = Object.freeze({
  maxEntityTypes: 50,
  maxClassifications: 10,
  maxLabels: 50,
  maxRelations: 20,
  maxStructures: 10,
  maxFields: 20,
  maxChoices: 20,
  maxSchemaItems: 200,
  maxNameChars: 100,
  maxDescriptionChars: 500,
});

/** GLiNER2's prompt tokens (processor.py SchemaTransformer.SPECIAL_TOKENS). */
export const SPECIAL_TOKENS = ['[SEP_STRUCT]', '[SEP_TEXT]', '[P]', '[C]', '[E]', '[R]', '[L]', '[EXAMPLE]', '[OUTPUT]', '[DESCRIPTION]'] as const;

/** Names a section may not use: the answer's own keys. */
const RESERVED = new Set(['entities', 'relation_extraction']);

function invalid(path: string, problem: string): never {
  throw new GlinerError('VALIDATION_FAILED', `${path}: ${problem}`);
}

function overLimit(path: string, count: number, limit: number, name: string): void {
  if (count > limit) throw new GlinerError('LIMIT_EXCEEDED', `${path}: ${count} items, more than ${name} (${limit}).`);
}

/** The entity's name and description (an empty description counts as none). */
export function entityParts(entity: EntitySpec): { name: string; description?: string } {
  if (typeof entity === 'string') return { name: entity };
  return entity.description === undefined || entity.description === '' ? { name: entity.name } : { name: entity.name, description: entity.description };
}

function checkName(path: string, name: string, limits: ExtractLimits): void {
  if (name.trim() === '') invalid(path, 'must hold a non-space character');
  if (name.length > limits.maxNameChars) throw new GlinerError('LIMIT_EXCEEDED', `${path}: ${name.length} characters, more than MAX_LABEL_CHARS (${limits.maxNameChars}).`);
  const token = SPECIAL_TOKENS.find((t) => name.includes(t));
  if (token !== undefined) invalid(path, `must not contain ${token}, one of GLiNER2's prompt tokens`);
}

function checkDescription(path: string, description: string | undefined, limits: ExtractLimits): void {
  if (description !== undefined && description.length > limits.maxDescriptionChars) {
    throw new GlinerError('LIMIT_EXCEEDED', `${path}: ${description.length} characters, more than EXTRACT_MAX_DESCRIPTION_CHARS (${limits.maxDescriptionChars}).`);
  }
}

function unique(path: string, names: readonly string[], what: string): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) invalid(`${path}[${i}]`, `duplicate ${what} ${JSON.stringify(name)}`);
    seen.add(name);
  });
}

/**
 * The checks TypeBox cannot express, for a schema that already has the shape above; throws
 * VALIDATION_FAILED or LIMIT_EXCEEDED naming the field (`schema.structures[1].fields[0].name`).
 */
export function checkExtractSchema(schema: ExtractSchema, limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS, at = 'schema'): void {
  const { entities, classifications, relations, structures } = schema;
  if (entities === undefined && classifications === undefined && relations === undefined && structures === undefined) {
    invalid(at, 'needs at least one of entities, classifications, relations, structures');
  }
  let items = 0;
  const sectionNames: [string, string][] = [];
  if (entities !== undefined) {
    overLimit(`${at}.entities`, entities.length, limits.maxEntityTypes, 'EXTRACT_MAX_ENTITY_TYPES');
    const parts = entities.map(entityParts);
    parts.forEach((p, i) => {
      checkName(`${at}.entities[${i}]`, p.name, limits);
      checkDescription(`${at}.entities[${i}].description`, p.description, limits);
    });
    unique(`${at}.entities`, parts.map((p) => p.name), 'entity type');
    items += entities.length;
  }
  if (classifications !== undefined) {
    overLimit(`${at}.classifications`, classifications.length, limits.maxClassifications, 'EXTRACT_MAX_CLASSIFICATIONS');
    classifications.forEach((c, i) => {
      const path = `${at}.classifications[${i}]`;
      checkName(`${path}.task`, c.task, limits);
      overLimit(`${path}.labels`, c.labels.length, limits.maxLabels, 'EXTRACT_MAX_LABELS');
      c.labels.forEach((label, j) => checkName(`${path}.labels[${j}]`, label, limits));
      unique(`${path}.labels`, c.labels, 'label');
      sectionNames.push([`${path}.task`, c.task]);
      items += c.labels.length;
    });
  }
  if (relations !== undefined) {
    overLimit(`${at}.relations`, relations.length, limits.maxRelations, 'EXTRACT_MAX_RELATIONS');
    relations.forEach((name, i) => {
      checkName(`${at}.relations[${i}]`, name, limits);
      sectionNames.push([`${at}.relations[${i}]`, name]);
    });
    unique(`${at}.relations`, relations, 'relation');
    items += 2 * relations.length;
  }
  if (structures !== undefined) {
    overLimit(`${at}.structures`, structures.length, limits.maxStructures, 'EXTRACT_MAX_STRUCTURES');
    structures.forEach((s, i) => {
      const path = `${at}.structures[${i}]`;
      checkName(`${path}.name`, s.name, limits);
      sectionNames.push([`${path}.name`, s.name]);
      overLimit(`${path}.fields`, s.fields.length, limits.maxFields, 'EXTRACT_MAX_FIELDS');
      s.fields.forEach((f, j) => {
        checkName(`${path}.fields[${j}].name`, f.name, limits);
        checkDescription(`${path}.fields[${j}].description`, f.description, limits);
        if (f.choices !== undefined) {
          overLimit(`${path}.fields[${j}].choices`, f.choices.length, limits.maxChoices, 'EXTRACT_MAX_CHOICES');
          f.choices.forEach((choice, k) => checkName(`${path}.fields[${j}].choices[${k}]`, choice, limits));
          items += f.choices.length;
        }
      });
      unique(`${path}.fields`, s.fields.map((f) => f.name), 'field');
      items += s.fields.length;
    });
  }
  // Structures, classifications and relations are keys of the same answer object.
  const seen = new Map<string, string>();
  for (const [path, name] of sectionNames) {
    if (RESERVED.has(name)) invalid(path, `${JSON.stringify(name)} is a key of the answer itself`);
    const other = seen.get(name);
    if (other !== undefined) invalid(path, `${JSON.stringify(name)} is already used by ${other}: structures, classifications and relations share the answer's keys`);
    seen.set(name, path);
  }
  if (items > limits.maxSchemaItems) {
    throw new GlinerError('LIMIT_EXCEEDED', `${at}: ${items} items (entity types + labels + 2 per relation + fields + choices), more than EXTRACT_MAX_SCHEMA_ITEMS (${limits.maxSchemaItems}).`);
  }
}
