import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Changes } from '@newsdata/contract';
import { diffReleases, rowDigests } from '@newsdata/export';
import { toRecords } from '@newsdata/extract';
import { parsePage } from '@newsdata/parse';
import { validateRelease } from '@newsdata/validate';
import fc from 'fast-check';
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

/** Every key a change log lists, added, removed or changed. */
function keysIn(changes: Changes): string[] {
  return Object.values(changes.tables).flatMap((lists) => [
    ...lists!.added,
    ...lists!.removed,
    ...lists!.changed,
  ]);
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
    // The first release's changes (every key added, taken in file order) are those of a diff of all rows.
    expect(a.changes).toEqual(
      diffReleases(null, rowDigests(all.tables), { release_id: a.release_id!, previous_release_id: null }),
    );
    expect(validateRelease({ tables: all.tables, sources: [] }).counts.errors).toBe(0);

    await editSource(sources[3]!, '市政协', '市政府');
    const c = await publish({ sources: [dir], out: threaded, threads: 2 });
    expect(c).toMatchObject({ status: 'published', parsed: 1, cached: 4 });
    // Without the index of the previous release, every source is built again and changes come from its
    // NDJSON files.
    await rm(join(inProcess, '.cache', 'release-index.json'));
    const d = await publish({ sources: [dir], out: inProcess, threads: 0 });
    expect(d).toMatchObject({ status: 'published', parsed: 5, cached: 0 });
    expect(await releaseOf(threaded)).toEqual(await releaseOf(inProcess));
    expect(c.changes).toEqual(d.changes);
    const listed = keysIn(c.changes!);
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

  it('copied out of the previous release give the bytes and the changes of building every source again, whatever the edits', async () => {
    // One source edited, removed, added back or left alone per step; sources sort around each other.
    const ids = ['2025-03-01', '2025-03-01-b', '2025-03-01.x', '2025-03-010', '2025-03-02', '2025-03-03'];
    const words = ['市政协', '市人大', '市政府', '委员'];
    const step = fc.record({
      source: fc.integer({ min: 0, max: ids.length - 1 }),
      action: fc.constantFrom('edit', 'remove', 'restore', 'empty'),
      word: fc.integer({ min: 0, max: words.length - 1 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 3 }), async (steps) => {
        const dir = await tempDir();
        for (const id of ids) await copySample(dir, id);
        // Store `indexed` copies unchanged sources out of its current release; `rebuilt` forgets its
        // index before each run; `fresh` is a new store every time.
        const indexed = await tempDir();
        const rebuilt = await tempDir();
        await publish({ sources: [dir], out: indexed, threads: 0 });
        await publish({ sources: [dir], out: rebuilt, threads: 0 });
        for (const { source, action, word } of steps) {
          const file = join(dir, `${ids[source]}.txt`);
          if (action === 'remove') await rm(file, { force: true });
          else if (action === 'empty') await writeFile(file, '');
          else if (action === 'restore') await copySample(dir, ids[source]);
          else {
            const text = await readFile(file, 'utf8').catch(() => null);
            if (text === null) await copySample(dir, ids[source]);
            const current = await readFile(file, 'utf8');
            const from = words.find((candidate) => current.includes(candidate));
            if (from) await editSource(file, from, words[word]!);
          }
          await rm(join(rebuilt, '.cache', 'release-index.json'), { force: true });
          const a = await publish({ sources: [dir], out: indexed, threads: 0 });
          const b = await publish({ sources: [dir], out: rebuilt, threads: 0 });
          const c = await publish({ sources: [dir], out: await tempDir(), threads: 0 });
          expect(a.status).not.toBe('failed');
          expect(a.report).toEqual(c.report);
          expect(a.release_id).toBe(c.release_id);
          expect(b.release_id).toBe(c.release_id);
          expect(a.changes).toEqual(b.changes);
          if (a.status === 'published') expect(await releaseOf(indexed)).toEqual(await releaseOf(rebuilt));
        }
      }),
      { numRuns: 6 },
    );
  }, 240_000);

  it('fall back to exporting all rows at once when a source does not own its keys, and republish from there', async () => {
    const { dir, sources } = await corpus();
    await rm(join(dir, 'broken.txt'));
    // An engine whose article ids do not start with the source id: rows cannot be joined by source.
    const foreign: Engine = {
      parsePage,
      toRecords: (page, source) => {
        const tables = toRecords(page, source);
        const rename = (id: string) => id.replace(`${source.source_id}~`, `${source.source_id}-x~`);
        for (const table of Object.values(tables) as { article_id?: string; statistic_id?: string }[][])
          for (const row of table) {
            if (row.article_id) row.article_id = rename(row.article_id);
            if (row.statistic_id) row.statistic_id = rename(row.statistic_id);
          }
        return tables;
      },
    };
    const out = await tempDir();
    const first = await publish({ sources: [dir], out, engine: foreign });
    expect(first).toMatchObject({ status: 'published', parsed: 5, cached: 0 });
    const all = await validateSources({ sources: [dir], engine: foreign });
    const articles = (await readFile(join(out, 'current', 'articles.ndjson'), 'utf8')).trim().split('\n');
    expect(articles).toHaveLength(all.tables.articles.length);
    expect(articles.every((line) => line.includes('-x~'))).toBe(true);
    expect(first.changes).toEqual(
      diffReleases(null, rowDigests(all.tables), {
        release_id: first.release_id!,
        previous_release_id: null,
      }),
    );
    // No index of per-source segments for such a release: the next run builds every source again.
    await expect(readFile(join(out, '.cache', 'release-index.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await editSource(sources[2]!, '市政协', '市政府');
    const second = await publish({ sources: [dir], out, engine: foreign });
    expect(second).toMatchObject({ status: 'published', parsed: 5, cached: 0 });
    const listed = keysIn(second.changes!);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((key) => key.startsWith('2025-01-08.x-x~'))).toBe(true);
  }, 120_000);
});
