import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish } from '@newsdata/publish';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidReport, publishCli, story } from './reliability/cli.js';
import { type Origin, startOrigin } from './reliability/origin.js';
import { page } from './reliability/pages.js';
import { checkCurrent, readRows, snapshot } from './reliability/store.js';

describe('a URL source that misbehaves never replaces good data', () => {
  let dir: string;
  let out: string;
  let origin: Origin;
  let baseline: string;
  let baselineFiles: Map<string, string>;
  const good = page('网络来源', 2);

  const serveGood = () =>
    origin.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(good);
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdata-rel-url-'));
    out = join(dir, 'public');
    origin = await startOrigin();
    serveGood();
    const first = await publishCli([origin.url()], out);
    expect(first.code, story(first)).toBe(0);
    const current = (await checkCurrent(out))!;
    baseline = current.id;
    expect((await readRows(out, baseline, 'articles')).map((a) => a.source_id)).toEqual(['page', 'page']);
    baselineFiles = await snapshot(join(out, 'releases', baseline));
  });

  afterAll(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function stillBaseline() {
    const current = await checkCurrent(out);
    expect(current?.id).toBe(baseline);
    expect(await snapshot(join(out, 'releases', baseline))).toEqual(baselineFiles);
  }

  it('a server answering 500 is retried, then reported; the release stays', async () => {
    origin.handle((_request, response) => {
      response.writeHead(500);
      response.end('internal error');
    });
    const before = origin.requests;
    const run = await publishCli([origin.url()], out);
    expect(run.code, story(run)).toBe(2);
    expect(origin.requests - before).toBe(4); // the first try and 3 retries
    const report = await invalidReport(out);
    expect(report.problems[0]?.message).toMatch(/500/);
    expect(report.problems[0]?.source?.file).toBe(origin.url());
    await stillBaseline();
  });

  it('a redirect loop stops after a few hops with a clear error', async () => {
    origin.handle((request, response) => {
      response.writeHead(302, { location: request.url === '/page.txt' ? '/elsewhere.txt' : '/page.txt' });
      response.end();
    });
    const before = origin.requests;
    const run = await publishCli([origin.url()], out);
    expect(run.code, story(run)).toBe(2);
    expect(origin.requests - before).toBeLessThan(20);
    const report = await invalidReport(out);
    expect(report.problems[0]?.message).toMatch(/redirect/i);
    await stillBaseline();
  });

  it('1 GB streamed without a length is cut off at the size limit, early', async () => {
    let sent = 0;
    let closedEarly = false;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    origin.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (sent < 1024 ** 3) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => {
        closedEarly = sent < 1024 ** 3;
      });
      pump();
    });
    const run = await publishCli([origin.url()], out);
    expect(run.code, story(run)).toBe(2);
    const report = await invalidReport(out);
    expect(report.problems[0]?.message).toMatch(/limit/);
    // The default limit is 50 MB: the client hung up long before 1 GB.
    await expect.poll(() => closedEarly).toBe(true);
    expect(sent).toBeLessThan(200 * 1024 * 1024);
    await stillBaseline();
  });

  it('1 GB announced by Content-Length is refused before the body', async () => {
    let sent = 0;
    origin.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(1024 ** 3) });
      const chunk = Buffer.alloc(64 * 1024, 'b');
      const pump = () => {
        while (sent < 1024 ** 3 && !response.destroyed) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
      };
      pump();
    });
    const run = await publishCli([origin.url()], out);
    expect(run.code, story(run)).toBe(2);
    expect((await invalidReport(out)).problems[0]?.message).toMatch(/limit/);
    expect(sent).toBeLessThan(200 * 1024 * 1024);
    await stillBaseline();
  });

  it('a server that never answers times out (API with a short timeout), and the release stays', async () => {
    const hanging: import('node:http').ServerResponse[] = [];
    origin.handle((_request, response) => {
      hanging.push(response);
    });
    const before = origin.requests;
    const result = await publish({
      sources: [origin.url()],
      out,
      read: { timeoutMs: 300, retries: 1, backoffMs: 10 },
    });
    expect(result.status).toBe('invalid');
    expect(result.sources[0]?.error?.code).toBe('SOURCE_FETCH_FAILED');
    expect(result.sources[0]?.error?.message).toMatch(/no answer within 300 ms/);
    expect(origin.requests - before).toBe(2);
    for (const response of hanging) response.destroy();
    await stillBaseline();
  });

  it('once the origin is healthy again, the next run publishes from it', async () => {
    origin.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(page('恢复', 2));
    });
    const run = await publishCli([origin.url()], out);
    expect(run.code, story(run)).toBe(0);
    const current = (await checkCurrent(out))!;
    expect(current.id).not.toBe(baseline);
    expect(current.manifest.previous_release_id).toBe(baseline);
  });
});
