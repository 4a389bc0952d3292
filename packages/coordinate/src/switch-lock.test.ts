import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeze, sleep, startRedis, type TestRedis } from '../test/redis-server.js';
import { FencedSwitchLock, RedisConnection } from './index.js';

let server: TestRedis;
const opened: RedisConnection[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.dispose();
});
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((c) => c.close()));
});

/** One switch lock per replica, each on its own connection, sharing one prefix. */
async function locks(count: number, ttlMs = 5000, prefix = `t-${randomUUID()}`) {
  const made: FencedSwitchLock[] = [];
  for (let i = 0; i < count; i++) {
    const connection = new RedisConnection(server.url);
    await connection.ready();
    opened.push(connection);
    made.push(new FencedSwitchLock(connection, { replicaId: `replica-${i}`, prefix, ttlMs }));
  }
  return made;
}

describe('FencedSwitchLock', () => {
  it('grants increasing tokens and switches with the holder’s', async () => {
    const [a] = await locks(1);
    const first = await a!.acquire();
    await first.beforeSwitch();
    await first.release();
    const second = await a!.acquire();
    expect(second.token).toBeGreaterThan(first.token);
    await second.beforeSwitch();
    expect(await a!.lastSwitched()).toBe(second.token);
    await second.release();
  });

  it('is held by one replica at a time', async () => {
    const [a, b] = await locks(2);
    const held = await a!.acquire();
    await expect(b!.acquire()).rejects.toMatchObject({
      code: 'SWITCH_LOCK_BUSY',
      context: { holder: 'replica-0' },
    });
    const waiting = b!.acquire({ waitMs: 5000 });
    await sleep(150);
    await held.release();
    const next = await waiting;
    expect(next.token).toBeGreaterThan(held.token);
    await next.release();
  });

  it('refuses the switch of a replica paused past its lock after a newer one switched', async () => {
    const [a, b, c] = await locks(3, 300);
    const stale = await a!.acquire();
    freeze(700); // a stops the world: no renewal, its lock expires
    const fresh = await b!.acquire();
    await fresh.beforeSwitch();
    await expect(stale.beforeSwitch()).rejects.toMatchObject({
      code: 'SWITCH_FENCED',
      context: { token: stale.token, highest: fresh.token, lastSwitched: fresh.token, reason: 'superseded' },
    });
    expect(await c!.lastSwitched()).toBe(fresh.token);
    // The stale holder's release leaves the newer holder's lock in place.
    await stale.release();
    await expect(c!.acquire()).rejects.toMatchObject({ code: 'SWITCH_LOCK_BUSY' });
    await fresh.release();
  });

  it('refuses a token that was already switched', async () => {
    const [a] = await locks(1);
    const guard = await a!.acquire();
    await guard.beforeSwitch();
    await expect(guard.beforeSwitch()).rejects.toMatchObject({
      code: 'SWITCH_FENCED',
      context: { reason: 'stale' },
    });
    await guard.release();
  });

  it('refuses the switch when the lock expired even if nobody took it', async () => {
    const [a] = await locks(1, 200);
    const guard = await a!.acquire();
    freeze(500);
    await expect(guard.beforeSwitch()).rejects.toMatchObject({
      code: 'SWITCH_FENCED',
      context: { reason: 'lock-lost' },
    });
    await guard.release();
  });

  it('keeps the lock while a long publish runs', async () => {
    const [a, b] = await locks(2, 300);
    const guard = await a!.acquire();
    await sleep(1200);
    await expect(b!.acquire()).rejects.toMatchObject({ code: 'SWITCH_LOCK_BUSY' });
    await guard.beforeSwitch();
    expect(guard.lost).toBe(false);
    await guard.release();
  });

  it('withLock releases the lock when the publish throws', async () => {
    const [a, b] = await locks(2);
    await expect(
      a!.withLock(async () => {
        throw new Error('publish failed');
      }),
    ).rejects.toThrow('publish failed');
    const guard = await b!.acquire();
    await guard.release();
  });

  it('fails fast while Redis is down and refuses a switch whose lock died with Redis', async () => {
    const [a] = await locks(1);
    const before = await a!.acquire();
    await server.stop();
    try {
      await expect(a!.acquire()).rejects.toMatchObject({ code: 'COORDINATOR_UNAVAILABLE', fault: 'runtime' });
      await expect(before.beforeSwitch()).rejects.toMatchObject({ code: 'COORDINATOR_UNAVAILABLE' });
    } finally {
      await server.start();
    }
    // Redis came back empty (no persistence): the old holder's lock is gone, so it may not switch.
    await opened[0]!.ready(5000);
    await expect(before.beforeSwitch()).rejects.toMatchObject({
      code: 'SWITCH_FENCED',
      context: { reason: 'lock-lost' },
    });
    const after = await a!.acquire();
    await after.beforeSwitch();
    await after.release();
  });
});
