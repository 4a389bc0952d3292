import { type TableName, type Tables, tableNames, tables } from '@newsdata/contract';
import type { CsvFlavour } from './cells.js';
import { CsvTable } from './csv.js';
import type { ReleaseOptions } from './datapackage.js';
import { ChunkBuffer } from './json.js';
import { type AnyRow, rowJsonWriter, type SortedTables, sortTables } from './rows.js';

/** How {@link ReleaseFile.chunks} hands out bytes it keeps. */
export interface ChunkOptions {
  /** The caller will not change the chunks: kept bytes may be handed out as they are. */
  shared?: boolean;
}

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
  /**
   * The file's bytes. With `shared`, chunks may be the very bytes kept for later calls and other files,
   * not copies: for a caller that only reads them (and copies what it keeps), at less cost.
   */
  chunks(options?: ChunkOptions): Iterable<Uint8Array>;
}

/** The child tables nested into each article of `articles.json`, in this order. */
const NESTED = tableNames.filter((table) => tables[table].articleReference !== undefined);

/**
 * Every data file of a release, in a fixed order: `<table>.csv` for each table, `excel/<table>.csv` for
 * each table, `<table>.ndjson` for each table, then `articles.json`. Tables are in `tableNames` order,
 * columns in `columnsOf` order, rows sorted by key: the bytes depend only on the rows' values, not on
 * the order of the rows or of their properties.
 *
 * Within one call each row is serialised once: the canonical JSON lines of a table, and their UTF-8
 * bytes, are made the first time a file needs them (its NDJSON file or `articles.json`, which is put
 * together from those bytes) and kept for the other file and for later calls of `chunks()`; likewise
 * each batch of CSV records is rendered once for both flavours unless one of its cells gets a formula
 * guard in the excel flavour. Nothing is made before a file needs it, so a caller that only reads the
 * CSV files never makes the JSON lines.
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
  const bytes = memoBytes(sorted, lines);
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
        chunks: (options) => csv.get(table)!.chunks(flavour, options),
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
      // Kept bytes are handed out as copies, so that a caller changing its chunks cannot change the
      // next call's (and articles.json's); a large table is streamed line by line instead.
      chunks: (options) =>
        !keeps(sorted[table])
          ? lineChunks(lines(table))
          : options?.shared
            ? bytes(table).buffers
            : bytes(table).buffers.map((chunk) => Buffer.from(chunk)),
    });
  }
  files.push({
    path: 'articles.json',
    table: null,
    format: 'json',
    mediatype: MEDIA_TYPES.json,
    rows: null,
    chunks: () => articlesJsonChunks(sorted, bytes),
  });
  return files;
}

/** The canonical JSON line of every row of a table (`rowJsonWriter`), in the table's sorted order. */
type LinesOf = (table: TableName) => readonly string[];

/** A table's NDJSON lines as UTF-8 (see {@link encodeLines}), made once and kept, or made afresh. */
type BytesOf = (table: TableName) => LineBytes;

/**
 * Tables of up to this many rows keep what one file renders for another (their NDJSON lines and bytes,
 * their standard CSV text). A source has a few hundred rows; a call over a whole corpus renders each
 * file afresh instead of holding a second copy of the corpus in memory.
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

/** {@link BytesOf} over sorted tables, kept like their lines (see `keeps`). */
function memoBytes(sorted: SortedTables, lines: LinesOf): BytesOf {
  const made = new Map<TableName, LineBytes>();
  return (table) => {
    let bytes = made.get(table);
    if (bytes === undefined) {
      bytes = encodeLines(lines(table));
      if (keeps(sorted[table])) made.set(table, bytes);
    }
    return bytes;
  };
}

/**
 * Lines as UTF-8 bytes, each followed by a line feed, in buffers of about {@link ENCODE_BATCH} UTF-16
 * units, and where each line lies: line `i` is `buffers[buffer[i]]` from `start[i]` to `end[i]` (its
 * line feed excluded). JSON lines hold no raw line feed, so the feeds are found by searching the bytes.
 */
interface LineBytes {
  buffers: Buffer[];
  buffer: Uint32Array;
  start: Uint32Array;
  end: Uint32Array;
}

/** UTF-16 units of lines encoded at once: few conversions, and no string near V8's length limit. */
const ENCODE_BATCH = 1 << 20;

function encodeLines(lines: readonly string[]): LineBytes {
  const count = lines.length;
  const out: LineBytes = {
    buffers: [],
    buffer: new Uint32Array(count),
    start: new Uint32Array(count),
    end: new Uint32Array(count),
  };
  let first = 0;
  while (first < count) {
    let last = first;
    let units = 0;
    while (last < count && (last === first || units + lines[last]!.length < ENCODE_BATCH)) {
      units += lines[last]!.length + 1;
      last++;
    }
    const bytes = Buffer.from(`${lines.slice(first, last).join('\n')}\n`, 'utf8');
    let at = 0;
    for (let i = first; i < last; i++) {
      const feed = bytes.indexOf(0x0a, at);
      out.buffer[i] = out.buffers.length;
      out.start[i] = at;
      out.end[i] = feed;
      at = feed + 1;
    }
    out.buffers.push(bytes);
    first = last;
  }
  return out;
}

/**
 * Gathers bytes into new chunks of {@link CHUNK_BYTES}: a chunk handed out is never written again, so
 * a caller may keep it.
 */
class ByteChunks {
  private block = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** Full chunks not yet handed out. */
  private readonly ready: Uint8Array[] = [];

  put(bytes: Uint8Array, from = 0, to = bytes.byteLength): void {
    while (from < to) {
      const n = Math.min(to - from, CHUNK_BYTES - this.used);
      this.block.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === CHUNK_BYTES) {
        this.ready.push(this.block);
        this.block = Buffer.allocUnsafe(CHUNK_BYTES);
        this.used = 0;
      }
    }
  }

  /** The full chunks made since the last call. */
  take(): Uint8Array[] {
    return this.ready.splice(0);
  }

  /** The chunks made since the last call, the last one partial. */
  finish(): Uint8Array[] {
    if (this.used > 0) this.ready.push(this.block.subarray(0, this.used));
    this.used = 0;
    return this.take();
  }
}

const CHUNK_BYTES = 1 << 16;

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
 * An article's line is put together from the bytes of the rows' NDJSON lines rather than serialised
 * and encoded again: the article's line without its closing brace, then `,"paragraphs":[` and the
 * paragraph lines separated by commas, and so on, then the brace.
 */
function* articlesJsonChunks(sorted: SortedTables, bytesOf: BytesOf): Generator<Uint8Array, void, undefined> {
  const children = NESTED.map((table) => {
    const reference = tables[table].articleReference!;
    const rows = sorted[table];
    const byArticle = new Map<unknown, number[]>();
    for (let i = 0; i < rows.length; i++) {
      const id = rows[i]![reference];
      const list = byArticle.get(id);
      if (list === undefined) byArticle.set(id, [i]);
      else list.push(i);
    }
    return { prefix: Buffer.from(`,${JSON.stringify(table)}:[`), byArticle, lines: bytesOf(table) };
  });
  const articles = bytesOf('articles');
  const out = new ByteChunks();
  for (let a = 0; a < sorted.articles.length; a++) {
    const id = sorted.articles[a]!['article_id'];
    out.put(a === 0 ? OPEN_FIRST : OPEN_NEXT);
    // The article's own line, without its closing brace.
    out.put(articles.buffers[articles.buffer[a]!]!, articles.start[a]!, articles.end[a]! - 1);
    for (const { prefix, byArticle, lines } of children) {
      out.put(prefix);
      const rows = byArticle.get(id);
      if (rows !== undefined) {
        for (let r = 0; r < rows.length; r++) {
          const i = rows[r]!;
          if (r > 0) out.put(COMMA);
          out.put(lines.buffers[lines.buffer[i]!]!, lines.start[i]!, lines.end[i]!);
        }
      }
      out.put(CLOSE_ARRAY);
    }
    out.put(CLOSE_OBJECT);
    yield* out.take();
  }
  out.put(sorted.articles.length === 0 ? EMPTY_ARRAY : CLOSE_FILE);
  yield* out.finish();
}

const OPEN_FIRST = Buffer.from('[\n');
const OPEN_NEXT = Buffer.from(',\n');
const COMMA = Buffer.from(',');
const CLOSE_ARRAY = Buffer.from(']');
const CLOSE_OBJECT = Buffer.from('}');
const CLOSE_FILE = Buffer.from('\n]\n');
const EMPTY_ARRAY = Buffer.from('[]\n');
