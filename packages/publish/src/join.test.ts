import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toRecords } from '@newsdata/extract';
import { parsePage } from '@newsdata/parse';
import { validateRelease } from '@newsdata/validate';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { copySample, editSource } from '../test/pages.js';
import { type Engine, publish, validateSources } from './pipeline.js';
import { readCurrent } from './store.js';

/** Sources whose ids sort differently with and without the `~` after them (a, a-b, a.b, a0, b). */
async function corpus(): Promise<{ sources: string[]; dir: string }> {
  const dir = await tempDir();
  const sources: string[] = [];
  for (const id of ['2025-01-08', '2025-01-08-b', '2025-01-08.x', '2025-01-080', '2025-01-09'])
    sources.push(await copySample(dir, id));
  await editSource(sources[1]!, '市政协', '市人大');
  // A page that cannot be decoded: a report entry, no rows.
  await writeFile(join(dir, 'broken.txt'), Uint8Array.of(0xe4, 0xb8, 0xad, 0xff, 0xff, 0x0a));
  return { sources, dir };
}

/** Everything but manifest.json's clock. */
async function releaseOf(out: string) {
  const current = await readCurrent(out);
  return { id: current!.id, files: current!.manifest.files };
}

describe('releases joined from per-source segments', () => {
  it('are byte-identical whether sources are built on worker threads, in process, or all at once, and after an edit', async () => {
    const { sources, dir } = await corpus();
    await rm(join(dir, 'broken.txt'));
    // The same paths for every store: problems name the source files.
    const threaded = await tempDir();
    const inProcess = await tempDir();
    const counted: Engine = { parsePage, toRecords };
    const a = await publish({ sources: [dir], out: threaded, threads: 2 });
    const b = await publish({ sources: [dir], out: inProcess, engine: counted });
    expect(a.status).toBe('published');
    expect(await releaseOf(threaded)).toEqual(await releaseOf(inProcess));
    expect(a.report).toEqual(b.report);

    // All rows validated at once give the same report as the merged per-source reports.
    const all = await validateSources({ sources: [dir] });
    expect(all.report).toEqual(a.report);
    expect(validateRelease({ tables: all.tables, sources: [] }).counts.errors).toBe(0);

    await editSource(sources[3]!, '市政协', '市政府');
    const c = await publish({ sources: [dir], out: threaded, threads: 2 });
    expect(c).toMatchObject({ status: 'published', parsed: 1, cached: 4 });
    // Without the record of the previous release's sources, changes come from its NDJSON files.
    await rm(join(inProcess, '.cache', 'release-sources.json'));
    const d = await publish({ sources: [dir], out: inProcess, threads: 0 });
    expect(await releaseOf(threaded)).toEqual(await releaseOf(inProcess));
    expect(c.changes).toEqual(d.changes);
    const listed = Object.values(c.changes!.tables).flatMap((lists) => [
      ...lists!.added,
      ...lists!.removed,
      ...lists!.changed,
    ]);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((key) => key.startsWith('2025-01-080~'))).toBe(true);
  }, 120_000);

  it('report a source that cannot be decoded the same as validating everything at once', async () => {
    const { dir } = await corpus();
    const out = await tempDir();
    const result = await publish({ sources: [dir], out, threads: 2 });
    expect(result.status).toBe('invalid');
    expect(result.report).toEqual((await validateSources({ sources: [dir] })).report);
  }, 120_000);
});
