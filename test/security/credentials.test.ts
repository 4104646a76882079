import { describe, expect, it } from 'vitest';
import { presentedKey, readCredentials, type HeaderReader } from '../../src/security/credentials.js';

/** Like uWS: lower-case names, '' for absent headers. */
const headers = (values: Record<string, string>): HeaderReader => ({ get: (name) => values[name] ?? '' });

describe('presentedKey', () => {
  it('reads X-API-Key', () => {
    expect(presentedKey(headers({ 'x-api-key': 'abc' }))).toBe('abc');
    expect(presentedKey(headers({ 'x-api-key': '  abc ' }))).toBe('abc');
  });

  it('reads Authorization: Bearer with any scheme case', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(presentedKey(headers({ authorization: `${scheme} abc` }))).toBe('abc');
    }
    expect(presentedKey(headers({ authorization: 'Bearer \t abc  ' }))).toBe('abc');
  });

  it('accepts both when they agree and fails when they differ', () => {
    expect(readCredentials(headers({ 'x-api-key': 'abc', authorization: 'Bearer abc' }))).toEqual({ key: 'abc' });
    expect(readCredentials(headers({ 'x-api-key': 'abc', authorization: 'Bearer abd' }))).toEqual({ problem: 'conflict' });
    expect(presentedKey(headers({ 'x-api-key': 'abc', authorization: 'Bearer abd' }))).toBeUndefined();
  });

  it('reports missing and malformed credentials', () => {
    expect(readCredentials(headers({}))).toEqual({ problem: 'missing' });
    expect(readCredentials({ get: () => undefined })).toEqual({ problem: 'missing' });
    expect(readCredentials(headers({ 'x-api-key': '   ' }))).toEqual({ problem: 'missing' });
    expect(readCredentials(headers({ authorization: 'Bearer' }))).toEqual({ problem: 'malformed' });
    expect(readCredentials(headers({ authorization: 'Bearer   ' }))).toEqual({ problem: 'malformed' });
    expect(readCredentials(headers({ authorization: 'Bearer a b' }))).toEqual({ problem: 'malformed' });
    expect(readCredentials(headers({ authorization: 'Bearer a', 'x-api-key': '' }))).toEqual({ key: 'a' });
  });

  it('ignores other Authorization schemes and never looks at the URL', () => {
    expect(readCredentials(headers({ authorization: 'Basic dXNlcjpwYXNz' }))).toEqual({ problem: 'missing' });
    expect(readCredentials(headers({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'abc' }))).toEqual({ key: 'abc' });
    expect(readCredentials(headers({ authorization: 'Bearerabc' }))).toEqual({ problem: 'missing' });
    const asked: string[] = [];
    readCredentials({ get: (name) => (asked.push(name), undefined) });
    expect(asked.sort()).toEqual(['authorization', 'x-api-key']);
  });
});
