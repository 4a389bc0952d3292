import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep, startRedis, type TestRedis } from '../test/redis-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const replicaScript = join(here, '..', 'test', 'fixtures', 'replica.ts');

interface Replica {
  child: ChildProcess;
  id: string;
  output: string;
}

let server: TestRedis;
let dir: string;
const running: Replica[] = [];

beforeAll(async () => {
  server = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'coordinate-replicas-'));
});
afterAll(async () => {
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((replica) => stopReplica(replica)));
});

/** Start a real Node process running node-cron with the Redis coordinator. */
async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', replicaScript], {
    cwd: join(here, '..'),
    env: { ...process.env, REDIS_URL: server.url, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const replica: Replica = { child, id: '', output: '' };
  running.push(replica);
  child.stdout!.on('data', (chunk: Buffer) => {
    replica.output += chunk.toString();
  });
  await eventually(
    'a replica to start',
    () => {
      if (child.exitCode !== null)
        throw new Error(`replica exited with ${child.exitCode}: ${replica.output}`);
      const ready = /^ready (\S+)/m.exec(replica.output);
      if (ready) replica.id = ready[1]!;
      return ready !== null;
    },
    30_000,
  );
  return replica;
}

async function stopReplica(replica: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child } = replica;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

interface Run {
  replica: string;
  tick: string;
  at: number;
}

async function runs(log: string): Promise<Run[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [replica, tick, at] = line.split(' ');
      return { replica: replica!, tick: tick!, at: Number(at) };
    });
}

function duplicates(list: Run[]): string[] {
  const seen = new Set<string>();
  return list.filter((run) => seen.has(run.tick) || !seen.add(run.tick)).map((run) => run.tick);
}

describe('three replica processes against one Redis', () => {
  it('run each fire exactly once, fail closed while Redis is down, and resume when it returns', async () => {
    const log = join(dir, `${randomUUID()}.log`);
    await writeFile(log, '');
    const env = { PREFIX: `t-${randomUUID()}`, LOG: log };
    const replicas = await Promise.all([startReplica(env), startReplica(env), startReplica(env)]);

    await eventually('six fires', async () => (await runs(log)).length >= 6, 30_000);

    await server.stop();
    const stoppedAt = Date.now();
    await eventually(
      'every replica to report the fault',
      () => replicas.every((replica) => replica.output.includes('fault COORDINATOR_UNAVAILABLE')),
      15_000,
    );
    await sleep(1500);
    const restartedAt = Date.now();
    expect((await runs(log)).filter((run) => run.at > stoppedAt)).toEqual([]);

    await server.start();
    await eventually(
      'three fires after Redis returned',
      async () => {
        return (await runs(log)).filter((run) => run.at > restartedAt).length >= 3;
      },
      30_000,
    );
    await Promise.all(replicas.map((replica) => stopReplica(replica)));

    const all = await runs(log);
    expect(duplicates(all)).toEqual([]);
    const ids = new Set(replicas.map((replica) => replica.id));
    expect(all.every((run) => ids.has(run.replica))).toBe(true);
  }, 90_000);

  it('let another replica take over when the lease holder is killed', async () => {
    const log = join(dir, `${randomUUID()}.log`);
    await writeFile(log, '');
    const env = { PREFIX: `t-${randomUUID()}`, LOG: log, MODE: 'hang', LEASE_MS: '1500' };
    const replicas = await Promise.all([startReplica(env), startReplica(env), startReplica(env)]);

    await eventually('a first run', async () => (await runs(log)).length > 0, 30_000);
    // The holder's run never ends: its renewed lease keeps every later fire from running elsewhere.
    await sleep(3000);
    const [first, ...others] = await runs(log);
    expect(others).toEqual([]);

    const holder = replicas.find((replica) => replica.id === first!.replica)!;
    await stopReplica(holder, 'SIGKILL');

    await eventually('a takeover', async () => (await runs(log)).length > 1, 30_000);
    const after = await runs(log);
    expect(after).toHaveLength(2);
    expect(after[1]!.replica).not.toBe(holder.id);
    expect(after[1]!.tick > first!.tick).toBe(true);
  }, 90_000);
});
