import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { SourceMeta } from '@newsdata/contract';
import { dataError, fromSystemError, NewsDataError, runtimeError } from '@newsdata/errors';
import { validateJsonText } from '@newsdata/validate';
import { errnoOf, sha256Hex } from './fsutil.js';

/** A source found by {@link discoverSources}: a local file (with its sidecar, if any) or a URL. */
export type SourceRef =
  | { kind: 'file'; source_id: string; file: string; metaFile: string | null }
  | { kind: 'url'; source_id: string; url: string };

/** A source read by {@link readSource}. */
export interface LoadedSource {
  source_id: string;
  /** Path as discovered (relative when the spec was relative), or the URL. */
  file: string;
  bytes: Uint8Array;
  /** SHA-256 of `bytes`, hex. */
  sha256: string;
  meta: SourceMeta | null;
  /** SHA-256 of the sidecar bytes, or null without a sidecar (part of the cache key). */
  metaSha256: string | null;
  /** Edition date: the sidecar's, else a `YYYY-MM-DD` prefix of the file name, else null. */
  date: string | null;
  /** URL sources: the server answered 304, `bytes` is empty and `sha256` is the previous one. */
  notModified?: boolean;
  etag?: string;
  lastModified?: string;
}

/** What is known from the previous fetch of a URL, for a conditional request. */
export interface PreviousFetch {
  etag?: string | undefined;
  lastModified?: string | undefined;
  sha256: string;
}

export interface ReadOptions {
  previous?: PreviousFetch;
  /** Per request, default 30 s. */
  timeoutMs?: number;
  /** Largest source accepted, default 50 MB. */
  maxBytes?: number;
  /** Extra attempts after a network error or 5xx answer (URLs), or a file that changed while read. Default 3. */
  retries?: number;
  /** Redirects followed, default 5. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /**
   * Local files: a file modified less than this long ago is read again after this long, and must be
   * unchanged. Default 200 ms.
   */
  settleMs?: number;
  /** First backoff delay; doubles with every retry. Default 200 ms. */
  backoffMs?: number;
}

const SOURCE_ID = /^[A-Za-z0-9._-]+$/;
const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?!\d)/;

function sourceIdOf(name: string, where: string): string {
  const id = basename(name, extname(name));
  if (!SOURCE_ID.test(id)) {
    throw dataError(
      'SOURCE_ID_INVALID',
      `The source name "${id}" (from ${where}) is not a valid source id: use only A-Z a-z 0-9 . _ -; rename the file.`,
      { file: where },
    );
  }
  return id;
}

/**
 * Find the sources named by `specs`: a `.txt` file, a directory (its `*.txt` files, not recursive),
 * or an http(s) URL. Each file's sidecar `<source_id>.meta.json` is picked up when it exists. The
 * result is sorted by source id; two different sources with the same id are an error.
 *
 * @example
 * await discoverSources(['data/sources']);
 * // [{ kind: 'file', source_id: 'dalian-daily-sample-page', file: '/…/dalian-daily-sample-page.txt',
 * //    metaFile: '/…/dalian-daily-sample-page.meta.json' }]
 */
export async function discoverSources(specs: string[]): Promise<SourceRef[]> {
  const found = new Map<string, SourceRef>();
  const add = (ref: SourceRef) => {
    const where = ref.kind === 'file' ? ref.file : ref.url;
    const seen = found.get(ref.source_id);
    if (seen) {
      const before = seen.kind === 'file' ? seen.file : seen.url;
      if (before === where) return;
      throw dataError(
        'SOURCE_DUPLICATE_ID',
        `Two sources have the id "${ref.source_id}": ${before} and ${where}. Rename one of them.`,
        { file: where },
      );
    }
    found.set(ref.source_id, ref);
  };
  for (const spec of specs) {
    if (/^https?:\/\//i.test(spec)) {
      let url: URL;
      try {
        url = new URL(spec);
      } catch (error) {
        throw runtimeError('SOURCE_URL_INVALID', `"${spec}" is not a valid URL.`, {
          file: spec,
          cause: error,
        });
      }
      const last = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
      add({ kind: 'url', source_id: sourceIdOf(last || url.hostname, spec), url: url.href });
      continue;
    }
    const path = spec;
    const stats = await stat(path).catch((error) => {
      if (errnoOf(error) === 'ENOENT') {
        throw runtimeError(
          'SOURCE_NOT_FOUND',
          `The source ${spec} does not exist: give a .txt file, a directory of them, or an http(s) URL.`,
          { file: spec },
        );
      }
      throw fromSystemError(error, 'read the source', spec);
    });
    if (stats.isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.endsWith('.txt')).sort();
      const metas = new Set((await readdir(path)).filter((name) => name.endsWith('.meta.json')));
      for (const name of names) {
        const source_id = sourceIdOf(name, join(path, name));
        const meta = `${source_id}.meta.json`;
        add({
          kind: 'file',
          source_id,
          file: join(path, name),
          metaFile: metas.has(meta) ? join(path, meta) : null,
        });
      }
    } else {
      const source_id = sourceIdOf(path, path);
      const meta = join(dirname(path), `${source_id}.meta.json`);
      const hasMeta = await stat(meta).then(
        (s) => s.isFile(),
        () => false,
      );
      add({ kind: 'file', source_id, file: path, metaFile: hasMeta ? meta : null });
    }
  }
  return [...found.values()].sort((a, b) =>
    a.source_id < b.source_id ? -1 : a.source_id > b.source_id ? 1 : 0,
  );
}

/**
 * Read a source: its bytes and their sha256, its sidecar (validated), its edition date.
 *
 * A local file is read between two `stat`s; if it changed during the read it is read again, and after
 * `retries` attempts the read fails with SOURCE_UNSTABLE: the bytes returned are always one whole
 * version of the file. A URL is fetched with a conditional request, a timeout, a byte limit and retries.
 *
 * @example
 * const source = await readSource(ref); // { source_id: '2025-01-08-a01', date: '2025-01-08', meta: { publication: '大连日报' }, … }
 */
export async function readSource(ref: SourceRef, options: ReadOptions = {}): Promise<LoadedSource> {
  if (ref.kind === 'url') return readUrl(ref, options);
  const bytes = await readStable(ref.file, options);
  const sidecar = ref.metaFile ? await readSidecar(ref.metaFile) : null;
  return {
    source_id: ref.source_id,
    file: ref.file,
    bytes,
    sha256: sha256Hex(bytes),
    meta: sidecar?.meta ?? null,
    metaSha256: sidecar?.sha256 ?? null,
    date: dateOf(ref.source_id, sidecar?.meta ?? null),
  };
}

function dateOf(source_id: string, meta: SourceMeta | null): string | null {
  if (meta?.date) return meta.date;
  const match = DATE_PREFIX.exec(source_id);
  if (!match) return null;
  const [, y, m, d] = match;
  const date = new Date(`${y}-${m}-${d}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(`${y}-${m}-${d}`)
    ? `${y}-${m}-${d}`
    : null;
}

async function readStable(file: string, options: ReadOptions): Promise<Uint8Array> {
  const { retries = 3, maxBytes = 50 * 1024 * 1024, settleMs = 200 } = options;
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      // Synchronous on purpose: a page is small, and the thread-pool round trips of stat, open, fstat,
      // read, close and stat cost several times the read itself (2,000 pages: ~40 ms against ~300 ms).
      const before = statSync(file);
      if (before.size > maxBytes) {
        throw dataError(
          'SOURCE_TOO_LARGE',
          `${file} is ${before.size} bytes, more than the limit of ${maxBytes}; split the page or raise the limit.`,
          { file },
        );
      }
      const bytes = readFileSync(file);
      const after = statSync(file);
      const same =
        before.size === after.size &&
        before.mtimeMs === after.mtimeMs &&
        before.ctimeMs === after.ctimeMs &&
        before.ino === after.ino &&
        bytes.byteLength === after.size;
      if (!same) continue;
      // A file written moments ago may be between a writer's truncate and its write (a consistent but
      // unintended state): let it settle, then require the same size, times and bytes again.
      const age = Date.now() - after.mtimeMs;
      if (age < settleMs) {
        await sleep(settleMs - Math.max(age, 0), options.signal);
        const settled = statSync(file);
        if (
          settled.size !== after.size ||
          settled.mtimeMs !== after.mtimeMs ||
          settled.ctimeMs !== after.ctimeMs ||
          settled.ino !== after.ino
        ) {
          continue;
        }
        const again = readFileSync(file);
        if (!again.equals(bytes)) continue;
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (error instanceof NewsDataError) throw error;
      if (errnoOf(error) === 'ENOENT') {
        throw runtimeError('SOURCE_NOT_FOUND', `The source ${file} disappeared while it was being read.`, {
          file,
          cause: error,
        });
      }
      throw fromSystemError(error, 'read the source', file);
    }
  }
  throw runtimeError(
    'SOURCE_UNSTABLE',
    `${file} kept changing while it was read (${retries + 1} attempts); publish again once it is written.`,
    { file },
  );
}

/** A sidecar `<source_id>.meta.json`, parsed and validated against `schemas/source-meta.schema.json`. */
export async function readSidecar(file: string): Promise<{ meta: SourceMeta; sha256: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fromSystemError(error, 'read the sidecar', file);
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const problems = validateJsonText('source-meta', text, { file });
  const first = problems[0];
  if (first) {
    const field = first.field ?? null;
    throw dataError(
      'SOURCE_META_INVALID',
      `${file}: ${field ? `field ${field}: ` : ''}${first.message}` +
        (problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''),
      {
        file,
        ...(first.source?.line ? { line: first.source.line } : {}),
        ...(first.source?.column ? { column: first.source.column } : {}),
        field,
        problems,
      },
    );
  }
  const value: unknown = JSON.parse(text);
  return { meta: value as SourceMeta, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

class RetryableError extends Error {}

async function readUrl(
  ref: Extract<SourceRef, { kind: 'url' }>,
  options: ReadOptions,
): Promise<LoadedSource> {
  const { retries = 3, backoffMs = 200 } = options;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1), options.signal);
    try {
      return await fetchOnce(ref, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof RetryableError)) throw error;
    }
  }
  const cause = (lastError as Error & { cause?: unknown }).cause ?? lastError;
  throw runtimeError(
    'SOURCE_FETCH_FAILED',
    `Could not fetch ${ref.url} after ${retries + 1} attempts: ${(lastError as Error).message}. The previous data is kept.`,
    { file: ref.url, cause },
  );
}

async function fetchOnce(
  ref: Extract<SourceRef, { kind: 'url' }>,
  options: ReadOptions,
): Promise<LoadedSource> {
  const { timeoutMs = 30_000, maxBytes = 50 * 1024 * 1024, maxRedirects = 5, previous } = options;
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  const headers: Record<string, string> = { 'user-agent': 'newsdata-publisher' };
  if (previous?.etag) headers['if-none-match'] = previous.etag;
  if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
  let url = ref.url;
  let response: Response;
  for (let hop = 0; ; hop++) {
    try {
      response = await fetch(url, { headers, redirect: 'manual', signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new RetryableError(
        signal.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message,
        { cause: error },
      );
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && response.status !== 304 && location) {
      await response.body?.cancel();
      if (hop >= maxRedirects) {
        throw runtimeError(
          'SOURCE_TOO_MANY_REDIRECTS',
          `${ref.url} redirected more than ${maxRedirects} times.`,
          {
            file: ref.url,
          },
        );
      }
      url = new URL(location, url).href;
      continue;
    }
    break;
  }
  const base = {
    source_id: ref.source_id,
    file: ref.url,
    meta: null,
    metaSha256: null,
    date: dateOf(ref.source_id, null),
  };
  const etag = response.headers.get('etag') ?? undefined;
  const lastModified = response.headers.get('last-modified') ?? undefined;
  const validators = { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
  if (response.status === 304 && previous) {
    return { ...base, bytes: new Uint8Array(0), sha256: previous.sha256, notModified: true, ...validators };
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new RetryableError(`the server answered ${response.status}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw runtimeError(
      'SOURCE_HTTP_STATUS',
      `${ref.url} answered ${response.status} ${response.statusText}; check the URL. The previous data is kept.`,
      { file: ref.url, status: response.status },
    );
  }
  const tooLarge = () =>
    dataError(
      'SOURCE_TOO_LARGE',
      `${ref.url} is larger than the limit of ${maxBytes} bytes; raise the limit.`,
      {
        file: ref.url,
      },
    );
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      parts.push(value);
    }
  } catch (error) {
    if (error instanceof NewsDataError || options.signal?.aborted) throw error;
    throw new RetryableError(`the download broke off: ${(error as Error).message}`, { cause: error });
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { ...base, bytes, sha256: sha256Hex(bytes), ...validators };
}
