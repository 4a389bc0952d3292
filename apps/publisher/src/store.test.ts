import { rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { articlesCsv, tempDir, writeRelease } from './release.test-data.js';
import { ReleaseStore } from './store.js';

/** Poll `check` until it returns true (the watch reports a switch asynchronously), at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

describe('ReleaseStore', () => {
  it('sees a switch of current through the watch, long before its time limit', async () => {
    const out = await tempDir();
    await writeRelease(out, { id: 'r-2025aaaa', files: { 'articles.csv': articlesCsv(2) } });
    // An hour: only the watch can make the store look at the link again within this test.
    const store = new ReleaseStore(out, { currentTtlMs: 3_600_000 });
    try {
      expect(await store.currentId()).toBe('r-2025aaaa');
      expect(store.knownCurrentId()).toBe('r-2025aaaa');
      await writeRelease(out, { id: 'r-2025bbbb', files: { 'articles.csv': articlesCsv(3) } });
      expect(await eventually(async () => (await store.currentId()) === 'r-2025bbbb')).toBe(true);
      expect(store.knownCurrentId()).toBe('r-2025bbbb');
    } finally {
      store.close();
    }
  });

  it('reads the link again on request, and after its time limit without any watch', async () => {
    const out = await tempDir();
    await writeRelease(out, { id: 'r-2025aaaa', files: { 'articles.csv': articlesCsv(2) } });
    const store = new ReleaseStore(out, { currentTtlMs: 0 });
    store.close();
    expect(await store.currentId()).toBe('r-2025aaaa');
    expect(store.knownCurrentId()).toBeUndefined();
    await writeRelease(out, { id: 'r-2025bbbb', files: { 'articles.csv': articlesCsv(3) } });
    expect(await store.currentId()).toBe('r-2025bbbb');
    const fresh = new ReleaseStore(out, { currentTtlMs: 3_600_000 });
    fresh.close();
    expect(await fresh.currentId()).toBe('r-2025bbbb');
    await writeRelease(out, { id: 'r-2025cccc', files: { 'articles.csv': articlesCsv(4) } });
    expect(await fresh.currentId({ fresh: true })).toBe('r-2025cccc');
    expect(fresh.knownCurrentId()).toBe('r-2025cccc');
  });

  it('says null before the first publish, and finds the first release once there is one', async () => {
    const out = await tempDir();
    const store = new ReleaseStore(out, { currentTtlMs: 3_600_000 });
    try {
      expect(await store.currentId()).toBeNull();
      await writeRelease(out, { id: 'r-2025aaaa', files: { 'articles.csv': articlesCsv(2) } });
      expect(await eventually(async () => (await store.currentId()) === 'r-2025aaaa')).toBe(true);
    } finally {
      store.close();
    }
  });

  it('remembers a real path only once it was found inside the release', async () => {
    const out = await tempDir();
    const outside = await tempDir();
    await writeFile(join(outside, 'people.csv'), 'secret');
    await writeRelease(out, {
      id: 'r-2025aaaa',
      files: { 'articles.csv': articlesCsv(2), 'people.csv': 'person_id\r\n' },
    });
    const store = new ReleaseStore(out);
    store.close();
    const release = join(out, 'releases', 'r-2025aaaa');
    expect(await store.file('r-2025aaaa', 'people.csv')).not.toBeNull();
    // A link out of the release is refused, and the refusal is not remembered.
    await rename(join(release, 'people.csv'), join(outside, 'people.real'));
    await symlink(join(outside, 'people.csv'), join(release, 'people.csv'));
    expect(await store.resolve('r-2025aaaa', 'people.csv')).toBeNull();
    await rm(join(release, 'people.csv'));
    await rename(join(outside, 'people.real'), join(release, 'people.csv'));
    expect(await store.resolve('r-2025aaaa', 'people.csv')).toBe(join(release, 'people.csv'));
    // Not listed in the manifest: never a file of the release, whatever is on disk.
    expect(store.knownFile('r-2025aaaa', 'secret.csv')).toBeUndefined();
    expect(store.knownFile('r-2025aaaa', 'people.csv')?.path).toBe('people.csv');
    expect(store.knownFile('r-2025bbbb', 'people.csv')).toBeUndefined();
  });
});
