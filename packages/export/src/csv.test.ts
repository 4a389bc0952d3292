import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_OPTIONS, csvCell } from './csv.js';

/** Text made mostly of the characters that decide quoting, with Chinese and the odd emoji. */
const awkward = fc.string({
  unit: fc.constantFrom(',', '"', '\r', '\n', ' ', "'", '=', '-', 'a', '中', '，', '“', '😀', '\u2028'),
  maxLength: 12,
});

describe('csvCell', () => {
  it('quotes only cells with a comma, quote or CRLF, and doubles the quotes', () => {
    expect(csvCell('大连日报')).toBe('大连日报');
    expect(csvCell('')).toBe('');
    expect(csvCell('他说"好"')).toBe('"他说""好"""');
    expect(csvCell('一,二')).toBe('"一,二"');
    expect(csvCell('上\r\n下')).toBe('"上\r\n下"');
  });

  it('writes records exactly as csv-stringify does with CSV_OPTIONS', () => {
    fc.assert(
      fc.property(fc.array(awkward, { minLength: 1, maxLength: 5 }), (cells) => {
        expect(`${cells.map(csvCell).join(',')}\r\n`).toBe(stringify([cells], CSV_OPTIONS));
      }),
      { numRuns: 500 },
    );
  });
});
