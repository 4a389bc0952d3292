import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { finished, firstLine, startChild, tempDir } from '../test/helpers.js';
import { sha256Hex } from './fsutil.js';
import { discoverSources, readSource, type SourceRef } from './sources.js';

const page = '市政协召开党组会议\n\n本报讯(记者石朕)昨日,市政协召开党组会议。\n';

async function sourcesDir() {
  const dir = await tempDir();
  await writeFile(join(dir, '2025-01-08-a01.txt'), page);
  await writeFile(
    join(dir, '2025-01-08-a01.meta.json'),
    JSON.stringify({ publication: '大连日报', page: 'A01' }),
  );
  await writeFile(join(dir, 'b-page.txt'), page);
  await writeFile(join(dir, 'notes.md'), 'not a source');
  await writeFile(join(dir, 'orphan.meta.json'), '{}');
  return dir;
}

describe('discoverSources', () => {
  it('finds the .txt files of a directory with their sidecars, sorted by id', async () => {
    const dir = await sourcesDir();
    expect(await discoverSources([dir])).toEqual([
      {
        kind: 'file',
        source_id: '2025-01-08-a01',
        file: join(dir, '2025-01-08-a01.txt'),
        metaFile: join(dir, '2025-01-08-a01.meta.json'),
      },
      { kind: 'file', source_id: 'b-page', file: join(dir, 'b-page.txt'), metaFile: null },
    ]);
  });

  it('takes a single file with the sidecar beside it, and the same file twice once', async () => {
    const dir = await sourcesDir();
    const file = join(dir, '2025-01-08-a01.txt');
    const refs = await discoverSources([file, file, dir]);
    expect(refs.map((ref) => ref.source_id)).toEqual(['2025-01-08-a01', 'b-page']);
    expect(refs[0]).toMatchObject({ metaFile: join(dir, '2025-01-08-a01.meta.json') });
  });

  it('takes a URL, its id from the last path segment', async () => {
    expect(await discoverSources(['https://example.test/papers/2025-01-08-a01.txt?x=1'])).toEqual([
      { kind: 'url', source_id: '2025-01-08-a01', url: 'https://example.test/papers/2025-01-08-a01.txt?x=1' },
    ]);
  });

  it('rejects a file name that is not a valid id, as a data error naming the file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '大连 日报.txt'), page);
    await expect(discoverSources([dir])).rejects.toMatchObject({
      code: 'SOURCE_ID_INVALID',
      fault: 'data',
      context: { file: join(dir, '大连 日报.txt') },
    });
  });

  it('rejects two different sources with the same id', async () => {
    const a = await sourcesDir();
    const b = await sourcesDir();
    await expect(discoverSources([a, b])).rejects.toMatchObject({
      code: 'SOURCE_DUPLICATE_ID',
      fault: 'data',
    });
  });

  it('reports a missing path as a runtime error', async () => {
    const dir = await tempDir();
    await expect(discoverSources([join(dir, 'nope')])).rejects.toMatchObject({
      code: 'SOURCE_NOT_FOUND',
      fault: 'runtime',
    });
  });
});

describe('readSource (files)', () => {
  it('hashes the bytes and reads the sidecar; the date comes from the file name', async () => {
    const dir = await sourcesDir();
    const [ref] = await discoverSources([join(dir, '2025-01-08-a01.txt')]);
    const source = await readSource(ref!);
    expect(source).toMatchObject({
      source_id: '2025-01-08-a01',
      sha256: sha256Hex(page),
      meta: { publication: '大连日报', page: 'A01' },
      date: '2025-01-08',
    });
    expect(new TextDecoder().decode(source.bytes)).toBe(page);
    expect(source.metaSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prefers the sidecar date, and ignores a prefix that is not a real date', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '2025-01-08-a01.txt'), page);
    await writeFile(join(dir, '2025-01-08-a01.meta.json'), JSON.stringify({ date: '2025-01-09' }));
    await writeFile(join(dir, '2025-02-30-a01.txt'), page);
    const refs = await discoverSources([dir]);
    expect((await readSource(refs[0]!)).date).toBe('2025-01-09');
    expect((await readSource(refs[1]!)).date).toBeNull();
  });

  it('rejects a sidecar that is not JSON, naming the file and the line', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.txt'), page);
    await writeFile(join(dir, 'p.meta.json'), '{\n  "publication": "大连日报",\n}');
    const [ref] = await discoverSources([dir]);
    await expect(readSource(ref!)).rejects.toMatchObject({
      code: 'SOURCE_META_INVALID',
      fault: 'data',
      context: { file: join(dir, 'p.meta.json'), line: 3 },
    });
  });

  it('rejects a sidecar that breaks the schema, naming the field', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.txt'), page);
    await writeFile(
      join(dir, 'p.meta.json'),
      JSON.stringify({ publication: '大连日报', date: '2025-02-30' }),
    );
    const [ref] = await discoverSources([dir]);
    const error = await readSource(ref!).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SOURCE_META_INVALID', fault: 'data', context: { field: 'date' } });
    expect((error as Error).message).toContain('p.meta.json');
  });

  it('rejects a file larger than maxBytes', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.txt'), page);
    const [ref] = await discoverSources([dir]);
    await expect(readSource(ref!, { maxBytes: 10 })).rejects.toMatchObject({ code: 'SOURCE_TOO_LARGE' });
  });

  // The guarantee holds for writers that do not stall for longer than settleMs in the middle of a
  // write (a writer that truncates and then sleeps is indistinguishable from an empty file).
  it('never returns a torn read of a file that is rewritten while it is read', async () => {
    const dir = await tempDir();
    const file = join(dir, 'busy.txt');
    await writeFile(file, `1|${'x'.repeat(40_000)}|1`);
    const writer = startChild('rewriter', [file]);
    const done = finished(writer);
    await firstLine(writer);
    const ref: SourceRef = { kind: 'file', source_id: 'busy', file, metaFile: null };
    let whole = 0;
    let unstable = 0;
    try {
      for (let i = 0; i < 15; i++) {
        const read = await readSource(ref, { retries: 3, settleMs: 300 }).then(
          (source) => new TextDecoder().decode(source.bytes),
          (error: unknown) => error,
        );
        if (typeof read !== 'string') {
          expect(read).toMatchObject({ code: 'SOURCE_UNSTABLE', fault: 'runtime' });
          unstable++;
          continue;
        }
        const match = /^(\d+)\|(x*)\|(\d+)$/.exec(read);
        expect(match, `torn read of ${read.length} characters`).not.toBeNull();
        expect(match![1]).toBe(match![3]);
        expect(match![2]!.length).toBe(Number(match![1]) * 40_000);
        whole++;
      }
    } finally {
      writer.kill('SIGKILL');
      await done;
    }
    expect(whole + unstable).toBe(15);
  }, 60_000);
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(handler: Handler): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const urlRef = (url: string): SourceRef => ({ kind: 'url', source_id: 'page', url });

describe('readSource (URLs)', () => {
  it('fetches the bytes, keeps the validators, and answers 304 with notModified', async () => {
    let requests = 0;
    const base = await serve((req, res) => {
      requests++;
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { etag: '"v1"', 'last-modified': 'Wed, 08 Jan 2025 00:00:00 GMT' }).end(page);
    });
    const first = await readSource(urlRef(`${base}/page.txt`));
    expect(first).toMatchObject({
      sha256: sha256Hex(page),
      etag: '"v1"',
      lastModified: 'Wed, 08 Jan 2025 00:00:00 GMT',
    });
    expect(new TextDecoder().decode(first.bytes)).toBe(page);
    const second = await readSource(urlRef(`${base}/page.txt`), {
      previous: { etag: first.etag, lastModified: first.lastModified, sha256: first.sha256 },
    });
    expect(second).toMatchObject({ notModified: true, sha256: first.sha256 });
    expect(requests).toBe(2);
  });

  it('retries a 5xx answer with backoff, and not a 4xx one', async () => {
    let requests = 0;
    const base = await serve((req, res) => {
      requests++;
      if (req.url === '/missing.txt') res.writeHead(404).end();
      else if (requests < 3) res.writeHead(503).end();
      else res.writeHead(200).end(page);
    });
    expect((await readSource(urlRef(`${base}/page.txt`), { backoffMs: 1 })).sha256).toBe(sha256Hex(page));
    expect(requests).toBe(3);
    requests = 0;
    await expect(readSource(urlRef(`${base}/missing.txt`), { backoffMs: 1 })).rejects.toMatchObject({
      code: 'SOURCE_HTTP_STATUS',
    });
    expect(requests).toBe(1);
  });

  it('fails with SOURCE_FETCH_FAILED when every attempt fails', async () => {
    const base = await serve((_req, res) => res.writeHead(500).end());
    await expect(readSource(urlRef(`${base}/page.txt`), { backoffMs: 1, retries: 2 })).rejects.toMatchObject({
      code: 'SOURCE_FETCH_FAILED',
      message: expect.stringContaining('3 attempts'),
    });
  });

  it('gives up on a server that does not answer within timeoutMs', async () => {
    const base = await serve(() => undefined);
    await expect(
      readSource(urlRef(`${base}/page.txt`), { timeoutMs: 100, retries: 1, backoffMs: 1 }),
    ).rejects.toMatchObject({ code: 'SOURCE_FETCH_FAILED', message: expect.stringContaining('100 ms') });
  });

  it('enforces the byte limit while streaming a body of unknown length', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      const write = (n: number) => (n === 0 ? res.end() : res.write('x'.repeat(1000), () => write(n - 1)));
      write(100);
    });
    await expect(readSource(urlRef(`${base}/page.txt`), { maxBytes: 5000 })).rejects.toMatchObject({
      code: 'SOURCE_TOO_LARGE',
    });
  });

  it('follows redirects up to maxRedirects', async () => {
    const base = await serve((req, res) => {
      const n = Number(req.url!.slice(1));
      if (n > 0) res.writeHead(302, { location: `/${n - 1}` }).end();
      else res.writeHead(200).end(page);
    });
    expect((await readSource(urlRef(`${base}/3`), { maxRedirects: 3 })).sha256).toBe(sha256Hex(page));
    await expect(readSource(urlRef(`${base}/4`), { maxRedirects: 3 })).rejects.toMatchObject({
      code: 'SOURCE_TOO_MANY_REDIRECTS',
    });
  });
});

describe('readSource of a directory entry that vanished', () => {
  it('is SOURCE_NOT_FOUND', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'sub'));
    const ref: SourceRef = {
      kind: 'file',
      source_id: 'gone',
      file: join(dir, 'sub', 'gone.txt'),
      metaFile: null,
    };
    await expect(readSource(ref)).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
  });
});
