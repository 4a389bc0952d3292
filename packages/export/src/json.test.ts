import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeJson } from './json.js';

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
});
