import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A release as read straight from disk, without the publish package's own helpers. */
export interface CheckedRelease {
  id: string;
  manifest: {
    release_id: string;
    previous_release_id: string | null;
    sources: { source_id: string; sha256: string; bytes: number; encoding: string }[];
    files: { path: string; bytes: number; sha256: string; rows: number | null }[];
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Relative paths of every file under `dir`. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) paths.push(...(await walk(join(dir, entry.name), rel)));
    else paths.push(rel);
  }
  return paths;
}

/**
 * The release `<out>/current` points at, checked independently of `verifyRelease`: `current` is a
 * symlink into `releases/`, the manifest parses and names that release, every listed file has the
 * listed size and sha256, and nothing unlisted lies beside them. Throws with the first difference.
 * Returns null when there is no `current` yet.
 */
export async function checkCurrent(out: string): Promise<CheckedRelease | null> {
  let target: string;
  try {
    target = await readlink(join(out, 'current'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const match = /^releases\/([0-9a-z-]+)$/.exec(target);
  if (!match) throw new Error(`current points at ${target}, not at a release`);
  const id = match[1]!;
  return checkRelease(out, id);
}

/** One release of the store, checked like {@link checkCurrent}. */
export async function checkRelease(out: string, id: string): Promise<CheckedRelease> {
  const dir = join(out, 'releases', id);
  if (!(await lstat(dir)).isDirectory()) throw new Error(`releases/${id} is not a directory`);
  const manifest = JSON.parse(
    await readFile(join(dir, 'manifest.json'), 'utf8'),
  ) as CheckedRelease['manifest'];
  if (manifest.release_id !== id) throw new Error(`manifest of ${id} names ${manifest.release_id}`);
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const bytes = await readFile(join(dir, ...file.path.split('/')));
    if (bytes.byteLength !== file.bytes || sha256(bytes) !== file.sha256) {
      throw new Error(`releases/${id}/${file.path} does not match its manifest entry`);
    }
  }
  for (const path of await walk(dir)) {
    if (path !== 'manifest.json' && !listed.has(path))
      throw new Error(`releases/${id}/${path} is not in the manifest`);
  }
  for (const required of ['articles.csv', 'articles.ndjson', 'changes.json', 'datapackage.json']) {
    if (!listed.has(required)) throw new Error(`releases/${id} has no ${required}`);
  }
  return { id, manifest };
}

/** The NDJSON rows of a table in a release. */
export async function readRows(out: string, id: string, table: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(out, 'releases', id, `${table}.ndjson`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Sha256 of every file of a directory tree, to show that nothing in it changed. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const path of await walk(dir)) result.set(path, sha256(await readFile(join(dir, ...path.split('/')))));
  return result;
}
