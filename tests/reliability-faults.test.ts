import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultSteps } from '@newsdata/publish';
import { afterAll, describe, expect, it } from 'vitest';
import { type Finished, freePort, get, startCli, waitFor } from './helpers.js';
import { invalidReport, preload, publishCli, story } from './reliability/cli.js';
import { page } from './reliability/pages.js';
import { checkCurrent, checkRelease, readRows, snapshot } from './reliability/store.js';

/** A small seeded generator, so that a failing sequence of kill delays can be replayed (the seed is printed). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function scratch(name: string) {
  const dir = await mkdtemp(join(tmpdir(), `newsdata-rel-${name}-`));
  const sources = join(dir, 'sources');
  await mkdir(sources);
  return { dir, sources, out: join(dir, 'public') };
}

/** The text of the current release's articles from source `id`. */
async function currentText(out: string, id: string): Promise<string> {
  const current = await checkCurrent(out);
  if (!current) return '';
  const rows = await readRows(out, current.id, 'articles');
  return rows
    .filter((row) => row.source_id === id)
    .map((row) => row.text)
    .join('\n');
}

/** Every release directory verifies, there is no leftover lock, and staging is empty (after a clean run). */
async function storeIsClean(out: string) {
  for (const id of await readdir(join(out, 'releases'))) await checkRelease(out, id);
  await expect(stat(join(out, '.lock'))).rejects.toThrow();
  const staging = await readdir(join(out, '.staging')).catch(() => []);
  expect(staging).toEqual([]);
  expect((await readdir(out)).filter((name) => name.startsWith('.current-'))).toEqual([]);
}

const counts = { kills: 0, faultKills: 0, completedBetweenKills: 0, publishes: 0 };
afterAll(() => {
  console.info(
    `reliability-faults: ${counts.publishes} publishes started, ${counts.kills} SIGKILLs survived (${counts.faultKills} of them at a named step), ${counts.completedBetweenKills} runs finished before their kill`,
  );
});

describe('SIGKILL at random moments during 200 consecutive publishes', () => {
  it('leaves current complete and matching its manifest after every kill, and the next start recovers and publishes', async () => {
    const { dir, sources, out } = await scratch('kill');
    const seed = Number(process.env.NEWSDATA_KILL_SEED ?? Date.now() % 1_000_000);
    const next = random(seed);
    const context = () => `seed ${seed} (replay with NEWSDATA_KILL_SEED=${seed})`;
    try {
      await writeFile(join(sources, 'a.txt'), page('初版'));
      await writeFile(join(sources, 'b.txt'), page('乙初版', 1, 1));
      const started = Date.now();
      const first = await publishCli([sources], out);
      expect(first.code, story(first)).toBe(0);
      // A whole run takes about this long here; kills land anywhere from process start to just after it.
      const runMs = Math.max(400, Date.now() - started);
      let published = first;
      const runs = Number(process.env.NEWSDATA_KILL_RUNS ?? 200);
      for (let i = 0; i < runs; i++) {
        await writeFile(join(sources, 'a.txt'), page(`第${i}次`));
        if (i % 3 === 0) await writeFile(join(sources, 'b.txt'), page(`乙${i}`, 1, 1));
        // Every 8th run dies by the fault hook at a named step (each step in turn), the others at a random moment.
        const step = i % 8 === 7 ? faultSteps[((i + 1) / 8 - 1) % faultSteps.length] : undefined;
        const running = startCli(['publish', '--source', sources, '--out', out], {
          env: { LOG_LEVEL: 'warn', ...(step ? { NEWSDATA_FAULT: step } : {}) },
        });
        counts.publishes++;
        const delay = step ? runMs * 20 : Math.round(runMs * (0.1 + next() * 1.0));
        const timer = setTimeout(() => running.child.kill('SIGKILL'), delay);
        const result: Finished = await running.exited;
        clearTimeout(timer);
        if (step && result.signal === 'SIGKILL') counts.faultKills++;
        if (result.signal === 'SIGKILL') counts.kills++;
        else {
          counts.completedBetweenKills++;
          expect(result.code, `run ${i}, ${context()}\n${story(result)}`).toBe(0);
          expect(await currentText(out, 'a'), `run ${i}, ${context()}`).toContain(`第${i}次`);
          published = result;
        }
        // Whatever happened, current is a complete release whose files match the manifest.
        const current = await checkCurrent(out).catch((error: Error) => {
          throw new Error(
            `after run ${i} (${delay} ms, ${result.signal ?? result.code}): ${error.message}; ${context()}`,
          );
        });
        expect(current, context()).not.toBeNull();
        if (i % 25 === 24 || i === runs - 1) {
          // The next start recovers whatever the kills left (stale lock, staging, temporary links).
          const recovery = await publishCli([sources], out);
          counts.publishes++;
          expect(recovery.code, `${context()}\n${story(recovery)}`).toBe(0);
          expect(await currentText(out, 'a'), context()).toContain(`第${i}次`);
          await storeIsClean(out);
        }
      }
      expect(published.code).toBe(0);
      // Most runs were killed, and some were killed late enough to have something on disk to recover.
      expect(counts.kills).toBeGreaterThan(runs / 2);
      // Nearly every fault step was reached and killed there (a prune step only fires when there is something to prune).
      expect(counts.faultKills).toBeGreaterThanOrEqual(Math.floor(runs / 8) - 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 900_000);
});

describe('two publishers started at once on the same store', () => {
  it('publish each change exactly once; the other skips and says why', async () => {
    const { dir, sources, out } = await scratch('two');
    try {
      await writeFile(join(sources, 'a.txt'), page('双发'));
      expect((await publishCli([sources], out)).code).toBe(0);
      for (let round = 0; round < 6; round++) {
        await writeFile(join(sources, 'a.txt'), page(`双发${round}`));
        const before = (await readdir(join(out, 'releases'))).length;
        const [one, two] = await Promise.all([publishCli([sources], out), publishCli([sources], out)]);
        counts.publishes += 2;
        const runs = [one, two];
        const winners = runs.filter((run) => run.code === 0 && /^published release/m.test(run.stdout));
        expect(winners, runs.map(story).join('\n')).toHaveLength(1);
        const loser = runs.find((run) => run !== winners[0])!;
        if (loser.code === 0) expect(loser.stdout, story(loser)).toMatch(/nothing changed/);
        else {
          expect(loser.code, story(loser)).toBe(3);
          expect(loser.stderr).toMatch(/PUBLISH_LOCKED.*Another publisher holds/);
        }
        expect((await readdir(join(out, 'releases'))).length).toBe(before + 1);
        expect(await currentText(out, 'a')).toContain(`双发${round}`);
        await storeIsClean(out);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** A real small tmpfs when this process may mount one (root), else an injected ENOSPC. */
function mountTmpfs(at: string, size: string): boolean {
  if (process.getuid?.() !== 0 || process.env.NEWSDATA_TEST_NO_MOUNT) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('disk full', () => {
  it('fails the publish cleanly with exit 3 and a clear error, leaves current untouched, and the next run succeeds once space returns', async () => {
    const { dir, sources } = await scratch('enospc');
    const disk = join(dir, 'disk');
    await mkdir(disk);
    const out = join(disk, 'public');
    const mounted = mountTmpfs(disk, '2m');
    try {
      await writeFile(join(sources, 'a.txt'), page('磁盘', 3));
      const first = await publishCli([sources], out);
      expect(first.code, story(first)).toBe(0);
      const baseline = (await checkCurrent(out))!.id;
      const files = await snapshot(join(out, 'releases', baseline));
      await writeFile(join(sources, 'a.txt'), page('磁盘已满', 3));

      let env: NodeJS.ProcessEnv = {};
      const filler = join(disk, 'filler');
      if (mounted) {
        // Leave a few kilobytes: enough for the lock and the cache, not for a release.
        const free = () => {
          const line = execFileSync('df', ['-B1', '--output=avail', disk], { encoding: 'utf8' })
            .trim()
            .split('\n')
            .pop()!;
          return Number(line);
        };
        await writeFile(filler, Buffer.alloc(Math.max(0, free() - 24 * 1024)));
      } else {
        env = {
          NODE_OPTIONS: preload('enospc.mjs'),
          NEWSDATA_TEST_ENOSPC_DIR: out,
          NEWSDATA_TEST_ENOSPC_AFTER: '24576',
        };
      }
      const full = await publishCli([sources], out, { env });
      counts.publishes++;
      expect(full.code, `${mounted ? 'tmpfs' : 'injected'}\n${story(full)}`).toBe(3);
      expect(full.stderr + full.stdout).toMatch(/ENOSPC|disk is full/);
      expect(full.stdout).toMatch(/previous release stays current/);
      expect((await checkCurrent(out))?.id).toBe(baseline);
      expect(await snapshot(join(out, 'releases', baseline))).toEqual(files);
      expect(await readdir(join(out, 'releases'))).toEqual([baseline]);

      await rm(filler, { force: true });
      const again = await publishCli([sources], out);
      counts.publishes++;
      expect(again.code, story(again)).toBe(0);
      expect(await currentText(out, 'a')).toContain('磁盘已满');
      await storeIsClean(out);
      console.info(`disk full by ${mounted ? 'a 2 MB tmpfs' : 'an injected ENOSPC'}`);
    } finally {
      if (mounted) execFileSync('umount', [disk]);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a validation failure under the block policy', () => {
  it('publishes nothing, keeps the report, and the server goes on serving the previous release', async () => {
    const { dir, sources, out } = await scratch('block');
    const port = await freePort();
    await writeFile(join(sources, 'a.txt'), page('阻断'));
    expect((await publishCli([sources], out)).code).toBe(0);
    const baseline = (await checkCurrent(out))!.id;
    const server = startCli(['serve', '--out', out, '--port', String(port)], { env: { LOG_LEVEL: 'warn' } });
    try {
      const base = `http://127.0.0.1:${port}`;
      const before = await waitFor(
        async () => {
          const response = await get(`${base}/current/articles.csv`);
          return response.status === 200 ? response.text : undefined;
        },
        { what: 'the server', context: () => server.stderr },
      );
      await writeFile(
        join(sources, 'a.txt'),
        '全市经济运行良好\n\n本报讯(记者 王明)今年一季度,全市工业增加值增长率为150%,比上年提高。\n',
      );
      const run = await publishCli([sources], out, { args: ['--on-invalid', 'block'] });
      counts.publishes++;
      expect(run.code, story(run)).toBe(2);
      expect(run.stdout).toContain(`release ${baseline} stays current`);
      const report = await invalidReport(out);
      expect(report.problems.map((p) => p.type)).toContain('percent-out-of-range');
      expect(await readdir(join(out, 'releases'))).toEqual([baseline]);
      expect((await checkCurrent(out))?.id).toBe(baseline);
      const after = await get(`${base}/current/articles.csv`);
      expect(after.status).toBe(200);
      expect(after.text).toBe(before);
      const health = JSON.parse((await get(`${base}/healthz`)).text);
      expect(health.current_release).toBe(baseline);
      // The report is still there after another blocked run and is the latest one.
      expect(JSON.parse(await readFile(join(out, 'reports', 'latest-invalid.json'), 'utf8')).valid).toBe(
        false,
      );
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
