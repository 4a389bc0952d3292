import { columnsOf, type TableName } from '@newsdata/contract';
import { type Options, stringify } from 'csv-stringify/sync';
import { type CsvFlavour, cellOf, isGuardedInExcel } from './cells.js';
import type { ChunkOptions } from './plan.js';
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
export function csvChunks(
  table: TableName,
  rows: readonly AnyRow[],
  flavour: CsvFlavour,
): Generator<Uint8Array, void, undefined> {
  return new CsvTable(table, rows, false).chunks(flavour);
}

/** A batch of records as standard CSV bytes, and whether the excel flavour writes one of its cells otherwise. */
interface Batch {
  start: number;
  end: number;
  bytes: Uint8Array;
  guarded: boolean;
}

/**
 * Both CSV flavours of one table. The excel flavour differs from the standard one only by its BOM and
 * by the formula guard of text cells that start like a formula, which are rare: so, when `keep` is
 * set, each batch is rendered once as standard bytes, kept, and reused as they are for excel unless one
 * of its cells is guarded (that batch alone is rendered again for excel). Without `keep` each call of
 * `chunks` renders its flavour afresh and holds nothing.
 */
export class CsvTable {
  private readonly columns: readonly string[];
  private kept: Batch[] | undefined;

  constructor(
    table: TableName,
    private readonly rows: readonly AnyRow[],
    private readonly keep: boolean,
  ) {
    this.columns = columnsOf(table);
  }

  *chunks(flavour: CsvFlavour, options?: ChunkOptions): Generator<Uint8Array, void, undefined> {
    const copy = this.keep && !options?.shared;
    if (flavour === 'excel') yield options?.shared ? UTF8_BOM : UTF8_BOM.slice();
    for (const batch of this.batches()) {
      if (flavour === 'excel' && batch.guarded) {
        yield Buffer.from(this.render(batch.start, batch.end, 'excel'), 'utf8');
      } else {
        // Kept bytes are handed out as a copy (unless the caller only reads them), so that a caller
        // changing its chunks cannot change the next call's; copying is many times cheaper than
        // encoding the text again.
        yield copy ? Buffer.from(batch.bytes) : batch.bytes;
      }
    }
  }

  private batches(): Iterable<Batch> {
    if (!this.keep) return this.standardBatches();
    this.kept ??= [...this.standardBatches()];
    return this.kept;
  }

  private *standardBatches(): Generator<Batch, void, undefined> {
    let start = 0;
    do {
      const end = Math.min(start + BATCH_ROWS, this.rows.length);
      const guarded = { any: false };
      const bytes = Buffer.from(this.render(start, end, 'standard', guarded), 'utf8');
      yield { start, end, bytes, guarded: guarded.any };
      start = end;
    } while (start < this.rows.length);
  }

  /**
   * Records `start` to `end` in one flavour, after the header row when `start` is 0; sets `guarded.any`
   * when a cell would be guarded in the excel flavour.
   */
  private render(start: number, end: number, flavour: CsvFlavour, guarded?: { any: boolean }): string {
    const columns = this.columns;
    const records: string[][] = start === 0 ? [columns as string[]] : [];
    for (let r = start; r < end; r++) {
      const row = this.rows[r]!;
      const record = new Array<string>(columns.length);
      for (let i = 0; i < columns.length; i++) {
        const value = row[columns[i]!];
        const cell = cellOf(value, flavour);
        if (guarded !== undefined && !guarded.any && isGuardedInExcel(value, cell)) guarded.any = true;
        record[i] = cell;
      }
      records.push(record);
    }
    // csv-stringify's sync API over batches of records: faster than its stream API or one call for all
    // rows, and it keeps `chunks()` synchronous.
    return stringify(records, CSV_OPTIONS);
  }
}
