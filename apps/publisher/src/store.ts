import { createReadStream, type FSWatcher, watch } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Changes, Manifest, ValidationReport } from '@newsdata/contract';
import { currentId, hashFile, listReleases, readManifest } from '@newsdata/publish';

/** Release ids as the manifest schema allows them. */
const RELEASE_ID = /^[0-9a-z][0-9a-z-]{7,63}$/;

/** One file a release may serve: its manifest entry (manifest.json itself has no sha256 there). */
export interface ServableFile {
  path: string;
  bytes: number | undefined;
  /** Hex sha256 from the manifest; for manifest.json, computed once when it is read. */
  sha256: string;
  rows: number | null;
}

interface CachedRelease {
  manifest: Manifest;
  files: Map<string, ServableFile>;
  json: Map<string, unknown>;
  /** Real paths already checked to lie inside the release (only successes: a miss is looked up again). */
  real: Map<string, string>;
}

export interface ReleaseStoreOptions {
  /** Releases whose manifests stay cached (default 64). */
  cacheLimit?: number;
  /**
   * How long the target of `current` is trusted without looking again, in ms (default 1000). A watch
   * on `<out>` forgets it as soon as `current` is replaced, so this bounds the delay only where the
   * watch sees nothing (another machine switching `current` on a shared file system).
   */
  currentTtlMs?: number;
}

/**
 * Read-only view of a release store for the server and the catalog page. Releases never change
 * once switched in, so everything read from one is cached by release id, including the real path of
 * each file once it has been checked to lie inside its release; only the `current` link is looked up
 * again, when it changes (watched) or at the latest after `currentTtlMs`.
 */
export class ReleaseStore {
  readonly out: string;
  readonly #cache = new Map<string, CachedRelease>();
  readonly #limit: number;
  readonly #currentTtlMs: number;
  #current: { id: string | null; at: number } | undefined;
  /** Counts the changes of `current` seen by the watch: a lookup that overlaps one is not cached. */
  #generation = 0;
  #currentLookup: Promise<string | null> | undefined;
  #watcher: FSWatcher | undefined;
  #closed = false;

  constructor(out: string, options: ReleaseStoreOptions = {}) {
    this.out = out;
    this.#limit = options.cacheLimit ?? 64;
    this.#currentTtlMs = options.currentTtlMs ?? 1000;
  }

  /**
   * The id `current` points at, or null before the first publish. Cached (see `currentTtlMs`);
   * `fresh: true` reads the link now, and what it finds is what later calls see.
   */
  async currentId(options: { fresh?: boolean } = {}): Promise<string | null> {
    const known = options.fresh ? undefined : this.knownCurrentId();
    if (known !== undefined) return known;
    if (!options.fresh && this.#currentLookup) return this.#currentLookup;
    const lookup = this.#readCurrent();
    this.#currentLookup = lookup;
    try {
      return await lookup;
    } finally {
      if (this.#currentLookup === lookup) this.#currentLookup = undefined;
    }
  }

  /**
   * The id `current` points at if a lookup within `currentTtlMs` found it and no switch was seen
   * since; undefined when it has to be read again (`currentId()` does that).
   */
  knownCurrentId(): string | null | undefined {
    const known = this.#current;
    return known !== undefined && performance.now() - known.at < this.#currentTtlMs ? known.id : undefined;
  }

  /** Stop watching `current` (the server calls this when it closes). */
  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #readCurrent(): Promise<string | null> {
    // Watch first, so that a switch between the read and the watch is not missed.
    this.#watch();
    const generation = this.#generation;
    const at = performance.now();
    const id = await currentId(this.out);
    const valid = id !== null && RELEASE_ID.test(id) ? id : null;
    // The link may have been switched while it was being read: then what was read is not kept.
    if (generation === this.#generation) this.#current = { id: valid, at };
    return valid;
  }

  #forgetCurrent(): void {
    this.#generation++;
    this.#current = undefined;
  }

  #watch(): void {
    if (this.#watcher || this.#closed) return;
    try {
      const watcher = watch(this.out, { persistent: false }, (_event, name) => {
        if (name === null || name === 'current') this.#forgetCurrent();
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = undefined;
        this.#forgetCurrent();
      });
      this.#watcher = watcher;
    } catch {
      // No store yet (or no watch on this file system): the time limit alone keeps `current` fresh.
    }
  }

  /** Ids of the releases in the store, newest first. */
  async releaseIds(): Promise<string[]> {
    return (await listReleases(this.out))
      .filter((release) => release.created !== null)
      .map((release) => release.id);
  }

  /** The manifest of a release, or null when there is no such release. */
  async manifest(id: string): Promise<Manifest | null> {
    return (await this.#load(id))?.manifest ?? null;
  }

  /**
   * The entry of a file the release lists (or manifest.json), or null. This is the allowlist: a path
   * that is not in the manifest is never served, whatever is on disk.
   */
  async file(id: string, path: string): Promise<ServableFile | null> {
    return (await this.#load(id))?.files.get(path) ?? null;
  }

  /**
   * `file()` for a release already in the cache, without waiting: undefined when the release is not
   * cached yet or does not list the path.
   */
  knownFile(id: string, path: string): ServableFile | undefined {
    return this.#cache.get(id)?.files.get(path);
  }

  /**
   * The real path of a file of a release, or null when it does not exist or resolves (through a
   * symbolic link) to anywhere outside `<out>/releases/<id>/`.
   */
  async resolve(id: string, path: string): Promise<string | null> {
    if (!RELEASE_ID.test(id)) return null;
    const release = this.#cache.get(id);
    const known = release?.real.get(path);
    if (known !== undefined) return known;
    const real = await this.#resolve(id, path);
    // Only files the manifest lists are remembered, so the map stays as small as the manifest.
    if (real !== null && release?.files.has(path)) release.real.set(path, real);
    return real;
  }

  async #resolve(id: string, path: string): Promise<string | null> {
    try {
      const releases = await realpath(join(this.out, 'releases'));
      const root = await realpath(join(releases, id));
      // The release directory itself may not be a link to elsewhere.
      if (root !== join(releases, id)) return null;
      const real = await realpath(join(root, ...path.split('/')));
      return real.startsWith(root + sep) ? real : null;
    } catch {
      return null;
    }
  }

  /** A JSON file of a release (changes.json, validation-report.json), parsed and cached; null if absent. */
  async json<T>(id: string, path: 'changes.json' | 'validation-report.json'): Promise<T | null> {
    const release = await this.#load(id);
    if (!release?.files.has(path)) return null;
    if (release.json.has(path)) return release.json.get(path) as T;
    const real = await this.resolve(id, path);
    const value = real ? (JSON.parse(await readFile(real, 'utf8')) as unknown) : null;
    release.json.set(path, value);
    return value as T | null;
  }

  /** The first `count` records of an NDJSON file of a release, reading only the start of it. */
  async head(id: string, path: string, count: number): Promise<Record<string, unknown>[]> {
    const real = (await this.file(id, path)) ? await this.resolve(id, path) : null;
    if (!real) return [];
    const rows: Record<string, unknown>[] = [];
    let rest = '';
    const stream = createReadStream(real, { encoding: 'utf8', highWaterMark: 16 * 1024 });
    try {
      for await (const chunk of stream) {
        const lines = (rest + (chunk as string)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() !== '') rows.push(JSON.parse(line) as Record<string, unknown>);
          if (rows.length >= count) return rows;
        }
      }
      if (rest.trim() !== '' && rows.length < count) rows.push(JSON.parse(rest) as Record<string, unknown>);
      return rows;
    } finally {
      stream.destroy();
    }
  }

  async #load(id: string): Promise<CachedRelease | undefined> {
    if (!RELEASE_ID.test(id)) return undefined;
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const real = await this.#resolve(id, 'manifest.json');
    if (!real) return undefined;
    const manifest = await readManifest(this.out, id).catch(() => null);
    if (!manifest || !Array.isArray(manifest.files) || manifest.release_id !== id) return undefined;
    const files = new Map<string, ServableFile>();
    for (const entry of manifest.files) files.set(entry.path, { ...entry });
    const own = await hashFile(real);
    files.set('manifest.json', { path: 'manifest.json', bytes: own.bytes, sha256: own.sha256, rows: null });
    const release: CachedRelease = {
      manifest,
      files,
      json: new Map(),
      real: new Map([['manifest.json', real]]),
    };
    if (this.#cache.size >= this.#limit) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(id, release);
    return release;
  }
}

export type { Changes, Manifest, ValidationReport };
