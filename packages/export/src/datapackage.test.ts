import { columnsOf, tableNames } from '@newsdata/contract';
import { describe, expect, it } from 'vitest';
import { buildDataPackage, type ReleaseOptions, tableSchemaOf, type WrittenFile } from './datapackage.js';
import { bytesOf, fixtureTables, sha256 } from './fixtures.test-data.js';
import { serializeJson } from './json.js';
import { planRelease } from './plan.js';

const options: ReleaseOptions = {
  name: 'dalian-daily',
  title: '大连日报新闻数据',
  version: '1.0.0',
  licenses: [
    { name: 'CC-BY-4.0', path: 'https://creativecommons.org/licenses/by/4.0/', title: '署名 4.0 国际' },
  ],
  sources: [
    { source_id: '2025-01-10-b03', sha256: 'b'.repeat(64), bytes: 2048, encoding: 'gb18030' },
    {
      source_id: '2025-01-09-a01',
      sha256: 'a'.repeat(64),
      bytes: 4096,
      encoding: 'utf-8',
      url: 'https://example.org/a01.txt',
    },
  ],
};

/** What publish does: write every planned file, counting and hashing its bytes. */
function written(): { files: WrittenFile[]; bytes: Map<string, Buffer> } {
  const bytes = new Map<string, Buffer>();
  const files = planRelease(fixtureTables()).map(({ chunks, ...file }) => {
    const data = bytesOf({ ...file, chunks });
    bytes.set(file.path, data);
    return { ...file, bytes: data.length, sha256: sha256(data) };
  });
  return { files, bytes };
}

describe('buildDataPackage', () => {
  it('describes every file with the byte count and hash of its bytes', () => {
    const { files, bytes } = written();
    const pkg = buildDataPackage(files, options) as { resources: Record<string, unknown>[] };
    expect(pkg.resources.map((resource) => resource['path'])).toEqual(files.map((file) => file.path));
    for (const resource of pkg.resources) {
      const data = bytes.get(resource['path'] as string)!;
      expect(resource['bytes']).toBe(data.length);
      expect(resource['hash']).toBe(`sha256:${sha256(data)}`);
      expect(resource['encoding']).toBe('utf-8');
    }
  });

  it('writes the package fields, sources sorted by id, and CSV dialects', () => {
    const { files } = written();
    const pkg = buildDataPackage(files, options) as Record<string, unknown> & {
      resources: Record<string, unknown>[];
    };
    expect(pkg).toMatchObject({
      $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
      name: 'dalian-daily',
      title: '大连日报新闻数据',
      version: '1.0.0',
      licenses: options.licenses,
    });
    expect(pkg['sources']).toEqual([
      {
        title: '2025-01-09-a01',
        path: 'https://example.org/a01.txt',
        bytes: 4096,
        hash: `sha256:${'a'.repeat(64)}`,
        encoding: 'utf-8',
      },
      { title: '2025-01-10-b03', bytes: 2048, hash: `sha256:${'b'.repeat(64)}`, encoding: 'gb18030' },
    ]);
    const byName = new Map(pkg.resources.map((resource) => [resource['name'], resource]));
    expect([...byName.keys()]).toEqual([
      ...tableNames,
      ...tableNames.map((table) => `${table}-excel`),
      ...tableNames.map((table) => `${table}-ndjson`),
      'articles-nested',
    ]);
    expect(byName.get('people')).toMatchObject({
      type: 'table',
      format: 'csv',
      mediatype: 'text/csv',
      dialect: { delimiter: ',', lineTerminator: '\r\n', quoteChar: '"', doubleQuote: true, header: true },
    });
    expect(byName.get('people-excel')!['description']).toMatch(/byte order mark/);
    expect(byName.get('people-ndjson')).toMatchObject({
      type: 'table',
      format: 'ndjson',
      mediatype: 'application/x-ndjson',
    });
    expect(byName.get('people-ndjson')!['dialect']).toBeUndefined();
    expect(byName.get('articles-nested')).toMatchObject({ format: 'json', mediatype: 'application/json' });
    expect(byName.get('articles-nested')!['schema']).toBeUndefined();
  });

  it('points foreign keys at the articles resource of the same flavour', () => {
    const { files } = written();
    const pkg = buildDataPackage(files, options) as {
      resources: { name: string; schema?: { foreignKeys?: unknown[] } }[];
    };
    const reference = (name: string) =>
      pkg.resources.find((resource) => resource.name === name)!.schema!.foreignKeys;
    expect(reference('statistics')).toEqual([
      { fields: ['article_id'], reference: { resource: 'articles', fields: ['article_id'] } },
    ]);
    expect(reference('people-excel')).toEqual([
      { fields: ['article_id'], reference: { resource: 'articles-excel', fields: ['article_id'] } },
    ]);
    expect(reference('documents-ndjson')).toEqual([
      { fields: ['article_id'], reference: { resource: 'articles-ndjson', fields: ['article_id'] } },
    ]);
    expect(reference('articles')).toBeUndefined();
  });

  it('is serialized to the same bytes every time', () => {
    const first = serializeJson(buildDataPackage(written().files, options));
    const again = serializeJson(
      buildDataPackage(written().files, { ...options, sources: [...options.sources].reverse() }),
    );
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
  });

  it('refuses a name that is not a Data Package name or a license without name or path', () => {
    expect(() => buildDataPackage([], { ...options, name: '大连日报' })).toThrow(
      expect.objectContaining({ code: 'DATAPACKAGE_NAME_INVALID' }),
    );
    expect(() => buildDataPackage([], { ...options, licenses: [{ title: '署名' }] })).toThrow(
      expect.objectContaining({ code: 'DATAPACKAGE_LICENSE_INVALID' }),
    );
  });
});

describe('tableSchemaOf', () => {
  it('generates a field per column from the JSON Schema, in column order', () => {
    for (const table of tableNames) {
      expect(tableSchemaOf(table).fields.map((field) => field.name)).toEqual(columnsOf(table));
    }
  });

  it('maps types, titles and constraints', () => {
    const articles = tableSchemaOf('articles');
    const field = (name: string) => articles.fields.find((candidate) => candidate.name === name);
    expect(articles.primaryKey).toEqual(['article_id']);
    expect(articles.missingValues).toEqual(['']);
    expect(field('article_id')).toMatchObject({
      type: 'string',
      title: '文章编号',
      constraints: { required: true, pattern: '[A-Za-z0-9._-]+~[0-9a-f]{8,16}' },
    });
    expect(field('seq')).toMatchObject({ type: 'integer', constraints: { required: true, minimum: 1 } });
    expect(field('subtitle')).toMatchObject({ type: 'string', title: '副标题' });
    expect(field('subtitle')!.constraints).toBeUndefined();
    expect(field('reporters')).toMatchObject({
      type: 'list',
      delimiter: ';',
      itemType: 'string',
      title: '记者',
    });
    expect(field('reporters')!.constraints).toBeUndefined();
    expect(field('source_lines')).toMatchObject({ type: 'list', constraints: { required: true } });
    const statistics = tableSchemaOf('statistics');
    expect(statistics.fields.find((candidate) => candidate.name === 'value')).toMatchObject({
      type: 'number',
      title: '数值',
    });
    expect(statistics.fields.find((candidate) => candidate.name === 'approximate')).toMatchObject({
      type: 'boolean',
    });
    expect(statistics.fields.find((candidate) => candidate.name === 'year')).toMatchObject({
      type: 'integer',
      constraints: { minimum: 1800, maximum: 2200 },
    });
    const people = tableSchemaOf('people');
    expect(people.primaryKey).toEqual(['article_id', 'name', 'role']);
    expect(people.fields.find((candidate) => candidate.name === 'role')!.constraints).toEqual({
      required: true,
      enum: ['reporter', 'contributor', 'mentioned'],
    });
    expect(people.fields.find((candidate) => candidate.name === 'name')!.constraints).toEqual({
      required: true,
      maxLength: 12,
    });
  });
});
