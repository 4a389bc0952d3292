import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPid, finished, firstLine, startChild, tempDir } from '../test/helpers.js';
import { acquireLock, readLock } from './lock.js';

describe('acquireLock', () => {
  it('writes pid, hostname and start time, and removes the lock on release', async () => {
    const out = await tempDir();
    const release = await acquireLock(out, { now: () => new Date('2025-01-08T00:00:00Z') });
    expect(await readLock(out)).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
      started: '2025-01-08T00:00:00.000Z',
    });
    expect(await release.held()).toBe(true);
    await release();
    expect(await readLock(out)).toBeNull();
    await release();
  });

  it('fails at once with PUBLISH_LOCKED naming the holder pid when not waiting', async () => {
    const out = await tempDir();
    const release = await acquireLock(out);
    await expect(acquireLock(out, { wait: false })).rejects.toMatchObject({
      code: 'PUBLISH_LOCKED',
      message: expect.stringContaining(`process ${process.pid}`),
    });
    await release();
  });

  it('waits for the holder when asked to, then takes the lock', async () => {
    const out = await tempDir();
    const release = await acquireLock(out);
    const waiting = acquireLock(out, { wait: true, timeoutMs: 30_000 });
    setTimeout(() => void release(), 100);
    const second = await waiting;
    expect(await second.held()).toBe(true);
    expect(await release.held()).toBe(false);
    await second();
  });

  it('gives up waiting after timeoutMs with PUBLISH_LOCKED', async () => {
    const out = await tempDir();
    const release = await acquireLock(out);
    await expect(acquireLock(out, { wait: true, timeoutMs: 150 })).rejects.toMatchObject({
      code: 'PUBLISH_LOCKED',
    });
    await release();
  });

  it('takes over a lock whose process is dead on this host', async () => {
    const out = await tempDir();
    const pid = await deadPid();
    await writeFile(
      join(out, '.lock'),
      JSON.stringify({ pid, hostname: hostname(), started: new Date().toISOString(), token: 'old' }),
    );
    const release = await acquireLock(out);
    expect((await readLock(out))?.pid).toBe(process.pid);
    await release();
  });

  it('takes over a lock older than staleMs even from another host, but not a fresh one', async () => {
    const out = await tempDir();
    const lock = (started: string) =>
      JSON.stringify({ pid: 1, hostname: 'elsewhere.example', started, token: 'other' });
    await writeFile(join(out, '.lock'), lock('2025-01-08T10:59:00Z'));
    const now = () => new Date('2025-01-08T11:00:00Z');
    await expect(acquireLock(out, { staleMs: 120_000, now })).rejects.toMatchObject({
      code: 'PUBLISH_LOCKED',
    });
    await writeFile(join(out, '.lock'), lock('2025-01-08T10:00:00Z'));
    const release = await acquireLock(out, { staleMs: 120_000, now });
    expect((await readLock(out))?.pid).toBe(process.pid);
    await release();
  });

  it('does not remove a lock that another process took over meanwhile', async () => {
    const out = await tempDir();
    const release = await acquireLock(out);
    const other = {
      pid: 1,
      hostname: 'elsewhere.example',
      started: new Date().toISOString(),
      token: 'theirs',
    };
    await writeFile(join(out, '.lock'), JSON.stringify(other));
    await release();
    expect(JSON.parse(await readFile(join(out, '.lock'), 'utf8'))).toEqual(other);
  });
});

/** Start `count` processes that race for the lock; returns their first lines, then lets the winner go. */
async function race(out: string, count: number): Promise<string[]> {
  const children = Array.from({ length: count }, () => startChild('lock-child', [out]));
  const done = children.map(finished);
  const lines = await Promise.all(children.map(firstLine));
  for (const child of children) child.stdin?.end();
  await Promise.all(done);
  return lines;
}

describe('acquireLock across processes', () => {
  it('lets exactly one of several processes starting at once hold the lock', async () => {
    const out = await tempDir();
    const lines = await race(out, 4);
    expect(lines.filter((line) => line === 'acquired')).toHaveLength(1);
    const losers = lines.filter((line) => line !== 'acquired');
    expect(losers).toHaveLength(3);
    for (const line of losers) expect(line).toMatch(/^locked PUBLISH_LOCKED .*process \d+/);
    expect(await readLock(out)).toBeNull();
  }, 30_000);

  it('lets exactly one of several processes take over the same stale lock', async () => {
    const out = await tempDir();
    const pid = await deadPid();
    await writeFile(
      join(out, '.lock'),
      JSON.stringify({ pid, hostname: hostname(), started: new Date().toISOString(), token: 'dead' }),
    );
    const lines = await race(out, 4);
    expect(lines.filter((line) => line === 'acquired')).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('locked PUBLISH_LOCKED'))).toHaveLength(3);
  }, 30_000);
});
