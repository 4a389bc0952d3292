import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { cacheKey, UrlCache } from './cache.js';
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
