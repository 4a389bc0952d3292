import { hash } from 'node:crypto';
import { type Changes, type TableName, type Tables, tableNames } from '@newsdata/contract';
import { dataError } from '@newsdata/errors';
import { ChunkBuffer, formatJson } from './json.js';
import { type AnyRow, keyFor, rowJsonWriter, rowsOf } from './rows.js';

/** Per table: the key of each row (`keyOf`) → a digest of the row's canonical JSON. */
export type RowDigests = Record<TableName, Map<string, string>>;

function digest(line: string): string {
  // The one-shot form: a Hash object per row cost more than hashing the row.
  return hash('sha256', line, 'hex');
}

/**
 * The digest of every row of every table: SHA-256 (hex) of the row's canonical JSON line, the same
 * line `<table>.ndjson` holds. Maps iterate in key order.
 *
 * @example rowDigests(tables).people.get('dl-0108~3f2a9c1d|石朕|reporter') // 'c0ffee…'
 */
export function rowDigests(input: Tables): RowDigests {
  const out = {} as RowDigests;
  for (const table of tableNames) {
    const write = rowJsonWriter(table);
    const entries = rowsOf(input, table).map((row) => [keyFor(table, row), digest(write(row))] as const);
    entries.sort((a, b) => compareText(a[0], b[0]));
    out[table] = new Map(entries);
    if (out[table].size !== entries.length) {
      const duplicate = entries.find((entry, i) => i > 0 && entry[0] === entries[i - 1]![0])![0];
      throw dataError(
        'EXPORT_DUPLICATE_KEY',
        `Table ${table} has two rows with the key ${duplicate}; keys must be unique. Validate the tables before exporting them.`,
        { table, key: duplicate },
      );
    }
  }
  return out;
}

export interface NdjsonSource {
  /** File name for error messages (`releases/0f3a…/people.ndjson`). */
  file?: string;
}

/**
 * Rebuild the digests of one table from its `<table>.ndjson` of a previous release, so publish needs no
 * state besides the release itself. Each line is parsed and written again canonically, so a change of
 * formatting alone is not a change of data. Chunks may split a line or a UTF-8 character anywhere.
 * A line that is not a JSON object throws `NDJSON_LINE_INVALID` with its file and line.
 */
export async function digestsFromNdjson(
  table: TableName,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  source: NdjsonSource = {},
): Promise<Map<string, string>> {
  const write = rowJsonWriter(table);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const entries: [string, string][] = [];
  let rest = '';
  let line = 0;
  const take = (text: string) => {
    line++;
    if (text.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (cause) {
      throw invalidLine(source, line, 'is not JSON', cause);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      throw invalidLine(source, line, 'is not an object');
    entries.push([keyFor(table, row as AnyRow), digest(write(row as AnyRow))]);
  };
  const feed = (text: string) => {
    rest += text;
    let start = 0;
    for (let end = rest.indexOf('\n'); end !== -1; end = rest.indexOf('\n', start)) {
      take(rest.slice(start, end));
      start = end + 1;
    }
    rest = rest.slice(start);
  };
  try {
    for await (const chunk of chunks)
      feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    feed(decoder.decode());
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw invalidLine(source, line + 1, '(or one after it) is not valid UTF-8', error);
    }
    throw error;
  }
  if (rest !== '') take(rest);
  entries.sort((a, b) => compareText(a[0], b[0]));
  return new Map(entries);
}

function invalidLine(source: NdjsonSource, line: number, what: string, cause?: unknown) {
  return dataError(
    'NDJSON_LINE_INVALID',
    `Line ${line} of ${source.file ?? 'the NDJSON input'} ${what}; each line must be one JSON object (a row of the table). Republish from the sources to rebuild it.`,
    { ...(source.file === undefined ? {} : { file: source.file }), line, cause },
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `changes.json` of a release: per table (all five, in `tableNames` order), the keys of rows added,
 * removed and changed (same key, other values) since the previous release, each list sorted by code
 * unit. With no previous release every row is added.
 *
 * @example diffReleases(before, after, { release_id: '3f2a9c1d0b7e4a65', previous_release_id: null })
 * // { release_id: '3f2a…', previous_release_id: null, tables: { articles: { added: ['dl-0108~3f2a9c1d'], removed: [], changed: [] }, … } }
 */
export function diffReleases(
  previous: Record<TableName, Map<string, string>> | null,
  current: Record<TableName, Map<string, string>>,
  ids: { release_id: string; previous_release_id: string | null },
): Changes {
  const result: Changes['tables'] = {};
  for (const table of tableNames) {
    const before = previous?.[table] ?? new Map<string, string>();
    const after = current[table];
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    for (const [key, hash] of after) {
      const old = before.get(key);
      if (old === undefined) added.push(key);
      else if (old !== hash) changed.push(key);
    }
    for (const key of before.keys()) if (!after.has(key)) removed.push(key);
    result[table] = {
      added: added.sort(compareText),
      removed: removed.sort(compareText),
      changed: changed.sort(compareText),
    };
  }
  return { release_id: ids.release_id, previous_release_id: ids.previous_release_id, tables: result };
}

/** Stands in for a key list while the rest of changes.json is formatted. */
const LIST_MARK = '\u0000newsdata-list\u0000';

/**
 * The bytes of `serializeJson(changes)`, in chunks, without the whole text in memory at once: a first
 * release lists every row key of the corpus as added (about 10 MB of JSON for 2,000 pages), and that
 * text as one string, plus its bytes, would be the largest thing a publish holds.
 *
 * @example Buffer.concat([...changesJsonChunks(changes)]).equals(serializeJson(changes)) // true
 */
export function* changesJsonChunks(changes: Changes): Generator<Uint8Array, void, undefined> {
  // serializeJson sorts members, so the lists' marks appear in the text in this order.
  const marks: string[][] = [];
  const tables: Record<string, Record<string, string> | undefined> = {};
  for (const table of Object.keys(changes.tables).sort(compareText)) {
    const entry = changes.tables[table];
    if (!entry) {
      tables[table] = entry;
      continue;
    }
    const lists: Record<string, string> = {};
    for (const name of Object.keys(entry).sort(compareText)) {
      marks.push(entry[name as keyof typeof entry]);
      lists[name] = LIST_MARK;
    }
    tables[table] = lists;
  }
  const skeleton = { ...changes, tables };
  const text = formatJson(skeleton, true, '');
  const quotedMark = JSON.stringify(LIST_MARK);
  const buffer = new ChunkBuffer();
  let from = 0;
  for (const list of marks) {
    const at = text.indexOf(quotedMark, from);
    const indent = text.slice(text.lastIndexOf('\n', at) + 1).match(/^ */)![0];
    let chunk = buffer.push(text.slice(from, at));
    if (chunk) yield chunk;
    if (list.length === 0) buffer.push('[]');
    else {
      buffer.push('[');
      for (const [i, item] of list.entries()) {
        chunk = buffer.push(`${i === 0 ? '' : ','}\n${indent}  ${JSON.stringify(item)}`);
        if (chunk) yield chunk;
      }
      buffer.push(`\n${indent}]`);
    }
    from = at + quotedMark.length;
  }
  buffer.push(`${text.slice(from)}\n`);
  const rest = buffer.flush();
  if (rest) yield rest;
}
