import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../test/redis-server.js';
import { type Coordination, createCoordination } from './index.js';

let server: TestRedis;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.dispose();
});

async function pair(): Promise<[Coordination, Coordination]> {
  const prefix = `t-${randomUUID()}`;
  const a = createCoordination({ url: server.url, prefix, replicaId: 'replica-a' });
  const b = createCoordination({ url: server.url, prefix, replicaId: 'replica-b' });
  await Promise.all([a.connection.ready(), b.connection.ready()]);
  return [a, b];
}

describe('ReplicaStatus', () => {
  it('reports which replica holds the lease and the last run of any replica', async () => {
    const [a, b] = await pair();
    try {
      expect(await b.status.snapshot()).toMatchObject({
        replicaId: 'replica-b',
        redis: { url: `${server.url}`, up: true },
        holdsLease: false,
        leaseHolder: null,
        leases: [],
        lastRun: null,
      });
      const key = 'publish:2024-05-01T08:00:00.000Z';
      expect(await a.coordinator.shouldRun(key, 5000)).toBe(true);
      expect(await a.status.snapshot()).toMatchObject({
        holdsLease: true,
        leases: [{ key, task: 'publish' }],
      });
      expect(await b.status.snapshot()).toMatchObject({ holdsLease: false, leaseHolder: 'replica-a' });
      const record = await a.status.recordRun({ status: 'published', releaseId: '20240501T080000Z-3f2a' });
      await a.coordinator.onComplete(key);
      const seen = await b.status.snapshot();
      expect(seen.lastRun).toEqual(record);
      expect(seen).toMatchObject({ holdsLease: false, leaseHolder: null });
      await b.status.recordRun({ status: 'failed', error: 'SOURCE_NOT_DECODABLE: 人民日报 第1版' });
      expect((await a.status.recentRuns(5)).map((run) => [run.replicaId, run.status])).toEqual([
        ['replica-b', 'failed'],
        ['replica-a', 'published'],
      ]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reports a Redis fault instead of throwing, and recovers', async () => {
    const [a, b] = await pair();
    try {
      await server.stop();
      try {
        const down = await a.status.snapshot();
        expect(down).toMatchObject({ replicaId: 'replica-a', redis: { up: false }, holdsLease: false });
        expect(down.redis.error?.code).toBe('COORDINATOR_UNAVAILABLE');
        expect(down.lastRun).toBeUndefined();
        await expect(a.status.recordRun({ status: 'unchanged' })).rejects.toMatchObject({
          code: 'COORDINATOR_UNAVAILABLE',
        });
      } finally {
        await server.start();
      }
      await a.connection.ready(5000);
      expect(await a.status.snapshot()).toMatchObject({ redis: { up: true }, lastRun: null });
      expect((await a.status.snapshot()).redis.error).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('RedisConnection', () => {
  it('rejects an address that is not redis://', () => {
    expect(() => createCoordination({ url: 'http://127.0.0.1:6379' })).toThrow(
      expect.objectContaining({ code: 'COORDINATOR_URL_INVALID' }),
    );
    expect(() => createCoordination({ url: '127.0.0.1:6379' })).toThrow(
      expect.objectContaining({ code: 'COORDINATOR_URL_INVALID' }),
    );
  });

  it('hides the password in messages and /healthz', async () => {
    const coordination = createCoordination({ url: 'redis://:s3cret@127.0.0.1:1/0', connectTimeoutMs: 200 });
    try {
      await expect(coordination.connection.ready(300)).rejects.toMatchObject({
        code: 'COORDINATOR_UNAVAILABLE',
      });
      const health = await coordination.status.snapshot();
      expect(JSON.stringify(health)).not.toContain('s3cret');
      expect(health.redis.url).toBe('redis://:***@127.0.0.1:1/0');
    } finally {
      await coordination.close();
    }
  });
});
