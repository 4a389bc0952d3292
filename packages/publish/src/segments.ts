import {
  emptyTables,
  type TableName,
  type Tables,
  tables as tableDefinitions,
  tableNames,
} from '@newsdata/contract';
import { runtimeError } from '@newsdata/errors';
import { type FileFormat, planRelease, rowDigests } from '@newsdata/export';

/**
 * Every row of a source's tables has a key that starts with `<source_id>~` (article ids do), so in each
 * release file the rows of one source sit together, and the sources follow each other in the order of
 * `<source_id>~`. A file is then its head, the sources' segments in that order, and its tail: a
 * republish joins the cached segments of the unchanged sources instead of writing their rows again.
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

/**
 * The segments of one source's tables, one per file of {@link releaseLayout} and then the row digests
 * of changes.json as JSON (`{ table: [[key, digest], …] }`). Throws what `planRelease` throws for
 * tables it cannot write.
 */
export function renderSegments(input: Tables): Uint8Array[] {
  const files = planRelease(input);
  const heads = releaseLayout();
  const segments = files.map((file, i) => {
    const expected = heads[i]!;
    const bytes = Buffer.concat([...file.chunks()]);
    if (file.path !== expected.path) throw layoutChanged(file.path);
    if (file.format === 'json') {
      if (bytes.equals(Buffer.from('[]\n'))) return new Uint8Array(0);
      if (bytes[0] !== OPEN || !bytes.subarray(bytes.byteLength - CLOSE.byteLength).equals(CLOSE))
        throw layoutChanged(file.path);
      return bytes.subarray(1, bytes.byteLength - CLOSE.byteLength);
    }
    if (!startsWith(bytes, expected.head)) throw layoutChanged(file.path);
    return bytes.subarray(expected.head.byteLength);
  });
  const digests = rowDigests(input);
  const listed = Object.fromEntries(tableNames.map((table) => [table, [...digests[table]]]));
  segments.push(Buffer.from(JSON.stringify(listed), 'utf8'));
  return segments;
}

/** The row digests stored as the last segment, as `diffReleases` takes them. */
export function digestsOf(segment: Uint8Array): Record<TableName, Map<string, string>> {
  const listed = JSON.parse(
    Buffer.from(segment.buffer, segment.byteOffset, segment.byteLength).toString('utf8'),
  );
  const out = {} as Record<TableName, Map<string, string>>;
  for (const table of tableNames) out[table] = new Map(listed[table] as [string, string][]);
  return out;
}

function layoutChanged(path: string) {
  return runtimeError(
    'PUBLISH_SEGMENT_LAYOUT',
    `The exporter's ${path} of one source does not have the expected head and tail, so the release cannot be joined from per-source segments; update @newsdata/publish's segments.ts to the exporter's format.`,
  );
}
