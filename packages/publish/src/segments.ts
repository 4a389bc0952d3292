import { createHash } from 'node:crypto';
import {
  emptyTables,
  type TableName,
  type Tables,
  tables as tableDefinitions,
  tableNames,
} from '@newsdata/contract';
import { runtimeError } from '@newsdata/errors';
import { type FileFormat, planRelease } from '@newsdata/export';

/**
 * Every row of a source's tables has a key that starts with `<source_id>~` (article ids do), so in each
 * release file the rows of one source sit together, and the sources follow each other in the order of
 * `<source_id>~`. A file is then its head, the sources' segments in that order, and its tail: a
 * republish copies the segments of the unchanged sources out of the current release (see
 * `release-index.ts`) instead of building them again.
 */

/** One data file of a release, as `planRelease` lists it, with the bytes around the rows. */
export interface FileLayout {
  path: string;
  table: TableName | null;
  format: FileFormat;
  flavour?: 'standard' | 'excel';
  mediatype: string;
  /** Bytes before the first row: the header row of a CSV file (after the BOM of the excel flavour). */
  head: Uint8Array;
}

const OPEN = 0x5b; // [
const CLOSE = Buffer.from('\n]\n');
const EMPTY_ARRAY = Buffer.from(']\n');
const EMPTY_JSON = Buffer.from('[]\n');

let layout: FileLayout[] | null = null;

/** The data files of a release in `planRelease` order, with their heads. */
export function releaseLayout(): FileLayout[] {
  if (layout) return layout;
  layout = planRelease(emptyTables()).map((file) => ({
    path: file.path,
    table: file.table,
    format: file.format,
    ...(file.flavour ? { flavour: file.flavour } : {}),
    mediatype: file.mediatype,
    head: file.format === 'json' ? Uint8Array.of(OPEN) : Buffer.concat([...file.chunks()]),
  }));
  return layout;
}

/** What comes after the last segment of a file: only `articles.json` closes its array. */
export function tailOf(file: FileLayout, anyRows: boolean): Uint8Array {
  if (file.format !== 'json') return new Uint8Array(0);
  return anyRows ? CLOSE : EMPTY_ARRAY;
}

/** The separator before a segment of `articles.json` that follows another one. */
export const JSON_SEPARATOR = Uint8Array.of(0x2c); // ,

/** Whether every row of the tables belongs to `sourceId` by its key, so its rows can be joined as a segment. */
export function ownsItsKeys(sourceId: string, input: Tables): boolean {
  const prefix = `${sourceId}~`;
  for (const table of tableNames) {
    const first = tableDefinitions[table].key[0]!;
    const reference = tableDefinitions[table].articleReference;
    for (const row of input[table] as unknown as Record<string, unknown>[]) {
      const key = row[first];
      if (typeof key !== 'string' || !key.startsWith(prefix)) return false;
      if (reference !== undefined) {
        const id = row[reference];
        if (typeof id !== 'string' || !id.startsWith(prefix)) return false;
      }
    }
  }
  for (const article of input.articles) if (article.source_id !== sourceId) return false;
  return true;
}

function startsWith(bytes: Uint8Array, head: Uint8Array): boolean {
  if (bytes.byteLength < head.byteLength) return false;
  for (let i = 0; i < head.byteLength; i++) if (bytes[i] !== head[i]) return false;
  return true;
}

/** The segments of a source: views of one buffer that holds them (and the bytes around them). */
export interface PackedSegments {
  buffer: ArrayBuffer;
  offsets: number[];
  lengths: number[];
}

/**
 * The segments of one source's tables, one per file of {@link releaseLayout}: each file of the source
 * alone, without its head (and, for `articles.json`, without its brackets). The files are copied once,
 * into one buffer of their own that can be moved to another thread as it is (the buffers of small
 * chunks may be slices of Node's shared pool, which must not be moved); `take` may hand out a used
 * buffer of at least that size. Throws what `planRelease` throws for tables it cannot write.
 */
export function renderSegments(
  input: Tables,
  take: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes),
): PackedSegments {
  const files = planRelease(input);
  const heads = releaseLayout();
  // Read once and copied into the packed buffer: the exporter's kept bytes need no copies of their own.
  const rendered = files.map((file) => [...file.chunks({ shared: true })]);
  let total = 0;
  for (const chunks of rendered) for (const chunk of chunks) total += chunk.byteLength;
  const packed = Buffer.from(take(total), 0, total);
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const [i, file] of files.entries()) {
    const expected = heads[i]!;
    if (file.path !== expected.path) throw layoutChanged(file.path);
    const start = at;
    for (const chunk of rendered[i]!) {
      packed.set(chunk, at);
      at += chunk.byteLength;
    }
    const bytes = packed.subarray(start, at);
    if (file.format === 'json') {
      if (bytes.equals(EMPTY_JSON)) {
        offsets.push(start);
        lengths.push(0);
        continue;
      }
      if (bytes[0] !== OPEN || !bytes.subarray(bytes.byteLength - CLOSE.byteLength).equals(CLOSE))
        throw layoutChanged(file.path);
      offsets.push(start + 1);
      lengths.push(bytes.byteLength - 1 - CLOSE.byteLength);
      continue;
    }
    if (!startsWith(bytes, expected.head)) throw layoutChanged(file.path);
    offsets.push(start + expected.head.byteLength);
    lengths.push(bytes.byteLength - expected.head.byteLength);
  }
  return { buffer: packed.buffer, offsets, lengths };
}

/** The segments of {@link renderSegments}, as views of its buffer. */
export function segmentViews(packed: PackedSegments): Uint8Array[] {
  return packed.offsets.map((offset, i) => new Uint8Array(packed.buffer, offset, packed.lengths[i]!));
}

function layoutChanged(path: string) {
  return runtimeError(
    'PUBLISH_SEGMENT_LAYOUT',
    `The exporter's ${path} of one source does not have the expected head and tail, so the release cannot be joined from per-source segments; update @newsdata/publish's segments.ts to the exporter's format.`,
  );
}

/**
 * One small source's tables with a value of every kind (quotes, a line break, a formula trigger, a list,
 * a number, a boolean, null) in every table.
 */
function probeTables(): Tables {
  const article_id = 'probe~000000000000';
  return {
    articles: [
      {
        article_id,
        source_id: 'probe',
        seq: 1,
        publication: '大连日报',
        date: '2024-01-01',
        page: null,
        title: '标题, "引号"',
        subtitle: null,
        reporters: ['王明', '李华'],
        contributors: [],
        agency: null,
        dateline: null,
        dateline_date: null,
        section_count: 1,
        paragraph_count: 2,
        char_count: 12,
        lead: '=第一段。',
        text: '=第一段。\n第二段。',
        source_lines: ['1', '3-4'],
      },
    ],
    paragraphs: [
      { article_id, seq: 1, section: null, text: '=第一段。', char_count: 5, source_lines: ['1'] },
      { article_id, seq: 2, section: '一、小标题', text: '第二段。', char_count: 4, source_lines: ['3-4'] },
    ],
    statistics: [
      {
        statistic_id: `${article_id}-p1-n1`,
        article_id,
        paragraph_seq: 1,
        label: '立案',
        value: 93.83,
        unit: '%',
        approximate: false,
        qualifier: null,
        year: 2024,
        text: '93.83%',
        sentence: '立案率93.83%。',
        source_line: 1,
        source_column: 3,
      },
    ],
    people: [{ article_id, name: '王明', role: 'reporter', titles: ['记者'] }],
    documents: [{ article_id, title: '民法典', mentions: 1 }],
  };
}

let fingerprint: string | null = null;

/**
 * A digest of how this build of the exporter writes segments: the index of a release made by an
 * exporter that writes other bytes for the same rows must not be reused (its segments would be joined
 * with differently written ones), even when the tool version was not bumped.
 */
export function segmentsFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  for (const file of releaseLayout()) hash.update(file.path).update('\0').update(file.head).update('\0');
  for (const segment of segmentViews(renderSegments(probeTables()))) hash.update(segment).update('\0');
  fingerprint = hash.digest('hex');
  return fingerprint;
}
