import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
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
import { isNewsDataError, type NewsDataError, runtimeError } from '@newsdata/errors';
import {
  buildDataPackage,
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
import { type BuiltSource, defaultEngine, type Engine, type SourceFailure, sourceError } from './build.js';
import { cacheKey, SourceCache, UrlCache } from './cache.js';
import { faultPoint } from './fault.js';
import { writeFileAtomic } from './fsutil.js';
import { acquireLock } from './lock.js';
import { quarantineFiles } from './quarantine.js';
import { digestsOf, JSON_SEPARATOR, releaseLayout, tailOf } from './segments.js';
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
  openStaging,
  pruneReleases,
  readCurrent,
  type Staging,
  storePaths,
} from './store.js';
import { type Builder, defaultThreads, inProcessBuilder, threadBuilder } from './workers.js';

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
  /** Why the run failed after validation (status `failed`); the previous release stays current. */
  error?: NewsDataError;
  duration_ms: number;
}

/** What a source contributes to a run, and what is cached for it. */
interface CachedSource {
  encoding: Encoding;
  lines: string[];
  accounting: ParsedPage['accounting'];
  noise: { line: number }[];
  warnings: ParsedPage['warnings'];
  tables: Tables;
}

interface Collected {
  tables: Tables;
  contexts: SourceContext[];
  summaries: SourceSummary[];
  loaded: (LoadedSource | null)[];
  parsed: number;
  cached: number;
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

/** Parse and extract every source that was read (from the cache where it can), in source-id order. */
async function buildAll(
  reads: ReadResult[],
  options: CollectOptions,
  cache: SourceCache<CachedSource> | null,
): Promise<Collected> {
  const logger = options.logger ?? silent;
  const engine = options.engine ?? defaultEngine;
  let done = 0;
  let parsed = 0;
  let cached = 0;
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
          loaded: null,
        };
      }
      let entry = cache ? await cache.get(key) : null;
      const fromCache = entry !== null;
      let failure: SourceFailure | undefined;
      if (!entry) {
        try {
          const page = engine.parsePage(loaded.bytes, { file: where });
          const tables = engine.toRecords(page, {
            source_id: loaded.source_id,
            meta: loaded.meta,
            date: loaded.date,
          });
          entry = {
            encoding: page.encoding,
            lines: page.lines,
            accounting: page.accounting,
            noise: page.noise.map((item) => ({ line: item.line })),
            warnings: page.warnings,
            tables,
          };
          parsed++;
          if (cache) await cache.put(key, entry);
        } catch (error) {
          // Whatever stops one page (undecodable bytes, or a parser bug) is that source's problem in the report.
          if (!isNewsDataError(error))
            logger.error({ source_id: loaded.source_id, err: error }, 'parse failed');
          failure = sourceError(error);
        }
      } else {
        cached++;
      }
      logger.debug(
        { source_id: loaded.source_id, sha256: loaded.sha256, cached: fromCache, error: failure?.code },
        fromCache ? 'source from cache' : 'source parsed',
      );
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
        cached: fromCache,
        ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
      };
      return { context, summary, tables: entry?.tables ?? null, loaded: loaded as LoadedSource | null };
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
    loaded: results.map((result) => result.loaded),
    parsed,
    cached,
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
    const stats = await stat(ref.file).catch(() => null);
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
  const collected = await buildAll(await readAll(refs, options, null), options, null);
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
  try {
    faultPoint('after-lock');
    const leftovers = await cleanStaging(out);
    if (leftovers > 0) logger.info({ removed: leftovers }, 'removed leftovers of an interrupted publish');
    const previous = await readCurrent(out);
    const previous_release_id = previous?.id ?? null;
    const caches = { sources: new SourceCache<BuiltSource>(out), urls: new UrlCache(out) };
    const reads = await readAll(refs, options, caches.urls, false);
    const fingerprint = fingerprintOf(reads, options);
    const elapsed = () => Math.round(performance.now() - started);

    // The same inputs as the current release: nothing to parse, validate or export.
    const last = fingerprint && previous ? await lastRun(out) : null;
    if (previous && last?.fingerprint === fingerprint && last.release_id === previous.id) {
      const report = await readReport(out, previous.id);
      if (report) {
        for (const read of reads) if (read.key) caches.sources.touch(read.key);
        await caches.sources.prune();
        await caches.urls.prune();
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

    const collected = await collect(reads, options, caches.sources, caches.urls);
    const { parts } = collected;
    let joined = joinable(parts);
    let report = mergeReports(parts, options.lang ?? 'en');
    const summaries: SourceSummary[] = parts.map((part) => ({
      source_id: part.source_id,
      sha256: part.key === null ? '' : part.sha256,
      bytes: part.size,
      encoding: part.built ? part.encoding : null,
      file: part.where,
      cached: part.cached,
      ...(part.failure ? { error: { code: part.failure.code, message: part.failure.message } } : {}),
    }));
    const base = {
      previous_release_id,
      sources: summaries,
      parsed: collected.parsed,
      cached: collected.cached,
    };

    // Rows of sources that do not own their keys are exported from memory, all at once.
    let tables: Tables | null = joined ? null : await tablesOf(parts, caches.sources);
    let rejected: RejectedRow[] = [];
    if (!report.valid) {
      const sourceFailed = parts.some((part) => part.failure !== undefined);
      if (onInvalid === 'quarantine' && !sourceFailed) {
        tables ??= await tablesOf(parts, caches.sources);
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
          joined = false;
          logger.warn(
            { quarantined: rejected.length, share: partition.rejectedShare },
            'publishing with rows quarantined',
          );
        }
      }
      if (rejected.length === 0) {
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
      staging = await openStaging(out);
      const written =
        joined || !tables
          ? await writeJoined(staging, parts, report, caches.sources)
          : await writeTables(staging, tables);
      const licenses = parts.flatMap((part) => (part.license ? [part.license] : []));
      const extras = releaseExtras(written, sources, report, rejected, licenses, options);
      for (const extra of extras) await staging.write(extra.path, [extra.bytes], extra.rows);
      const release_id = releaseIdFor(staging.files);
      if (release_id === previous_release_id) {
        await staging.discard();
        staging = null;
        await rememberRun(out, fingerprint, release_id);
        await rememberReleaseSources(out, release_id, joined ? parts : null);
        await caches.sources.prune();
        await caches.urls.prune();
        logger.info({ release_id }, 'sources unchanged: nothing to publish');
        return { status: 'unchanged', release_id, report, changes: null, ...base, duration_ms: elapsed() };
      }
      const ids = { release_id, previous_release_id };
      const changes =
        joined || !tables
          ? await joinedChanges(out, previous, parts, caches.sources, ids)
          : diffReleases(
              previous ? await previousDigests(out, previous.id, previous.manifest) : null,
              rowDigests(tables),
              ids,
            );
      await staging.write('changes.json', [serializeJson(changes)]);
      const manifest = await staging.finish(
        { release_id, previous_release_id, created: now().toISOString(), tool: { ...TOOL }, sources },
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
      await rememberRun(out, fingerprint, release_id);
      await rememberReleaseSources(out, release_id, joined ? parts : null);
      const pruned = await pruneReleases(out, keep, previous_release_id ? [previous_release_id] : []);
      await caches.sources.prune();
      await caches.urls.prune();
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
        pruned,
        duration_ms: elapsed(),
      };
    } catch (error) {
      const failure = isNewsDataError(error)
        ? error
        : runtimeError('PUBLISH_FAILED', `Publishing failed: ${(error as Error).message ?? String(error)}.`, {
            cause: error,
          });
      logger.error({ code: failure.code, err: failure.message }, 'publish failed: the current release stays');
      return {
        status: 'failed',
        release_id: null,
        report,
        changes: null,
        ...base,
        error: failure,
        duration_ms: elapsed(),
      };
    }
  } finally {
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

/** One source of a publishing run after the cache or a build: what the report, manifest and export need. */
interface Part {
  source_id: string;
  /** Cache key; null when the source could not be read. */
  key: string | null;
  where: string;
  sha256: string;
  size: number;
  encoding: Encoding | null;
  cached: boolean;
  failure?: SourceFailure;
  built?: BuiltSource;
  license: string | null;
  url: string | null;
}

/**
 * Take every read source from the cache, or build it (parse, extract, validate alone, render its
 * segments, store it) on worker threads when there are several, in this thread otherwise. The source
 * bytes are let go once a source is built, so memory holds only what the report needs.
 */
async function collect(
  reads: ReadResult[],
  options: PublishOptions,
  cache: SourceCache<BuiltSource>,
  urls: UrlCache,
): Promise<{ parts: Part[]; parsed: number; cached: number }> {
  const logger = options.logger ?? silent;
  const lang = options.lang ?? 'en';
  const parts: Part[] = new Array(reads.length);
  const misses: number[] = [];
  await pool(
    reads.map((_, index) => index),
    8,
    async (index) => {
      checkAborted(options.signal);
      const { ref, where, loaded, key, failure } = reads[index]!;
      const base = {
        source_id: ref.source_id,
        where,
        license: loaded?.meta?.license ?? null,
        url: loaded?.file.startsWith('http') ? loaded.file : null,
      };
      if (!loaded || key === null) {
        parts[index] = {
          ...base,
          key: null,
          sha256: '',
          size: 0,
          encoding: null,
          cached: false,
          failure: failure ?? { code: 'SOURCE_FAILED', message: `${where} could not be read.` },
        };
        return;
      }
      const entry = await cache.get(key);
      const usable =
        entry !== null &&
        entry.file === where &&
        entry.lang === lang &&
        (entry.segments === null ? entry.tables !== undefined : await cache.hasSegments(key, entry.segments));
      parts[index] = {
        ...base,
        key,
        sha256: loaded.sha256,
        size: reads[index]!.size,
        encoding: usable ? entry.encoding : null,
        cached: usable,
        ...(usable ? { built: entry } : {}),
      };
      if (!usable) misses.push(index);
    },
  );
  misses.sort((a, b) => a - b);
  const threads = options.engine ? 0 : (options.threads ?? defaultThreads());
  // A thread costs its start and its own compiled schemas: worth it only for several sources.
  const builder: Builder =
    threads > 0 && misses.length >= 4
      ? threadBuilder(Math.min(threads, misses.length))
      : inProcessBuilder(options.engine ?? defaultEngine);
  let done = reads.length - misses.length;
  for (let i = 0; i < done; i++) options.onProgress?.(i + 1, reads.length);
  let parsed = 0;
  const written: string[] = [];
  try {
    await pool(
      misses,
      Math.max(2, threads * 2),
      async (index) => {
        checkAborted(options.signal);
        const read = reads[index]!;
        const loaded = read.loaded!;
        const part = parts[index]!;
        const outcome = await builder.build(
          {
            source_id: loaded.source_id,
            meta: loaded.meta,
            date: loaded.date,
            file: read.where,
            sha256: loaded.sha256,
            bytes: await bytesAgain(read, urls),
            lang,
          },
          read.key!,
          cache.dir,
        );
        cache.touch(read.key!);
        if ('failure' in outcome) {
          if (outcome.unexpected)
            logger.error({ source_id: loaded.source_id, err: outcome.failure.message }, 'parse failed');
          part.failure = outcome.failure;
        } else {
          part.built = outcome.built;
          part.encoding = outcome.built.encoding;
          written.push(read.key!);
          parsed++;
        }
        logger.debug(
          { source_id: loaded.source_id, sha256: loaded.sha256, cached: false, error: part.failure?.code },
          'source parsed',
        );
      },
      () => options.onProgress?.(++done, reads.length),
    );
  } finally {
    await builder.close();
  }
  await cache.sync(written);
  return { parts, parsed, cached: reads.length - misses.length };
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
      ? await readFile(read.ref.file).catch(() => null)
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
    } else {
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

/** Whether every built source's rows are in joinable segments. */
function joinable(parts: Part[]): boolean {
  return parts.every((part) => !part.built || part.built.segments !== null);
}

/** The sources with rows, in the order their rows appear in every release file. */
function inFileOrder(parts: Part[]): Part[] {
  return parts
    .filter((part) => part.built?.segments)
    .sort((a, b) => {
      const x = `${a.source_id}~`;
      const y = `${b.source_id}~`;
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

/** All rows of the run in memory: for quarantine and for sources whose rows are not joinable. */
async function tablesOf(parts: Part[], cache: SourceCache<BuiltSource>): Promise<Tables> {
  const all = emptyTables();
  const layout = releaseLayout();
  for (const part of parts) {
    const built = part.built;
    if (!built) continue;
    if (built.tables) {
      for (const table of tableNames) (all[table] as unknown[]).push(...(built.tables[table] as unknown[]));
      continue;
    }
    const segments = await segmentsOf(cache, part);
    layout.forEach((file, i) => {
      if (file.format !== 'ndjson' || !file.table) return;
      const text = Buffer.from(segments[i]!).toString('utf8');
      for (const line of text.split('\n'))
        if (line !== '') (all[file.table] as unknown[]).push(JSON.parse(line));
    });
  }
  return all;
}

async function segmentsOf(cache: SourceCache<BuiltSource>, part: Part): Promise<Uint8Array[]> {
  const segments = await cache.segments(part.key!, part.built!.segments!);
  if (!segments) {
    throw runtimeError(
      'SOURCE_CACHE_LOST',
      `The cached rows of ${part.where} disappeared during the run (was ${cache.dir} cleaned?); publish again.`,
    );
  }
  return segments;
}

/**
 * Write the data files of the release in one pass over the sources: each file is its head, the
 * sources' cached segments in file order, and its tail, hashed as it is written.
 */
async function writeJoined(
  staging: Staging,
  parts: Part[],
  report: ValidationReport,
  cache: SourceCache<BuiltSource>,
): Promise<ExportedFile[]> {
  const layout = releaseLayout();
  const writers = [];
  for (const file of layout)
    writers.push(await staging.writer(file.path, file.table ? report.tables[file.table]!.rows : null));
  try {
    for (const [i, file] of layout.entries()) await writers[i]!.write(file.head);
    let anyArticle = false;
    for (const part of inFileOrder(parts)) {
      const segments = await segmentsOf(cache, part);
      for (const [i, file] of layout.entries()) {
        const segment = segments[i]!;
        if (file.format === 'json') {
          if (segment.byteLength === 0) continue;
          if (anyArticle) await writers[i]!.write(JSON_SEPARATOR);
          anyArticle = true;
        }
        await writers[i]!.write(segment);
      }
    }
    const written: ExportedFile[] = [];
    for (const [i, file] of layout.entries()) {
      await writers[i]!.write(tailOf(file, anyArticle));
      written.push(describedFile(await writers[i]!.close(), file));
    }
    return written;
  } catch (error) {
    await Promise.all(writers.map((writer) => writer.abort()));
    throw error;
  }
}

/** Which cache entries make up a release: lets the next run diff only the sources that changed. */
interface ReleaseSources {
  release_id: string;
  sources: Record<string, { key: string; segments: number[] } | null>;
}

const RELEASE_SOURCES = ['.cache', 'release-sources.json'] as const;

async function readReleaseSources(out: string): Promise<ReleaseSources | null> {
  try {
    const value = JSON.parse(await readFile(join(out, ...RELEASE_SOURCES), 'utf8'));
    return typeof value?.release_id === 'string' && typeof value?.sources === 'object' ? value : null;
  } catch {
    return null;
  }
}

async function rememberReleaseSources(out: string, release_id: string, parts: Part[] | null): Promise<void> {
  const file = join(out, ...RELEASE_SOURCES);
  if (!parts) {
    await rm(file, { force: true });
    return;
  }
  const sources: ReleaseSources['sources'] = {};
  for (const part of parts)
    sources[part.source_id] = part.built?.segments ? { key: part.key!, segments: part.built.segments } : null;
  await writeFileAtomic(file, JSON.stringify({ release_id, sources } satisfies ReleaseSources));
}

const NO_ROWS = (): Record<TableName, Map<string, string>> =>
  Object.fromEntries(tableNames.map((table) => [table, new Map<string, string>()])) as Record<
    TableName,
    Map<string, string>
  >;

/**
 * changes.json of a joined release. Keys start with their source's id, so the diff is the union of
 * per-source diffs: only sources whose cache key differs from the previous release's are compared,
 * from the row digests cached beside them. Without a record of the previous release's sources (or
 * with an entry gone), the previous release's NDJSON files are read instead.
 */
async function joinedChanges(
  out: string,
  previous: { id: string; manifest: Manifest } | null,
  parts: Part[],
  cache: SourceCache<BuiltSource>,
  ids: { release_id: string; previous_release_id: string | null },
): Promise<Changes> {
  const last = DIGEST_SEGMENT();
  const currentDigests = async (part: Part) => digestsOf((await segmentsOf(cache, part))[last]!);
  const record = previous ? await readReleaseSources(out) : null;
  if (!previous || record?.release_id === previous.id) {
    const lists = Object.fromEntries(
      tableNames.map((table) => [
        table,
        { added: [] as string[], removed: [] as string[], changed: [] as string[] },
      ]),
    ) as Changes['tables'];
    const now = new Map(parts.filter((part) => part.built?.segments).map((part) => [part.source_id, part]));
    const ids_ = new Set([...now.keys(), ...Object.keys(record?.sources ?? {})]);
    for (const id of ids_) {
      const before = record?.sources[id] ?? null;
      const after = now.get(id) ?? null;
      if (before && after && before.key === after.key) continue;
      let old = NO_ROWS();
      if (before) {
        const segments = await cache.segments(before.key, before.segments);
        if (!segments) return fullChanges(out, previous!, parts, cache, ids);
        old = digestsOf(segments[last]!);
      }
      const diff = diffReleases(old, after ? await currentDigests(after) : NO_ROWS(), ids);
      for (const table of tableNames) {
        const into = lists[table]!;
        const from = diff.tables[table]!;
        into.added.push(...from.added);
        into.removed.push(...from.removed);
        into.changed.push(...from.changed);
      }
    }
    const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    for (const table of tableNames) {
      const list = lists[table]!;
      list.added.sort(byCodeUnit);
      list.removed.sort(byCodeUnit);
      list.changed.sort(byCodeUnit);
    }
    return { release_id: ids.release_id, previous_release_id: ids.previous_release_id, tables: lists };
  }
  return fullChanges(out, previous, parts, cache, ids);
}

async function fullChanges(
  out: string,
  previous: { id: string; manifest: Manifest },
  parts: Part[],
  cache: SourceCache<BuiltSource>,
  ids: { release_id: string; previous_release_id: string | null },
): Promise<Changes> {
  const current = NO_ROWS();
  for (const part of parts) {
    if (!part.built?.segments) continue;
    const digests = digestsOf((await segmentsOf(cache, part))[DIGEST_SEGMENT()]!);
    for (const table of tableNames)
      for (const [key, digest] of digests[table]) current[table].set(key, digest);
  }
  return diffReleases(await previousDigests(out, previous.id, previous.manifest), current, ids);
}

/** The row digests follow the data files' segments. */
const DIGEST_SEGMENT = () => releaseLayout().length;

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
