import { columnsOf, type TableName } from '@newsdata/contract';
import type { Options } from 'csv-stringify/sync';
import { type CsvFlavour, cellOf } from './cells.js';
import type { AnyRow } from './rows.js';

/** The UTF-8 byte order mark that opens every file of the excel flavour. */
export const UTF8_BOM = Uint8Array.of(0xef, 0xbb, 0xbf);

/**
 * csv-stringify options of both flavours: comma, CRLF after every record (the last one too), a
 * double quote around a cell only when it holds a comma, a quote, CR or LF, quotes doubled inside.
 * Formula escaping is ours (see `guardFormula`), so the library's is off. `csvChunks` writes exactly
 * what csv-stringify writes with these options.
 */
export const CSV_OPTIONS: Options = {
  delimiter: ',',
  record_delimiter: '\r\n',
  quote: '"',
  escape: '"',
  eof: true,
  escape_formulas: false,
};

/** The Table Dialect of both flavours, as written into `datapackage.json`. */
export const CSV_DIALECT = {
  delimiter: ',',
  lineTerminator: '\r\n',
  quoteChar: '"',
  doubleQuote: true,
  header: true,
} as const;

/** Rows per chunk: small enough for short strings, big enough to amortize the conversion to bytes. */
const BATCH_ROWS = 512;

/** What makes a cell need quotes under {@link CSV_OPTIONS}: the delimiter, the quote, a CRLF. */
const NEEDS_QUOTES = /[",]|\r\n/;
const QUOTE = /"/g;

/**
 * One cell as csv-stringify writes it with {@link CSV_OPTIONS} (a test holds the two equal): written
 * here because the library's per-cell option handling was the largest cost of the export.
 *
 * @example csvCell('他说"好"') // '"他说""好"""'
 */
export function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(QUOTE, '""')}"` : text;
}

/**
 * The bytes of one table as CSV, in chunks: the header row of `columnsOf(table)`, then one record per
 * row in the order given (already sorted). The excel flavour starts with the BOM as its own chunk.
 *
 * @example csvChunks('documents', [{ article_id: 'p~0a1b2c3d', title: '民法典', mentions: 2 }], 'standard')
 * // one chunk: "article_id,title,mentions\r\np~0a1b2c3d,民法典,2\r\n"
 */
export function* csvChunks(
  table: TableName,
  rows: readonly AnyRow[],
  flavour: CsvFlavour,
): Generator<Uint8Array, void, undefined> {
  const columns = columnsOf(table);
  if (flavour === 'excel') yield UTF8_BOM.slice();
  let pending = `${columns.map(csvCell).join(',')}\r\n`;
  let inBatch = 0;
  for (const row of rows) {
    let record = '';
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) record += ',';
      record += csvCell(cellOf(row[columns[i]!], flavour));
    }
    pending += `${record}\r\n`;
    if (++inBatch === BATCH_ROWS) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
      inBatch = 0;
    }
  }
  if (pending !== '') yield Buffer.from(pending, 'utf8');
}
