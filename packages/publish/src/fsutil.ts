import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromSystemError } from '@newsdata/errors';

/** A short random suffix for temporary names. */
export function randomName(): string {
  return randomBytes(6).toString('hex');
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** fsync a directory so that the names created, renamed or removed in it survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') {
      throw fromSystemError(error, 'sync the directory', dir);
    }
  } finally {
    await handle?.close();
  }
}

/** What was written by {@link writeChunks}. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/**
 * Write chunks to a new file, hashing them on the way, and fsync it. The file must not exist.
 */
export async function writeChunks(
  file: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  let handle: FileHandle | undefined;
  try {
    await mkdir(dirname(file), { recursive: true });
    handle = await open(file, 'wx');
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
    }
    await handle.sync();
  } catch (error) {
    throw fromSystemError(error, 'write', file);
  } finally {
    await handle?.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Replace `file` atomically: write a temporary file beside it, fsync, rename over, fsync the directory.
 * A reader sees the old content or the new one, never a mix.
 */
export async function writeFileAtomic(file: string, content: Uint8Array | string): Promise<WrittenFile> {
  const temp = `${file}.${randomName()}.tmp`;
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  try {
    const written = await writeChunks(temp, [bytes]);
    await rename(temp, file);
    await syncDirectory(dirname(file));
    return written;
  } catch (error) {
    await rm(temp, { force: true });
    throw fromSystemError(error, 'write', file);
  }
}

/** The errno code of a system error, or undefined. */
export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
