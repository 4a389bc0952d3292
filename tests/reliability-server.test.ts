import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStaging } from '@newsdata/publish';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Running, runCli, startCli, waitFor } from './helpers.js';
import { publishCli, story } from './reliability/cli.js';
import { page } from './reliability/pages.js';
import {
  countRequest,
  getRequest,
  headerValues,
  openSocket,
  rawRequest,
  requestCount,
} from './reliability/raw.js';
import { checkCurrent } from './reliability/store.js';

const SECRET = 'TOP-SECRET-5f1d2c';

describe('hostile requests to cli serve', () => {
  let dir: string;
  let out: string;
  let port: number;
  let server: Running;
  let id: string;
  let csv: Buffer;
  const publication = '大连日报\r\nSet-Cookie: pwned=1\r\nX-Injected: yes';

  const healthy = async () => {
    const response = await rawRequest(port, getRequest('/healthz'));
    expect(response.status, server.stderr).toBe(200);
    expect(JSON.parse(response.body.toString('utf8')).current_release).toBe(id);
    expect(server.child.exitCode).toBeNull();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdata-rel-serve-'));
    out = join(dir, 'public');
    const sources = join(dir, 'sources');
    await mkdir(sources);
    await writeFile(join(sources, 'a.txt'), page('服务', 3));
    // Secrets beside and above the store: nothing may ever serve them.
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await writeFile(join(out, '..', 'secret.csv'), SECRET);
    const run = await publishCli([sources], out);
    expect(run.code, story(run)).toBe(0);
    id = (await checkCurrent(out))!.id;
    csv = await readFile(join(out, 'releases', id, 'articles.csv'));
    await writeFile(join(out, 'secret.txt'), SECRET);
    await writeFile(join(out, 'releases', 'secret.txt'), SECRET);
    port = await freePort();
    server = startCli(['serve', '--out', out, '--port', String(port), '--publication', publication], {
      env: { LOG_LEVEL: 'warn' },
    });
    await waitFor(async () => (await rawRequest(port, getRequest('/healthz'), 2000)).status === 200, {
      what: 'the server',
      context: () => server.stderr,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
    console.info(`reliability-server: ${requestCount.value} requests made`);
  });

  it('path traversal in every spelling gets a 4xx and never a byte of a file outside the release', async () => {
    const targets = [
      '/current/../secret.txt',
      '/current/../../secret.txt',
      '/current/../../../../../../etc/passwd',
      `/releases/${id}/../../secret.txt`,
      `/releases/${id}/../../../secret.csv`,
      '/current/%2e%2e/secret.txt',
      '/current/%2e%2e/%2e%2e/secret.txt',
      '/current/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/current/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/current/..%2f..%2fsecret.txt',
      '/current/..%5c..%5csecret.txt',
      '/current/..\\..\\secret.txt',
      '/current/%252e%252e%252fsecret.txt',
      '/current/.%2e/.%2e/secret.txt',
      '/current/%c0%ae%c0%ae/secret.txt',
      '/current//etc/passwd',
      '/current/%2fetc%2fpasswd',
      `/current/${encodeURIComponent(join(dir, 'secret.txt'))}`,
      `/releases/${encodeURIComponent(join(out, 'releases', id))}/articles.csv`,
      '/releases/..%2f..%2fsecret.txt/articles.csv',
      '/releases/secret.txt',
      `/releases/${id}/secret.txt`,
      '/current/secret.txt',
      '/current/articles.csv%00.txt',
      '/current/articles.csv%00',
      '/current/%00../secret.txt',
      '/current/C:%5cWindows%5cwin.ini',
      '/current/file:%2f%2f%2fetc%2fpasswd',
      '/current/.lock',
      '/current/../.lock',
      '/current/',
      '/current/.',
      '/releases/',
      '/..%2f..%2fsecret.txt',
      '/%2e%2e/secret.txt',
    ];
    for (const target of targets) {
      const response = await rawRequest(port, getRequest(target));
      expect(response.status, target).not.toBeNull();
      expect([400, 404], target).toContain(response.status);
      expect(response.raw.toString('latin1'), target).not.toContain(SECRET);
      expect(response.raw.toString('latin1'), target).not.toContain('root:x:0:0');
    }
    // A raw NUL byte and a raw space in the request line: the HTTP parser refuses them.
    for (const target of ['/current/articles.csv\0.txt', '/current/../secret.txt\0']) {
      const response = await rawRequest(port, getRequest(target));
      expect(response.status === null || response.status === 400, target).toBe(true);
      expect(response.raw.toString('latin1')).not.toContain(SECRET);
    }
    await healthy();
  });

  it('a symlink out of the store is never followed, even when the manifest lists the file', async () => {
    const release = join(out, 'releases', id);
    // Replace a listed file by a link to a secret outside the store.
    await rename(join(release, 'people.csv'), join(dir, 'people.csv.real'));
    await symlink(join(dir, 'secret.txt'), join(release, 'people.csv'));
    // A release directory that is itself a link to elsewhere, with a manifest of its own.
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'secret.csv'), SECRET);
    const fake = 'ffffffffffffffff';
    await writeFile(
      join(elsewhere, 'manifest.json'),
      JSON.stringify({
        release_id: fake,
        previous_release_id: null,
        sources: [],
        files: [{ path: 'secret.csv', bytes: SECRET.length, sha256: '0'.repeat(64), rows: null }],
      }),
    );
    await symlink(elsewhere, join(out, 'releases', fake));
    try {
      for (const target of [
        '/current/people.csv',
        `/releases/${id}/people.csv`,
        `/releases/${fake}/secret.csv`,
        `/releases/${fake}/manifest.json`,
      ]) {
        const response = await rawRequest(port, getRequest(target));
        expect(response.status, target).toBe(404);
        expect(response.raw.toString('latin1'), target).not.toContain(SECRET);
      }
    } finally {
      await rm(join(release, 'people.csv'));
      await rename(join(dir, 'people.csv.real'), join(release, 'people.csv'));
      await rm(join(out, 'releases', fake));
    }
    expect((await rawRequest(port, getRequest('/current/people.csv'))).status).toBe(200);
    await healthy();
  });

  it('very long URLs and headers are refused with 414/431/400, and the server lives on', async () => {
    const cases = [
      getRequest(`/current/${'a'.repeat(100_000)}.csv`),
      getRequest(`/current/articles.csv?${'q=1&'.repeat(20_000)}`),
      getRequest('/current/articles.csv', { 'X-Long': 'x'.repeat(64 * 1024) }),
      getRequest(
        '/current/articles.csv',
        Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, 'v'])),
      ),
      getRequest('/current/articles.csv', { Cookie: 'c'.repeat(1024 * 1024) }),
    ];
    for (const text of cases) {
      const response = await rawRequest(port, text);
      expect(response.raw.toString('latin1')).not.toContain(SECRET);
      if (response.status !== null) expect([400, 413, 414, 431]).toContain(response.status);
      else expect(response.closed).toBe(true);
    }
    // Just under the limits is still served.
    const fine = await rawRequest(
      port,
      getRequest('/current/articles.csv', { 'X-Long': 'x'.repeat(8 * 1024) }),
    );
    expect(fine.status).toBe(200);
    await healthy();
  });

  it('malformed Range headers get the right 206, 200 or 416', async () => {
    const size = csv.length;
    /** A 200 is the whole file; a 206 is exactly the bytes its Content-Range names, or a multipart body. */
    const consistent = (response: Awaited<ReturnType<typeof rawRequest>>, what: string) => {
      if (response.status === 200) expect(response.body.equals(csv), what).toBe(true);
      if (response.status !== 206) return;
      const [contentRange] = headerValues(response, 'content-range');
      if (contentRange === undefined) {
        expect(headerValues(response, 'content-type')[0], what).toMatch(/^multipart\/byteranges/);
        return;
      }
      const [, from, to, total] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange) ?? [];
      expect(Number(total), what).toBe(size);
      expect(response.body.equals(csv.subarray(Number(from), Number(to) + 1)), what).toBe(true);
    };
    const range = async (value: string) =>
      rawRequest(port, getRequest('/current/articles.csv', { Range: value }));

    const first = await range('bytes=0-9');
    expect(first.status).toBe(206);
    expect(headerValues(first, 'content-range')).toEqual([`bytes 0-9/${size}`]);
    expect(first.body.equals(csv.subarray(0, 10))).toBe(true);

    const suffix = await range('bytes=-5');
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(csv.subarray(size - 5))).toBe(true);

    const open = await range(`bytes=${size - 3}-`);
    expect(open.status).toBe(206);
    expect(open.body.equals(csv.subarray(size - 3))).toBe(true);

    const clipped = await range(`bytes=10-${size * 10}`);
    expect(clipped.status).toBe(206);
    expect(headerValues(clipped, 'content-range')).toEqual([`bytes 10-${size - 1}/${size}`]);
    expect(clipped.body.equals(csv.subarray(10))).toBe(true);

    for (const beyond of [`bytes=${size}-`, `bytes=${size + 100}-${size + 200}`]) {
      const response = await range(beyond);
      expect(response.status, beyond).toBe(416);
      expect(headerValues(response, 'content-range'), beyond).toEqual([`bytes */${size}`]);
      expect(headerValues(response, 'content-disposition'), beyond).toEqual([]);
    }

    // Several or overlapping ranges: answered whole (200) or as multipart (206), never broken.
    for (const multiple of ['bytes=0-4,10-14', 'bytes=0-9,5-14', 'bytes=0-9,0-9,0-9', `bytes=0-1,${size}-`]) {
      const response = await range(multiple);
      expect([200, 206], multiple).toContain(response.status);
      consistent(response, multiple);
    }

    // Garbage is ignored (RFC 9110 §14.2): the whole file.
    for (const garbage of [
      'bytes=abc',
      'bytes=',
      'pages=1-2',
      'bytes=5-2',
      'bytes=--1',
      'bytes=1-2-3',
      'bytes = 0-1',
      `bytes=0-${'9'.repeat(400)}`,
    ]) {
      const response = await range(garbage);
      expect([200, 206, 416], garbage).toContain(response.status);
      consistent(response, garbage);
    }
    await healthy();
  });

  it('a slowloris client (headers dripped, or nothing sent) is cut off by the server timeouts', async () => {
    const silent = await openSocket(port);
    const drip = await openSocket(port);
    const closedAfter = (socket: import('node:net').Socket) => {
      const opened = Date.now();
      return new Promise<number>((resolve) => {
        socket.on('close', () => resolve(Date.now() - opened));
        socket.on('error', () => undefined);
        socket.resume();
      });
    };
    const silentClosed = closedAfter(silent);
    const dripClosed = closedAfter(drip);
    drip.write('GET /current/articles.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let n = 0;
    const timer = setInterval(() => {
      if (!drip.destroyed) drip.write(`X-Slow-${n++}: ${'z'.repeat(5)}\r\n`);
    }, 500);
    try {
      // The server's header timeout is 10 s, checked every few seconds by Node: well within 80 s.
      const [a, b] = await Promise.all([silentClosed, dripClosed]);
      expect(a).toBeLessThan(80_000);
      expect(b).toBeLessThan(80_000);
      expect(n).toBeGreaterThan(3);
      // It was served meanwhile.
      await healthy();
    } finally {
      clearInterval(timer);
      silent.destroy();
      drip.destroy();
    }
  }, 120_000);

  it('500 parallel connections are all answered (or cleanly refused), with the right bytes', async () => {
    const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    const one = () =>
      new Promise<{ status: number; body: Buffer } | { error: string }>((resolve) => {
        countRequest();
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/current/articles.csv',
            agent,
            headers: { 'accept-encoding': 'identity' },
          },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (chunk: Buffer) => parts.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
            res.on('error', (error) =>
              resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }),
            );
          },
        );
        req.setTimeout(60_000, () => req.destroy(new Error('client timeout')));
        req.on('error', (error) =>
          resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }),
        );
        req.end();
      });
    const results = await Promise.all(Array.from({ length: 500 }, one));
    agent.destroy();
    const ok = results.filter((r) => 'status' in r && r.status === 200 && r.body.equals(csv)).length;
    const refused = results.filter(
      (r) => 'error' in r && /ECONNRESET|ECONNREFUSED|EPIPE/.test(r.error),
    ).length;
    const other = results.filter(
      (r) =>
        !('status' in r && r.status === 200 && r.body.equals(csv)) &&
        !('error' in r && /ECONNRESET|ECONNREFUSED|EPIPE/.test(r.error)),
    );
    expect(other, JSON.stringify(other.slice(0, 3))).toEqual([]);
    expect(ok + refused).toBe(500);
    expect(ok).toBeGreaterThan(400);
    await healthy();
  }, 120_000);

  it('no header can be injected through a file name or the publication title; Content-Disposition stays one header', async () => {
    const response = await rawRequest(port, getRequest('/current/articles.csv'));
    expect(response.status).toBe(200);
    const disposition = headerValues(response, 'content-disposition');
    expect(disposition).toHaveLength(1);
    expect(disposition[0]).toMatch(
      /^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!$&+^`|-]+$/,
    );
    expect(headerValues(response, 'set-cookie')).toEqual([]);
    expect(headerValues(response, 'x-injected')).toEqual([]);
    // CR/LF requested through the path is refused before any header is made of it.
    for (const target of [
      '/current/articles.csv%0d%0aSet-Cookie:%20a=b',
      '/current/a%0aX-Injected:%20yes.csv',
    ]) {
      const bad = await rawRequest(port, getRequest(target));
      expect(bad.status, target).toBe(404);
      expect(headerValues(bad, 'set-cookie')).toEqual([]);
      expect(headerValues(bad, 'x-injected')).toEqual([]);
    }
    // And such a name cannot even enter a release: the release store refuses it…
    const staging = await openStaging(join(dir, 'other-store'));
    await expect(staging.write('a\r\nSet-Cookie: x=1.csv', [new Uint8Array([0x61])])).rejects.toMatchObject({
      code: 'RELEASE_PATH_INVALID',
    });
    await staging.discard();
    // …and a source whose name holds CR/LF is not a source.
    const sources = join(dir, 'crlf-sources');
    await mkdir(sources);
    await writeFile(join(sources, 'a\r\nSet-Cookie: x=1.txt'), page('注入'));
    const run = await runCli(['publish', '--source', sources, '--out', join(dir, 'crlf-out')], {
      env: { LOG_LEVEL: 'warn' },
    });
    expect(run.code, story(run)).toBe(2);
    expect(run.stderr).toMatch(/SOURCE_ID_INVALID/);
    await healthy();
  });
});
