import { columnsOf, type TableName, type Tables, tableNames, tables } from '@newsdata/contract';
import type { CsvFlavour } from './cells.js';
import { csvChunks } from './csv.js';
import type { ReleaseOptions } from './datapackage.js';
import { ChunkBuffer } from './json.js';
import { type AnyRow, rowJsonWriter, type SortedTables, sortTables } from './rows.js';

/** Format of a data file of a release. */
export type FileFormat = 'csv' | 'json' | 'ndjson';

/** Media types of the release's files, as written into `datapackage.json` and served over HTTP. */
export const MEDIA_TYPES = {
  csv: 'text/csv',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
} as const satisfies Record<FileFormat, string>;

/**
 * One data file of a release, not yet written. `chunks()` produces its bytes afresh on every call,
 * the same bytes each time; publish writes and hashes them.
 */
export interface ReleaseFile {
  /** Path inside the release directory, with `/` separators (`excel/articles.csv`). */
  path: string;
  /** The table the file holds; null for `articles.json`, which nests the child rows into the articles. */
  table: TableName | null;
  format: FileFormat;
  /** Only for CSV files. */
  flavour?: CsvFlavour;
  mediatype: string;
  /** Data rows of a table file; null for `articles.json`. */
  rows: number | null;
  chunks(): Iterable<Uint8Array>;
}

const NEWLINE = /\n/g;

/** The child tables nested into each article of `articles.json`, in this order. */
const NESTED = tableNames.filter((table) => tables[table].articleReference !== undefined);

/**
 * Every data file of a release, in a fixed order: `<table>.csv` for each table, `excel/<table>.csv` for
 * each table, `<table>.ndjson` for each table, then `articles.json`. Tables are in `tableNames` order,
 * columns in `columnsOf` order, rows sorted by key: the bytes depend only on the rows' values, not on
 * the order of the rows or of their properties.
 *
 * Throws a data error (`EXPORT_DUPLICATE_KEY`, `EXPORT_ORPHAN_ROW`, `EXPORT_VALUE_UNWRITABLE`) when
 * the tables could not be written deterministically or read back the same; validated tables never do.
 * Other fields of `options` (the Data Package's) are ignored here.
 *
 * @example planRelease({ articles: [{ article_id: 'dl-0108~3f2a9c1d', title: '市政协召开党组会议', … }], paragraphs: […], … })
 * //   .map((file) => file.path) // ['articles.csv', …, 'excel/articles.csv', …, 'articles.ndjson', …, 'articles.json']
 */
export function planRelease(input: Tables, _options?: Partial<ReleaseOptions>): ReleaseFile[] {
  const sorted = sortTables(input);
  const files: ReleaseFile[] = [];
  for (const flavour of ['standard', 'excel'] as const) {
    for (const table of tableNames) {
      files.push({
        path: flavour === 'standard' ? `${table}.csv` : `excel/${table}.csv`,
        table,
        format: 'csv',
        flavour,
        mediatype: MEDIA_TYPES.csv,
        rows: sorted[table].length,
        chunks: () => csvChunks(table, sorted[table], flavour),
      });
    }
  }
  for (const table of tableNames) {
    files.push({
      path: `${table}.ndjson`,
      table,
      format: 'ndjson',
      mediatype: MEDIA_TYPES.ndjson,
      rows: sorted[table].length,
      chunks: () => ndjsonChunks(table, sorted[table]),
    });
  }
  files.push({
    path: 'articles.json',
    table: null,
    format: 'json',
    mediatype: MEDIA_TYPES.json,
    rows: null,
    chunks: () => articlesJsonChunks(sorted),
  });
  return files;
}

/** One canonical JSON line per row (`rowJsonWriter`), each ended by a line feed. */
export function* ndjsonChunks(
  table: TableName,
  rows: readonly AnyRow[],
): Generator<Uint8Array, void, undefined> {
  const write = rowJsonWriter(table);
  const buffer = new ChunkBuffer();
  for (const row of rows) {
    const chunk = buffer.push(`${write(row)}\n`);
    if (chunk) yield chunk;
  }
  const rest = buffer.flush();
  if (rest) yield rest;
}

/**
 * `articles.json`: an array of the articles, each with its columns in schema order followed by
 * `paragraphs`, `statistics`, `people` and `documents`, arrays of the article's rows of those tables
 * exactly as they are in the tables (article_id included), in key order. 2-space indent.
 */
function* articlesJsonChunks(sorted: SortedTables): Generator<Uint8Array, void, undefined> {
  const children = new Map<unknown, Record<string, AnyRow[]>>();
  for (const article of sorted.articles) {
    children.set(article['article_id'], Object.fromEntries(NESTED.map((table) => [table, []])));
  }
  for (const table of NESTED) {
    const reference = tables[table].articleReference!;
    for (const row of sorted[table]) children.get(row[reference])![table]!.push(canonical(table, row));
  }
  const buffer = new ChunkBuffer();
  let first = true;
  buffer.push('[');
  for (const article of sorted.articles) {
    const nested = { ...canonical('articles', article), ...children.get(article['article_id']) };
    // Values are checked by sortTables and keys are column names, so the native serializer writes what
    // formatJson would; each line but the first is indented one level more, as the array's member.
    const text = JSON.stringify(nested, null, 2).replace(NEWLINE, '\n  ');
    const chunk = buffer.push(`${first ? '\n' : ',\n'}  ${text}`);
    first = false;
    if (chunk) yield chunk;
  }
  buffer.push(first ? ']\n' : '\n]\n');
  const rest = buffer.flush();
  if (rest) yield rest;
}

/** The row with exactly the table's columns, in order, a missing value as null: what its NDJSON line holds. */
function canonical(table: TableName, row: AnyRow): AnyRow {
  const out: AnyRow = {};
  for (const column of columnsOf(table)) out[column] = row[column] ?? null;
  return out;
}
