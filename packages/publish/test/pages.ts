import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

export const samplePage = join(repoRoot, 'data', 'sources', 'dalian-daily-sample-page.txt');
export const sampleMeta = join(repoRoot, 'data', 'sources', 'dalian-daily-sample-page.meta.json');

/** Copy the bundled sample page (and its sidecar) into `dir` as `<id>.txt`. */
export async function copySample(dir: string, id = 'dalian-daily-sample-page'): Promise<string> {
  const file = join(dir, `${id}.txt`);
  await copyFile(samplePage, file);
  await copyFile(sampleMeta, join(dir, `${id}.meta.json`));
  return file;
}

/** Replace the first occurrence of `from` in a source file; fails loudly when it is not there. */
export async function editSource(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`"${from}" is not in ${file}`);
  await writeFile(file, text.slice(0, at) + to + text.slice(at + from.length));
}

/** Rows of a release's NDJSON file. */
export async function ndjson(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
