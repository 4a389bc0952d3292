import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { cacheKey, SourceCache, UrlCache } from './cache.js';
import { sha256Hex } from './fsutil.js';

const parts = { source_id: '2025-01-08-a01', sha256: sha256Hex('版面'), metaSha256: null };

describe('cacheKey', () => {
  it('changes when any part changes: source id, bytes, sidecar, tool version', () => {
    const base = cacheKey(parts);
    expect(cacheKey({ ...parts })).toBe(base);
    expect(cacheKey({ ...parts, source_id: '2025-01-08-a02' })).not.toBe(base);
    expect(cacheKey({ ...parts, sha256: sha256Hex('版面2') })).not.toBe(base);
    expect(cacheKey({ ...parts, metaSha256: sha256Hex('{}') })).not.toBe(base);
    expect(cacheKey({ ...parts, version: '9.9.9' })).not.toBe(base);
  });

  it('does not collide when parts shift between fields', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
        fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
        (a, b) => {
          fc.pre(a !== b);
          expect(cacheKey({ ...parts, source_id: a, version: b })).not.toBe(
            cacheKey({ ...parts, source_id: b, version: a }),
          );
        },
      ),
    );
  });
});

describe('SourceCache', () => {
  it('returns what was put, across instances (a new run)', async () => {
    const out = await tempDir();
    const key = cacheKey(parts);
    const value = { tables: { articles: [{ title: '市政协召开党组会议' }] }, encoding: 'utf-8' };
    await new SourceCache(out).put(key, value);
    expect(await new SourceCache(out).get(key)).toEqual(value);
    expect(await new SourceCache(out).get(cacheKey({ ...parts, source_id: 'other' }))).toBeNull();
  });

  it('ignores a corrupt or mismatched entry, and a rebuild replaces it', async () => {
    const out = await tempDir();
    const cache = new SourceCache<{ n: number }>(out);
    const key = cacheKey(parts);
    await cache.put(key, { n: 1 });
    const file = join(cache.dir, `${key}.json`);
    await writeFile(file, '{"format":1,"key":"');
    expect(await cache.get(key)).toBeNull();
    await writeFile(file, JSON.stringify({ format: 1, key: 'someone-else', value: { n: 2 } }));
    expect(await cache.get(key)).toBeNull();
    await cache.put(key, { n: 3 });
    expect(await cache.get(key)).toEqual({ n: 3 });
  });

  it('prune removes entries the run did not use, and stray temporary files', async () => {
    const out = await tempDir();
    const first = new SourceCache<number>(out);
    const keys = ['a', 'b', 'c'].map((source_id) => cacheKey({ ...parts, source_id }));
    for (const [i, key] of keys.entries()) await first.put(key, i);
    await writeFile(join(first.dir, `${keys[0]}.json.abc.tmp`), 'half');
    const second = new SourceCache<number>(out);
    expect(await second.get(keys[1]!)).toBe(1);
    expect(await second.prune()).toBe(3);
    expect(await readdir(second.dir)).toEqual([`${keys[1]}.json`]);
  });
});

describe('UrlCache', () => {
  it('remembers the validators and bytes of a fetch, and forgets a state whose bytes are gone or corrupt', async () => {
    const out = await tempDir();
    const bytes = new TextEncoder().encode('本报讯 昨日');
    const sha256 = sha256Hex(bytes);
    const cache = new UrlCache(out);
    await cache.remember('page', { url: 'http://example.test/page.txt', etag: '"v1"', sha256 }, bytes);
    const again = new UrlCache(out);
    expect(await again.previous('page')).toEqual({
      url: 'http://example.test/page.txt',
      etag: '"v1"',
      sha256,
    });
    expect(await again.bytes(sha256)).toEqual(bytes);
    await writeFile(join(again.dir, `${sha256}.bytes`), 'tampered');
    expect(await again.previous('page')).toBeNull();
  });
});
