import { mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, safeSegments } from './download.js';
import { articlesCsv, tempDir, writeRelease } from './release.test-data.js';
import { serve } from './server.js';
import { writeState } from './state.js';

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request: the path goes out exactly as written (no normalization, no decompression). */
function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Response> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const ID = 'r-2025aaaa';
const OLD = 'r-2024bbbb';
const csv = articlesCsv(40);
const SECRET = 'TOP-SECRET-OUTSIDE-THE-STORE';

describe('download server', () => {
  let out: string;
  let base: string;
  let app: FastifyInstance;
  let sha: (path: string) => string;

  beforeAll(async () => {
    const root = await tempDir();
    out = join(root, 'public');
    const outside = join(root, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'people.csv'), SECRET);
    await writeFile(join(out, '..', 'secret.txt'), SECRET);
    await writeRelease(out, {
      id: OLD,
      created: '2025-01-07T02:00:00.000Z',
      files: { 'articles.csv': articlesCsv(3) },
    });
    const manifest = await writeRelease(out, {
      id: ID,
      previous: OLD,
      files: {
        'articles.csv': csv,
        'excel/articles.csv': `\ufeff${csv}`,
        'articles.ndjson': `${JSON.stringify({ article_id: 'a~1', title: '<script>alert(1)</script>标题' })}\n`,
        'articles.json': '[]',
        // Listed in the manifest with the right checksum, but a link to outside the store.
        'people.csv': SECRET,
      },
      unlisted: { 'secret.txt': SECRET },
      changes: {
        release_id: ID,
        previous_release_id: OLD,
        tables: { articles: { added: ['a~00000004'], removed: [], changed: ['a~00000001'] } },
      },
    });
    const release = join(out, 'releases', ID);
    const { rm } = await import('node:fs/promises');
    await rm(join(release, 'people.csv'));
    await symlink(join(outside, 'people.csv'), join(release, 'people.csv'));
    // A "release" that is itself a link out of the store, with a valid-looking manifest.
    await writeRelease(join(root, 'evil'), { id: 'r-evil0000', files: { 'articles.csv': SECRET } }, false);
    await symlink(join(root, 'evil', 'releases', 'r-evil0000'), join(out, 'releases', 'r-evil0000'));
    sha = (path) => manifest.files.find((file) => file.path === path)!.sha256;
    ({ app, url: base } = await serve({ out, port: 0, host: '127.0.0.1', publication: '大连日报' }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves a listed file with type, strong ETag, short cache under /current/ and a Chinese download name', async () => {
    const res = await get(base, '/current/articles.csv');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(csv);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers.etag).toBe(`"${sha('articles.csv')}"`);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const disposition = String(res.headers['content-disposition']);
    expect(disposition).toBe(
      `attachment; filename="articles-${ID}.csv"; filename*=UTF-8''${encodeURIComponent(`大连日报-articles-${ID}.csv`)}`,
    );
    const star = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? '';
    expect(decodeURIComponent(star)).toBe(`大连日报-articles-${ID}.csv`);
  });

  it('marks files under /releases/ immutable and names the Excel flavour apart', async () => {
    const res = await get(base, `/releases/${ID}/excel/articles.csv`);
    expect(res.status).toBe(200);
    expect(res.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(decodeURIComponent(String(res.headers['content-disposition']).split("''")[1] ?? '')).toBe(
      `大连日报-articles-excel-${ID}.csv`,
    );
    const ndjson = await get(base, `/releases/${ID}/articles.ndjson`);
    expect(ndjson.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const manifest = await get(base, `/releases/${ID}/manifest.json`);
    expect(manifest.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(manifest.body.toString()).release_id).toBe(ID);
    const older = await get(base, `/releases/${OLD}/articles.csv`);
    expect(older.body.toString()).toBe(articlesCsv(3));
  });

  it('answers 304 to a matching If-None-Match, strong or weak, and 200 to another tag', async () => {
    const tag = `"${sha('articles.csv')}"`;
    const same = await get(base, '/current/articles.csv', { 'If-None-Match': tag });
    expect(same.status).toBe(304);
    expect(same.body.length).toBe(0);
    expect(same.headers.etag).toBe(tag);
    expect((await get(base, '/current/articles.csv', { 'If-None-Match': `"x", W/${tag}` })).status).toBe(304);
    expect((await get(base, '/current/articles.csv', { 'If-None-Match': '"0000"' })).status).toBe(200);
  });

  it('serves byte ranges: single, suffix, clipped, overlapping, multiple, beyond the end, malformed', async () => {
    const bytes = Buffer.from(csv);
    const single = await get(base, '/current/articles.csv', { Range: 'bytes=0-9' });
    expect(single.status).toBe(206);
    expect(single.headers['content-range']).toBe(`bytes 0-9/${bytes.length}`);
    expect(single.body).toEqual(bytes.subarray(0, 10));

    const suffix = await get(base, '/current/articles.csv', { Range: 'bytes=-7' });
    expect(suffix.status).toBe(206);
    expect(suffix.body).toEqual(bytes.subarray(bytes.length - 7));

    const clipped = await get(base, '/current/articles.csv', { Range: `bytes=100-${bytes.length + 500}` });
    expect(clipped.status).toBe(206);
    expect(clipped.headers['content-range']).toBe(`bytes 100-${bytes.length - 1}/${bytes.length}`);
    expect(clipped.body).toEqual(bytes.subarray(100));

    const overlapping = await get(base, '/current/articles.csv', { Range: 'bytes=0-5,3-9' });
    expect(overlapping.status).toBe(206);
    expect(overlapping.body).toEqual(bytes.subarray(0, 10));

    const multiple = await get(base, '/current/articles.csv', { Range: 'bytes=0-1,20-29' });
    expect(multiple.status).toBe(200);
    expect(multiple.body).toEqual(bytes);

    const beyond = await get(base, '/current/articles.csv', { Range: `bytes=${bytes.length + 10}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${bytes.length}`);

    for (const malformed of ['bytes=abc', 'pages=1-2', 'bytes=9-3']) {
      const res = await get(base, '/current/articles.csv', { Range: malformed });
      expect([200, 416]).toContain(res.status);
      if (res.status === 200) expect(res.body).toEqual(bytes);
    }
  });

  it('gzips when asked, with a weak tag, and never gzips a range', async () => {
    const res = await get(base, '/current/articles.csv', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers.etag).toBe(`W/"${sha('articles.csv')}"`);
    expect(gunzipSync(res.body).toString()).toBe(csv);

    const refused = await get(base, '/current/articles.csv', { 'Accept-Encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();

    const ranged = await get(base, '/current/articles.csv', {
      'Accept-Encoding': 'gzip',
      Range: 'bytes=0-3',
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-encoding']).toBeUndefined();

    const page = await get(base, '/', { 'Accept-Encoding': 'gzip' });
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(page.body).toString()).toContain('<html lang="zh-CN">');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get(base, '/current/articles.csv', {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(csv));
    expect(res.body.length).toBe(0);
  });

  const attempts = [
    '/current/../secret.txt',
    '/current/%2e%2e/secret.txt',
    '/current/%2e%2e%2fsecret.txt',
    '/current/%2E%2E%2F%2E%2E%2Fsecret.txt',
    `/releases/${ID}/..%5c..%5csecret.txt`,
    `/releases/${ID}/..\\..\\secret.txt`,
    '/releases/%2e%2e/secret.txt',
    '/releases/../../secret.txt',
    '/current//etc/passwd',
    '/current/%2Fetc%2Fpasswd',
    '/current/%2fetc/passwd',
    '/releases//etc/passwd',
    `/releases/${ID}/articles.csv%00.txt`,
    `/releases/${ID}/%00`,
    '/current/secret.txt',
    '/current/people.csv',
    '/releases/r-evil0000/articles.csv',
    '/releases/r-evil0000/manifest.json',
    '/current/%zz',
    '/current/excel/../articles.csv',
    '/current/./articles.csv',
    '/current/',
    '/current',
    '/releases/',
    `/releases/${ID}`,
    `/releases/${ID}/`,
    `/releases/${ID}/nope.csv`,
    '/releases/not-an-id/articles.csv',
    '/etc/passwd',
    '/state.json',
  ];

  it.each(attempts)('answers %s with 404 and never a file', async (path) => {
    const res = await get(base, path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain(SECRET);
    expect(res.body.toString()).not.toContain('a~00000001');
  });

  it('renders the catalog in Chinese with every value escaped', async () => {
    const res = await get(base, '/');
    const html = res.body.toString();
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('大连日报');
    expect(html).toContain('数据集');
    expect(html).toContain('文章编号');
    expect(html).toContain(`href="/releases/${ID}/excel/articles.csv"`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;标题');
    expect(html).not.toContain('<script>');
    expect(html).toContain('~a~00000001');
  });

  it('publishes an Atom feed with one entry per release', async () => {
    const res = await get(base, '/feed.xml');
    const xml = res.body.toString();
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(xml.match(/<entry>/g)?.length).toBe(2);
    expect(xml).toContain(`urn:newsdata:release:${ID}`);
    expect(xml).toContain('+a~00000004');
  });

  it('reports health from the current release and state.json', async () => {
    const ok = await get(base, '/healthz');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toMatchObject({
      status: 'ok',
      current_release: ID,
      last_error: null,
    });
    await writeState(out, {
      last_run: '2025-01-08T03:00:00.000Z',
      last_success: '2025-01-08T02:00:00.000Z',
      last_error: { time: '2025-01-08T03:00:01.000Z', code: 'DATA_INVALID', message: 'bad bytes' },
      current_release: ID,
      source_hashes: {},
    });
    const degraded = JSON.parse((await get(base, '/healthz')).body.toString());
    expect(degraded).toMatchObject({
      status: 'degraded',
      current_release: ID,
      last_error: { code: 'DATA_INVALID' },
    });
  });

  it('adds the replica part to /healthz, and says degraded while Redis is down', async () => {
    let redisUp = true;
    const replicaOf = () => ({
      replicaId: 'host-1-abcdef',
      redis: redisUp
        ? { url: 'redis://127.0.0.1:6379', up: true }
        : {
            url: 'redis://127.0.0.1:6379',
            up: false,
            error: { code: 'COORDINATOR_UNAVAILABLE', message: 'connection refused' },
          },
      holdsLease: false,
      leases: [],
    });
    const store = await tempDir();
    await writeRelease(store, { id: ID, files: { 'articles.csv': csv } });
    const replica = await serve({
      out: store,
      port: 0,
      host: '127.0.0.1',
      replica: async () => replicaOf(),
    });
    try {
      const up = await get(replica.url, '/healthz');
      expect(up.status).toBe(200);
      expect(JSON.parse(up.body.toString())).toMatchObject({
        status: 'ok',
        replica: { replicaId: 'host-1-abcdef', redis: { up: true }, holdsLease: false },
      });
      redisUp = false;
      const down = await get(replica.url, '/healthz');
      expect(down.status).toBe(200);
      expect(JSON.parse(down.body.toString())).toMatchObject({
        status: 'degraded',
        current_release: ID,
        replica: { redis: { up: false, error: { code: 'COORDINATOR_UNAVAILABLE' } } },
      });
    } finally {
      await replica.app.close();
    }
  });

  it('reports an error status before the first release', async () => {
    const empty = await serve({ out: await tempDir(), port: 0, host: '127.0.0.1' });
    try {
      const res = await get(empty.url, '/healthz');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body.toString())).toMatchObject({ status: 'error', current_release: null });
      expect((await get(empty.url, '/current/articles.csv')).status).toBe(404);
      expect((await get(empty.url, '/')).body.toString()).toContain('尚无发布');
    } finally {
      await empty.app.close();
    }
  });
});

/** Awkward characters for headers (quotes, CR, LF, NUL, `;`, `%`) among ASCII and CJK text. */
const nameCharacter = fc.oneof(
  fc.constantFrom('"', '\r', '\n', '\0', '\\', ';', '%', "'", ' ', '大', '连', '日', '报'),
  fc.integer({ min: 0, max: 0x9fff }).map((code) => String.fromCodePoint(code)),
);

describe('download headers', () => {
  it('never lets a name inject a header, and keeps the full name in filename*', () => {
    fc.assert(
      fc.property(fc.string({ unit: nameCharacter }), (name) => {
        const header = contentDisposition(name);
        const parts = /^attachment; filename="([^"\\]*)"; filename\*=UTF-8''([A-Za-z0-9%!._~-]*)$/.exec(
          header,
        );
        return parts !== null && !/[\r\n\0]/.test(header) && decodeURIComponent(parts[2]!) === name;
      }),
    );
  });

  it('never yields a segment that climbs or hides a separator', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('..', '.', '%2e', '%2E', '%2f', '%5c', '%00', 'a', 'b.csv', '', '\\')),
        (parts) => {
          const segments = safeSegments(parts.join('/'));
          if (segments === null) return;
          for (const segment of segments) {
            expect(['', '.', '..']).not.toContain(segment);
            expect(segment).not.toMatch(/[/\\\0]/);
          }
        },
      ),
    );
  });
});

describe('revalidation and request logs', () => {
  it('answers 304 under /current/ for the release current points at, and follows a switch', async () => {
    const out = await tempDir();
    const first = await writeRelease(out, { id: ID, files: { 'articles.csv': csv } });
    const tag = `"${first.files.find((file) => file.path === 'articles.csv')!.sha256}"`;
    const app = await serve({ out, port: 0, host: '127.0.0.1' });
    try {
      // The first answer warms the caches; the next ones come from them.
      for (let i = 0; i < 3; i++) {
        const res = await get(app.url, '/current/articles.csv', { 'If-None-Match': tag });
        expect(res.status).toBe(304);
        expect(res.headers.etag).toBe(tag);
        expect(res.headers['cache-control']).toBe('public, max-age=60');
        expect(res.headers.vary).toBe('Accept-Encoding');
      }
      const head = await get(app.url, `/releases/${ID}/articles.csv?x=1`, { 'If-None-Match': tag }, 'HEAD');
      expect(head.status).toBe(304);
      expect(head.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect((await get(app.url, `/releases/${ID}/articles.csv`, { 'If-None-Match': '"0"' })).status).toBe(
        200,
      );

      const newer = articlesCsv(41);
      await writeRelease(out, { id: OLD, files: { 'articles.csv': newer } });
      // /healthz reads the link itself; once it names the new release, /current/ serves it too.
      for (let i = 0; i < 500; i++) {
        const health = JSON.parse((await get(app.url, '/healthz')).body.toString());
        if (health.current_release === OLD) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const after = await get(app.url, '/current/articles.csv', { 'If-None-Match': tag });
      expect(after.status).toBe(200);
      expect(after.body.toString()).toBe(newer);
      // A release that is not current answers from its own manifest, not from current's.
      expect((await get(app.url, `/releases/${ID}/articles.csv`, { 'If-None-Match': tag })).status).toBe(304);
      expect((await get(app.url, `/releases/${OLD}/articles.csv`, { 'If-None-Match': tag })).status).toBe(
        200,
      );
    } finally {
      await app.app.close();
    }
  });

  it('sends a file of several read chunks whole, and leaves If-Match to its precondition rules', async () => {
    const out = await tempDir();
    const big = articlesCsv(12_000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(1_200_000);
    const manifest = await writeRelease(out, { id: ID, files: { 'articles.csv': big } });
    const tag = `"${manifest.files.find((file) => file.path === 'articles.csv')!.sha256}"`;
    const app = await serve({ out, port: 0, host: '127.0.0.1' });
    try {
      const whole = await get(app.url, '/current/articles.csv');
      expect(whole.status).toBe(200);
      expect(Number(whole.headers['content-length'])).toBe(Buffer.byteLength(big));
      expect(whole.body.equals(Buffer.from(big))).toBe(true);
      const head = await get(app.url, '/current/articles.csv', {}, 'HEAD');
      expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(big));
      expect(head.body.length).toBe(0);
      expect((await get(app.url, '/current/articles.csv', { 'If-Match': '"0000"' })).status).toBe(412);
      const matching = await get(app.url, '/current/articles.csv', { 'If-Match': tag });
      expect(matching.status).toBe(200);
      expect(matching.body.equals(Buffer.from(big))).toBe(true);
    } finally {
      await app.app.close();
    }
  });

  it('sends whole files to many clients at once byte for byte, and closes the file of a client that leaves', async () => {
    const out = await tempDir();
    const big = articlesCsv(30_000);
    // Larger than loopback's socket buffers can hold: a client that stops reading fills them.
    const huge = articlesCsv(160_000, '市人大常委会');
    await writeRelease(out, { id: ID, files: { 'articles.csv': big, 'paragraphs.csv': huge } });
    const app = await serve({ out, port: 0, host: '127.0.0.1' });
    // Files of the release this process holds open (sockets and the rest are not counted).
    const openFiles = async () => {
      let count = 0;
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
        if (target.startsWith(out)) count++;
      }
      return count;
    };
    try {
      const url = new URL(app.url);
      // Clients that read the first bytes and hang up.
      const leavers = Array.from(
        { length: 6 },
        () =>
          new Promise<void>((resolve) => {
            const req = httpRequest(
              { host: url.hostname, port: url.port, path: '/current/articles.csv' },
              (res) => {
                res.once('data', () => {
                  req.destroy();
                  resolve();
                });
              },
            );
            req.on('error', () => resolve());
            req.end();
          }),
      );
      // Clients that stop reading for a while: the socket fills, and the server must not reuse a block
      // the socket still holds.
      const slow = Array.from(
        { length: 2 },
        () =>
          new Promise<Response>((resolve, reject) => {
            const req = httpRequest(
              { host: url.hostname, port: url.port, path: '/current/paragraphs.csv' },
              (res) => {
                const chunks: Buffer[] = [];
                res.once('data', () => {
                  res.pause();
                  setTimeout(() => res.resume(), 500);
                });
                res.on('data', (chunk: Buffer) => chunks.push(chunk));
                res.on('end', () =>
                  resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
                );
              },
            );
            req.on('error', reject);
            req.end();
          }),
      );
      const whole = await Promise.all([
        ...Array.from({ length: 8 }, () => get(app.url, '/current/articles.csv')),
        ...slow,
        ...leavers,
      ]);
      for (const [i, response] of (whole.slice(0, 10) as Response[]).entries()) {
        expect(response.status).toBe(200);
        expect(response.body.equals(Buffer.from(i < 8 ? big : huge))).toBe(true);
      }
      await expect.poll(openFiles, { timeout: 5000 }).toBe(0);
    } finally {
      await app.app.close();
    }
  });

  it('logs no line for a routine request, and an error line for a 5xx', async () => {
    const out = await tempDir();
    const manifest = await writeRelease(out, { id: ID, files: { 'articles.csv': csv } });
    const tag = `"${manifest.files.find((file) => file.path === 'articles.csv')!.sha256}"`;
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    let broken = false;
    const app = await serve({
      out,
      port: 0,
      host: '127.0.0.1',
      logger,
      replica: async () => {
        if (broken) throw new Error('replica status unavailable');
        return {};
      },
    });
    // Only fastify's "Server listening" line so far.
    expect(lines.map((line) => line.msg)).toEqual([expect.stringMatching(/^Server listening/)]);
    lines.length = 0;
    try {
      expect((await get(app.url, '/current/articles.csv')).status).toBe(200);
      expect((await get(app.url, '/current/articles.csv', { 'If-None-Match': tag })).status).toBe(304);
      expect((await get(app.url, '/current/nope.csv')).status).toBe(404);
      expect((await get(app.url, '/current/%zz')).status).toBe(404);
      expect((await get(app.url, '/')).status).toBe(200);
      expect((await get(app.url, '/healthz')).status).toBe(200);
      expect(lines, JSON.stringify(lines)).toEqual([]);
      broken = true;
      expect((await get(app.url, '/healthz')).status).toBe(500);
      expect(
        lines.some(
          (line) => line.level === 50 && JSON.stringify(line).includes('replica status unavailable'),
        ),
      ).toBe(true);
    } finally {
      await app.app.close();
    }
  });
});
