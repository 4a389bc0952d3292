import { columnsOf, type TableName } from '@newsdata/contract';
import { type Options, stringify } from 'csv-stringify/sync';
import { type CsvFlavour, cellOf } from './cells.js';
import type { AnyRow } from './rows.js';

/** The UTF-8 byte order mark that opens every file of the excel flavour. */
export const UTF8_BOM = Uint8Array.of(0xef, 0xbb, 0xbf);

/**
 * csv-stringify options of both flavours: comma, CRLF after every record (the last one too), a
 * double quote around a cell only when it holds a comma, a quote, CR or LF, quotes doubled inside.
 * csv-stringify on its own quotes a cell for a CRLF pair but not for a lone LF or CR, which would
 * split the record in Excel and in any RFC 4180 reader (an article's text joins its paragraphs with
 * LF): `quoted_match` closes that gap. Formula escaping is ours (see `guardFormula`), so the library's
 * is off.
 */
export const CSV_OPTIONS: Options = {
  delimiter: ',',
  record_delimiter: '\r\n',
  quote: '"',
  escape: '"',
  eof: true,
  escape_formulas: false,
  quoted_match: /[\r\n]/,
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

/**
 * One cell as it stands in a record of both flavours.
 *
 * @example csvCell('他说"好"') // '"他说""好"""'
 */
export function csvCell(text: string): string {
  return stringify([[text]], { ...CSV_OPTIONS, eof: false });
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
  // csv-stringify's sync API over batches of records: faster than its stream API or one call for all
  // rows, and it keeps `chunks()` synchronous.
  let batch: string[][] = [columns];
  for (const row of rows) {
    const record = new Array<string>(columns.length);
    for (let i = 0; i < columns.length; i++) record[i] = cellOf(row[columns[i]!], flavour);
    batch.push(record);
    if (batch.length === BATCH_ROWS) {
      yield Buffer.from(stringify(batch, CSV_OPTIONS), 'utf8');
      batch = [];
    }
  }
  if (batch.length > 0) yield Buffer.from(stringify(batch, CSV_OPTIONS), 'utf8');
}
