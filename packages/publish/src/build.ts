import { keyOf, type TableName, type Tables, tableNames, type ValidationReport } from '@newsdata/contract';
import { isNewsDataError } from '@newsdata/errors';
import { rowDigests } from '@newsdata/export';
import { toRecords } from '@newsdata/extract';
import { type Encoding, type ParsedPage, parsePage } from '@newsdata/parse';
import {
  describeSourceError,
  type Lang,
  type SourceContext,
  type SourceError,
  validateRelease,
} from '@newsdata/validate';
import { ownsItsKeys, type PackedSegments, renderSegments } from './segments.js';
import type { LoadedSource } from './sources.js';

/** The pure per-source steps; replaceable in tests (to count parses). */
export interface Engine {
  parsePage(bytes: Uint8Array, options: { file: string }): ParsedPage;
  toRecords(
    page: ParsedPage,
    source: { source_id: string; meta: LoadedSource['meta']; date: string | null },
  ): Tables;
}

export const defaultEngine: Engine = { parsePage, toRecords };

/** Why a source could not be read or parsed, as the report and the result show it. */
export type SourceFailure = SourceError;

/** A source's failure from what was thrown, keeping the file the position is in. */
export const sourceError = describeSourceError;

/** One source to build: its bytes and what validation says about where they came from. */
export interface BuildJob {
  source_id: string;
  meta: LoadedSource['meta'];
  date: string | null;
  /** Path or URL, as problems name it. */
  file: string;
  sha256: string;
  bytes: Uint8Array;
  lang: Lang;
  /** Also give each row's digest (for changes.json against a previous release); keys alone otherwise. */
  digests: boolean;
}

/**
 * The keys of a source's rows per table, in key order, with each row's digest (`rowDigests`) when the
 * job asked for them: what changes.json needs of a source.
 */
export type RowKeys = Record<TableName, { keys: string[]; digests: string[] | null }>;

/**
 * What one source contributes to a release besides its segments, and what the release index keeps of
 * it: the part of the validation report that comes from its rows alone, and the row counts. Problems of
 * one source never depend on another's rows when the source owns its keys (`joinable`); else the
 * tables are kept, and the run validates and exports all rows at once.
 */
export interface BuiltSource {
  file: string;
  lang: Lang;
  encoding: Encoding;
  report: Pick<ValidationReport, 'problems' | 'tables'>;
  /** Byte lengths of the segments (see `renderSegments`); null when the source is not joinable. */
  segments: number[] | null;
  /** Only when not joinable. */
  tables?: Tables;
}

/**
 * Parse, extract, validate on its own and render one source. A source that cannot be decoded or parsed
 * gives its failure instead (not cached: the report names it on every run).
 */
export function buildSource(
  job: BuildJob,
  engine: Engine = defaultEngine,
  /** Where the segments' buffer comes from (see `renderSegments`). */
  take?: (bytes: number) => ArrayBuffer,
):
  | { built: BuiltSource; segments: PackedSegments | null; rows: RowKeys }
  | { failure: SourceFailure; unexpected: boolean } {
  let page: ParsedPage;
  let tables: Tables;
  try {
    page = engine.parsePage(job.bytes, { file: job.file });
    tables = engine.toRecords(page, { source_id: job.source_id, meta: job.meta, date: job.date });
  } catch (error) {
    // Whatever stops one page (undecodable bytes, or a parser bug) is that source's problem in the report.
    return { failure: sourceError(error), unexpected: !isNewsDataError(error) };
  }
  const context: SourceContext = {
    source_id: job.source_id,
    file: job.file,
    sha256: job.sha256,
    bytes: job.bytes.byteLength,
    encoding: page.encoding,
    lines: page.lines,
    accounting: page.accounting,
    noise: page.noise.map((item) => ({ line: item.line })),
    warnings: page.warnings,
  };
  const joinable = ownsItsKeys(job.source_id, tables);
  let segments: PackedSegments | null = null;
  if (joinable) {
    try {
      segments = renderSegments(tables, take);
    } catch (error) {
      // Rows the exporter refuses are invalid: validation of the whole run names them.
      if (!isNewsDataError(error) || error.fault !== 'data') throw error;
    }
  }
  const report = validateRelease({ tables, sources: [context] }, { lang: job.lang });
  const built: BuiltSource = {
    file: job.file,
    lang: job.lang,
    encoding: page.encoding,
    report: { problems: report.problems, tables: report.tables },
    segments: segments ? segments.lengths : null,
    ...(segments ? {} : { tables }),
  };
  return { built, segments, rows: rowKeys(tables, job.digests) };
}

function rowKeys(tables: Tables, withDigests: boolean): RowKeys {
  const out = {} as RowKeys;
  const digests = withDigests ? rowDigests(tables) : null;
  for (const table of tableNames) {
    if (digests) {
      const entries = digests[table];
      out[table] = { keys: [...entries.keys()], digests: [...entries.values()] };
    } else {
      const keys = (tables[table] as unknown as Record<string, unknown>[]).map((row) =>
        keyOf(table, row as never),
      );
      keys.sort(byCodeUnit);
      out[table] = { keys, digests: null };
    }
  }
  return out;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
