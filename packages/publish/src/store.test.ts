import { mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { sha256Hex } from './fsutil.js';
import {
  cleanStaging,
  commitRelease,
  listReleases,
  openStaging,
  pruneReleases,
  readCurrent,
  verifyRelease,
} from './store.js';

const encoder = new TextEncoder();
const serialize = (value: unknown) => encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
const tool = { name: 'newsdata', version: '0.1.0' };

/** Publish a release of synthetic files; `n` makes the content (and the id) differ. */
async function publishSynthetic(
  out: string,
  n: number,
  created = `2025-01-${String(n).padStart(2, '0')}T00:00:00Z`,
) {
  const previous = await readCurrent(out);
  const staging = await openStaging(out);
  await staging.write(
    'articles.csv',
    [encoder.encode('article_id,title\r\n'), encoder.encode(`a${n},标题${n}\r\n`)],
    1,
  );
  await staging.write(
    'excel/articles.csv',
    [encoder.encode(`\uFEFFarticle_id,title\r\na${n},标题${n}\r\n`)],
    1,
  );
  const id = `r-${sha256Hex(String(n)).slice(0, 12)}`;
  const manifest = await staging.finish(
    { release_id: id, previous_release_id: previous?.id ?? null, created, tool, sources: [] },
    serialize,
  );
  return commitRelease(staging, manifest);
}

describe('release store', () => {
  it('writes files piece by piece, several at once, hashing them; large ones are synced while written', async () => {
    const out = await tempDir();
    const staging = await openStaging(out);
    // Over the size at which a file's data is synced in the background, in pieces of every size.
    const large = Buffer.alloc(80 << 20);
    for (let i = 0; i < large.length; i += 4096) large.write(`第${i}行,`, i);
    const small = Buffer.from('article_id,title\r\n');
    const [one, two] = await Promise.all([staging.writer('paragraphs.csv'), staging.writer('excel/a.csv')]);
    const sizes = [1, 4095, 1 << 20, (1 << 20) + 1, 3 << 20, 17 << 20];
    let at = 0;
    let k = 0;
    for (; at < large.length; k++) {
      const piece = large.subarray(at, at + sizes[k % sizes.length]!);
      await one!.write(piece);
      await two!.write(small);
      at += piece.length;
    }
    const [first, second] = await Promise.all([one!.close(1), two!.close(2)]);
    expect(first).toMatchObject({
      path: 'paragraphs.csv',
      bytes: large.length,
      sha256: sha256Hex(large),
      rows: 1,
    });
    expect(second!.sha256).toBe(sha256Hex(Buffer.concat(Array.from({ length: k }, () => small))));
    expect((await readFile(join(staging.dir, 'paragraphs.csv'))).equals(large)).toBe(true);
    await staging.discard();
  });

  it('publishes into releases/<id>, points current at it, and lists every file but the manifest', async () => {
    const out = await tempDir();
    const { manifest, reused } = await publishSynthetic(out, 1);
    expect(reused).toBe(false);
    expect(await readlink(join(out, 'current'))).toBe(`releases/${manifest.release_id}`);
    const current = await readCurrent(out);
    expect(current?.id).toBe(manifest.release_id);
    expect(current?.manifest.files.map((file) => file.path)).toEqual(['articles.csv', 'excel/articles.csv']);
    const csv = await readFile(join(out, 'current', 'articles.csv'));
    expect(current?.manifest.files[0]).toEqual({
      path: 'articles.csv',
      bytes: csv.byteLength,
      sha256: sha256Hex(csv),
      rows: 1,
    });
    expect(await verifyRelease(out, manifest.release_id)).toMatchObject({ ok: true, problems: [] });
    expect(await readdir(join(out, '.staging'))).toEqual([]);
  });

  it('links each release to the one before it', async () => {
    const out = await tempDir();
    const first = await publishSynthetic(out, 1);
    const second = await publishSynthetic(out, 2);
    expect(second.manifest.previous_release_id).toBe(first.manifest.release_id);
    const list = await listReleases(out);
    expect(list.map((release) => [release.id, release.current])).toEqual([
      [second.manifest.release_id, true],
      [first.manifest.release_id, false],
    ]);
  });

  it('verifyRelease finds a changed, a missing and an unlisted file', async () => {
    const out = await tempDir();
    const { manifest } = await publishSynthetic(out, 1);
    const dir = join(out, 'releases', manifest.release_id);
    await writeFile(join(dir, 'articles.csv'), 'tampered');
    await writeFile(join(dir, 'extra.txt'), 'x');
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'excel', 'articles.csv'));
    const check = await verifyRelease(out, manifest.release_id);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([
      'articles.csv does not match its manifest entry (size or sha256 differ)',
      'excel/articles.csv is missing',
      'extra.txt is not listed in the manifest',
    ]);
  });

  it('refuses paths that escape the release or repeat', async () => {
    const out = await tempDir();
    const staging = await openStaging(out);
    await staging.write('a.csv', [encoder.encode('x')]);
    for (const path of ['../evil.csv', '/abs.csv', 'a.csv', 'manifest.json', 'sp ace.csv']) {
      await expect(staging.write(path, [])).rejects.toMatchObject({ code: 'RELEASE_PATH_INVALID' });
    }
    await staging.discard();
  });

  it('aborts when beforeSwitch throws: the new release is removed and the old one stays current', async () => {
    const out = await tempDir();
    const first = await publishSynthetic(out, 1);
    const staging = await openStaging(out);
    await staging.write('articles.csv', [encoder.encode('other')], 0);
    const manifest = await staging.finish(
      {
        release_id: 'r-aborted-01',
        previous_release_id: first.manifest.release_id,
        created: '2025-02-01T00:00:00Z',
        tool,
        sources: [],
      },
      serialize,
    );
    const fenced = new Error('fencing token is stale');
    await expect(
      commitRelease(staging, manifest, { beforeSwitch: async () => Promise.reject(fenced) }),
    ).rejects.toBe(fenced);
    expect((await readCurrent(out))?.id).toBe(first.manifest.release_id);
    expect((await listReleases(out)).map((release) => release.id)).toEqual([first.manifest.release_id]);
  });

  it('switches in an existing complete copy of the same release without rewriting it', async () => {
    const out = await tempDir();
    const first = await publishSynthetic(out, 1);
    await publishSynthetic(out, 2);
    const again = await publishSynthetic(out, 1, '2025-03-01T00:00:00Z');
    expect(again.reused).toBe(true);
    expect(again.manifest).toEqual(first.manifest);
    expect((await readCurrent(out))?.id).toBe(first.manifest.release_id);
    expect(await readdir(join(out, '.staging'))).toEqual([]);
  });

  it('cleanStaging removes leftovers of a crash: staging directories and temporary links', async () => {
    const out = await tempDir();
    await mkdir(join(out, '.staging', 'abc123', 'excel'), { recursive: true });
    await writeFile(join(out, '.staging', 'abc123', 'excel', 'x.csv'), 'half');
    const { symlink } = await import('node:fs/promises');
    await symlink('releases/r-nothing-1', join(out, '.current-deadbeef'));
    expect(await cleanStaging(out)).toBe(2);
    expect(await readdir(join(out, '.staging'))).toEqual([]);
    expect((await readdir(out)).filter((name) => name.startsWith('.current-'))).toEqual([]);
  });

  it('readCurrent is null before the first publish', async () => {
    expect(await readCurrent(await tempDir())).toBeNull();
  });
});

describe('pruneReleases', () => {
  it('keeps the newest N', async () => {
    const out = await tempDir();
    const ids: string[] = [];
    for (let n = 1; n <= 6; n++) ids.push((await publishSynthetic(out, n)).manifest.release_id);
    const removed = await pruneReleases(out, 3);
    expect(removed.sort()).toEqual(ids.slice(0, 3).sort());
    expect((await listReleases(out)).map((release) => release.id)).toEqual(ids.slice(3).reverse());
    for (const id of ids.slice(3)) expect((await verifyRelease(out, id)).ok).toBe(true);
  });

  it('never prunes current or the release before it, even with keep 0 or when they are old', async () => {
    const out = await tempDir();
    const ids: string[] = [];
    for (let n = 1; n <= 4; n++) ids.push((await publishSynthetic(out, n)).manifest.release_id);
    expect(await pruneReleases(out, 0)).toEqual([ids[1], ids[0]]);
    expect((await listReleases(out)).map((release) => release.id)).toEqual([ids[3], ids[2]]);

    // An old release switched in again is current although its created time is the oldest.
    const out2 = await tempDir();
    const old = (await publishSynthetic(out2, 1)).manifest.release_id;
    for (let n = 2; n <= 5; n++) await publishSynthetic(out2, n);
    await publishSynthetic(out2, 1);
    await pruneReleases(out2, 1);
    const left = await listReleases(out2);
    expect(left.find((release) => release.current)?.id).toBe(old);
    expect(left).toHaveLength(2);
  });
});
