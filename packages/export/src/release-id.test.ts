import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf, fixtureTables, sha256 } from './fixtures.test-data.js';
import { planRelease } from './plan.js';
import { releaseIdFor } from './release-id.js';

const hashes = () =>
  planRelease(fixtureTables()).map((file) => ({ path: file.path, sha256: sha256(bytesOf(file)) }));

describe('releaseIdFor', () => {
  it('matches the manifest pattern and does not depend on the order of the files', () => {
    const files = hashes();
    const id = releaseIdFor(files);
    expect(id).toMatch(/^[0-9a-z][0-9a-z-]{7,63}$/);
    fc.assert(
      fc.property(fc.shuffledSubarray(files, { minLength: files.length }), (shuffled) => {
        expect(releaseIdFor(shuffled)).toBe(id);
      }),
    );
  });

  it('changes when one file changes', () => {
    const tables = fixtureTables();
    const before = releaseIdFor(hashes());
    tables.paragraphs[0] = { ...tables.paragraphs[0]!, text: `${tables.paragraphs[0]!.text}。` };
    const after = releaseIdFor(
      planRelease(tables).map((file) => ({ path: file.path, sha256: sha256(bytesOf(file)) })),
    );
    expect(after).not.toBe(before);
  });

  it('refuses no files, a bad hash or a file listed twice', () => {
    expect(() => releaseIdFor([])).toThrow(expect.objectContaining({ code: 'RELEASE_ID_NO_FILES' }));
    expect(() => releaseIdFor([{ path: 'a.csv', sha256: 'XYZ' }])).toThrow(
      expect.objectContaining({ code: 'RELEASE_ID_HASH_INVALID' }),
    );
    const file = { path: 'a.csv', sha256: 'a'.repeat(64) };
    expect(() => releaseIdFor([file, file])).toThrow(
      expect.objectContaining({ code: 'RELEASE_ID_DUPLICATE_PATH' }),
    );
  });
});
