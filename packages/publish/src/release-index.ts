import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Manifest, TOOL } from '@newsdata/contract';
import type { Encoding } from '@newsdata/parse';
import type { Lang } from '@newsdata/validate';
import type { BuiltSource } from './build.js';
import { faultPoint } from './fault.js';
import { writeFileAtomic } from './fsutil.js';
import { releaseLayout, segmentsFingerprint } from './segments.js';
import { storePaths } from './store.js';

/**
 * The per-source cache of the release store is the current release itself: every data file of a
 * release is its head, then each source's segment, in source order. The index says, for each source
 * of the current release, its cache key and where its segment of every data file starts, so a
 * republish copies the bytes of unchanged sources out of the current release instead of building them
 * again, and keeps nothing else of them: no second copy of the release's bytes on disk, one small file
 * to read. It also keeps what the report needs of each source.
 */
export interface ReleaseIndex {
  format: number;
  tool: string;
  /** `segmentsFingerprint()` of the exporter that wrote the release. */
  segments: string;
  release_id: string;
  /** Path and byte size of each data file (`releaseLayout` order), checked before bytes are copied out. */
  files: { path: string; bytes: number }[];
  /** Sources in file order. */
  sources: IndexedSource[];
}

/** One source of a release: what validation said of it alone, and where its rows are. */
export interface IndexedSource {
  source_id: string;
  /** `cacheKey` of the source: its bytes, sidecar, id and the tool version. */
  key: string;
  /** Path or URL the source was read from (problems name it). */
  file: string;
  lang: Lang;
  encoding: Encoding;
  report: BuiltSource['report'];
  /** Offset of the source's segment in each data file, and its length (0: no rows there). */
  at: number[];
  lengths: number[];
}

/** Bump when the shape of the index or the segments of a release change. */
const FORMAT = 1;
const INDEX = ['.cache', 'release-index.json'] as const;

/**
 * The index of the current release, or null when there is none that can be trusted: another format or
 * tool version, another release, a data file of another size than the index says, or a broken file.
 * Null only costs time: every source is built again.
 */
export async function readReleaseIndex(
  out: string,
  current: { id: string; manifest: Manifest },
): Promise<ReleaseIndex | null> {
  let index: ReleaseIndex;
  try {
    index = JSON.parse(await readFile(join(out, ...INDEX), 'utf8')) as ReleaseIndex;
  } catch {
    return null;
  }
  if (
    index?.format !== FORMAT ||
    index.tool !== TOOL.version ||
    index.segments !== segmentsFingerprint() ||
    index.release_id !== current.id ||
    !Array.isArray(index.files) ||
    !Array.isArray(index.sources)
  ) {
    return null;
  }
  const layout = releaseLayout();
  if (index.files.length !== layout.length) return null;
  const listed = new Map(current.manifest.files.map((file) => [file.path, file.bytes]));
  for (const [i, file] of layout.entries()) {
    const entry = index.files[i]!;
    if (entry.path !== file.path || listed.get(file.path) !== entry.bytes) return null;
    const stats = await stat(join(storePaths(out).release(current.id), ...file.path.split('/'))).catch(
      () => null,
    );
    if (stats?.size !== entry.bytes) return null;
  }
  for (const source of index.sources) {
    if (
      source.at?.length !== layout.length ||
      source.lengths?.length !== layout.length ||
      source.at.some((at, i) => at + source.lengths[i]! > index.files[i]!.bytes)
    ) {
      return null;
    }
  }
  return index;
}

/** Record the index of the release just made current (atomically). */
export async function writeReleaseIndex(
  out: string,
  index: Omit<ReleaseIndex, 'format' | 'tool' | 'segments'>,
): Promise<void> {
  await writeFileAtomic(
    join(out, ...INDEX),
    JSON.stringify({
      format: FORMAT,
      tool: TOOL.version,
      segments: segmentsFingerprint(),
      ...index,
    } satisfies ReleaseIndex),
  );
  faultPoint('after-index-write');
}

/** Forget the index (the current release was not joined from per-source segments). */
export async function dropReleaseIndex(out: string): Promise<void> {
  await rm(join(out, ...INDEX), { force: true });
}

/** Remove the per-source cache files of earlier versions (`.cache/sources/`), which nothing reads now. */
export async function dropLegacyCache(out: string): Promise<void> {
  await rm(join(out, '.cache', 'sources'), { recursive: true, force: true });
  await rm(join(out, '.cache', 'release-sources.json'), { force: true });
}
