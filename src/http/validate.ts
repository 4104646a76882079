// Body parsing and validation: JSON → typed request, or a 400 naming the offending field in plain
// words ("Field "labels" must not be empty."), never the schema library's own text.
import { TypeCompiler, ValueErrorType, type TypeCheck, type ValueError } from '@sinclair/typebox/compiler';
import type { TSchema, Static } from '@sinclair/typebox';
import { GlinerError } from '../errors.js';

export interface Validator<T extends TSchema> {
  parse(body: Buffer): Static<T>;
  check(value: unknown): Static<T>;
}

function fieldName(path: string): string {
  return path === '' ? 'body' : path.slice(1).replace(/\//g, '.');
}

type SchemaFacts = { type?: string; items?: SchemaFacts; anyOf?: SchemaFacts[]; minItems?: number; maxItems?: number; minLength?: number; maxLength?: number; minimum?: number; maximum?: number; const?: unknown };

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "a string", "an array of strings", "a string or a number": what a schema accepts, in words. */
function kind(schema: SchemaFacts): string {
  if (schema.anyOf !== undefined) return schema.anyOf.map(kind).join(' or ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'integer': return 'an integer';
    case 'boolean': return 'true or false';
    case 'object': return 'a JSON object';
    case 'array': return schema.items?.type === 'string' ? 'an array of strings' : 'an array';
    default: return schema.const === undefined ? 'a valid value' : JSON.stringify(schema.const);
  }
}

/** What is wrong, as the end of "Field "x" …" (or "The request body …"). */
export function problem(error: ValueError): string {
  const s = error.schema as SchemaFacts;
  const range = s.minimum !== undefined && s.maximum !== undefined ? `must be between ${s.minimum} and ${s.maximum}` : undefined;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty: return 'is required';
    case ValueErrorType.ArrayMinItems: return s.minItems === 1 ? 'must not be empty' : `must have at least ${plural(s.minItems ?? 0, 'item')}`;
    case ValueErrorType.ArrayMaxItems: return `must have at most ${plural(s.maxItems ?? 0, 'item')}`;
    case ValueErrorType.StringMinLength: return s.minLength === 1 ? 'must not be empty' : `must have at least ${plural(s.minLength ?? 0, 'character')}`;
    case ValueErrorType.StringMaxLength: return `must have at most ${plural(s.maxLength ?? 0, 'character')}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum: return range ?? `must be at least ${s.minimum}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum: return range ?? `must be at most ${s.maximum}`;
    case ValueErrorType.Union:
    case ValueErrorType.Literal:
    case ValueErrorType.String:
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
    case ValueErrorType.Boolean:
    case ValueErrorType.Array:
    case ValueErrorType.Object: return `must be ${kind(s)} (got ${describeValue(error.value)})`;
    default: return `is not valid (${error.message.toLowerCase()})`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value === 'boolean' ? String(value) : typeof value;
}

export function validator<T extends TSchema>(schema: T): Validator<T> {
  const compiled: TypeCheck<T> = TypeCompiler.Compile(schema);
  const check = (value: unknown): Static<T> => {
    if (compiled.Check(value)) return value;
    const first = compiled.Errors(value).First();
    if (first === undefined) throw new GlinerError('VALIDATION_FAILED', 'The request body does not match the schema.');
    const field = fieldName(first.path);
    if (first.type === ValueErrorType.ObjectAdditionalProperties) throw new GlinerError('VALIDATION_FAILED', `Unknown field "${field}".`);
    // An additionalProperties error that points at the object: name the unknown key instead.
    if (first.schema.additionalProperties === false && typeof first.value === 'object' && first.value !== null && !Array.isArray(first.value)) {
      const known = Object.keys((first.schema as { properties?: object }).properties ?? {});
      const unknown = Object.keys(first.value).find((key) => !known.includes(key));
      if (unknown !== undefined) throw new GlinerError('VALIDATION_FAILED', `Unknown field "${field === 'body' ? unknown : `${field}.${unknown}`}".`);
    }
    const subject = field === 'body' ? 'The request body' : `Field "${field}"`;
    throw new GlinerError('VALIDATION_FAILED', `${subject} ${problem(first)}.`);
  };
  return {
    check,
    parse(body: Buffer): Static<T> {
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        throw new GlinerError('BAD_JSON', 'The request body is not valid JSON.');
      }
      return check(value);
    },
  };
}
