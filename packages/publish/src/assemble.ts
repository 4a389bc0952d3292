import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, runtimeError } from '@newsdata/errors';
import type { IndexedSource } from './release-index.js';
import { type FileLayout, JSON_SEPARATOR, releaseLayout, tailOf } from './segments.js';
import type { StagedWriter } from './store.js';

/**
 * Bytes read at once when copying a run of unchanged sources out of the previous release (one block per
 * file, since the files are copied at the same time).
 */
const COPY_BLOCK = 1 << 20;

/** A run of bytes of one previous data file still to be copied: `[start, end)`. */
interface PendingCopy {
  start: number;
  end: number;
}

/**
 * Writes the data files of a release source by source, in file order: each file is its head, then
 * every source's segment (for `articles.json`, non-empty segments separated by a comma), then its tail.
 * A source is either new bytes (just built) or a copy of its segments out of the previous release;
 * copies of sources that sat next to each other there are merged into one read per file, so an
 * unchanged corpus costs a few large reads, not one per source and file.
 */
export class ReleaseAssembler {
  private readonly layout: FileLayout[] = releaseLayout();
  /** Bytes each file has been given so far, copies not yet read included. */
  private readonly position: number[];
  private readonly pending: (PendingCopy | null)[];
  private readonly previous: (FileHandle | null)[];
  private anyArticle = false;
  private readonly blocks: (Buffer | null)[];

  constructor(
    private readonly writers: StagedWriter[],
    /** The previous release's directory, when sources are copied out of it. */
    private readonly previousDir: string | null,
  ) {
    this.position = this.layout.map(() => 0);
    this.pending = this.layout.map(() => null);
    this.previous = this.layout.map(() => null);
    this.blocks = this.layout.map(() => null);
  }

  /** Write the heads. */
  async start(): Promise<void> {
    for (const [i, file] of this.layout.entries()) {
      await this.writers[i]!.write(file.head);
      this.position[i] = file.head.byteLength;
    }
  }

  /** Add a just-built source's segments; returns where each starts in its file. */
  async add(segments: readonly Uint8Array[]): Promise<number[]> {
    await this.flushAll();
    const at: number[] = [];
    for (const [i, file] of this.layout.entries()) {
      const segment = segments[i]!;
      if (segment.byteLength === 0) {
        at.push(this.position[i]!);
        continue;
      }
      if (file.format === 'json') await this.separate(i);
      at.push(this.position[i]!);
      await this.writers[i]!.write(segment);
      this.position[i]! += segment.byteLength;
    }
    return at;
  }

  /** Add an unchanged source by copying its segments out of the previous release; returns the new offsets. */
  async copy(source: IndexedSource): Promise<number[]> {
    if (this.previousDir === null)
      throw runtimeError('PUBLISH_NO_PREVIOUS', 'No previous release to copy from.');
    const at: number[] = [];
    for (const [i, file] of this.layout.entries()) {
      const start = source.at[i]!;
      const length = source.lengths[i]!;
      if (length === 0) {
        at.push(this.position[i]!);
        continue;
      }
      const pending = this.pending[i];
      const json = file.format === 'json';
      // In the previous file a comma sits between two article segments: a run copies it along.
      if (pending && start === pending.end + (json ? 1 : 0)) {
        if (json) this.position[i]! += 1;
        pending.end = start + length;
      } else {
        await this.flush(i);
        if (json) await this.separate(i);
        this.pending[i] = { start, end: start + length };
      }
      at.push(this.position[i]!);
      this.position[i]! += length;
      if (json) this.anyArticle = true;
    }
    return at;
  }

  /** Copy what is pending, write the tails; the files are then complete (but not closed). */
  async finish(): Promise<void> {
    await this.flushAll();
    for (const [i, file] of this.layout.entries())
      await this.writers[i]!.write(tailOf(file, this.anyArticle));
    await this.close();
  }

  /** Close the previous release's files. */
  async close(): Promise<void> {
    await Promise.all(this.previous.map((handle) => handle?.close().catch(() => undefined)));
    this.previous.fill(null);
  }

  /** Before an article segment of `articles.json`: a comma unless it is the first. */
  private async separate(i: number): Promise<void> {
    if (this.anyArticle) {
      await this.writers[i]!.write(JSON_SEPARATOR);
      this.position[i]! += JSON_SEPARATOR.byteLength;
    }
    this.anyArticle = true;
  }

  /**
   * Copy the pending runs of every file at once: while this thread hashes one file's block, the reads
   * and writes of the others go on in the thread pool.
   */
  private async flushAll(): Promise<void> {
    if (this.pending.some((pending) => pending !== null))
      await Promise.all(this.layout.map((_, i) => this.flush(i)));
  }

  /** Copy the pending run of file `i` out of the previous release. */
  private async flush(i: number): Promise<void> {
    const pending = this.pending[i];
    if (!pending) return;
    this.pending[i] = null;
    const path = join(this.previousDir!, ...this.layout[i]!.path.split('/'));
    let handle = this.previous[i];
    try {
      if (!handle) {
        handle = await open(path, 'r');
        this.previous[i] = handle;
      }
      // The writer consumes each chunk before its write resolves, so the file's block is reused throughout.
      const block = this.blocks[i] ?? Buffer.allocUnsafe(COPY_BLOCK);
      this.blocks[i] = block;
      let at = pending.start;
      while (at < pending.end) {
        const want = Math.min(COPY_BLOCK, pending.end - at);
        const { bytesRead } = await handle.read(block, 0, want, at);
        if (bytesRead === 0) {
          throw runtimeError(
            'SOURCE_CACHE_LOST',
            `${path} is shorter than the index of the release store says; publish again to rebuild every source.`,
            { file: path },
          );
        }
        await this.writers[i]!.write(block.subarray(0, bytesRead));
        at += bytesRead;
      }
    } catch (error) {
      throw fromSystemError(error, 'copy unchanged rows out of', path);
    }
  }
}
