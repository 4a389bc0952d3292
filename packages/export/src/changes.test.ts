import { schemaOf, tableNames } from '@newsdata/contract';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  changesJsonChunks,
  diffReleases,
  digestsFromNdjson,
  type RowDigests,
  rowDigests,
} from './changes.js';
import { bytesOf, fileAt, fixtureTables } from './fixtures.test-data.js';
import { serializeJson } from './json.js';
import { planRelease } from './plan.js';

const ids = { release_id: 'b2c3d4e5f6a7b8c9', previous_release_id: 'a1b2c3d4e5f6a7b8' };

/** The fixture with one paragraph edited, and its article's text with it, as a re-parse would give. */
function editedTables() {
  const tables = fixtureTables();
  const id = '2025-01-09-a01~3f2a9c1d';
  tables.paragraphs = tables.paragraphs.map((row) =>
    row.article_id === id && row.seq === 2 ? { ...row, text: row.text.replace('93.83%', '94.12%') } : row,
  );
  tables.articles = tables.articles.map((row) =>
    row.article_id === id ? { ...row, text: row.text.replace('93.83%', '94.12%') } : row,
  );
  return tables;
}

describe('change log', () => {
  it('names exactly the rows that changed', () => {
    const changes = diffReleases(rowDigests(fixtureTables()), rowDigests(editedTables()), ids);
    expect(changes.release_id).toBe(ids.release_id);
    expect(changes.previous_release_id).toBe(ids.previous_release_id);
    expect(changes.tables).toEqual({
      articles: { added: [], removed: [], changed: ['2025-01-09-a01~3f2a9c1d'] },
      paragraphs: { added: [], removed: [], changed: ['2025-01-09-a01~3f2a9c1d|2'] },
      statistics: { added: [], removed: [], changed: [] },
      people: { added: [], removed: [], changed: [] },
      documents: { added: [], removed: [], changed: [] },
    });
  });

  it('lists added and removed keys sorted, and everything as added for a first release', () => {
    const before = fixtureTables();
    const after = fixtureTables();
    after.documents = after.documents.filter((row) => row.title !== '中华人民共和国民法典');
    after.documents.push({ article_id: '2025-01-10-b03~9c4d1e77', title: '大连市供热条例', mentions: 1 });
    after.documents.push({ article_id: '2025-01-09-a01~0b7e4a65', title: '政协章程', mentions: 3 });
    const changes = diffReleases(rowDigests(before), rowDigests(after), ids);
    expect(changes.tables['documents']).toEqual({
      added: ['2025-01-09-a01~0b7e4a65|政协章程', '2025-01-10-b03~9c4d1e77|大连市供热条例'],
      removed: ['2025-01-09-a01~0b7e4a65|中华人民共和国民法典'],
      changed: [],
    });
    const first = diffReleases(null, rowDigests(before), {
      release_id: ids.release_id,
      previous_release_id: null,
    });
    expect(first.tables['people']!.added).toHaveLength(before.people.length);
    expect(first.tables['people']!.added).toEqual([...first.tables['people']!.added].sort());
  });

  it('refuses tables with a duplicate key', () => {
    const tables = fixtureTables();
    tables.people.push(tables.people[0]!);
    expect(() => rowDigests(tables)).toThrow(expect.objectContaining({ code: 'EXPORT_DUPLICATE_KEY' }));
  });

  it('writes what the changes schema accepts', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schemaOf('changes'));
    const changes = diffReleases(rowDigests(fixtureTables()), rowDigests(editedTables()), ids);
    expect(validate(changes), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rebuilds the digests from the NDJSON files however they are chunked', async () => {
    const tables = fixtureTables();
    const expected = rowDigests(tables);
    const files = planRelease(tables);
    for (const table of tableNames) {
      const bytes = bytesOf(fileAt(files, `${table}.ndjson`));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat(bytes.length), { maxLength: 8 }),
          fc.boolean(),
          async (cuts, asText) => {
            const points = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
            const pieces = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
            const chunks = asText ? [Buffer.from(bytes).toString('utf8')] : pieces;
            const rebuilt = await digestsFromNdjson(table, chunks);
            expect([...rebuilt]).toEqual([...expected[table]]);
          },
        ),
        { numRuns: 30 },
      );
    }
  });

  it('accepts an async stream and finds no change against the same release', async () => {
    const tables = fixtureTables();
    const files = planRelease(tables);
    const previous = {} as RowDigests;
    for (const table of tableNames) {
      async function* stream() {
        yield* fileAt(files, `${table}.ndjson`).chunks();
      }
      previous[table] = await digestsFromNdjson(table, stream());
    }
    const changes = diffReleases(previous, rowDigests(tables), ids);
    for (const table of tableNames)
      expect(changes.tables[table]).toEqual({ added: [], removed: [], changed: [] });
  });

  it('reports the line of a broken NDJSON file', async () => {
    const chunks = ['{"article_id":"a~00000000","title":"t","mentions":1}\n', '{"article_id":\n'];
    await expect(digestsFromNdjson('documents', chunks, { file: 'documents.ndjson' })).rejects.toMatchObject({
      code: 'NDJSON_LINE_INVALID',
      fault: 'data',
      context: { file: 'documents.ndjson', line: 2 },
    });
    await expect(
      digestsFromNdjson('documents', [Uint8Array.of(0x7b, 0xff, 0x7d, 0x0a)]),
    ).rejects.toMatchObject({
      code: 'NDJSON_LINE_INVALID',
    });
  });
});

describe('changesJsonChunks', () => {
  const key = fc.string({
    unit: fc.constantFrom('a', '~', '|', '"', '\\', '\n', '市', '𠀀', '\u0000', '1'),
    maxLength: 8,
  });
  const lists = fc.record({
    added: fc.array(key, { maxLength: 300 }),
    removed: fc.array(key, { maxLength: 3 }),
    changed: fc.array(key, { maxLength: 3 }),
  });
  it('writes the bytes of serializeJson, in chunks, for any change log', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...tableNames), lists),
        fc.option(fc.stringMatching(/^[0-9a-f]{16}$/), { nil: null }),
        (tables, previous) => {
          const changes = { release_id: 'abcdef0123456789', previous_release_id: previous, tables };
          const chunks = [...changesJsonChunks(changes)];
          expect(Buffer.concat(chunks).equals(serializeJson(changes))).toBe(true);
        },
      ),
    );
  });
});
