import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import cron from 'node-cron';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freeze, sleep, startRedis, type TestRedis } from '../test/redis-server.js';
import { RedisConnection, RedisRunCoordinator, taskOf } from './index.js';

let server: TestRedis;
const opened: RedisConnection[] = [];
const coordinators: RedisRunCoordinator[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.dispose();
});
afterEach(async () => {
  await Promise.allSettled(coordinators.splice(0).map((c) => c.close()));
  await Promise.allSettled(opened.splice(0).map((c) => c.close()));
});

/** `count` replicas, each on its own connection as separate processes would be, sharing one prefix. */
async function replicas(count: number, prefix = `t-${randomUUID()}`) {
  const made: Array<{ connection: RedisConnection; coordinator: RedisRunCoordinator }> = [];
  for (let i = 0; i < count; i++) {
    const connection = new RedisConnection(server.url);
    await connection.ready();
    const coordinator = new RedisRunCoordinator(connection, { replicaId: `replica-${i}`, prefix });
    opened.push(connection);
    coordinators.push(coordinator);
    made.push({ connection, coordinator });
  }
  return made;
}

const tick = (second: number) => `publish:${new Date(Date.UTC(2024, 4, 1, 8, 0, second)).toISOString()}`;

describe('taskOf', () => {
  it("takes the task name from node-cron's key, whose time contains colons", () => {
    expect(taskOf('publish:2024-05-01T08:00:00.000Z')).toBe('publish');
    expect(taskOf('人民日报:发布:2024-05-01T08:00:00.000Z')).toBe('人民日报:发布');
    expect(taskOf('start-run')).toBe('start-run');
  });
});

describe('RedisRunCoordinator', () => {
  it('elects exactly one of the replicas racing on the same fire', async () => {
    const group = await replicas(3);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        async (name, date) => {
          const key = `${name}:${date.toISOString()}`;
          const answers = await Promise.all(group.map(({ coordinator }) => coordinator.shouldRun(key, 5000)));
          expect(answers.filter(Boolean)).toHaveLength(1);
          const winner = group[answers.indexOf(true)]!.coordinator;
          expect(winner.holds(name)).toBe(true);
          await Promise.all(group.map(({ coordinator }) => coordinator.onComplete(key)));
          expect(await winner.holder(name)).toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('runs a fire once even when a late replica asks after the winner finished', async () => {
    const [a, b] = await replicas(2);
    expect(await a!.coordinator.shouldRun(tick(0), 5000)).toBe(true);
    await a!.coordinator.onComplete(tick(0));
    expect(await b!.coordinator.shouldRun(tick(0), 5000)).toBe(false);
    expect(await b!.coordinator.shouldRun(tick(1), 5000)).toBe(true);
  });

  it('skips the fires that come while another replica is still running the task', async () => {
    const [a, b, c] = await replicas(3);
    expect(await a!.coordinator.shouldRun(tick(0), 5000)).toBe(true);
    expect(await b!.coordinator.shouldRun(tick(1), 5000)).toBe(false);
    expect(await a!.coordinator.shouldRun(tick(1), 5000)).toBe(false);
    await a!.coordinator.onComplete(tick(0));
    // The busy fire stays decided: it is not run late by anyone.
    expect(await c!.coordinator.shouldRun(tick(1), 5000)).toBe(false);
    expect(await c!.coordinator.shouldRun(tick(2), 5000)).toBe(true);
  });

  it('keeps the lease alive while a long run goes on', async () => {
    const [a, b] = await replicas(2);
    expect(await a!.coordinator.shouldRun(tick(0), 300)).toBe(true);
    await sleep(1200);
    expect(await b!.coordinator.shouldRun(tick(1), 300)).toBe(false);
    expect(a!.coordinator.holds('publish')).toBe(true);
    expect(await b!.coordinator.holder('publish')).toBe('replica-0');
  });

  it("releases only its own lease: a late onComplete leaves the next holder's lease alone", async () => {
    const [a, b, c] = await replicas(3);
    expect(await a!.coordinator.shouldRun(tick(0), 300)).toBe(true);
    freeze(700); // a is paused past its lease
    expect(await b!.coordinator.shouldRun(tick(1), 5000)).toBe(true);
    await a!.coordinator.onComplete(tick(0));
    expect(await c!.coordinator.holder('publish')).toBe('replica-1');
    expect(await c!.coordinator.shouldRun(tick(2), 5000)).toBe(false);
    // A replica that never held the fire cannot release it either.
    await c!.coordinator.onComplete(tick(1));
    expect(await c!.coordinator.holder('publish')).toBe('replica-1');
  });

  it('lets another replica take over when the holder dies without releasing', async () => {
    const [a, b] = await replicas(2);
    expect(await a!.coordinator.shouldRun(tick(0), 400)).toBe(true);
    a!.connection.redis.disconnect(); // the holder is gone: no renewal, no release
    expect(await b!.coordinator.shouldRun(tick(1), 400)).toBe(false);
    let second = 2;
    await eventually('a takeover', () => b!.coordinator.shouldRun(tick(second++), 400));
    expect(await b!.coordinator.holder('publish')).toBe('replica-1');
  });

  it('reports a lost lease when it expired during a pause', async () => {
    const [a, b] = await replicas(2);
    expect(await a!.coordinator.shouldRun(tick(0), 200)).toBe(true);
    freeze(500);
    expect(await b!.coordinator.shouldRun(tick(1), 5000)).toBe(true);
    await eventually('the renewal to notice', () => !a!.coordinator.holds('publish'));
    expect(a!.coordinator.held()).toMatchObject([{ key: tick(0), task: 'publish', lost: true }]);
  });

  it('runs a manual trigger under the same election', async () => {
    const [a, b] = await replicas(2);
    const started = await a!.coordinator.run('publish:start', 5000, async () => {
      const meanwhile = await b!.coordinator.run('publish:start', 5000, async () => 'b');
      return meanwhile.ran ? 'both' : 'a';
    });
    expect(started).toEqual({ ran: true, result: 'a' });
    expect(await b!.coordinator.holder('publish:start')).toBeNull();
  });
});

describe('RedisRunCoordinator with node-cron', () => {
  it('fails closed while Redis is down and runs again when it returns', async () => {
    const [a] = await replicas(1);
    const runs: number[] = [];
    const failures: unknown[] = [];
    const skipped: string[] = [];
    const quiet = () => {};
    const task = cron.schedule('* * * * * *', () => void runs.push(Date.now()), {
      name: 'publish',
      distributed: true,
      runCoordinator: a!.coordinator,
      distributedLease: 5000,
      noOverlap: true,
      logger: {
        info: quiet,
        warn: quiet,
        debug: quiet,
        error: (_message, error) => void failures.push(error),
      },
    });
    task.on('execution:skipped', (context) => void skipped.push(context.reason ?? ''));
    try {
      await eventually('a first run', () => runs.length > 0);
      await server.stop();
      const stoppedAt = Date.now();
      await expect(a!.coordinator.shouldRun(tick(0), 5000)).rejects.toMatchObject({
        code: 'COORDINATOR_UNAVAILABLE',
        fault: 'runtime',
      });
      await eventually(
        'two fires skipped',
        () => skipped.filter((r) => r === 'coordinator-error').length >= 2,
      );
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures[0]).toMatchObject({ code: 'COORDINATOR_UNAVAILABLE' });
      expect(a!.coordinator.lastError).toMatchObject({ code: 'COORDINATOR_UNAVAILABLE' });
      const restartedAt = Date.now();
      expect(runs.filter((t) => t > stoppedAt && t < restartedAt)).toEqual([]);
      await server.start();
      await eventually('a run after Redis returned', () => runs.some((t) => t > restartedAt));
      expect(a!.coordinator.lastError).toBeUndefined();
    } finally {
      await task.destroy();
    }
  });
});
