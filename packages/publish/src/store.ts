import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { Manifest } from '@newsdata/contract';
import { fromSystemError, runtimeError } from '@newsdata/errors';
import { faultPoint } from './fault.js';
import { errnoOf, randomName, syncDirectory, writeChunks, writeFileAtomic } from './fsutil.js';

/** One file of a release, as listed in `manifest.json`. */
export type ManifestFile = Manifest['files'][number];

/** One file of a release being written by {@link Staging.writer}. */
export interface StagedWriter {
  /** Add bytes; await it before the next write (the writer copies into one reused block). */
  write(chunk: Uint8Array): Promise<void>;
  /** Flush, fsync and close; the file's entry (bytes, sha256, rows). `rows`, when given, replaces the count given at the start. */
  close(rows?: number | null): Promise<ManifestFile>;
  /** Close without finishing (the staging directory is about to be discarded). */
  abort(): Promise<void>;
}

/** Bytes gathered before a write: few large writes instead of one per segment. */
const WRITE_BLOCK = 1 << 20;

/**
 * Bytes written to a staged file after which its data is synced in the background while the writing
 * goes on. The kernel would otherwise hold a whole release in dirty pages (its own writeback starts at
 * a tenth of the memory) and the fsync at `close` would wait for all of it after the last byte.
 */
const BACKGROUND_SYNC_BYTES = 32 << 20;

/** What the manifest says besides its file list (which the staging area fills in). */
export type ManifestHead = Omit<Manifest, 'files'>;

/** Turns a JSON value into the bytes of a file (the pipeline passes the exporter's `serializeJson`). */
export type Serialize = (value: unknown) => Uint8Array;

const RELEASES = 'releases';
const STAGING = '.staging';
const CURRENT = 'current';
/**
 * Names the release being switched in, from before its folder appears under `releases/` until
 * `current` points at it: a crash in between leaves this file, so the next run can tell that folder
 * never became current (catalogs and feeds would otherwise list it) and remove it.
 */
const SWITCHING = '.switching';
const MANIFEST = 'manifest.json';
const RELEASE_ID = /^[0-9a-z][0-9a-z-]{7,63}$/;
const SAFE_PATH = /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+$/;

/** Where things live inside an output directory. */
export function storePaths(out: string) {
  return {
    releases: join(out, RELEASES),
    staging: join(out, STAGING),
    current: join(out, CURRENT),
    release: (id: string) => join(out, RELEASES, id),
  };
}

/**
 * A release being written: files go into `<out>/.staging/<random>/`, each streamed to disk with its
 * sha256 computed on the way and fsynced. Nothing here is visible to readers of the store until
 * {@link commitRelease}.
 */
export class Staging {
  readonly files: ManifestFile[] = [];
  private finished = false;
  /** Files opened with {@link writer} and finished. */
  private closed = 0;
  /**
   * Whether a background sync of some staged file is running: one at a time, so that syncs never take
   * up the thread pool that the writes need.
   */
  private syncing = false;

  constructor(
    readonly out: string,
    readonly dir: string,
  ) {}

  /** Write one file of the release. `path` is relative, with `/` separators (`excel/articles.csv`). */
  async write(
    path: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    rows: number | null = null,
  ): Promise<ManifestFile> {
    if (this.finished) throw runtimeError('STAGING_FINISHED', `Cannot add ${path}: the manifest is written.`);
    if (!SAFE_PATH.test(path) || path === MANIFEST || this.files.some((file) => file.path === path)) {
      throw runtimeError(
        'RELEASE_PATH_INVALID',
        `Cannot stage "${path}": a release path must be relative, unique, without "..", and not ${MANIFEST}.`,
      );
    }
    const written = await writeChunks(join(this.dir, ...path.split('/')), chunks);
    const file: ManifestFile = { path, bytes: written.bytes, sha256: written.sha256, rows };
    this.files.push(file);
    if (this.files.length === 1) faultPoint('mid-staging-write');
    return file;
  }

  /**
   * Open one file of the release for writing piece by piece (several may be open at once): bytes are
   * hashed as they are added and written in large blocks; `close` fsyncs the file and lists it.
   */
  async writer(path: string, rows: number | null = null): Promise<StagedWriter> {
    this.checkPath(path);
    const file = join(this.dir, ...path.split('/'));
    this.files.push({ path, bytes: 0, sha256: '', rows });
    const entry = this.files[this.files.length - 1]!;
    let handle: FileHandle | undefined;
    try {
      await mkdir(join(file, '..'), { recursive: true });
      handle = await open(file, 'wx');
    } catch (error) {
      throw fromSystemError(error, 'write', file);
    }
    const opened = handle;
    const hash = createHash('sha256');
    // Chunks are copied into one block: keeping them (often views into a larger cached buffer) until
    // the block is full would hold on to every buffer they came from. Writes are awaited before the
    // next chunk is taken, so the one block is reused instead of allocating (and collecting) more.
    const block = Buffer.allocUnsafe(WRITE_BLOCK);
    let used = 0;
    let bytes = 0;
    let unsynced = 0;
    let background: Promise<unknown> | null = null;
    let backgroundError: unknown = null;
    const syncInBackground = () => {
      if (this.syncing || unsynced < BACKGROUND_SYNC_BYTES) return;
      this.syncing = true;
      unsynced = 0;
      background = opened
        .datasync()
        // Kept for `close`: a write-back error is reported once per open file, here and not again there.
        .catch((error: unknown) => {
          backgroundError ??= error;
        })
        .finally(() => {
          this.syncing = false;
          background = null;
        });
    };
    const writeOut = async (data: Uint8Array) => {
      // Hashed per block rather than per chunk: far fewer calls for files of many small segments.
      hash.update(data);
      try {
        let offset = 0;
        while (offset < data.byteLength) {
          const { bytesWritten } = await opened.write(data, offset, data.byteLength - offset);
          offset += bytesWritten;
        }
      } catch (error) {
        throw fromSystemError(error, 'write', file);
      }
      unsynced += data.byteLength;
      syncInBackground();
    };
    const flush = async () => {
      if (used === 0) return;
      const data = block.subarray(0, used);
      used = 0;
      await writeOut(data);
    };
    return {
      write: async (chunk: Uint8Array) => {
        if (chunk.byteLength === 0) return;
        bytes += chunk.byteLength;
        if (used + chunk.byteLength > WRITE_BLOCK) await flush();
        if (chunk.byteLength >= WRITE_BLOCK) {
          await writeOut(chunk);
          return;
        }
        block.set(chunk, used);
        used += chunk.byteLength;
      },
      close: async (rowsAtClose?: number | null) => {
        if (rowsAtClose !== undefined) entry.rows = rowsAtClose;
        try {
          await flush();
          await background;
          if (backgroundError) throw backgroundError;
          await opened.sync();
        } catch (error) {
          throw fromSystemError(error, 'write', file);
        } finally {
          await background;
          await opened.close();
        }
        entry.bytes = bytes;
        entry.sha256 = hash.digest('hex');
        if (++this.closed === 1) faultPoint('mid-staging-write');
        return { ...entry };
      },
      abort: async () => {
        await background;
        await opened.close().catch(() => undefined);
      },
    };
  }

  private checkPath(path: string): void {
    if (this.finished) throw runtimeError('STAGING_FINISHED', `Cannot add ${path}: the manifest is written.`);
    if (!SAFE_PATH.test(path) || path === MANIFEST || this.files.some((file) => file.path === path)) {
      throw runtimeError(
        'RELEASE_PATH_INVALID',
        `Cannot stage "${path}": a release path must be relative, unique, without "..", and not ${MANIFEST}.`,
      );
    }
  }

  /**
   * Write `manifest.json` (the head plus every staged file, sorted by path) and fsync the staging
   * directories. Returns the manifest.
   */
  async finish(head: ManifestHead, serialize: Serialize): Promise<Manifest> {
    faultPoint('after-staging-write');
    const files = [...this.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest: Manifest = { ...head, files };
    await writeChunks(join(this.dir, MANIFEST), [serialize(manifest)]);
    this.finished = true;
    const dirs = new Set(files.map((file) => posix.dirname(file.path)).filter((dir) => dir !== '.'));
    for (const dir of dirs) await syncDirectory(join(this.dir, ...dir.split('/')));
    await syncDirectory(this.dir);
    faultPoint('after-manifest');
    return manifest;
  }

  /** Remove the staging directory (the release is abandoned). */
  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Remove what a crashed publish left behind: staging directories, temporary `current` links, and a
 * release folder that was moved into `releases/` but never became current. Call it while holding the lock. Returns how many entries were removed.
 */
export async function cleanStaging(out: string): Promise<number> {
  const { staging } = storePaths(out);
  let removed = 0;
  const marker = join(out, SWITCHING);
  const switching = (await readFile(marker, 'utf8').catch(() => '')).trim();
  if (switching !== '') {
    if (RELEASE_ID.test(switching) && (await currentId(out)) !== switching) {
      await removeRelease(out, switching);
      removed++;
    }
    await rm(marker, { force: true });
  }
  for (const name of await readdir(staging).catch(() => [] as string[])) {
    await rm(join(staging, name), { recursive: true, force: true });
    removed++;
  }
  for (const name of await readdir(out).catch(() => [] as string[])) {
    if (name.startsWith('.current-')) {
      await rm(join(out, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** Create a fresh staging directory under `<out>/.staging/`. */
export async function openStaging(out: string): Promise<Staging> {
  const { staging, releases } = storePaths(out);
  const dir = join(staging, randomName());
  try {
    await mkdir(releases, { recursive: true });
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw fromSystemError(error, 'create the staging directory', dir);
  }
  faultPoint('after-staging-create');
  return new Staging(out, dir);
}

export interface CommitOptions {
  /**
   * Awaited just before `current` is switched (after the release is complete in `releases/`): the
   * place for a distributed lock or fencing check. Throwing aborts: the new release is removed and the
   * previous one stays current.
   */
  beforeSwitch?: () => Promise<void>;
}

export interface CommitResult {
  manifest: Manifest;
  /** True when `releases/<id>` already held a complete copy of this release, which was switched in as is. */
  reused: boolean;
}

/**
 * Move a finished staging directory to `<out>/releases/<release_id>/` and make it current.
 *
 * Order: rename staging → releases/<id>, fsync `releases/`, `beforeSwitch`, create a temporary
 * symlink and rename it over `current` (atomic on POSIX), fsync `<out>`. A crash before the last
 * rename leaves the previous release current; after it, the new one, complete.
 *
 * A release directory never changes once written: if `releases/<id>` already exists and verifies
 * (the same content was published before), it is switched in as is and the staged copy is dropped.
 */
export async function commitRelease(
  staging: Staging,
  manifest: Manifest,
  options: CommitOptions = {},
): Promise<CommitResult> {
  const { out } = staging;
  const id = manifest.release_id;
  if (!RELEASE_ID.test(id)) {
    throw runtimeError('RELEASE_ID_INVALID', `Release id "${id}" does not match ${RELEASE_ID}.`);
  }
  const paths = storePaths(out);
  const target = paths.release(id);
  let reused = false;
  let committed = manifest;
  if (await exists(target)) {
    const check = await verifyRelease(out, id);
    if (check.ok && check.manifest) {
      reused = true;
      committed = check.manifest;
      await staging.discard();
    } else {
      await removeRelease(out, id);
      faultPoint('after-broken-removed');
    }
  }
  if (!reused) {
    await writeFileAtomic(join(out, SWITCHING), id);
    try {
      await rename(staging.dir, target);
    } catch (error) {
      throw fromSystemError(error, 'move the staged release into', target);
    }
    faultPoint('after-rename');
    await syncDirectory(paths.releases);
  }
  faultPoint('before-switch');
  if (options.beforeSwitch) {
    try {
      await options.beforeSwitch();
    } catch (error) {
      const current = await currentId(out);
      if (!reused && current !== id) await removeRelease(out, id);
      throw error;
    }
  }
  await switchCurrent(out, id);
  await rm(join(out, SWITCHING), { force: true });
  return { manifest: committed, reused };
}

/** Point `<out>/current` at `releases/<id>` with one atomic rename of a fresh symlink. */
export async function switchCurrent(out: string, id: string): Promise<void> {
  const temp = join(out, `.current-${randomName()}`);
  try {
    await symlink(posix.join(RELEASES, id), temp);
    faultPoint('after-temp-link');
    await rename(temp, join(out, CURRENT));
  } catch (error) {
    await rm(temp, { force: true });
    throw fromSystemError(error, 'switch current to release', id);
  }
  faultPoint('after-switch');
  await syncDirectory(out);
}

/** Id of the release `<out>/current` points at, or null when there is none. */
export async function currentId(out: string): Promise<string | null> {
  try {
    return basename(await readlink(join(out, CURRENT)));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw fromSystemError(error, 'read the current release link', join(out, CURRENT));
  }
}

/** The manifest of one release, or null when the release or its manifest does not exist. */
export async function readManifest(out: string, id: string): Promise<Manifest | null> {
  const file = join(storePaths(out).release(id), MANIFEST);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw fromSystemError(error, 'read', file);
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch (error) {
    throw runtimeError('RELEASE_CORRUPT', `${file} is not valid JSON; remove the release or republish.`, {
      file,
      cause: error,
    });
  }
}

/**
 * The current release and its manifest, or null when nothing has been published to `out` yet.
 *
 * @example
 * const current = await readCurrent('public'); // { id: 'r-3f9a…', manifest: { release_id: …, files: […] } }
 */
export async function readCurrent(out: string): Promise<{ id: string; manifest: Manifest } | null> {
  const id = await currentId(out);
  if (id === null) return null;
  const manifest = await readManifest(out, id);
  if (!manifest) {
    throw runtimeError(
      'RELEASE_CORRUPT',
      `${join(out, CURRENT)} points at release ${id}, which has no manifest.json; republish to repair.`,
      { file: join(out, CURRENT) },
    );
  }
  return { id, manifest };
}

/**
 * Files of a release that are missing or not the size its manifest gives: a check cheap enough for
 * every publish (one `stat` per file). It finds files cut short, grown or deleted, not bytes changed in
 * place; {@link verifyRelease} reads and hashes every file for that.
 */
export async function damagedFiles(
  out: string,
  release: { id: string; manifest: Manifest },
): Promise<string[]> {
  const dir = storePaths(out).release(release.id);
  const sizes = await Promise.all(
    release.manifest.files.map((file) =>
      stat(join(dir, ...file.path.split('/'))).then(
        (stats) => (stats.isFile() ? stats.size : -1),
        () => -1,
      ),
    ),
  );
  return release.manifest.files.filter((file, i) => sizes[i] !== file.bytes).map((file) => file.path);
}

/** One release of the store, as listed by {@link listReleases}. */
export interface ReleaseSummary {
  id: string;
  created: string | null;
  previous_release_id: string | null;
  current: boolean;
  files: number;
  bytes: number;
}

/** Every release in `<out>/releases/`, newest first (by `created`, then id). */
export async function listReleases(out: string): Promise<ReleaseSummary[]> {
  const current = await currentId(out);
  const names = await readdir(storePaths(out).releases).catch((error) => {
    if (errnoOf(error) === 'ENOENT') return [] as string[];
    throw fromSystemError(error, 'list', storePaths(out).releases);
  });
  const list: ReleaseSummary[] = [];
  for (const id of names) {
    if (!RELEASE_ID.test(id)) continue;
    const manifest = await readManifest(out, id).catch(() => null);
    list.push({
      id,
      created: manifest?.created ?? null,
      previous_release_id: manifest?.previous_release_id ?? null,
      current: id === current,
      files: manifest?.files.length ?? 0,
      bytes: manifest?.files.reduce((sum, file) => sum + file.bytes, 0) ?? 0,
    });
  }
  return list.sort((a, b) => {
    const ca = a.created ?? '';
    const cb = b.created ?? '';
    if (ca !== cb) return ca < cb ? 1 : -1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

/** Result of {@link verifyRelease}. */
export interface Verification {
  ok: boolean;
  manifest: Manifest | null;
  /** What does not match, one sentence each (empty when ok). */
  problems: string[];
}

/**
 * Check a release against its manifest: every listed file exists with the listed size and sha256, and
 * there is no file the manifest does not list.
 */
export async function verifyRelease(out: string, id: string): Promise<Verification> {
  const dir = storePaths(out).release(id);
  let manifest: Manifest | null;
  try {
    manifest = await readManifest(out, id);
  } catch (error) {
    return { ok: false, manifest: null, problems: [(error as Error).message] };
  }
  if (!manifest) return { ok: false, manifest: null, problems: [`${dir} has no ${MANIFEST}`] };
  const problems: string[] = [];
  if (manifest.release_id !== id) problems.push(`manifest release_id ${manifest.release_id} is not ${id}`);
  const listed = new Set<string>();
  for (const file of manifest.files ?? []) {
    listed.add(file.path);
    const actual = await hashFile(join(dir, ...file.path.split('/'))).catch(() => null);
    if (!actual) problems.push(`${file.path} is missing`);
    else if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) {
      problems.push(`${file.path} does not match its manifest entry (size or sha256 differ)`);
    }
  }
  for (const path of await walk(dir)) {
    if (path !== MANIFEST && !listed.has(path)) problems.push(`${path} is not listed in the manifest`);
  }
  return { ok: problems.length === 0, manifest, problems };
}

/**
 * Remove releases beyond the newest `keep`, never the current one or the one before it (its manifest's
 * `previous_release_id`, and any id in `protect`: the pipeline passes the release it replaced). A release is
 * first renamed into `.staging/` and then deleted, so a crash never leaves half a release in
 * `releases/`. Returns the ids removed.
 */
export async function pruneReleases(out: string, keep: number, protect: string[] = []): Promise<string[]> {
  const all = await listReleases(out);
  const current = all.find((release) => release.current);
  const protectedIds = new Set([current?.id, current?.previous_release_id, ...protect].filter(Boolean));
  const removed: string[] = [];
  let kept = 0;
  for (const release of all) {
    if (protectedIds.has(release.id)) {
      kept++;
      continue;
    }
    if (kept < keep) {
      kept++;
      continue;
    }
    await removeRelease(out, release.id);
    removed.push(release.id);
    if (removed.length === 1) faultPoint('mid-prune');
  }
  if (removed.length > 0) await syncDirectory(storePaths(out).releases);
  faultPoint('after-prune');
  return removed;
}

async function removeRelease(out: string, id: string): Promise<void> {
  const { staging } = storePaths(out);
  const aside = join(staging, `removed-${id}-${randomName()}`);
  await mkdir(staging, { recursive: true });
  try {
    await rename(storePaths(out).release(id), aside);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw fromSystemError(error, 'remove release', id);
  }
  await rm(aside, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw fromSystemError(error, 'inspect', path);
  }
}

/** Size and sha256 of a file, streamed. */
export async function hashFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Relative paths (with `/`) of every file under `dir`. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const paths: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) paths.push(...(await walk(join(dir, entry.name), rel)));
    else paths.push(rel);
  }
  return paths;
}
