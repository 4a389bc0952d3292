import { columnsOf, loadSchemas, type TableName, tableNames } from '@newsdata/contract';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guardFormula } from './cells.js';
import { csvChunks, UTF8_BOM } from './csv.js';
import { bytesOf, expectCsvMatchesNdjson, fileAt, fixtureTables, readNdjson } from './fixtures.test-data.js';
import { planRelease } from './plan.js';
import { type AnyRow, sortTables } from './rows.js';

describe('planRelease', () => {
  it('uses fixture rows that are valid against the schemas', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const tables = fixtureTables();
    const schemaOfTable: Record<TableName, string> = {
      articles: 'article',
      paragraphs: 'paragraph',
      statistics: 'statistic',
      people: 'person',
      documents: 'document',
    };
    for (const table of tableNames) {
      const validate = ajv.compile(loadSchemas().get(schemaOfTable[table] as never)!);
      for (const row of tables[table]) {
        expect(validate(row), JSON.stringify(validate.errors)).toBe(true);
      }
    }
  });

  it('lists every data file of a release in a fixed order', () => {
    const files = planRelease(fixtureTables());
    expect(files.map((file) => file.path)).toEqual([
      ...tableNames.map((table) => `${table}.csv`),
      ...tableNames.map((table) => `excel/${table}.csv`),
      ...tableNames.map((table) => `${table}.ndjson`),
      'articles.json',
    ]);
    expect(fileAt(files, 'statistics.csv')).toMatchObject({
      table: 'statistics',
      format: 'csv',
      flavour: 'standard',
      mediatype: 'text/csv',
      rows: 9,
    });
    expect(fileAt(files, 'excel/people.csv')).toMatchObject({ flavour: 'excel', rows: 6 });
    expect(fileAt(files, 'articles.json')).toMatchObject({
      format: 'json',
      mediatype: 'application/json',
      table: null,
      rows: null,
    });
  });

  it('reads every CSV of both flavours back to the NDJSON rows', () => {
    expectCsvMatchesNdjson(planRelease(fixtureTables()));
  });

  it('writes RFC 4180 CSV: no BOM, CRLF after every record, quotes only where needed, JSON numbers', () => {
    const text = bytesOf(fileAt(planRelease(fixtureTables()), 'statistics.csv')).toString('utf8');
    expect(text.startsWith('statistic_id,article_id,paragraph_seq,label,value,unit,approximate,')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(text).toContain(',一审网上立案率,93.83,%,false,,,93.83%,');
    expect(text).toContain(',执行到位金额,33650000,元,false,,,3365万元,');
    expect(text).toContain(',诉讼服务咨询,100,件次,true,上百,,上百件次,');
    expect(text).toContain(',报修,1024,件,false,,,"1,024件","近日,');
    expect(text).toContain(',气温,-20,℃,false,,,-20℃,');
  });

  it('starts the excel flavour with a BOM and guards cells a spreadsheet would run as formulas', () => {
    const files = planRelease(fixtureTables());
    const bytes = bytesOf(fileAt(files, 'excel/documents.csv'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text).toContain(",'@人民法院在线诉讼规则,2\r\n");
    expect(bytesOf(fileAt(files, 'documents.csv')).toString('utf8')).toContain(
      ',@人民法院在线诉讼规则,2\r\n',
    );
    const stats = bytesOf(fileAt(files, 'excel/statistics.csv')).toString('utf8');
    expect(stats).toContain(",'-20℃,"); // text starting with - is guarded
    expect(stats).toContain(',-20,'); // the number -20 is not
    expect(bytesOf(fileAt(files, 'excel/people.csv')).toString('utf8')).toContain(",'+新闻发言人\r\n");
  });

  it('writes the excel flavour as the BOM and the standard bytes of the guarded values', () => {
    const tables = fixtureTables();
    const article_id = tables.articles[0]!.article_id;
    // Batches of 512 records: long tables mix batches with and without a guarded cell.
    const cell = fc.tuple(fc.constantFrom('', '=', '+', '-', '@', "'", '\t', '\r', '＝', '中'), fc.string());
    const joined = ([first, rest]: [string, string]) => `${first}${rest}`;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(cell, fc.array(cell, { maxLength: 2 })), { maxLength: 1200 }),
        (cells) => {
          const documents = cells.map(([title], i) => ({
            article_id,
            title: `${joined(title)}#${i}`,
            mentions: -i,
          }));
          const people = cells.map(([name, titles], i) => ({
            article_id,
            name: `${joined(name)}#${i}`,
            role: 'mentioned' as const,
            titles: titles.map(joined).filter((item) => item !== '' && !item.includes(';')),
          }));
          const input = { ...tables, documents, people };
          const files = planRelease(input);
          const sorted = sortTables(input);
          for (const table of tableNames) {
            const excel = bytesOf(fileAt(files, `excel/${table}.csv`));
            // In the excel file's row order: a guard could change the order of keys.
            const standard = Buffer.concat([...csvChunks(table, sorted[table].map(guardValues), 'standard')]);
            expect(excel.equals(Buffer.concat([UTF8_BOM, standard]))).toBe(true);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('writes the same bytes for a table too long to keep its rendering between files', () => {
    const tables = fixtureTables();
    const article_id = tables.articles[0]!.article_id;
    const documents = Array.from({ length: 20_001 }, (_, i) => ({
      article_id,
      title: i % 7000 === 3 ? `=文件${i}` : `文件,${i}`,
      mentions: i,
    }));
    const files = planRelease({ ...tables, documents });
    const sorted = sortTables({ ...tables, documents }).documents;
    const standard = Buffer.concat([...csvChunks('documents', sorted, 'standard')]);
    const guarded = Buffer.concat([...csvChunks('documents', sorted.map(guardValues), 'standard')]);
    for (let round = 0; round < 2; round++) {
      expect(bytesOf(fileAt(files, 'documents.csv')).equals(standard)).toBe(true);
      expect(bytesOf(fileAt(files, 'excel/documents.csv')).equals(Buffer.concat([UTF8_BOM, guarded]))).toBe(
        true,
      );
    }
    const nested = JSON.parse(bytesOf(fileAt(files, 'articles.json')).toString('utf8')) as {
      documents: unknown[];
    }[];
    expect(nested.flatMap((article) => article.documents)).toEqual(
      readNdjson(bytesOf(fileAt(files, 'documents.ndjson'))),
    );
  });

  it('nests each article with its rows in articles.json, the same rows as the NDJSON files', () => {
    expectNestedRows(planRelease(fixtureTables()));
  });

  it('nests them the same in a release too large to keep what one file renders for another', () => {
    const tables = fixtureTables();
    const [paragraph] = tables.paragraphs;
    const many = Array.from({ length: 20_001 }, (_, i) => ({
      ...paragraph!,
      seq: 1_000 + i,
      text: `第${i}段,"引号"\n换行`,
    }));
    expectNestedRows(planRelease({ ...tables, paragraphs: [...tables.paragraphs, ...many] }));
  });

  it('writes articles.json one compact article per line, in the frame publish joins', () => {
    const files = planRelease(fixtureTables());
    const text = bytesOf(fileAt(files, 'articles.json')).toString('utf8');
    const articles = readNdjson(bytesOf(fileAt(files, 'articles.ndjson')));
    const lines = text.split('\n');
    expect(lines[0]).toBe('[');
    expect(lines.slice(-2)).toEqual([']', '']);
    const members = lines.slice(1, -2);
    expect(members).toHaveLength(articles.length);
    members.forEach((line, i) => {
      const member = i === members.length - 1 ? line : line.slice(0, -1);
      if (i < members.length - 1) expect(line.endsWith(',')).toBe(true);
      // Compact: the line is what JSON.stringify writes of its own value, and it opens with the article.
      expect(JSON.stringify(JSON.parse(member))).toBe(member);
      expect(member.startsWith(`{"article_id":${JSON.stringify(articles[i]!['article_id'])},`)).toBe(true);
    });
  });

  it('keeps the articles.json frame across chunks of a large release', () => {
    const tables = fixtureTables();
    const [article] = tables.articles;
    const text = '长'.repeat(3000);
    const many = Array.from({ length: 60 }, (_, i) => ({
      ...article!,
      article_id: `big~${String(i).padStart(8, '0')}`,
      text,
    }));
    const files = planRelease({ ...tables, articles: [...tables.articles, ...many] });
    const file = fileAt(files, 'articles.json');
    expect([...file.chunks()].length).toBeGreaterThan(1);
    const bytes = bytesOf(file).toString('utf8');
    expect(bytes.startsWith('[\n{"article_id":')).toBe(true);
    expect(bytes.endsWith('}\n]\n')).toBe(true);
    expect(bytes.split('\n')).toHaveLength(tables.articles.length + many.length + 3);
    expect(JSON.parse(bytes)).toHaveLength(tables.articles.length + many.length);
  });

  it('gives the same bytes twice, whatever the order of the rows and of their properties', () => {
    const tables = fixtureTables();
    const first = planRelease(tables).map((file) => bytesOf(file));
    const again = planRelease(tables).map((file) => bytesOf(file));
    expect(again).toEqual(first);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const shuffled = shuffleTables(tables, seed);
        expect(planRelease(shuffled).map((file) => bytesOf(file))).toEqual(first);
      }),
      { numRuns: 20 },
    );
  });

  it('gives the same bytes to a caller that only reads them (shared), without copies of what it keeps', () => {
    const files = planRelease(fixtureTables());
    const copied = files.map((file) => bytesOf(file));
    const shared = files.map((file) => Buffer.concat([...file.chunks({ shared: true })]));
    expect(shared).toEqual(copied);
    // Kept bytes come out as they are: the same chunk objects on every shared call.
    const ndjson = fileAt(files, 'paragraphs.ndjson');
    expect([...ndjson.chunks({ shared: true })][0]).toBe([...ndjson.chunks({ shared: true })][0]);
    expect([...ndjson.chunks()][0]).not.toBe([...ndjson.chunks()][0]);
  });

  it('gives the same bytes again after a caller changed the chunks it was given', () => {
    const files = planRelease(fixtureTables());
    const first = files.map((file) => bytesOf(file));
    for (const file of files) for (const chunk of file.chunks()) chunk.fill(0x20);
    expect(files.map((file) => bytesOf(file))).toEqual(first);
  });

  it('writes files with no rows as a header only (CSV) or nothing (NDJSON)', () => {
    const files = planRelease({ articles: [], paragraphs: [], statistics: [], people: [], documents: [] });
    expect(bytesOf(fileAt(files, 'documents.csv')).toString('utf8')).toBe('article_id,title,mentions\r\n');
    expect(bytesOf(fileAt(files, 'documents.ndjson'))).toHaveLength(0);
    expect(bytesOf(fileAt(files, 'articles.json')).toString('utf8')).toBe('[]\n');
  });

  it('refuses rows it could not write deterministically or read back', () => {
    const tables = fixtureTables();
    expect(() => planRelease({ ...tables, documents: [...tables.documents, tables.documents[0]!] })).toThrow(
      expect.objectContaining({ code: 'EXPORT_DUPLICATE_KEY', fault: 'data' }),
    );
    const orphan = { ...tables.documents[0]!, article_id: 'gone~00000000' };
    expect(() => planRelease({ ...tables, documents: [...tables.documents, orphan] })).toThrow(
      expect.objectContaining({ code: 'EXPORT_ORPHAN_ROW' }),
    );
    const person = { ...tables.people[0]!, titles: ['主任;委员'] };
    expect(() => planRelease({ ...tables, people: [person] })).toThrow(
      expect.objectContaining({ code: 'EXPORT_VALUE_UNWRITABLE' }),
    );
    const statistic = { ...tables.statistics[0]!, value: Number.NaN };
    expect(() => planRelease({ ...tables, statistics: [statistic] })).toThrow(/not finite/);
  });
});

/** The row with the excel flavour's formula guard applied to its text values and lists. */
/** articles.json holds each article's row and its rows of the other tables, as the NDJSON files do. */
function expectNestedRows(files: ReturnType<typeof planRelease>): void {
  const nested = JSON.parse(bytesOf(fileAt(files, 'articles.json')).toString('utf8')) as Record<
    string,
    unknown
  >[];
  const flat = (table: TableName) => readNdjson(bytesOf(fileAt(files, `${table}.ndjson`)));
  expect(nested.map(({ paragraphs, statistics, people, documents, ...article }) => article)).toEqual(
    flat('articles'),
  );
  for (const table of ['paragraphs', 'statistics', 'people', 'documents'] as const) {
    const rows = nested.flatMap((article) => article[table] as unknown[]);
    expect(rows).toEqual(
      [...flat(table)].sort((a, b) =>
        String(a['article_id']) < String(b['article_id'])
          ? -1
          : String(a['article_id']) > String(b['article_id'])
            ? 1
            : 0,
      ),
    );
  }
  expect(Object.keys(nested[0]!)).toEqual([
    ...columnsOf('articles'),
    'paragraphs',
    'statistics',
    'people',
    'documents',
  ]);
}

function guardValues(row: AnyRow): AnyRow {
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [
      column,
      typeof value === 'string'
        ? guardFormula(value)
        : Array.isArray(value)
          ? value.map((item, i) => (i === 0 ? guardFormula(item) : item))
          : value,
    ]),
  );
}

/** The same tables with rows shuffled and each row's properties in another order. */
function shuffleTables(tables: ReturnType<typeof fixtureTables>, seed: number) {
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const shuffle = <T>(items: T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const reorder = (row: object) => Object.fromEntries(shuffle(Object.entries(row)));
  return Object.fromEntries(
    tableNames.map((table) => [table, shuffle(tables[table] as object[]).map(reorder)]),
  ) as typeof tables;
}
