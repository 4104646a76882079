// docs/tracing.md names every span and attribute the server writes (src/tracing/names.ts), and no
// gliner.* name that it does not write.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTR, SPAN } from '../../src/tracing/names.js';
import { ROOT } from '../support/paths.js';

const doc = readFileSync(path.join(ROOT, 'docs/tracing.md'), 'utf8');
const written = new Set<string>([...Object.values(SPAN), ...Object.values(ATTR)]);

describe('docs/tracing.md', () => {
  it('names every span and attribute of src/tracing/names.ts', () => {
    for (const name of written) expect(doc, name).toContain(`\`${name}\``);
  });

  it('names no gliner.* span or attribute that the server does not write', () => {
    const documented = [...doc.matchAll(/`(gliner\.[a-z_.]+)`/g)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((name) => !written.has(name))).toEqual([]);
  });
});
