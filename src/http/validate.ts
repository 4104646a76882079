// Body parsing and validation: JSON → typed request, or a 400 naming the offending field.
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema, Static } from '@sinclair/typebox';
import { GlinerError } from '../errors.js';

export interface Validator<T extends TSchema> {
  parse(body: Buffer): Static<T>;
  check(value: unknown): Static<T>;
}

function fieldName(path: string): string {
  return path === '' ? 'body' : path.slice(1).replace(/\//g, '.');
}

export function validator<T extends TSchema>(schema: T): Validator<T> {
  const compiled: TypeCheck<T> = TypeCompiler.Compile(schema);
  const check = (value: unknown): Static<T> => {
    if (compiled.Check(value)) return value;
    const first = compiled.Errors(value).First();
    if (first === undefined) throw new GlinerError('VALIDATION_FAILED', 'The request body does not match the schema.');
    const field = fieldName(first.path);
    // additionalProperties errors point at the object; name the unknown key instead.
    if (first.schema.additionalProperties === false && typeof first.value === 'object' && first.value !== null) {
      const known = Object.keys((first.schema as { properties?: object }).properties ?? {});
      const unknown = Object.keys(first.value).find((key) => !known.includes(key));
      if (unknown !== undefined) throw new GlinerError('VALIDATION_FAILED', `Unknown field "${field === 'body' ? unknown : `${field}.${unknown}`}".`);
    }
    throw new GlinerError('VALIDATION_FAILED', `Field "${field}": ${first.message}.`);
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
