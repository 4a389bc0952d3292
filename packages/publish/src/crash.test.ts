import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChild, tempDir } from '../test/helpers.js';
import { copySample, editSource } from '../test/pages.js';
import { faultSteps } from './fault.js';
import { readLock } from './lock.js';
import { publish } from './pipeline.js';
import { listReleases, readCurrent, verifyRelease } from './store.js';

/**
 * Kill a real publishing process (SIGKILL, via NEWSDATA_FAULT) at every step. After each kill the
 * store must still have a complete, verifiable current release (the old one, or the new one once the
 * switch happened), and the next run must clean up and publish.
 */
describe('a publish killed at any step', () => {
  it.each(faultSteps)(
    '%s: leaves current complete, and the next run recovers',
    async (step) => {
      const sources = await tempDir();
      const out = await tempDir();
      const file = await copySample(sources);
      const ids: string[] = [];
      // Two releases already, so that the killed run (keep 1) has one to prune.
      for (const [from, to] of [
        ['市政协', '市人大'],
        ['市人大', '市政府'],
      ] as const) {
        const result = await publish({ sources: [sources], out });
        ids.push(result.release_id!);
        await editSource(file, from, to);
      }

      const killed = await runChild('publish-child', [sources, out, '1'], { NEWSDATA_FAULT: step });
      expect(killed.signal, `${step} was not reached: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL');

      const current = await readCurrent(out);
      expect(current).not.toBeNull();
      const switched = ['after-switch', 'after-index-write', 'mid-prune', 'after-prune'].includes(step);
      if (switched) expect(current!.id).not.toBe(ids[1]);
      else expect(current!.id).toBe(ids[1]);
      expect(await verifyRelease(out, current!.id)).toMatchObject({ ok: true, problems: [] });
      for (const release of await listReleases(out)) {
        expect((await verifyRelease(out, release.id)).ok, `release ${release.id}`).toBe(true);
      }

      const next = await publish({ sources: [sources], out, keep: 1 });
      expect(next.status).toBe(switched ? 'unchanged' : 'published');
      const final = await readCurrent(out);
      expect(final!.id).toBe(next.release_id);
      expect(final!.id).not.toBe(ids[1]);
      expect((await verifyRelease(out, final!.id)).ok).toBe(true);
      expect(await readdir(`${out}/.staging`)).toEqual([]);
      expect((await readdir(out)).filter((name) => name.startsWith('.current-'))).toEqual([]);
      expect(await readLock(out)).toBeNull();
    },
    60_000,
  );
});

describe('a publish killed after its release folder was moved in but before the switch', () => {
  it('leaves no never-current release for catalogs to list: the next run removes it', async () => {
    const sources = await tempDir();
    const out = await tempDir();
    const file = await copySample(sources);
    const first = await publish({ sources: [sources], out });
    await editSource(file, '市政协', '市人大');
    const killed = await runChild('publish-child', [sources, out, '30'], { NEWSDATA_FAULT: 'after-rename' });
    expect(killed.signal).toBe('SIGKILL');
    const orphan = (await listReleases(out)).find((release) => release.id !== first.release_id);
    expect(orphan, 'the killed run left its release folder').toBeDefined();

    // Back to the sources of the current release: nothing to publish, and the orphan must go.
    await editSource(file, '市人大', '市政协');
    const next = await publish({ sources: [sources], out });
    expect(next.status).toBe('unchanged');
    expect((await readCurrent(out))!.id).toBe(first.release_id);
    expect((await listReleases(out)).map((release) => release.id)).toEqual([first.release_id]);
    expect((await readdir(out)).filter((name) => name.startsWith('.switching'))).toEqual([]);
  }, 60_000);
});

describe('a publish killed while it replaces a damaged current release', () => {
  it('between removing the damaged folder and moving the rebuilt one in: the next run rebuilds it', async () => {
    const sources = await tempDir();
    const out = await tempDir();
    await copySample(sources);
    const first = await publish({ sources: [sources], out });
    const id = first.release_id!;
    const good = (await readCurrent(out))!.manifest.files;
    await appendFile(join(out, 'releases', id, 'statistics.csv'), 'x');

    const killed = await runChild('publish-child', [sources, out, '30'], {
      NEWSDATA_FAULT: 'after-broken-removed',
    });
    expect(killed.signal, `the step was not reached: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL');
    // `current` points at a folder that is gone: nothing valid is served until the next run.
    await expect(readCurrent(out)).rejects.toMatchObject({ code: 'RELEASE_CORRUPT' });

    const next = await publish({ sources: [sources], out });
    expect(next).toMatchObject({ status: 'published', release_id: id, repaired: ['manifest.json'] });
    expect(await verifyRelease(out, id)).toMatchObject({ ok: true, problems: [] });
    const data = (files: typeof good) => files.filter((file) => file.path !== 'changes.json');
    expect(data((await readCurrent(out))!.manifest.files)).toEqual(data(good));
    expect(await readdir(join(out, '.staging'))).toEqual([]);
    expect(await readLock(out)).toBeNull();
  }, 60_000);
});

describe('two publishers started at once on the same store', () => {
  it('publish one release: the second waits for the lock and finds nothing to do', async () => {
    const sources = await tempDir();
    const out = await tempDir();
    await copySample(sources);
    const results = await Promise.all([
      runChild('publish-child', [sources, out, '30']),
      runChild('publish-child', [sources, out, '30']),
    ]);
    const statuses = results.map((result) => JSON.parse(result.stdout).status).sort();
    expect(statuses).toEqual(['published', 'unchanged']);
    const releases = await listReleases(out);
    expect(releases).toHaveLength(1);
    expect((await verifyRelease(out, releases[0]!.id)).ok).toBe(true);
    expect(await readLock(out)).toBeNull();
  }, 60_000);
});
