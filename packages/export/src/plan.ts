import { type TableName, type Tables, tableNames, tables } from '@newsdata/contract';
import type { CsvFlavour } from './cells.js';
import { CsvTable } from './csv.js';
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

/** The child tables nested into each article of `articles.json`, in this order. */
const NESTED = tableNames.filter((table) => tables[table].articleReference !== undefined);

/**
 * Every data file of a release, in a fixed order: `<table>.csv` for each table, `excel/<table>.csv` for
 * each table, `<table>.ndjson` for each table, then `articles.json`. Tables are in `tableNames` order,
 * columns in `columnsOf` order, rows sorted by key: the bytes depend only on the rows' values, not on
 * the order of the rows or of their properties.
 *
 * Within one call each row is serialised once: the canonical JSON lines of a table are made the first
 * time a file needs them (its NDJSON file or `articles.json`) and kept for the other file and for
 * later calls of `chunks()`; likewise each batch of CSV records is rendered once for both flavours
 * unless one of its cells gets a formula guard in the excel flavour. Nothing is made before a file
 * needs it, so a caller that only reads the CSV files never makes the JSON lines.
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
  const lines = memoLines(sorted);
  const csv = new Map(
    tableNames.map((table) => [table, new CsvTable(table, sorted[table], keeps(sorted[table]))]),
  );
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
        chunks: () => csv.get(table)!.chunks(flavour),
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
      chunks: () => lineChunks(lines(table)),
    });
  }
  files.push({
    path: 'articles.json',
    table: null,
    format: 'json',
    mediatype: MEDIA_TYPES.json,
    rows: null,
    chunks: () => articlesJsonChunks(sorted, lines),
  });
  return files;
}

/** The canonical JSON line of every row of a table (`rowJsonWriter`), in the table's sorted order. */
type LinesOf = (table: TableName) => readonly string[];

/**
 * Tables of up to this many rows keep what one file renders for another (their NDJSON lines, their
 * standard CSV text). A source has a few hundred rows; a call over a whole corpus renders each file
 * afresh instead of holding a second copy of the corpus in memory.
 */
const KEEP_MAX_ROWS = 20_000;

function keeps(rows: readonly AnyRow[]): boolean {
  return rows.length <= KEEP_MAX_ROWS;
}

/** {@link LinesOf} over sorted tables, each table's lines made on first use and then kept (see `keeps`). */
function memoLines(sorted: SortedTables): LinesOf {
  const made = new Map<TableName, readonly string[]>();
  return (table) => {
    let lines = made.get(table);
    if (lines === undefined) {
      lines = sorted[table].map(rowJsonWriter(table));
      if (keeps(sorted[table])) made.set(table, lines);
    }
    return lines;
  };
}

/**
 * One canonical JSON line per row (`rowJsonWriter`), each ended by a line feed.
 *
 * @example ndjsonChunks('documents', [{ article_id: 'p~0a1b2c3d', title: '民法典', mentions: 2 }])
 * // one chunk: '{"article_id":"p~0a1b2c3d","title":"民法典","mentions":2}\n'
 */
export function ndjsonChunks(
  table: TableName,
  rows: readonly AnyRow[],
): Generator<Uint8Array, void, undefined> {
  const write = rowJsonWriter(table);
  return lineChunks(
    (function* () {
      for (const row of rows) yield write(row);
    })(),
  );
}

/** The lines, each ended by a line feed, in chunks. */
function* lineChunks(lines: Iterable<string>): Generator<Uint8Array, void, undefined> {
  const buffer = new ChunkBuffer();
  for (const line of lines) {
    const chunk = buffer.push(`${line}\n`);
    if (chunk) yield chunk;
  }
  const rest = buffer.flush();
  if (rest) yield rest;
}

/**
 * `articles.json`: an array of the articles, one article per line in compact JSON: its columns in
 * schema order followed by `paragraphs`, `statistics`, `people` and `documents`, arrays of the
 * article's rows of those tables exactly as their NDJSON lines (article_id included), in key order.
 * The frame is fixed, because publish joins per-source pieces of the file: `[`, then `\n` before the
 * first article and `,\n` before each other one, then `\n]\n`; no article at all is `[]\n`.
 *
 * An article's line is built from the rows' NDJSON lines rather than serialised again: the article's
 * line without its closing brace, then `,"paragraphs":[` and the paragraph lines joined by commas, and
 * so on, then the brace.
 */
function* articlesJsonChunks(sorted: SortedTables, lines: LinesOf): Generator<Uint8Array, void, undefined> {
  const children = NESTED.map((table) => {
    const reference = tables[table].articleReference!;
    const rows = sorted[table];
    const rowLines = lines(table);
    const byArticle = new Map<unknown, string[]>();
    for (let i = 0; i < rows.length; i++) {
      const id = rows[i]![reference];
      const list = byArticle.get(id);
      if (list === undefined) byArticle.set(id, [rowLines[i]!]);
      else list.push(rowLines[i]!);
    }
    return { prefix: `,${JSON.stringify(table)}:[`, byArticle };
  });
  const articleLines = lines('articles');
  const buffer = new ChunkBuffer();
  for (let a = 0; a < articleLines.length; a++) {
    const id = sorted.articles[a]!['article_id'];
    let text = a === 0 ? '[\n' : ',\n';
    text += articleLines[a]!.slice(0, -1);
    for (const { prefix, byArticle } of children) {
      const rows = byArticle.get(id);
      text += rows === undefined ? `${prefix}]` : `${prefix}${rows.join(',')}]`;
    }
    const chunk = buffer.push(`${text}}`);
    if (chunk) yield chunk;
  }
  const chunk = buffer.push(articleLines.length === 0 ? '[]\n' : '\n]\n');
  if (chunk) yield chunk;
  const rest = buffer.flush();
  if (rest) yield rest;
}
