import { createHash } from 'node:crypto';
import {
  emptyTables,
  type SourceMeta,
  type Tables,
  tableNames,
  type ValidationReport,
} from '@newsdata/contract';
import type { SourceContext } from '@newsdata/validate';
import type { CorpusPage } from './corpus.js';

/** What the benchmark reads of a parsed page (a `ParsedPage` of @newsdata/parse). */
export type ParsedLike = Required<
  Pick<SourceContext, 'encoding' | 'lines' | 'accounting' | 'noise' | 'warnings'>
>;

/**
 * The stage functions, each present only when its package exports it: the packages are written alongside
 * the benchmark, and a stage that is missing is reported as not available rather than measured.
 */
export interface Stages {
  parsePage?: (bytes: Uint8Array, options: { file: string }) => ParsedLike;
  toRecords?: (
    page: ParsedLike,
    source: { source_id: string; meta: SourceMeta | null; date?: string | null },
  ) => Tables;
  validateRelease?: (input: { tables: Tables; sources: SourceContext[] }) => ValidationReport;
  /** Reads only each file's `path` and `chunks()` (a `ReleaseFile` of @newsdata/export). */
  planRelease?: (tables: Tables, options?: unknown) => { path: string; chunks(): Iterable<Uint8Array> }[];
  csvChunks?: (
    table: 'statistics' | 'paragraphs',
    rows: readonly object[],
    flavour: 'standard',
  ) => Iterable<Uint8Array>;
}

async function exportsOf(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function fn<T>(module: Record<string, unknown>, name: string): T | undefined {
  return typeof module[name] === 'function' ? (module[name] as T) : undefined;
}

/** Load whatever stage functions the packages export right now. */
export async function loadStages(): Promise<Stages> {
  const [parse, extract, validate, exporter] = await Promise.all([
    exportsOf('@newsdata/parse'),
    exportsOf('@newsdata/extract'),
    exportsOf('@newsdata/validate'),
    exportsOf('@newsdata/export'),
  ]);
  return {
    parsePage: fn(parse, 'parsePage'),
    toRecords: fn(extract, 'toRecords'),
    validateRelease: fn(validate, 'validateRelease'),
    planRelease: fn(exporter, 'planRelease'),
    csvChunks: fn(exporter, 'csvChunks'),
  };
}

/** Parse every page. */
export function parseAll(
  stages: Required<Pick<Stages, 'parsePage'>>,
  pages: readonly CorpusPage[],
): ParsedLike[] {
  return pages.map((page) => stages.parsePage(page.bytes, { file: page.name }));
}

/** Records of every page, one set of tables per page. */
export function extractEach(
  stages: Required<Pick<Stages, 'toRecords'>>,
  pages: readonly CorpusPage[],
  parsed: readonly ParsedLike[],
): Tables[] {
  return pages.map((page, index) =>
    stages.toRecords(parsed[index]!, { source_id: page.sourceId, meta: null, date: page.date }),
  );
}

/** The tables of every page gathered into one set. */
export function gatherTables(each: readonly Tables[]): Tables {
  const all = emptyTables();
  for (const tables of each) {
    for (const table of tableNames) {
      const into = all[table] as object[];
      for (const row of tables[table]) into.push(row);
    }
  }
  return all;
}

/** Records of every page, gathered into one set of tables. */
export function extractAll(
  stages: Required<Pick<Stages, 'toRecords'>>,
  pages: readonly CorpusPage[],
  parsed: readonly ParsedLike[],
): Tables {
  return gatherTables(extractEach(stages, pages, parsed));
}

/** What validation is told about each source (as publish tells it). */
export function sourceContexts(pages: readonly CorpusPage[], parsed: readonly ParsedLike[]): SourceContext[] {
  return pages.map((page, index) => {
    const result = parsed[index]!;
    return {
      source_id: page.sourceId,
      file: page.name,
      sha256: createHash('sha256').update(page.bytes).digest('hex'),
      bytes: page.bytes.byteLength,
      encoding: result.encoding,
      lines: result.lines,
      accounting: result.accounting,
      noise: result.noise,
      warnings: result.warnings,
    };
  });
}

/** The options of a release, as planRelease reads them. */
export function releaseOptions(pages: readonly CorpusPage[]): unknown {
  return {
    name: 'bench',
    title: '基准测试语料',
    version: '0.0.0',
    sources: pages.map((page) => ({ source_id: page.sourceId, bytes: page.bytes.byteLength })),
  };
}

/**
 * Every file of each page's tables alone, as publish renders a source's segments; returns the bytes
 * produced.
 */
export function exportEach(
  stages: Required<Pick<Stages, 'planRelease'>>,
  each: readonly Tables[],
  options: unknown,
): number {
  let bytes = 0;
  for (const tables of each)
    for (const file of stages.planRelease(tables, options))
      for (const chunk of file.chunks()) bytes += chunk.byteLength;
  return bytes;
}

/** Every file of the release, produced in full; returns the files' bytes (kept when `keep`). */
export function exportAll(
  stages: Required<Pick<Stages, 'planRelease'>>,
  tables: Tables,
  options: unknown,
  keep = false,
): { bytes: number; files: { path: string; data: Buffer }[] } {
  let bytes = 0;
  const files: { path: string; data: Buffer }[] = [];
  for (const file of stages.planRelease(tables, options)) {
    const chunks: Uint8Array[] = [];
    for (const chunk of file.chunks()) {
      bytes += chunk.byteLength;
      if (keep) chunks.push(chunk);
    }
    if (keep) files.push({ path: file.path, data: Buffer.concat(chunks) });
  }
  return { bytes, files };
}
