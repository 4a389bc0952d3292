import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJson, serializeJson } from './json.js';

const text = (value: unknown) => Buffer.from(serializeJson(value)).toString('utf8');

describe('serializeJson', () => {
  it('sorts keys, indents by two spaces and ends with a newline', () => {
    expect(text({ title: '大连日报', name: 'dalian', tags: [1, 'a'], empty: {}, none: [] })).toBe(
      '{\n  "empty": {},\n  "name": "dalian",\n  "none": [],\n  "tags": [\n    1,\n    "a"\n  ],\n  "title": "大连日报"\n}\n',
    );
  });

  it('reads back to the same value and does not depend on key order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
        const bytes = serializeJson(value);
        expect(JSON.parse(Buffer.from(bytes).toString('utf8'))).toEqual(JSON.parse(JSON.stringify(value)));
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          expect(Buffer.from(serializeJson(reversed)).equals(Buffer.from(bytes))).toBe(true);
        }
      }),
    );
  });

  it('keeps insertion order when asked, leaves out undefined, refuses non-finite numbers', () => {
    expect(Buffer.from(serializeJson({ b: 1, a: undefined, c: 2 }, { sortKeys: false })).toString()).toBe(
      '{\n  "b": 1,\n  "c": 2\n}\n',
    );
    expect(() => serializeJson({ value: Number.POSITIVE_INFINITY })).toThrow(
      expect.objectContaining({ code: 'JSON_NUMBER_NOT_FINITE' }),
    );
  });

  it('sorts array-index keys by code unit too, where an object would put them first', () => {
    expect(text({ b: 1, '10': 2, '2': { '1': null, a: [] } })).toBe(
      '{\n  "10": 2,\n  "2": {\n    "1": null,\n    "a": []\n  },\n  "b": 1\n}\n',
    );
  });

  it('writes a member named __proto__ like any other', () => {
    expect(text(JSON.parse('{"__proto__": {"a": 1}, "b": 2}'))).toBe(
      '{\n  "__proto__": {\n    "a": 1\n  },\n  "b": 2\n}\n',
    );
  });

  it('writes what a plain recursive formatter writes, at any indent', () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), fc.boolean(), (value, sortKeys) => {
        expect(formatJson(value, sortKeys, '    ')).toBe(reference(value, sortKeys, '    '));
      }),
      { numRuns: 300 },
    );
  });
});

/** The format spelled out: 2-space indent, `key: value`, empty containers on one line. */
function reference(value: unknown, sortKeys: boolean, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + reference(item, sortKeys, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(value);
  if (sortKeys) keys.sort();
  if (keys.length === 0) return '{}';
  const members = keys.map(
    (key) =>
      `${inner}${JSON.stringify(key)}: ${reference((value as Record<string, unknown>)[key], sortKeys, inner)}`,
  );
  return `{\n${members.join(',\n')}\n${indent}}`;
}
