import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { type FileHandle, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import {
  type Changes,
  emptyTables,
  type Manifest,
  type TableName,
  type Tables,
  TOOL,
  tableNames,
  type ValidationReport,
} from '@newsdata/contract';
import { fromSystemError, isNewsDataError, type NewsDataError, runtimeError } from '@newsdata/errors';
import {
  buildDataPackage,
  changesJsonChunks,
  diffReleases,
  digestsFromNdjson,
  type WrittenFile as ExportedFile,
  type License,
  planRelease,
  releaseIdFor,
  rowDigests,
  serializeJson,
} from '@newsdata/export';
import type { Encoding, ParsedPage } from '@newsdata/parse';
import {
  assembleReport,
  type Lang,
  type Problem,
  partitionRows,
  type RejectedRow,
  type SourceContext,
  validateRelease,
} from '@newsdata/validate';
import { ReleaseAssembler } from './assemble.js';
import {
  type BuiltSource,
  defaultEngine,
  type Engine,
  type RowKeys,
  type SourceFailure,
  sourceError,
} from './build.js';
import { cacheKey, UrlCache } from './cache.js';
import { faultPoint } from './fault.js';
import { writeFileAtomic } from './fsutil.js';
import { acquireLock } from './lock.js';
import { quarantineFiles } from './quarantine.js';
import {
  dropLegacyCache,
  dropReleaseIndex,
  type IndexedSource,
  type ReleaseIndex,
  readReleaseIndex,
  writeReleaseIndex,
} from './release-index.js';
import { releaseLayout } from './segments.js';
import {
  discoverSources,
  type LoadedSource,
  type ReadOptions,
  readSource,
  type SourceRef,
} from './sources.js';
import {
  cleanStaging,
  commitRelease,
  currentId,
  damagedFiles,
  openStaging,
  pruneReleases,
  readCurrent,
  type StagedWriter,
  type Staging,
  storePaths,
} from './store.js';
import {
  type Builder,
  type BuildOutcome,
  defaultThreads,
  inProcessBuilder,
  threadBuilder,
} from './workers.js';

/** A pino-compatible logger: `(object, message)`. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export type { Engine } from './build.js';

/** Options shared by {@link publish} and {@link validateSources}. */
export interface CollectOptions {
  /** Files, directories of `*.txt`, or http(s) URLs. */
  sources: string[];
  /** Language of the report's messages. Default `en`. */
  lang?: Lang;
  logger?: Logger;
  /** Called after each source is read and parsed (or taken from the cache). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Limits for reading sources (timeout, byte limit, retries) — see `readSource`. */
  read?: Omit<ReadOptions, 'previous' | 'signal'>;
  /** Sources read and parsed at once. Default 4. */
  concurrency?: number;
  /** For tests: the parse and extract functions (sources are then built in this thread). */
  engine?: Engine;
  /** Worker threads that parse and extract changed sources. Default: one per core; 0 builds in this thread. */
  threads?: number;
}

export interface PublishOptions extends CollectOptions {
  /** The release store. */
  out: string;
  /** Releases kept (current and the one before it are never pruned). Default 30. */
  keep?: number;
  /** Invalid data: block the publish (default), or publish the valid rows and quarantine the rest. */
  onInvalid?: 'block' | 'quarantine';
  /** Under `quarantine`: the largest share (0–1) of rows that may be set aside. Default 0.05. */
  maxQuarantineShare?: number;
  /** Another publisher holds the lock: wait for it, or fail at once with PUBLISH_LOCKED (default). */
  lock?: 'wait' | 'fail';
  /** How long to wait for the lock. Default 10 minutes. */
  lockTimeoutMs?: number;
  /** Awaited right before `current` is switched; throwing aborts the publish (the staged release is dropped). */
  beforeSwitch?: () => Promise<void>;
  /** Clock for `manifest.json`'s `created`. */
  now?: () => Date;
  /** Package-level fields of `datapackage.json`. */
  dataPackage?: {
    name?: string;
    title?: string;
    description?: string;
    version?: string;
    licenses?: License[];
  };
}

/** One source of a run, as the result lists it. */
export interface SourceSummary {
  source_id: string;
  /** Empty when the source could not be read. */
  sha256: string;
  bytes: number;
  encoding: Encoding | null;
  file: string;
  /** Taken from the per-source cache (not parsed again). */
  cached: boolean;
  /** The source's own error (unreadable, undecodable), if any. */
  error?: { code: string; message: string };
}

export interface PublishResult {
  status: 'published' | 'unchanged' | 'invalid' | 'failed';
  /** The release now current (the new one, or the unchanged one); null when invalid or failed. */
  release_id: string | null;
  /** The release that was current before the run. */
  previous_release_id: string | null;
  report: ValidationReport;
  /** What changed since the previous release; null unless published. */
  changes: Changes | null;
  sources: SourceSummary[];
  /** Rows set aside under the quarantine policy. */
  quarantined?: number;
  /** Sources parsed in this run and sources taken from the cache. */
  parsed: number;
  cached: number;
  /** Releases pruned after the switch. */
  pruned?: string[];
  /**
   * Files of the release that was current that were missing or not of their manifest's size: it was
   * rebuilt from the sources and replaced (under the same id when the sources had not changed).
   */
  repaired?: string[];
  /** Why the run failed after validation (status `failed`); the previous release stays current. */
  error?: NewsDataError;
  duration_ms: number;
}

interface Collected {
  tables: Tables;
  contexts: SourceContext[];
  summaries: SourceSummary[];
  parsed: number;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const EMPTY_BYTES = new Uint8Array(0);

/** A source after reading: its bytes and cache key, or why it could not be read. */
interface ReadResult {
  ref: SourceRef;
  where: string;
  loaded: LoadedSource | null;
  /** Byte length of the source (its bytes may have been let go: see `readAll`'s `keepBytes`). */
  size: number;
  key: string | null;
  failure?: SourceFailure;
}

/**
 * The current release and what of it is damaged: files missing or not of their manifest's size (see
 * `damagedFiles`), or the manifest itself.
 */
async function inspectCurrent(out: string): Promise<{
  id: string | null;
  current: { id: string; manifest: Manifest } | null;
  damaged: string[];
}> {
  let current: { id: string; manifest: Manifest } | null;
  try {
    current = await readCurrent(out);
  } catch (error) {
    if (!isNewsDataError(error) || error.code !== 'RELEASE_CORRUPT') throw error;
    return { id: await currentId(out), current: null, damaged: ['manifest.json'] };
  }
  if (!current) return { id: null, current: null, damaged: [] };
  return { id: current.id, current, damaged: await damagedFiles(out, current) };
}

/**
 * The change log of release `id` as it is on disk, when it is intact and names `previous_release_id`;
 * null otherwise (the rows are then all listed as added: there is nothing trustworthy to diff against).
 */
async function keptChanges(
  out: string,
  id: string,
  previous_release_id: string | null,
  damaged: readonly string[],
): Promise<Changes | null> {
  if (damaged.includes('changes.json') || damaged.includes('manifest.json')) return null;
  try {
    const changes = JSON.parse(
      await readFile(join(storePaths(out).release(id), 'changes.json'), 'utf8'),
    ) as Changes;
    const intact =
      changes.release_id === id &&
      changes.previous_release_id === previous_release_id &&
      tableNames.every((table) => Array.isArray(changes.tables?.[table]?.added));
    return intact ? changes : null;
  } catch {
    return null;
  }
}

/** Fewer sources to build than this are built in the main thread (see `assemble`). */
const MIN_THREADED_SOURCES = 4;

/** Worker threads a run may use: none with a test engine (it lives in this thread). */
function threadsFor(options: PublishOptions): number {
  return options.engine ? 0 : (options.threads ?? defaultThreads());
}

/** Map with at most `width` calls in flight, keeping the order of the input. */
async function pool<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
  after?: () => void,
) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
      after?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return results;
}

/** Read and hash every source; URL sources through their conditional-request cache. */
async function readAll(
  refs: SourceRef[],
  options: CollectOptions,
  urls: UrlCache | null,
  keepBytes = true,
): Promise<ReadResult[]> {
  const logger = options.logger ?? silent;
  checkAborted(options.signal);
  await settle(refs, options.read?.settleMs ?? 200, options.signal).catch(() => checkAborted(options.signal));
  return pool(refs, options.concurrency ?? 4, async (ref): Promise<ReadResult> => {
    checkAborted(options.signal);
    const where = ref.kind === 'file' ? ref.file : ref.url;
    try {
      const previous = ref.kind === 'url' && urls ? await urls.previous(ref.source_id) : null;
      let loaded = await readSource(ref, {
        ...options.read,
        ...(previous ? { previous } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (loaded.notModified && urls) {
        urls.touch(ref.source_id);
        const bytes = await urls.bytes(loaded.sha256);
        if (!bytes)
          throw runtimeError('SOURCE_CACHE_LOST', `The cached copy of ${where} disappeared; publish again.`);
        loaded = { ...loaded, bytes, notModified: false };
      } else if (ref.kind === 'url' && urls) {
        await urls.remember(
          ref.source_id,
          {
            url: ref.url,
            sha256: loaded.sha256,
            ...(loaded.etag ? { etag: loaded.etag } : {}),
            ...(loaded.lastModified ? { lastModified: loaded.lastModified } : {}),
          },
          loaded.bytes,
        );
      }
      const key = cacheKey({
        source_id: loaded.source_id,
        sha256: loaded.sha256,
        metaSha256: loaded.metaSha256,
      });
      const size = loaded.bytes.byteLength;
      // Without `keepBytes` only the hash is kept: the bytes are read again if the source must be
      // built, so memory does not grow with the corpus.
      if (!keepBytes) loaded = { ...loaded, bytes: EMPTY_BYTES };
      return { ref, where, loaded, size, key };
    } catch (error) {
      checkAborted(options.signal);
      // Disk problems stop the run; a source that cannot be had is a report entry.
      if (
        isNewsDataError(error) &&
        error.code.startsWith('IO_') &&
        ref.kind === 'file' &&
        error.code !== 'IO_ENOENT'
      ) {
        throw error;
      }
      const failure = sourceError(error);
      logger.warn({ source_id: ref.source_id, file: where, code: failure.code }, 'source could not be read');
      return { ref, where, loaded: null, size: 0, key: null, failure };
    }
  });
}

/** Parse and extract every source that was read, in source-id order (`pnpm cli validate`: no cache). */
async function buildAll(reads: ReadResult[], options: CollectOptions): Promise<Collected> {
  const logger = options.logger ?? silent;
  const engine = options.engine ?? defaultEngine;
  let done = 0;
  let parsed = 0;
  const results = await pool(
    reads,
    options.concurrency ?? 4,
    async ({ ref, where, loaded, key, failure: readFailure }) => {
      checkAborted(options.signal);
      if (!loaded || key === null) {
        const failure = readFailure ?? { code: 'SOURCE_FAILED', message: `${where} could not be read.` };
        return {
          context: {
            source_id: ref.source_id,
            file: failedFile(where, failure),
            sha256: EMPTY_SHA256,
            bytes: 0,
            encoding: null,
            error: failure,
          } satisfies SourceContext,
          summary: {
            source_id: ref.source_id,
            sha256: '',
            bytes: 0,
            encoding: null,
            file: where,
            cached: false,
            error: { code: failure.code, message: failure.message },
          } satisfies SourceSummary,
          tables: null,
        };
      }
      let page: ParsedPage | null = null;
      let tables: Tables | null = null;
      let failure: SourceFailure | undefined;
      try {
        page = engine.parsePage(loaded.bytes, { file: where });
        tables = engine.toRecords(page, {
          source_id: loaded.source_id,
          meta: loaded.meta,
          date: loaded.date,
        });
        parsed++;
      } catch (error) {
        // Whatever stops one page (undecodable bytes, or a parser bug) is that source's problem in the report.
        if (!isNewsDataError(error))
          logger.error({ source_id: loaded.source_id, err: error }, 'parse failed');
        failure = sourceError(error);
        page = null;
      }
      logger.debug(
        { source_id: loaded.source_id, sha256: loaded.sha256, error: failure?.code },
        'source parsed',
      );
      const entry = page && {
        encoding: page.encoding,
        lines: page.lines,
        accounting: page.accounting,
        noise: page.noise.map((item) => ({ line: item.line })),
        warnings: page.warnings,
      };
      const context: SourceContext = {
        source_id: loaded.source_id,
        file: where,
        sha256: loaded.sha256,
        bytes: loaded.bytes.byteLength,
        encoding: entry?.encoding ?? null,
        ...(entry
          ? { lines: entry.lines, accounting: entry.accounting, noise: entry.noise, warnings: entry.warnings }
          : {}),
        ...(failure ? { error: failure } : {}),
      };
      const summary: SourceSummary = {
        source_id: loaded.source_id,
        sha256: loaded.sha256,
        bytes: loaded.bytes.byteLength,
        encoding: entry?.encoding ?? null,
        file: where,
        cached: false,
        ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
      };
      return { context, summary, tables };
    },
    () => options.onProgress?.(++done, reads.length),
  );

  const tables = emptyTables();
  for (const result of results) {
    if (!result.tables) continue;
    for (const table of tableNames) (tables[table] as unknown[]).push(...(result.tables[table] as unknown[]));
  }
  return {
    tables,
    contexts: results.map((result) => result.context),
    summaries: results.map((result) => result.summary),
    parsed,
  };
}

/** Everything a release's bytes depend on besides the code: when it is the same as last time, so is the release. */
function fingerprintOf(reads: ReadResult[], options: PublishOptions): string | null {
  if (options.engine || reads.some((read) => read.key === null)) return null;
  const inputs = {
    tool: TOOL.version,
    lang: options.lang ?? 'en',
    onInvalid: options.onInvalid ?? 'block',
    maxQuarantineShare: options.maxQuarantineShare ?? 0.05,
    dataPackage: options.dataPackage ?? null,
    sources: reads.map((read) => [read.ref.source_id, read.where, read.key]),
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

const LAST_RUN = ['.cache', 'last-run.json'] as const;

/** The fingerprint of the inputs of the current release, as the last successful run recorded it. */
async function lastRun(out: string): Promise<{ fingerprint: string; release_id: string } | null> {
  try {
    const value = JSON.parse(await readFile(join(out, ...LAST_RUN), 'utf8'));
    return typeof value?.fingerprint === 'string' && typeof value?.release_id === 'string' ? value : null;
  } catch {
    return null;
  }
}

async function rememberRun(out: string, fingerprint: string | null, release_id: string): Promise<void> {
  const file = join(out, ...LAST_RUN);
  if (fingerprint === null) await rm(file, { force: true });
  else await writeFileAtomic(file, JSON.stringify({ fingerprint, release_id }));
}

/**
 * Wait once until the most recently modified local source is `settleMs` old, so that a batch of files
 * just copied in costs one short wait here instead of one in every `readSource`.
 */
async function settle(refs: SourceRef[], settleMs: number, signal?: AbortSignal): Promise<void> {
  let newest = 0;
  for (const ref of refs) {
    if (ref.kind !== 'file') continue;
    // Synchronous: one stat is a few microseconds, a thread-pool round trip many times that.
    const stats = statSync(ref.file, { throwIfNoEntry: false });
    if (stats) newest = Math.max(newest, stats.mtimeMs);
  }
  const wait = settleMs - (Date.now() - newest);
  if (newest > 0 && wait > 0) await setTimeout(Math.min(wait, settleMs), undefined, signal ? { signal } : {});
}

/**
 * Read, parse and validate the sources without writing anything (`pnpm cli validate`).
 *
 * @example
 * const { report } = await validateSources({ sources: ['data/sources'], lang: 'zh' });
 * report.valid; // true
 */
export async function validateSources(
  options: CollectOptions,
): Promise<{ report: ValidationReport; sources: SourceSummary[]; tables: Tables; parsed: number }> {
  const refs = await sourcesOf(options.sources);
  const collected = await buildAll(await readAll(refs, options, null), options);
  const report = validateRelease(
    { tables: collected.tables, sources: collected.contexts },
    { lang: options.lang ?? 'en' },
  );
  return { report, sources: collected.summaries, tables: collected.tables, parsed: collected.parsed };
}

/** The sources named by the specs; none at all is a mistake (it would publish an empty release). */
async function sourcesOf(specs: string[]): Promise<SourceRef[]> {
  const refs = await discoverSources(specs);
  if (refs.length === 0) {
    throw runtimeError(
      'SOURCES_EMPTY',
      `No sources found in ${specs.join(', ') || '(no --source given)'}: give .txt files, a directory holding them, or URLs.`,
    );
  }
  return refs;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw runtimeError('PUBLISH_ABORTED', 'The publish was cancelled; the current release is unchanged.', {
      cause: signal.reason,
    });
  }
}

function withProblem(report: ValidationReport, problem: Problem): ValidationReport {
  const by_type = {
    ...report.counts.by_type,
    [problem.type]: (report.counts.by_type[problem.type] ?? 0) + 1,
  };
  return {
    ...report,
    valid: false,
    counts: { ...report.counts, errors: report.counts.errors + 1, by_type },
    problems: [problem, ...report.problems],
  };
}

/** The release's own JSON files and quarantine CSVs, besides the data files. */
interface ExtraFile {
  path: string;
  rows: number | null;
  bytes: Uint8Array;
}

/**
 * One publishing run: discover → read (hash) → cache or parse+extract → validate → export → stage →
 * switch `current` → prune. Publishing unchanged sources writes nothing and returns `unchanged`.
 * Invalid data never replaces the current release: under `block` the report goes to
 * `<out>/reports/latest-invalid.json` and the result is `invalid`; under `quarantine` the valid rows are
 * published and the rejected ones go to `quarantine/<table>.csv` inside the release, unless more than
 * `maxQuarantineShare` of the rows are rejected.
 *
 * Throws (typed) when the run cannot start: a bad source spec, a busy lock. Once a report exists,
 * a failure is returned as status `failed` with `error`, the previous release still current.
 *
 * @example
 * const result = await publish({ sources: ['data/sources'], out: 'public' });
 * // { status: 'published', release_id: '5d41402abc4b2a76', previous_release_id: null, changes: { tables: { articles: { added: ['dalian-daily-sample-page~3f2a9c1d', …] … } } }, … }
 */
export async function publish(options: PublishOptions): Promise<PublishResult> {
  const started = performance.now();
  const logger = options.logger ?? silent;
  const { out, keep = 30, onInvalid = 'block', maxQuarantineShare = 0.05, now = () => new Date() } = options;
  const refs = await sourcesOf(options.sources);
  const release = await acquireLock(out, {
    wait: options.lock === 'wait',
    ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
  });
  let staging: Staging | null = null;
  let early: Builder | null = null;
  try {
    faultPoint('after-lock');
    const leftovers = await cleanStaging(out);
    if (leftovers > 0) logger.info({ removed: leftovers }, 'removed leftovers of an interrupted publish');
    const inspected = await inspectCurrent(out);
    const { damaged } = inspected;
    // A damaged current release is rebuilt from the sources as if it were the first one, then
    // replaced: its files can neither be copied from nor diffed against.
    const previous = damaged.length === 0 ? inspected.current : null;
    const previous_release_id = inspected.id;
    if (damaged.length > 0) {
      logger.warn(
        { release_id: previous_release_id, files: damaged },
        'the current release does not match its manifest: rebuilding it from the sources',
      );
    }
    // With no release yet every source will be built: the threads start now and load their modules
    // while this one reads the sources (about a fifth of a second on two cores).
    const threads = threadsFor(options);
    if (!previous && threads > 0 && refs.length >= MIN_THREADED_SOURCES) {
      early = threadBuilder(Math.min(threads, refs.length));
      early.warm();
    }
    const urls = new UrlCache(out);
    const reads = await readAll(refs, options, urls, false);
    const fingerprint = fingerprintOf(reads, options);
    const elapsed = () => Math.round(performance.now() - started);

    // The same inputs as the current release: nothing to parse, validate or export.
    const last = fingerprint && previous ? await lastRun(out) : null;
    if (previous && last?.fingerprint === fingerprint && last.release_id === previous.id) {
      const report = await readReport(out, previous.id);
      if (report) {
        await urls.prune();
        const encodings = new Map(
          previous.manifest.sources.map((source) => [source.source_id, source.encoding]),
        );
        options.onProgress?.(reads.length, reads.length);
        logger.info({ release_id: previous.id }, 'sources unchanged: nothing to publish');
        return {
          status: 'unchanged',
          release_id: previous.id,
          previous_release_id: previous.id,
          report,
          changes: null,
          sources: reads.map((read) => ({
            source_id: read.ref.source_id,
            sha256: read.loaded!.sha256,
            bytes: read.size,
            encoding: encodings.get(read.ref.source_id) ?? null,
            file: read.where,
            cached: true,
          })),
          parsed: 0,
          cached: reads.length,
          duration_ms: elapsed(),
        };
      }
    }

    await dropLegacyCache(out);
    const lang = options.lang ?? 'en';
    const index = previous ? await readReleaseIndex(out, previous) : null;
    const parts = classify(reads, index, lang);
    checkAborted(options.signal);
    staging = await openStaging(out);
    let assembled: Assembled;
    try {
      assembled = await assemble(staging, parts, reads, {
        options,
        urls,
        previousDir: index && previous ? storePaths(out).release(previous.id) : null,
        digests: previous !== null,
        early,
      });
      early = null;
    } catch (error) {
      if (isNewsDataError(error) && error.code === 'PUBLISH_ABORTED') throw error;
      return failedRun(error, logger, {
        report: mergeReports(parts, lang),
        previous_release_id,
        sources: summariesOf(parts),
        parsed: parts.filter((part) => part.built && !part.cached).length,
        cached: parts.filter((part) => part.cached).length,
        duration_ms: elapsed(),
      });
    }
    let report = mergeReports(parts, lang);
    const base = {
      previous_release_id,
      sources: summariesOf(parts),
      parsed: assembled.parsed,
      cached: parts.filter((part) => part.cached).length,
    };

    // Rows of sources that do not own their keys are exported from memory, all at once.
    let tables: Tables | null = assembled.joined ? null : await tablesOf(staging, parts);
    let rejected: RejectedRow[] = [];
    if (!report.valid) {
      const sourceFailed = parts.some((part) => part.failure !== undefined);
      if (onInvalid === 'quarantine' && !sourceFailed) {
        tables ??= await tablesOf(staging, parts);
        const partition = partitionRows(tables, report);
        if (partition.rejectedShare > maxQuarantineShare) {
          report = withProblem(report, {
            type: 'quarantine-share-exceeded',
            severity: 'error',
            table: null,
            key: null,
            field: null,
            message:
              `${(partition.rejectedShare * 100).toFixed(1)}% of the rows are invalid, more than the allowed ` +
              `${(maxQuarantineShare * 100).toFixed(1)}%; nothing was published. Fix the sources or raise max_quarantine_share.`,
            source: null,
          });
        } else {
          tables = partition.valid;
          rejected = partition.rejected;
          logger.warn(
            { quarantined: rejected.length, share: partition.rejectedShare },
            'publishing with rows quarantined',
          );
        }
      }
      if (rejected.length === 0) {
        await staging.discard();
        staging = null;
        await writeFileAtomic(join(out, 'reports', 'latest-invalid.json'), serializeJson(report));
        logger.warn(
          { errors: report.counts.errors, warnings: report.counts.warnings, current: previous_release_id },
          'invalid data: nothing published, the current release stays',
        );
        return {
          status: 'invalid',
          release_id: null,
          report,
          changes: null,
          ...base,
          duration_ms: elapsed(),
        };
      }
    }

    try {
      const sources: Manifest['sources'] = parts.flatMap((part) =>
        part.built && part.encoding
          ? [
              {
                source_id: part.source_id,
                sha256: part.sha256,
                bytes: part.size,
                encoding: part.encoding,
                ...(part.url ? { url: part.url } : {}),
              },
            ]
          : [],
      );
      checkAborted(options.signal);
      let written = assembled.files;
      if (tables) {
        // The joined files cannot be published as they are: write the release again from the rows.
        await staging.discard();
        staging = await openStaging(out);
        written = await writeTables(staging, tables);
      }
      const licenses = parts.flatMap((part) => (part.license ? [part.license] : []));
      const extras = releaseExtras(written, sources, report, rejected, licenses, options);
      for (const extra of extras) await staging.write(extra.path, [extra.bytes], extra.rows);
      const release_id = releaseIdFor(staging.files);
      const remember = async () => {
        await rememberRun(out, fingerprint, release_id);
        if (tables) await dropReleaseIndex(out);
        else await writeReleaseIndex(out, indexOf(release_id, written, parts));
      };
      if (release_id === previous_release_id && damaged.length === 0) {
        await staging.discard();
        staging = null;
        await remember();
        await urls.prune();
        logger.info({ release_id }, 'sources unchanged: nothing to publish');
        return { status: 'unchanged', release_id, report, changes: null, ...base, duration_ms: elapsed() };
      }
      // Rebuilt under the id of the damaged release it replaces: the same release, with the same
      // history (its predecessor, and its change log when that file is intact).
      const inPlace = release_id === previous_release_id;
      const ids = {
        release_id,
        previous_release_id: inPlace
          ? (inspected.current?.manifest.previous_release_id ?? null)
          : previous_release_id,
      };
      const changes =
        (inPlace ? await keptChanges(out, release_id, ids.previous_release_id, damaged) : null) ??
        (tables
          ? diffReleases(
              previous ? await previousDigests(out, previous.id, previous.manifest) : null,
              rowDigests(tables),
              ids,
            )
          : await joinedChanges(out, previous, index, parts, ids));
      await staging.write('changes.json', changesJsonChunks(changes));
      const manifest = await staging.finish(
        { ...ids, created: now().toISOString(), tool: { ...TOOL }, sources },
        serializeJson,
      );
      const committed = await commitRelease(staging, manifest, {
        beforeSwitch: async () => {
          if (!(await release.held())) {
            throw runtimeError(
              'PUBLISH_LOCK_LOST',
              `The lock on ${out} was taken over by another publisher during this run; the release was not switched in.`,
              { file: join(out, '.lock') },
            );
          }
          await options.beforeSwitch?.();
          checkAborted(options.signal);
        },
      });
      staging = null;
      await remember();
      const pruned = await pruneReleases(out, keep, previous_release_id ? [previous_release_id] : []);
      await urls.prune();
      logger.info(
        {
          release_id,
          previous_release_id,
          reused: committed.reused,
          pruned: pruned.length,
          quarantined: rejected.length,
        },
        'published',
      );
      return {
        status: 'published',
        release_id,
        report,
        changes,
        ...base,
        ...(rejected.length > 0 ? { quarantined: rejected.length } : {}),
        ...(damaged.length > 0 ? { repaired: damaged } : {}),
        pruned,
        duration_ms: elapsed(),
      };
    } catch (error) {
      return failedRun(error, logger, { report, ...base, duration_ms: elapsed() });
    }
  } finally {
    await early?.close();
    if (staging) await staging.discard().catch(() => undefined);
    await release();
  }
}

/** datapackage.json, validation-report.json and the quarantine CSVs: deterministic, so part of the id. */
function releaseExtras(
  described: ExportedFile[],
  sources: Manifest['sources'],
  report: ValidationReport,
  rejected: RejectedRow[],
  licenses: string[],
  options: PublishOptions,
): ExtraFile[] {
  const quarantine = quarantineFiles(rejected);
  const licenseNames = [...new Set(licenses)].sort();
  const settings = options.dataPackage ?? {};
  const dataPackage = buildDataPackage(described, {
    name: settings.name ?? 'newsdata',
    title: settings.title ?? '新闻数据',
    version: settings.version ?? TOOL.version,
    ...(settings.description === undefined ? {} : { description: settings.description }),
    ...(settings.licenses
      ? { licenses: settings.licenses }
      : licenseNames.length > 0
        ? { licenses: licenseNames.map((name) => ({ name })) }
        : {}),
    sources,
  });
  return [
    { path: 'datapackage.json', rows: null, bytes: serializeJson(dataPackage) },
    { path: 'validation-report.json', rows: null, bytes: serializeJson(report) },
    ...quarantine.map((file) => ({ path: file.path, rows: file.rows, bytes: file.bytes })),
  ];
}

/** The validation report of a release, or null when it cannot be read. */
async function readReport(out: string, id: string): Promise<ValidationReport | null> {
  try {
    return JSON.parse(
      await readFile(join(storePaths(out).release(id), 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
  } catch {
    return null;
  }
}

/** Row digests of the previous release, rebuilt from its NDJSON files (a missing table counts as empty). */
async function previousDigests(
  out: string,
  id: string,
  manifest: Manifest,
): Promise<Record<TableName, Map<string, string>>> {
  const digests = {} as Record<TableName, Map<string, string>>;
  const listed = new Set(manifest.files.map((file) => file.path));
  for (const table of tableNames) {
    const path = `${table}.ndjson`;
    const file = join(storePaths(out).release(id), path);
    digests[table] = listed.has(path)
      ? await digestsFromNdjson(table, createReadStream(file), { file: `releases/${id}/${path}` })
      : new Map();
  }
  return digests;
}

/** One source of a publishing run after the index or a build: what the report, manifest and export need. */
interface Part {
  source_id: string;
  /** Cache key; null when the source could not be read. */
  key: string | null;
  where: string;
  sha256: string;
  size: number;
  encoding: Encoding | null;
  /** Copied out of the current release (its index entry), not built again. */
  cached: boolean;
  failure?: SourceFailure;
  built?: BuiltSource;
  license: string | null;
  url: string | null;
  /** The index entry of the current release this source is copied from. */
  indexed?: IndexedSource;
  /**
   * Keys (and digests) of the rows of a source built in this run: `RowKeys` as UTF-8 JSON, which holds
   * a fraction of the memory of its keys as strings of their own (mostly two-byte, for Chinese names).
   */
  rows?: Buffer;
  /** Where the source's segments start in the new release's data files. */
  at?: number[];
}

/** Each read source, and whether the current release's index lets its rows be copied from there. */
function classify(reads: ReadResult[], index: ReleaseIndex | null, lang: Lang): Part[] {
  const indexed = new Map(index?.sources.map((source) => [source.source_id, source]) ?? []);
  return reads.map(({ ref, where, loaded, key, size, failure }) => {
    const base = {
      source_id: ref.source_id,
      where,
      license: loaded?.meta?.license ?? null,
      url: loaded?.file.startsWith('http') ? loaded.file : null,
    };
    if (!loaded || key === null) {
      return {
        ...base,
        key: null,
        sha256: '',
        size: 0,
        encoding: null,
        cached: false,
        failure: failure ?? { code: 'SOURCE_FAILED', message: `${where} could not be read.` },
      };
    }
    const entry = indexed.get(ref.source_id);
    const usable = entry !== undefined && entry.key === key && entry.file === where && entry.lang === lang;
    return {
      ...base,
      key,
      sha256: loaded.sha256,
      size,
      encoding: usable ? entry.encoding : null,
      cached: usable,
      ...(usable
        ? {
            indexed: entry,
            built: {
              file: entry.file,
              lang: entry.lang,
              encoding: entry.encoding,
              report: entry.report,
              segments: entry.lengths,
            },
          }
        : {}),
    };
  });
}

/** The data files of a joined release, and what building its sources gave. */
interface Assembled {
  /** Data files in `releaseLayout` order, closed and hashed. */
  files: ExportedFile[];
  /** False when a built source does not own its keys: its rows are not in `files`. */
  joined: boolean;
  parsed: number;
}

/**
 * Write the data files of the release into `staging`, source by source in file order: sources the
 * index knows unchanged are copied out of the current release, the others are built (parse, extract,
 * validate alone, render) on worker threads when there are several, in this thread otherwise. Builds
 * run ahead of the writing by a bounded window and are written as soon as their turn comes, so the
 * disk work of this thread overlaps the building, and memory holds a few sources' bytes at a time.
 */
async function assemble(
  staging: Staging,
  parts: Part[],
  reads: ReadResult[],
  run: {
    options: PublishOptions;
    urls: UrlCache;
    previousDir: string | null;
    digests: boolean;
    /** A pool started before the sources were read; assemble uses it or closes it. */
    early: Builder | null;
  },
): Promise<Assembled> {
  const { options, urls } = run;
  const logger = options.logger ?? silent;
  const lang = options.lang ?? 'en';
  const order = inFileOrder(parts);
  const misses = order.filter((i) => !parts[i]!.cached && parts[i]!.key !== null);
  const threads = threadsFor(options);
  // A thread costs its start and its own compiled schemas: worth it only for several sources.
  const threaded = threads > 0 && misses.length >= MIN_THREADED_SOURCES;
  if (!threaded) await run.early?.close();
  const builder: Builder = threaded
    ? (run.early ?? threadBuilder(Math.min(threads, misses.length)))
    : inProcessBuilder(options.engine ?? defaultEngine);
  let done = 0;
  for (const part of parts) if (part.cached) options.onProgress?.(++done, parts.length);

  const outcomes = new Map<number, Promise<BuildOutcome>>();
  let launched = 0;
  const window = Math.max(4, threads * 4);
  const launch = (upTo: number) => {
    for (; launched < Math.min(upTo, misses.length); launched++) {
      const index = misses[launched]!;
      const read = reads[index]!;
      const loaded = read.loaded!;
      const outcome = bytesAgain(read, urls).then((bytes) =>
        builder.build({
          source_id: loaded.source_id,
          meta: loaded.meta,
          date: loaded.date,
          file: read.where,
          sha256: loaded.sha256,
          bytes,
          lang,
          digests: run.digests,
        }),
      );
      outcome.then(
        () => options.onProgress?.(++done, parts.length),
        () => undefined,
      );
      outcomes.set(index, outcome);
    }
  };

  const layout = releaseLayout();
  const writers: StagedWriter[] = [];
  let assembler: ReleaseAssembler | null = null;
  let parsed = 0;
  let joined = true;
  try {
    launch(window);
    for (const file of layout) writers.push(await staging.writer(file.path));
    assembler = new ReleaseAssembler(writers, run.previousDir);
    await assembler.start();
    let next = 0;
    for (const index of order) {
      checkAborted(options.signal);
      const part = parts[index]!;
      if (part.indexed) {
        part.at = await assembler.copy(part.indexed);
        continue;
      }
      if (part.key === null) continue;
      launch(++next + window);
      const outcome = await outcomes.get(index)!;
      outcomes.delete(index);
      if ('failure' in outcome) {
        if (outcome.unexpected)
          logger.error({ source_id: part.source_id, err: outcome.failure.message }, 'parse failed');
        part.failure = outcome.failure;
      } else {
        part.built = outcome.built;
        part.encoding = outcome.built.encoding;
        part.rows = Buffer.from(outcome.rows, 'utf8');
        parsed++;
        if (outcome.segments) {
          part.at = await assembler.add(outcome.segments);
          builder.recycle(outcome.segments);
        } else joined = false;
      }
      logger.debug(
        { source_id: part.source_id, sha256: part.sha256, cached: false, error: part.failure?.code },
        'source parsed',
      );
    }
    await assembler.finish();
  } catch (error) {
    await assembler?.close();
    await Promise.all(writers.map((writer) => writer.abort()));
    // Builds still in flight end with the threads; their outcomes are of no interest now.
    for (const outcome of outcomes.values()) outcome.catch(() => undefined);
    throw error;
  } finally {
    await builder.close();
  }
  // Row counts are known once every source is in: the joined files hold the joinable sources' rows.
  const rows = Object.fromEntries(tableNames.map((table) => [table, 0])) as Record<TableName, number>;
  for (const part of parts)
    if (part.at && part.built)
      for (const table of tableNames) rows[table] += part.built.report.tables[table]?.rows ?? 0;
  // Closed (flushed and fsynced) all at once: the disk takes the files' syncs together.
  const files = await Promise.all(
    layout.map(async (file, i) =>
      describedFile(await writers[i]!.close(file.table ? rows[file.table] : null), file),
    ),
  );
  return { files, joined, parsed };
}

/**
 * The bytes of a source that `readAll` hashed and let go, read again and checked against that hash, so
 * the build sees exactly what the cache key names.
 */
async function bytesAgain(read: ReadResult, urls: UrlCache): Promise<Uint8Array> {
  const loaded = read.loaded!;
  if (loaded.bytes.byteLength === read.size) return loaded.bytes;
  const bytes =
    read.ref.kind === 'file'
      ? readAgain(read.ref.file) // synchronous, as in readSource: a small read, no thread-pool round trips
      : await urls.bytes(loaded.sha256);
  if (!bytes || createHash('sha256').update(bytes).digest('hex') !== loaded.sha256) {
    throw runtimeError(
      'SOURCE_CHANGED',
      `${read.where} changed or disappeared while it was being published; publish again.`,
      read.ref.kind === 'file' ? { file: read.ref.file } : {},
    );
  }
  return bytes;
}

function readAgain(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/**
 * The file a failure is reported against: the file it was found in when the error says so (a broken
 * sidecar `<id>.meta.json`, with its own line and column), else the source itself.
 */
function failedFile(where: string, failure: SourceFailure): string {
  return failure.file ?? where;
}

/** The context validation gives a source that failed: its error, no rows. */
function failedContext(part: Part): SourceContext {
  return {
    source_id: part.source_id,
    file: failedFile(part.where, part.failure!),
    sha256: part.key === null ? EMPTY_SHA256 : part.sha256,
    bytes: part.size,
    encoding: null,
    error: part.failure!,
  };
}

/**
 * The report of a run from the sources' own reports: every rule of `validateRelease` looks at the rows
 * of one source, except unique keys and article references across sources, which cannot break when
 * every source owns its keys (they start with `<source_id>~`). Problems sort into one total order, so
 * the result is the report of all rows validated at once.
 */
function mergeReports(parts: Part[], lang: Lang): ValidationReport {
  const problems: Problem[] = [];
  const counts = Object.fromEntries(tableNames.map((table) => [table, { rows: 0, errors: 0 }])) as Record<
    TableName,
    { rows: number; errors: number }
  >;
  for (const part of parts) {
    if (part.built) {
      problems.push(...part.built.report.problems);
      for (const table of tableNames) {
        counts[table].rows += part.built.report.tables[table]?.rows ?? 0;
        counts[table].errors += part.built.report.tables[table]?.errors ?? 0;
      }
    } else if (part.failure) {
      problems.push(
        ...validateRelease({ tables: emptyTables(), sources: [failedContext(part)] }, { lang }).problems,
      );
    }
  }
  return assembleReport(
    problems,
    counts,
    parts.map((part) => ({
      source_id: part.source_id,
      sha256: part.key === null ? EMPTY_SHA256 : part.sha256,
      bytes: part.size,
      encoding: part.built ? part.encoding : null,
    })),
  );
}

/** Indices of the sources in the order their rows appear in every release file (by `<source_id>~`). */
function inFileOrder(parts: Part[]): number[] {
  return parts
    .map((part, index) => ({ index, order: `${part.source_id}~` }))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
    .map((item) => item.index);
}

/** The summaries of a run's sources, as the result lists them. */
function summariesOf(parts: Part[]): SourceSummary[] {
  return parts.map((part) => ({
    source_id: part.source_id,
    sha256: part.key === null ? '' : part.sha256,
    bytes: part.size,
    encoding: part.built ? part.encoding : null,
    file: part.where,
    cached: part.cached,
    ...(part.failure ? { error: { code: part.failure.code, message: part.failure.message } } : {}),
  }));
}

/** A run that failed after its report existed: the previous release stays current. */
function failedRun(
  error: unknown,
  logger: Logger,
  result: Omit<PublishResult, 'status' | 'release_id' | 'changes' | 'error'>,
): PublishResult {
  const failure = isNewsDataError(error)
    ? error
    : runtimeError('PUBLISH_FAILED', `Publishing failed: ${(error as Error).message ?? String(error)}.`, {
        cause: error,
      });
  logger.error({ code: failure.code, err: failure.message }, 'publish failed: the current release stays');
  return { status: 'failed', release_id: null, changes: null, ...result, error: failure };
}

/**
 * All rows of the run in memory, for quarantine and for sources whose rows are not joinable: the
 * joinable sources' rows from the staged NDJSON files, the others' from their build.
 */
async function tablesOf(staging: Staging, parts: Part[]): Promise<Tables> {
  const all = emptyTables();
  for (const file of releaseLayout()) {
    if (file.format !== 'ndjson' || !file.table) continue;
    const text = await readFile(join(staging.dir, file.path), 'utf8');
    const rows = all[file.table] as unknown[];
    for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line));
  }
  for (const part of parts) {
    const own = part.built?.tables;
    if (own) for (const table of tableNames) (all[table] as unknown[]).push(...(own[table] as unknown[]));
  }
  return all;
}

/** The index of a joined release: every source with rows in it, in file order, and where they are. */
function indexOf(
  release_id: string,
  files: ExportedFile[],
  parts: Part[],
): Omit<ReleaseIndex, 'format' | 'tool' | 'segments'> {
  const sources: IndexedSource[] = [];
  for (const index of inFileOrder(parts)) {
    const part = parts[index]!;
    if (!part.built?.segments || !part.at || part.key === null) continue;
    sources.push({
      source_id: part.source_id,
      key: part.key,
      file: part.where,
      lang: part.built.lang,
      encoding: part.built.encoding,
      report: part.built.report,
      at: part.at,
      lengths: part.built.segments,
    });
  }
  return { release_id, files: files.map((file) => ({ path: file.path, bytes: file.bytes })), sources };
}

const NO_ROWS = (): Record<TableName, Map<string, string>> =>
  Object.fromEntries(tableNames.map((table) => [table, new Map<string, string>()])) as Record<
    TableName,
    Map<string, string>
  >;

/**
 * changes.json of a joined release. Keys start with their source's id, so only the sources built in
 * this run and those gone since the previous release can differ: their old rows are read out of the
 * previous release where its index places them, their new rows' digests come from the build. Without
 * an index, every source was built, and the previous rows come from the previous release's NDJSON files.
 */
async function joinedChanges(
  out: string,
  previous: { id: string; manifest: Manifest } | null,
  index: ReleaseIndex | null,
  parts: Part[],
  ids: { release_id: string; previous_release_id: string | null },
): Promise<Changes> {
  const built = inFileOrder(parts)
    .map((i) => parts[i]!)
    .filter((part) => part.rows !== undefined && part.at !== undefined);
  if (!previous) {
    // Every row is added. Keys start with `<source_id>~` and each source's keys are sorted, so in
    // file order they are already in the order diffReleases sorts them into: no map of every key.
    const tables = Object.fromEntries(
      tableNames.map((table) => [table, { added: [] as string[], removed: [], changed: [] }]),
    ) as Changes['tables'];
    for (const part of built) {
      const rows = JSON.parse(part.rows!.toString('utf8')) as RowKeys;
      for (const table of tableNames) for (const key of rows[table].keys) tables[table]!.added.push(key);
    }
    return { release_id: ids.release_id, previous_release_id: ids.previous_release_id, tables };
  }
  const current = NO_ROWS();
  for (const part of built) {
    const rows = JSON.parse(part.rows!.toString('utf8')) as RowKeys;
    for (const table of tableNames) {
      const { keys, digests } = rows[table];
      const into = current[table];
      for (let i = 0; i < keys.length; i++) into.set(keys[i]!, digests?.[i] ?? '');
    }
  }
  if (!index) return diffReleases(await previousDigests(out, previous.id, previous.manifest), current, ids);
  const copied = new Set(parts.filter((part) => part.cached).map((part) => part.source_id));
  const before = NO_ROWS();
  const layout = releaseLayout();
  const dir = storePaths(out).release(previous.id);
  for (const source of index.sources) {
    if (copied.has(source.source_id)) continue;
    for (const [i, file] of layout.entries()) {
      if (file.format !== 'ndjson' || !file.table || source.lengths[i] === 0) continue;
      const bytes = await readRange(join(dir, file.path), source.at[i]!, source.lengths[i]!);
      const digests = await digestsFromNdjson(file.table, [bytes], {
        file: `releases/${previous.id}/${file.path}`,
      });
      for (const [key, digest] of digests) before[file.table].set(key, digest);
    }
  }
  return diffReleases(before, current, ids);
}

/** `length` bytes of `file` from `offset`. */
async function readRange(file: string, offset: number, length: number): Promise<Uint8Array> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const bytes = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(bytes, 0, length, offset);
    if (bytesRead !== length) {
      throw runtimeError(
        'SOURCE_CACHE_LOST',
        `${file} is shorter than the index of the release store says; publish again.`,
        { file },
      );
    }
    return bytes;
  } catch (error) {
    throw fromSystemError(error, 'read', file);
  } finally {
    await handle?.close();
  }
}

/** The data files of a release from rows in memory (quarantine, or rows not joinable by source). */
/** A staged file (path, bytes, sha256, rows) with what the Data Package says of it. */
function describedFile(
  entry: Omit<ExportedFile, 'table' | 'format' | 'flavour' | 'mediatype'>,
  file: Pick<ExportedFile, 'table' | 'format' | 'flavour' | 'mediatype'>,
): ExportedFile {
  return {
    ...entry,
    table: file.table,
    format: file.format,
    ...(file.flavour ? { flavour: file.flavour } : {}),
    mediatype: file.mediatype,
  };
}

async function writeTables(staging: Staging, tables: Tables): Promise<ExportedFile[]> {
  const written: ExportedFile[] = [];
  for (const file of planRelease(tables)) {
    written.push(describedFile(await staging.write(file.path, file.chunks(), file.rows), file));
  }
  return written;
}
