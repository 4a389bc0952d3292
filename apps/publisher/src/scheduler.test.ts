import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskOf } from '@newsdata/coordinate';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { tempDir } from './release.test-data.js';
import { electionKey, missedTicks, Scheduler } from './scheduler.js';

const samples = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'data', 'sources');

/** A scheduler without Redis, cron or watcher, driven by `trigger`, and the lines it logs. */
async function scheduler(out: (dir: string) => string) {
  const dir = await tempDir();
  const sources = join(dir, 'sources');
  await cp(samples, sources, { recursive: true });
  const logged: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const instance = new Scheduler({
    sources: [sources],
    out: out(dir),
    cron: '* * * * *',
    tz: 'UTC',
    keep: 10,
    onInvalid: 'block',
    maxQuarantineShare: 0.05,
    logger,
    watch: false,
  });
  const attempts = () => logged.filter((line) => line.reason === 'tick' && line.level === 50).length;
  return { dir, sources, instance, logged, attempts };
}

describe('Scheduler on a tick after a failed run', () => {
  it('retries a runtime fault with the same bytes (it may have cleared), and publishes once it has', async () => {
    const { dir, instance, logged, attempts } = await scheduler((dir) => join(dir, 'blocker', 'public'));
    // The store cannot be created under a regular file: a runtime fault, not bad data.
    await writeFile(join(dir, 'blocker'), 'not a directory');
    await instance.trigger('tick');
    await instance.trigger('tick');
    expect(attempts()).toBe(2);
    await rm(join(dir, 'blocker'));
    await instance.trigger('tick');
    expect(logged.filter((line) => line.status === 'published')).toHaveLength(1);
    await instance.stop();
  });

  it('does not retry invalid bytes on every tick, and retries as soon as they change', async () => {
    const { sources, instance, attempts } = await scheduler((dir) => join(dir, 'public'));
    const page = join(sources, 'dalian-daily-sample-page.txt');
    const good = await readFile(page);
    // Bytes that decode neither as UTF-8 nor as GB18030.
    await writeFile(
      page,
      Buffer.concat([good.subarray(0, 200), Buffer.from([0xff, 0xff, 0x80, 0xff]), good.subarray(200)]),
    );
    await instance.trigger('tick');
    await instance.trigger('tick');
    expect(attempts()).toBe(1);
    await writeFile(page, good);
    await instance.trigger('tick');
    expect(instance.state.current_release).not.toBeNull();
    await instance.stop();
  });
});

describe('missedTicks', () => {
  it('counts the minutes an every-minute schedule missed', () => {
    expect(
      missedTicks(
        '* * * * *',
        'Asia/Shanghai',
        new Date('2025-01-08T10:00:30Z'),
        new Date('2025-01-08T10:05:30Z'),
      ),
    ).toBe(5);
  });

  it('reads the schedule in its time zone', () => {
    // 08:00 in Shanghai is 00:00 UTC: a daily 08:00 run falls once in this UTC window.
    const since = new Date('2025-01-07T23:00:00Z');
    const until = new Date('2025-01-08T01:00:00Z');
    expect(missedTicks('0 8 * * *', 'Asia/Shanghai', since, until)).toBe(1);
    expect(missedTicks('0 8 * * *', 'UTC', since, until)).toBe(0);
  });

  it('counts nothing when the process was down less than one interval', () => {
    expect(
      missedTicks('*/15 * * * *', 'UTC', new Date('2025-01-08T10:01:00Z'), new Date('2025-01-08T10:14:00Z')),
    ).toBe(0);
  });

  it('stops counting at the limit', () => {
    expect(
      missedTicks(
        '* * * * *',
        'UTC',
        new Date('2025-01-01T00:00:00Z'),
        new Date('2025-02-01T00:00:00Z'),
        100,
      ),
    ).toBe(100);
  });
});

// Regression: start-up and file-change runs were elected under keys like `publish:watch-<time>`, which
// the coordinator reads as a task of their own, with a lease of their own: a file-change run on one
// replica could overlap a cron run on another (seen in the replica test while a dead holder's lease lasted).
describe('electionKey', () => {
  it('puts the runs the app starts itself under the cron task lease', () => {
    expect(taskOf(electionKey(new Date('2026-11-25T14:58:59.123Z')))).toBe('publish');
  });
});
