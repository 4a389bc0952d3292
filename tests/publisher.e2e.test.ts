import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  get,
  getJson,
  type Running,
  runCli,
  startCli,
  type Workspace,
  waitFor,
  workspace,
} from './helpers.js';

interface Health {
  status: string;
  current_release: string | null;
  last_error: { code: string; message: string } | null;
}

const NEW_ARTICLE = `

全市新增十家社区养老服务站

本报讯(记者王晓)昨日记者从市民政局获悉,今年全市新增社区养老服务站10家,服务老人3200人次。
`;

describe('the publisher app (cli start)', () => {
  let ws: Workspace | undefined;
  let app: Running | undefined;

  afterEach(async () => {
    await app?.stop();
    await ws?.remove();
    app = undefined;
    ws = undefined;
  });

  it('republishes an edited source within seconds, and keeps serving the last good release after a corrupt edit', async () => {
    ws = await workspace();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    app = startCli([
      'start',
      '--source',
      ws.sources,
      '--out',
      ws.out,
      '--port',
      String(port),
      '--publication',
      '大连日报',
    ]);
    const running = app;
    const context = () => `--- stdout ---\n${running.stdout}\n--- stderr ---\n${running.stderr.slice(-4000)}`;

    const first = await waitFor(
      async () => {
        const health = await getJson<Health>(`${base}/healthz`);
        return health.status === 'ok' && health.current_release ? health.current_release : undefined;
      },
      { what: 'the first release', timeoutMs: 30_000, context },
    );

    const page = join(ws.sources, 'dalian-daily-sample-page.txt');
    await appendFile(page, NEW_ARTICLE);

    const second = await waitFor(
      async () => {
        const health = await getJson<Health>(`${base}/healthz`);
        return health.current_release && health.current_release !== first
          ? health.current_release
          : undefined;
      },
      { what: 'a new release after the edit', timeoutMs: 15_000, context },
    );

    const changes = await getJson<{
      release_id: string;
      previous_release_id: string;
      tables: Record<string, { added: string[]; removed: string[]; changed: string[] }>;
    }>(`${base}/current/changes.json`);
    expect(changes.release_id).toBe(second);
    expect(changes.previous_release_id).toBe(first);
    expect(changes.tables.articles?.added.length).toBeGreaterThan(0);

    const articles = (await get(`${base}/current/articles.ndjson`)).text;
    expect(articles).toContain('全市新增十家社区养老服务站');

    const feed = (await get(`${base}/feed.xml`)).text;
    expect(feed).toContain(`urn:newsdata:release:${second}`);
    expect(feed).toContain(`urn:newsdata:release:${first}`);
    expect(feed).toContain(changes.tables.articles!.added[0]);

    const html = (await get(`${base}/`)).text;
    expect(html).toContain(`<strong id="current-release">${second}</strong>`);
    expect(html).toContain(changes.tables.articles!.added[0]);

    const goodCsv = (await get(`${base}/current/articles.csv`)).text;

    // Bytes that decode neither as UTF-8 nor as GB18030.
    const bytes = await readFile(page);
    await writeFile(
      page,
      Buffer.concat([bytes.subarray(0, 200), Buffer.from([0xff, 0xff, 0x80, 0xff]), bytes.subarray(200)]),
    );

    const failing = await waitFor(
      async () => {
        const health = await getJson<Health>(`${base}/healthz`);
        return health.status === 'degraded' ? health : undefined;
      },
      { what: '/healthz to report the corrupt source', timeoutMs: 15_000, context },
    );
    expect(failing.current_release).toBe(second);
    expect(failing.last_error?.message).toBeTruthy();
    expect((await get(`${base}/current/articles.csv`)).text).toBe(goodCsv);
    expect(app.stderr).toMatch(/"level":50/);

    const stopped = await app.stop();
    expect(stopped.code).toBe(0);
  });

  it('tells at restart how many ticks it missed and runs one catch-up publish', async () => {
    ws = await workspace();
    const published = await runCli(['publish', '--source', ws.sources, '--out', ws.out]);
    expect(published.code, published.stderr).toBe(0);
    const statePath = join(ws.out, 'state.json');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString();
    await writeFile(
      statePath,
      JSON.stringify({
        last_run: twoHoursAgo,
        last_success: twoHoursAgo,
        last_error: null,
        current_release: null,
        source_hashes: {},
      }),
    );
    app = startCli([
      'schedule',
      '--source',
      ws.sources,
      '--out',
      ws.out,
      '--cron',
      '* * * * *',
      '--tz',
      'UTC',
    ]);
    const running = app;
    const lines = () =>
      running.stderr
        .split('\n')
        .slice(0, -1) // the last piece may be a line still being written
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const missed = await waitFor(() => lines().find((line) => typeof line.missed_ticks === 'number'), {
      what: 'the missed-tick log line',
      context: () => running.stderr,
    });
    // 120 minute marks lie in the two hours before the test; one more if a minute turns before the process reads the state.
    expect(missed.missed_ticks).toBeGreaterThanOrEqual(120);
    expect(missed.missed_ticks).toBeLessThanOrEqual(121);
    const catchUp = await waitFor(() => lines().find((line) => line.reason === 'start' && line.status), {
      what: 'the catch-up run',
      context: () => running.stderr,
    });
    expect(catchUp.status).toBe('unchanged');
    const state = JSON.parse(await readFile(statePath, 'utf8'));
    expect(state.current_release).toBe(catchUp.release_id);
    expect(state.last_run > twoHoursAgo).toBe(true);
    expect(Object.keys(state.source_hashes)).toContain('dalian-daily-sample-page');
    expect(lines().filter((line) => line.reason === 'start')).toHaveLength(1);
    expect((await app.stop()).code).toBe(0);
  });
});
