import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TOOL } from '@newsdata/contract';
import { sha256Hex, writeFileAtomic } from './fsutil.js';

/** Bump when what a cache key stands for changes, so old entries are rebuilt. */
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
