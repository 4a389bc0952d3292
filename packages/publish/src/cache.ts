import { closeSync, mkdirSync, openSync, renameSync, rmSync, writevSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TOOL } from '@newsdata/contract';
import { fromSystemError } from '@newsdata/errors';
import { faultPoint } from './fault.js';
import { errnoOf, randomName, sha256Hex, syncDirectory, writeFileAtomic } from './fsutil.js';

/** Bump when the shape of a cache entry changes, so old entries are rebuilt. */
const FORMAT = 2;

/** What makes a source's parsed result reusable: the same bytes, sidecar, id and tool version. */
export interface CacheKeyParts {
  source_id: string;
  /** SHA-256 of the source bytes. */
  sha256: string;
  /** SHA-256 of the sidecar bytes, or null without a sidecar. */
  metaSha256: string | null;
  /** Tool version; defaults to the running one (a new version re-parses every source). */
  version?: string;
}

/** The cache key of a source: sha256 over its id, its bytes' hash, its sidecar's hash and the tool version. */
export function cacheKey(parts: CacheKeyParts): string {
  const { source_id, sha256, metaSha256, version = TOOL.version } = parts;
  return sha256Hex([`v${FORMAT}`, version, source_id, sha256, metaSha256 ?? '-'].join('\0'));
}

interface Envelope<T> {
  format: number;
  key: string;
  value: T;
}

const ENTRY = '.json';
const SEGMENTS = '.seg';

/**
 * Write `parts` into `file` through a temporary file and a rename. Synchronous on purpose: it runs on
 * the builder's own thread one source at a time, and the promise API cost more in queueing and
 * handles than the small writes themselves (the profile's top entry on the worker threads).
 */
function replace(file: string, parts: readonly Uint8Array[]): void {
  const temp = `${file}.${randomName()}.tmp`;
  try {
    let fd: number;
    try {
      fd = openSync(temp, 'w');
    } catch (error) {
      // The directory is created on the first miss only, not once per entry.
      if (errnoOf(error) !== 'ENOENT') throw error;
      mkdirSync(dirname(file), { recursive: true });
      fd = openSync(temp, 'w');
    }
    try {
      let pending = parts.filter((part) => part.byteLength > 0);
      while (pending.length > 0) {
        let written = writevSync(fd, pending);
        const rest: Uint8Array[] = [];
        for (const part of pending) {
          if (written >= part.byteLength) written -= part.byteLength;
          else {
            rest.push(part.subarray(written));
            written = 0;
          }
        }
        pending = rest;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw fromSystemError(error, 'write the cache entry', file);
  }
}

/**
 * Write a cache entry and its segments without waiting for the disk: the run syncs every new entry
 * at once ({@link SourceCache.sync}) before it stages the release, instead of two fsyncs per source.
 * The segments go first, so an entry never names segments that are not there.
 */
export async function writeEntry<T>(
  dir: string,
  key: string,
  value: T,
  segments: readonly Uint8Array[] | null,
): Promise<void> {
  if (segments) replace(join(dir, key + SEGMENTS), segments);
  const envelope: Envelope<T> = { format: FORMAT, key, value };
  replace(join(dir, key + ENTRY), [Buffer.from(JSON.stringify(envelope), 'utf8')]);
  faultPoint('after-cache-write');
}

/**
 * The per-source cache under `<out>/.cache/sources/`: one JSON file per key, written atomically. An
 * entry that cannot be read or does not match its key is treated as missing (and rebuilt by the
 * caller). `prune` removes every entry not used by the current run.
 */
export class SourceCache<T> {
  readonly dir: string;
  private readonly used = new Set<string>();

  constructor(out: string) {
    this.dir = join(out, '.cache', 'sources');
  }

  private fileOf(key: string): string {
    return join(this.dir, key + ENTRY);
  }

  /**
   * The segments stored beside the entry for `key`, split by their lengths; null when the file is
   * missing or does not have the length the entry says (a torn write).
   */
  async segments(key: string, lengths: readonly number[]): Promise<Uint8Array[] | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, key + SEGMENTS));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return null;
      throw fromSystemError(error, 'read the cache entry', join(this.dir, key + SEGMENTS));
    }
    const total = lengths.reduce((sum, n) => sum + n, 0);
    if (bytes.byteLength !== total) return null;
    const out: Uint8Array[] = [];
    let at = 0;
    for (const length of lengths) {
      out.push(bytes.subarray(at, at + length));
      at += length;
    }
    return out;
  }

  /** Whether the segments file of `key` is there with the total length the entry says. */
  async hasSegments(key: string, lengths: readonly number[]): Promise<boolean> {
    const total = lengths.reduce((sum, n) => sum + n, 0);
    const stats = await stat(join(this.dir, key + SEGMENTS)).catch(() => null);
    return stats !== null && stats.size === total;
  }

  /** Store an entry with its segments; call {@link sync} with its key before relying on it after a power cut. */
  async putWithSegments(key: string, value: T, segments: readonly Uint8Array[] | null): Promise<void> {
    this.used.add(key);
    await writeEntry(this.dir, key, value, segments);
  }

  /** fsync the entries (and segments) of these keys and the cache directory. */
  async sync(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const files = keys.flatMap((key) => [join(this.dir, key + SEGMENTS), join(this.dir, key + ENTRY)]);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const file = files[next++]!;
        let handle: FileHandle | undefined;
        try {
          handle = await open(file, 'r');
          await handle.sync();
        } catch (error) {
          if (errnoOf(error) !== 'ENOENT') throw fromSystemError(error, 'sync the cache entry', file);
        } finally {
          await handle?.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, files.length) }, worker));
    await syncDirectory(this.dir);
  }

  /** The cached value for `key`, or null. Marks the key as used by this run. */
  async get(key: string): Promise<T | null> {
    this.used.add(key);
    let text: string;
    try {
      text = await readFile(this.fileOf(key), 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return null;
      throw fromSystemError(error, 'read the cache entry', this.fileOf(key));
    }
    try {
      const envelope = JSON.parse(text) as Envelope<T>;
      if (envelope?.format !== FORMAT || envelope.key !== key || envelope.value === undefined) return null;
      return envelope.value;
    } catch {
      return null;
    }
  }

  /** Keep the entry for `key` at the next prune without reading it. */
  touch(key: string): void {
    this.used.add(key);
  }

  /** Store `value` under `key` (atomically: a crash leaves the old entry or the new one). */
  async put(key: string, value: T): Promise<void> {
    this.used.add(key);
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw fromSystemError(error, 'create the cache directory', this.dir);
    }
    const envelope: Envelope<T> = { format: FORMAT, key, value };
    await writeFileAtomic(this.fileOf(key), JSON.stringify(envelope));
    faultPoint('after-cache-write');
  }

  /** Remove entries (and stray temporary files) that this run did not use. Returns how many. */
  async prune(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const key = name.endsWith(ENTRY)
        ? name.slice(0, -ENTRY.length)
        : name.endsWith(SEGMENTS)
          ? name.slice(0, -SEGMENTS.length)
          : null;
      if (key !== null && this.used.has(key)) continue;
      await rm(join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }
}

/** What the last fetch of a URL source returned, for the next conditional request. */
export interface UrlState {
  url: string;
  etag?: string;
  lastModified?: string;
  sha256: string;
}

/**
 * Bytes of URL sources by sha256 and their last validators (`<out>/.cache/urls/`), so a 304 answer can
 * be served from disk.
 */
export class UrlCache {
  readonly dir: string;
  private readonly used = new Set<string>();

  constructor(out: string) {
    this.dir = join(out, '.cache', 'urls');
  }

  private stateFile(source_id: string) {
    return join(this.dir, `${source_id}.state.json`);
  }

  private blobFile(sha256: string) {
    return join(this.dir, `${sha256}.bytes`);
  }

  /** The previous fetch of a source, if its bytes are still on disk. */
  async previous(source_id: string): Promise<UrlState | null> {
    try {
      const state = JSON.parse(await readFile(this.stateFile(source_id), 'utf8')) as UrlState;
      if (typeof state.sha256 !== 'string') return null;
      const bytes = await this.bytes(state.sha256);
      return bytes ? state : null;
    } catch {
      return null;
    }
  }

  /** The stored bytes with this sha256 (checked), or null. */
  async bytes(sha256: string): Promise<Uint8Array | null> {
    const bytes = await readFile(this.blobFile(sha256)).catch(() => null);
    if (!bytes || sha256Hex(bytes) !== sha256) return null;
    this.used.add(`${sha256}.bytes`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Remember a successful fetch. */
  async remember(source_id: string, state: UrlState, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.blobFile(state.sha256), bytes);
    await writeFileAtomic(this.stateFile(source_id), JSON.stringify(state));
    this.used.add(`${state.sha256}.bytes`);
    this.used.add(`${source_id}.state.json`);
  }

  /** Mark a state file as used by this run (a 304 answer). */
  touch(source_id: string): void {
    this.used.add(`${source_id}.state.json`);
  }

  /** Remove bytes and states not used by this run. */
  async prune(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (this.used.has(name)) continue;
      await rm(join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }
}
