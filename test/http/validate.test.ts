// Validation messages: each 400 names the field and says what is wrong in plain words, never the
// schema library's raw text ("Expected array length to be greater or equal to 1").
import { describe, expect, it } from 'vitest';
import { GlinerError } from '../../src/errors.js';
import { BatchBody, PredictBody, StreamMessage } from '../../src/http/schemas.js';
import { validator } from '../../src/http/validate.js';
import { ExtractRequest } from '../../src/inference/gliner2/schema.js';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GlinerError);
    expect((error as GlinerError).code).toBe('VALIDATION_FAILED');
    return (error as GlinerError).message;
  }
  throw new Error('expected a validation error');
}

const predict = validator(PredictBody);
const batch = validator(BatchBody);
const stream = validator(StreamMessage);

describe('validation messages', () => {
  it.each([
    [() => predict.check({ text: 'a', labels: [] }), 'Field "labels" must not be empty.'],
    [() => predict.check({ text: 'a', labels: ['x', ''] }), 'Field "labels.1" must not be empty.'],
    [() => predict.check({ text: 'a', entity_type: '' }), 'Field "entity_type" must not be empty.'],
    [() => predict.check({ labels: ['x'] }), 'Field "text" is required.'],
    [() => predict.check({ text: 42, labels: ['x'] }), 'Field "text" must be a string (got the number 42).'],
    [() => predict.check({ text: 'a', labels: 'person' }), 'Field "labels" must be an array of strings (got a string).'],
    [() => predict.check({ text: 'a', labels: ['x'], threshold: 2 }), 'Field "threshold" must be between 0 and 1.'],
    [() => predict.check({ text: 'a', labels: ['x'], flat_ner: 'yes' }), 'Field "flat_ner" must be true or false (got a string).'],
    [() => predict.check(['a']), 'The request body must be a JSON object (got an array).'],
    [() => predict.check({ text: 'a', labels: ['x'], treshold: 0.3 }), 'Unknown field "treshold".'],
    [() => batch.check({ texts: [], labels: ['x'] }), 'Field "texts" must not be empty.'],
    [() => stream.check({ id: true, text: 'a', labels: ['x'] }), 'Field "id" must be a string or a number (got true).'],
  ])('%#: %s', (run, expected) => {
    const message = messageOf(run);
    expect(message).toBe(expected);
    expect(message).not.toMatch(/Expected/);
  });
});

describe('literal values', () => {
  it('a union of literals is named by its values (GLiNER2 field dtype), not by their type', () => {
    const extract = validator(ExtractRequest);
    const body = { text: 'x', schema: { structures: [{ name: 's', fields: [{ name: 'f', dtype: 'int' }] }] } };
    expect(messageOf(() => extract.check(body))).toBe('Field "schema.structures.0.fields.0.dtype" must be "str" or "list" (got a string).');
  });
});
