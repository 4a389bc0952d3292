import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvChunks } from './csv.js';

/** Text made mostly of the characters that decide quoting, with Chinese and the odd emoji. */
const awkward = fc.string({
  unit: fc.constantFrom(',', '"', '\r', '\n', ' ', "'", '=', '-', 'a', '中', '，', '“', '😀', '\u2028'),
  maxLength: 12,
});

const text = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]).toString('utf8');

describe('csvCell', () => {
  it('quotes only cells with a comma, a quote, CR or LF, and doubles the quotes', () => {
    expect(csvCell('大连日报')).toBe('大连日报');
    expect(csvCell('')).toBe('');
    expect(csvCell('他说"好"')).toBe('"他说""好"""');
    expect(csvCell('一,二')).toBe('"一,二"');
    expect(csvCell('上\r\n下')).toBe('"上\r\n下"');
  });

  // Regression: csv-stringify alone leaves a lone LF unquoted, and an article's text joins its
  // paragraphs with LF: the record was split in two in Excel and in RFC 4180 readers.
  it('quotes a lone LF or CR', () => {
    expect(csvCell('第一段。\n第二段。')).toBe('"第一段。\n第二段。"');
    expect(csvCell('上\r下')).toBe('"上\r下"');
  });
});

describe('csvChunks', () => {
  it('writes records that an RFC 4180 reader splits back into the same cells', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(awkward, awkward), { maxLength: 8 }), (pairs) => {
        const rows = pairs.map(([title, id]) => ({ article_id: `s~${id}`, title, mentions: 1 }));
        const records = parse(text(csvChunks('documents', rows, 'standard')), { record_delimiter: '\r\n' });
        expect(records).toEqual([
          ['article_id', 'title', 'mentions'],
          ...rows.map((row) => [row.article_id, row.title, '1']),
        ]);
      }),
      { numRuns: 500 },
    );
  });
});
