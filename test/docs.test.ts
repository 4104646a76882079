// Documentation that must not drift from the code: the error registry, the configuration table,
// the OTEL_* table, .env.example and the README's copy of the table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configMarkdown, envExample } from '../src/config/load.js';
import { otelMarkdown } from '../src/config/otel.js';
import { ERROR_CODES } from '../src/errors.js';
import { ROOT } from './support/paths.js';

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

describe('docs', () => {
  it('docs/errors.md lists every error code with its status, and nothing else', () => {
    const rows = [...read('docs/errors.md').matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, e]) => [code, e.status]));
  });

  it('docs/configuration.md and the README carry the generated configuration table', () => {
    expect(read('docs/configuration.md')).toContain(configMarkdown());
    expect(read('README.md')).toContain(configMarkdown());
  });

  it('docs/configuration.md carries the generated OTEL_* table', () => {
    expect(read('docs/configuration.md')).toContain(otelMarkdown());
  });

  it('.env.example documents every variable', () => {
    expect(read('.env.example').trim()).toBe(envExample().trim());
  });
});
