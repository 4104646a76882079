// The values GLiNER2's result formatting works on, modelled as Python has them, so that our
// formatting can follow upstream's rule for rule: upstream tells a relation from a structure by
// whether a value is a tuple, a list or a dict, and keeps dict keys in insertion order. A JSON
// writer of our own keeps that order in the answer (a JS object would move keys such as "2024"
// to the front), writes tuples as arrays as json.dumps does, and lower-cases as Python's str.lower.

/** A Python value as it appears in GLiNER2's results. */
export type PyValue = null | boolean | number | string | PyTuple | PyValue[] | PyDict;

/** A dict: string keys in insertion order. */
export type PyDict = Map<string, PyValue>;

/** A tuple (a relation's (head, tail) or a classification's (label, confidence)). */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export const isDict = (value: PyValue | undefined): value is PyDict => value instanceof Map;
export const isList = (value: PyValue | undefined): value is PyValue[] => Array.isArray(value);
export const isTuple = (value: PyValue | undefined): value is PyTuple => value instanceof PyTuple;

export function dict(entries: Iterable<readonly [string, PyValue]> = []): PyDict {
  return new Map(entries);
}

/** A value used as a str (a span's or label's text); anything else reads as "". */
export function asText(value: PyValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** Python's truthiness (`if value:`). */
export function truthy(value: PyValue | undefined): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (isList(value)) return value.length > 0;
  if (isDict(value)) return value.size > 0;
  if (isTuple(value)) return value.items.length > 0;
  return true;
}

/**
 * Python's str.lower(): the Unicode lower-case mapping, as String.prototype.toLowerCase (both apply
 * the full mappings and the final-sigma rule; they differ only where Node's Unicode version has
 * letters Python's does not, 55 code points between Unicode 14 and 17).
 */
export function pyLower(text: string): string {
  return text.toLowerCase();
}

/** Python's comparison of two str (code point order, where JS compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral code point) sorts above every BMP unit from U+E000 up.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The value as JSON, dict keys in their order, tuples as arrays (as json.dumps writes them). */
export function toJson(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (isTuple(value)) return `[${value.items.map(toJson).join(',')}]`;
  if (isList(value)) return `[${value.map(toJson).join(',')}]`;
  const parts: string[] = [];
  for (const [key, item] of value) parts.push(`${JSON.stringify(key)}:${toJson(item)}`);
  return `{${parts.join(',')}}`;
}

/** Parses JSON keeping object key order (objects become dicts); the inverse of toJson, tuples aside. */
export function fromJson(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at ${i}`);
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const parse = (): PyValue => {
    space();
    const c = text.charAt(i);
    if (c === '{') {
      i++;
      const out: PyDict = new Map();
      space();
      if (text.charAt(i) === '}') return i++, out;
      for (;;) {
        space();
        const key = parse();
        if (typeof key !== 'string') fail('object key');
        space();
        if (text.charAt(i++) !== ':') fail('":"');
        out.set(key as string, parse());
        space();
        const next = text.charAt(i++);
        if (next === '}') return out;
        if (next !== ',') fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: PyValue[] = [];
      space();
      if (text.charAt(i) === ']') return i++, out;
      for (;;) {
        out.push(parse());
        space();
        const next = text.charAt(i++);
        if (next === ']') return out;
        if (next !== ',') fail('"," or "]"');
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text.charAt(j) !== '"') j += text.charAt(j) === '\\' ? 2 : 1;
      const value = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return value;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (literal === null) return fail('a value');
    i += literal[0].length;
    return JSON.parse(literal[0]) as PyValue;
  };
  const value = parse();
  space();
  if (i !== text.length) fail('end of input');
  return value;
}
