import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  freePort,
  getJson,
  root,
  startRedis,
  type TestRedis,
  type Workspace,
  waitFor,
  workspace,
} from './helpers.js';

// Three `cli start` replicas share one Redis, one source directory and one release store, and fire
// every second. The lease is short so that a dead replica is replaced within seconds.
const LEASE_MS = 5_000;
const LEASE_KEY = 'newsdata:lease:publish';
const PAGE = 'dalian-daily-sample-page.txt';

interface Replica {
  name: string;
  child: ChildProcess;
  log: string;
  base: string;
  exited: Promise<void>;
}

interface LogLine {
  level: number;
  time: string;
  msg: string;
  replica?: string;
  reason?: string;
  status?: string;
  release_id?: string;
  code?: string;
  [key: string]: unknown;
}

interface Health {
  status: string;
  current_release: string | null;
  replica?: {
    replicaId: string;
    redis: { up: boolean; error?: { code: string } };
    holdsLease: boolean;
    leaseHolder?: string | null;
    lastRun?: { replicaId: string; status: string; releaseId?: string } | null;
  };
}

let ws: Workspace;
let redis: TestRedis;
const replicas: Replica[] = [];
/** Headlines of the edits made so far, in order. */
const edits: string[] = [];
/**
 * Releases in the store that no run logged as published: what the replica killed with SIGKILL left
 * (it can die after moving its release into `releases/` and before switching `current` to it, or
 * after the switch and before its log line).
 */
const interrupted = new Set<string>();

function alive(replica: Replica): boolean {
  return replica.child.exitCode === null && replica.child.signalCode === null;
}

async function startReplica(name: string): Promise<Replica> {
  const port = await freePort();
  const log = join(ws.dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(
    process.execPath,
    [
      cli,
      'start',
      '--redis',
      redis.url,
      '--lease',
      String(LEASE_MS),
      '--source',
      ws.sources,
      '--out',
      ws.out,
      '--cron',
      '* * * * * *',
      '--tz',
      'UTC',
      '--keep',
      '100',
      '--port',
      String(port),
    ],
    {
      cwd: root,
      env: { ...process.env, INIT_CWD: root, LOG_LEVEL: 'info' },
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { name, child, log, base: `http://127.0.0.1:${port}`, exited };
}

/** Complete JSON lines of a replica's log (a line still being written is left for the next read). */
async function lines(replica: Replica): Promise<LogLine[]> {
  const text = await readFile(replica.log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Every "published release" line of the scheduler, across all replicas (dead ones included). */
async function publications(): Promise<Array<LogLine & { by: string }>> {
  const all = await Promise.all(
    replicas.map(async (replica) =>
      (await lines(replica))
        .filter((line) => line.status === 'published' && line.reason !== undefined)
        .map((line) => ({ ...line, by: replica.name })),
    ),
  );
  return all.flat();
}

async function releaseIds(): Promise<string[]> {
  const names = await readdir(join(ws.out, 'releases')).catch(() => [] as string[]);
  return names.filter((name) => !name.startsWith('.')).sort();
}

async function currentRelease(): Promise<string | null> {
  const target = await readlink(join(ws.out, 'current')).catch(() => null);
  return target === null ? null : basename(target);
}

async function currentArticles(): Promise<string> {
  return readFile(join(ws.out, 'current', 'articles.ndjson'), 'utf8').catch(() => '');
}

/** What the processes said, for a failed wait. */
function story(): string {
  return replicas
    .map((replica) => {
      let text: string;
      try {
        text = readFileSync(replica.log, 'utf8');
      } catch {
        text = '(no log)';
      }
      return `--- ${replica.name} (${alive(replica) ? 'alive' : 'dead'}) ---\n${text.slice(-3000)}`;
    })
    .join('\n');
}

/**
 * Append one new article to the page and save it the way editors do (a new file renamed over the old
 * one), so that no replica can read half an edit. Returns its headline.
 */
async function edit(): Promise<string> {
  const n = edits.length + 1;
  const headline = `全市第${n}批社区养老服务站启用`;
  const article = `\n\n${headline}\n\n本报讯(记者王晓)昨日记者从市民政局获悉,全市第${n}批社区养老服务站正式启用,新增床位${100 + n}张,服务老人${3000 + n}人次。\n`;
  const page = join(ws.sources, PAGE);
  const temp = join(ws.dir, `edit-${n}.tmp`);
  await writeFile(temp, (await readFile(page, 'utf8')) + article);
  await rename(temp, page);
  edits.push(headline);
  return headline;
}

/** Wait until the current release carries `headline`; returns that release's id. */
async function live(headline: string, timeoutMs: number): Promise<string> {
  return waitFor(
    async () =>
      (await currentArticles()).includes(headline) ? ((await currentRelease()) ?? undefined) : undefined,
    { what: `the edit "${headline}" to be live`, timeoutMs, intervalMs: 50, context: story },
  );
}

/** Each release id is published by exactly one run of one replica, and every release in the store was. */
async function expectEachReleasePublishedOnce(): Promise<void> {
  const published = await publications();
  const ids = published.map((line) => line.release_id);
  expect(new Set(ids).size, `a release id was published twice: ${JSON.stringify(published)}`).toBe(
    ids.length,
  );
  const stored = (await releaseIds()).filter((id) => !interrupted.has(id) || ids.includes(id));
  expect([...ids].sort()).toEqual(stored);
}

beforeAll(async () => {
  ws = await workspace();
  redis = await startRedis();
  replicas.push(await startReplica('a'), await startReplica('b'), await startReplica('c'));
  // Every replica is up and has done its start-up run (one published, the others found nothing new).
  await waitFor(
    async () => {
      const all = await Promise.all(replicas.map(lines));
      return all.every((list) =>
        list.some((line) => line.reason === 'start' || /skips the run/.test(line.msg)),
      );
    },
    { what: 'three replicas to start', timeoutMs: 40_000, context: story },
  );
}, 60_000);

afterAll(async () => {
  for (const replica of replicas) {
    if (alive(replica)) replica.child.kill('SIGKILL');
  }
  await Promise.all(replicas.map((replica) => replica.exited));
  await redis?.dispose();
  await ws?.remove();
});

describe('three publisher replicas against one Redis and one release store', () => {
  it('publish each of ten edits exactly once: no lost change, no duplicated release', async () => {
    const first = await currentRelease();
    expect(first).not.toBeNull();
    const seen = [first];
    for (let i = 0; i < 10; i++) {
      const headline = await edit();
      seen.push(await live(headline, 15_000));
    }
    // Give the replicas that did not publish a few ticks to look at the sources themselves: they must
    // find nothing new rather than publish the same sources again.
    await new Promise((r) => setTimeout(r, 2_500));

    expect(new Set(seen).size).toBe(11);
    expect(await releaseIds()).toEqual([...seen].sort());
    const published = await publications();
    expect(published).toHaveLength(11);
    await expectEachReleasePublishedOnce();
    const articles = await currentArticles();
    for (const headline of edits) expect(articles).toContain(headline);
  });

  it('replaces a replica killed while it holds the lease within the lease time', async () => {
    await edit();
    // Catch the lease while a replica runs (the edit's run, or a tick looking at the sources).
    const holder = await waitFor(
      async () => {
        const value = await redis.command('GET', LEASE_KEY);
        return typeof value === 'string' ? value : undefined;
      },
      { what: 'a replica to hold the lease', timeoutMs: 10_000, intervalMs: 2, context: story },
    );
    const pid = Number(/-(\d+)-[0-9a-f]{6}#[0-9a-f]+$/.exec(holder)?.[1]);
    const victim = replicas.find((replica) => replica.child.pid === pid);
    expect(victim, `lease holder ${holder} is none of the replicas`).toBeDefined();
    victim!.child.kill('SIGKILL');
    await victim!.exited;
    const survivors = replicas.filter((replica) => replica !== victim);
    const logged = new Set((await publications()).map((line) => line.release_id));
    for (const id of await releaseIds()) if (!logged.has(id)) interrupted.add(id);
    // At most the one run the kill interrupted.
    expect(interrupted.size).toBeLessThanOrEqual(1);

    // While the dead replica's lease lasts, nobody publishes: runs never overlap, even with the dead.
    const before = { releases: await releaseIds(), current: await currentRelease() };
    const during: Array<{ releases: string[]; current: string | null }> = [];
    await waitFor(
      async () => {
        const value = await redis.command('GET', LEASE_KEY);
        if (value !== holder) return true;
        during.push({ releases: await releaseIds(), current: await currentRelease() });
        return false;
      },
      {
        what: "the dead replica's lease to expire",
        timeoutMs: LEASE_MS + 5_000,
        intervalMs: 20,
        context: story,
      },
    );

    expect(during.length).toBeGreaterThan(0);
    for (const seen of during) expect(seen).toEqual(before);

    const headline = await edit();
    const release = await live(headline, LEASE_MS + 10_000);
    const articles = await currentArticles();
    for (const earlier of edits) expect(articles).toContain(earlier);
    // The switch comes before the run's log line.
    const by = await waitFor(
      async () => {
        const list = (await publications()).filter((line) => line.release_id === release);
        return list.length > 0 ? list : undefined;
      },
      { what: `the log line of release ${release}`, timeoutMs: 5_000, context: story },
    );
    expect(by).toHaveLength(1);
    expect(survivors.map((replica) => replica.name)).toContain(by[0]!.by);

    const health = await getJson<Health>(`${survivors[0]!.base}/healthz`);
    expect(health.current_release).toBe(release);
    expect(health.replica?.redis.up).toBe(true);
    expect(survivors.map((replica) => replica.name)).toContain(
      replicas.find((replica) => health.replica?.lastRun?.replicaId.includes(`-${replica.child.pid}-`))?.name,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    await expectEachReleasePublishedOnce();
  });

  it('publish nothing while Redis is down, report it, and publish the pending change once when it returns', async () => {
    const survivors = replicas.filter(alive);
    expect(survivors).toHaveLength(2);
    await redis.stop();

    for (const replica of survivors) {
      const health = await waitFor(
        async () => {
          const body = await getJson<Health>(`${replica.base}/healthz`);
          return body.replica?.redis.up === false ? body : undefined;
        },
        { what: `${replica.name}'s /healthz to report Redis down`, timeoutMs: 10_000, context: story },
      );
      expect(health.status).toBe('degraded');
      expect(health.replica?.redis.error?.code).toBe('COORDINATOR_UNAVAILABLE');
      expect(health.replica?.holdsLease).toBe(false);
    }
    await waitFor(
      async () => {
        const all = await Promise.all(survivors.map(lines));
        return all.every((list) =>
          list.some((line) => line.level >= 50 && line.code === 'COORDINATOR_UNAVAILABLE'),
        );
      },
      { what: 'both replicas to log the fault', timeoutMs: 10_000, context: story },
    );

    const before = { releases: await releaseIds(), current: await currentRelease() };
    const published = (await publications()).length;
    const editedAt = new Date().toISOString();
    const headline = await edit();
    // Both replicas see the edit and refuse to publish it without Redis…
    await waitFor(
      async () => {
        const all = await Promise.all(survivors.map(lines));
        return all.every((list) =>
          list.some(
            (line) =>
              line.reason === 'watch' && line.code === 'COORDINATOR_UNAVAILABLE' && line.time >= editedAt,
          ),
        );
      },
      { what: 'both replicas to refuse the edit', timeoutMs: 10_000, context: story },
    );
    // …and so do a few more ticks.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await releaseIds()).toEqual(before.releases);
    expect(await currentRelease()).toBe(before.current);
    expect(await publications()).toHaveLength(published);
    expect(await currentArticles()).not.toContain(headline);

    await redis.start();
    const release = await live(headline, 15_000);
    await waitFor(
      async () => {
        const all = await Promise.all(survivors.map(lines));
        return all.every((list) => list.some((line) => /Redis answers again/.test(line.msg)));
      },
      { what: 'both replicas to report Redis back', timeoutMs: 10_000, context: story },
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(before.releases).not.toContain(release);
    expect(await releaseIds()).toEqual([...before.releases, release].sort());
    expect((await publications()).filter((line) => line.release_id === release)).toHaveLength(1);
    await expectEachReleasePublishedOnce();
    const articles = await currentArticles();
    for (const earlier of edits) expect(articles).toContain(earlier);
    // node-cron's own messages (a stack for every fire Redis refused) came as JSON lines too, if at all.
    for (const replica of replicas) {
      const text = await readFile(replica.log, 'utf8');
      const complete = text.split('\n').slice(0, -1);
      expect(complete.filter((line) => !line.startsWith('{'))).toEqual([]);
    }
    for (const replica of survivors) {
      const health = await getJson<Health>(`${replica.base}/healthz`);
      expect(health).toMatchObject({
        status: 'ok',
        current_release: release,
        replica: { redis: { up: true } },
      });
    }
  });
});
