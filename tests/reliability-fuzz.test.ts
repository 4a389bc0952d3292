import { createHash } from 'node:crypto';
import { columnsOf, schemaOf, type TableName, tableNames } from '@newsdata/contract';
import { isNewsDataError } from '@newsdata/errors';
import { planRelease } from '@newsdata/export';
import { toRecords } from '@newsdata/extract';
import { parsePage } from '@newsdata/parse';
import { sourceErrorFrom, validateRelease } from '@newsdata/validate';
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

/** Pages tried, for the closing note. */
const tried = { pages: 0, valid: 0, invalid: 0, refused: 0 };
afterAll(() => {
  console.info(
    `reliability-fuzz: ${tried.pages} generated pages: ${tried.valid} valid releases (CSV = NDJSON), ${tried.invalid} invalid with a report, ${tried.refused} refused with a typed error`,
  );
});

const han = fc.constantFrom(
  ...'市政府会议召开全年工作部署经济发展社会建设民生改善城市更新乡村振兴项目投资企业服务'.split(''),
);
const words = (min: number, max: number) =>
  fc.array(han, { minLength: min, maxLength: max }).map((cs) => cs.join(''));
const name = fc.constantFrom('王明', '李华', '张伟', '刘洋', '谢锦宜', '欧阳娜娜');
const number = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }).map(String),
  fc.constantFrom('上百', '40余', '3365万', '1.5亿', '十二', '93.83'),
);
const unit = fc.constantFrom('件', '人次', '家', '个', '项', '元', '吨', '%');
const sentence = fc
  .tuple(
    words(2, 20),
    fc.option(fc.tuple(number, unit), { nil: undefined }),
    fc.constantFrom('。', '!', '?', '…', '。”'),
  )
  .map(([text, stat, end]) => `${text}${stat ? `共${stat[0]}${stat[1]}` : ''}${end}`);
const paragraph = fc.array(sentence, { minLength: 1, maxLength: 4 }).map((s) => s.join(''));

/** Blocks a page dump is made of, including the awkward ones. */
const block = fc.oneof(
  { weight: 3, arbitrary: words(4, 16) }, // headline
  { weight: 2, arbitrary: fc.tuple(name, paragraph).map(([n, p]) => `本报讯(记者 ${n})${p}`) },
  { weight: 1, arbitrary: fc.tuple(name, name).map(([a, b]) => `${a} 大连新闻传媒集团记者 ${b}`) },
  { weight: 1, arbitrary: words(4, 12).map((w) => `——${w}`) },
  { weight: 5, arbitrary: paragraph },
  { weight: 2, arbitrary: words(5, 30) }, // a cut paragraph: no closing punctuation
  {
    weight: 1,
    arbitrary: fc.constantFrom('扫描二维码 关注大连日报', '扫描二维码下载客户端', '关注官方微信'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }).map((n) => `(下转第${n}版)`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }).map((n) => `(上接第${n}版)`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '   ',
      '\u3000\u3000',
      '\t',
      '=SUM(A1)',
      '+1',
      '-3%',
      '"引号"',
      'a;b',
      '《关于加强管理的通知》',
    ),
  },
);

/** A page: blocks separated by blank lines (sometimes only a line break), in LF, CRLF or CR, maybe with a BOM. */
const pageBytes = fc
  .record({
    blocks: fc.array(fc.tuple(block, fc.constantFrom('\n\n', '\n\n', '\n', '\n\n\n')), {
      minLength: 0,
      maxLength: 14,
    }),
    eol: fc.constantFrom('\n', '\n', '\r\n', '\r'),
    bom: fc.boolean(),
    repeatHeadline: fc.boolean(),
  })
  .map(({ blocks, eol, bom, repeatHeadline }) => {
    let text = blocks.map(([b, sep]) => b + sep).join('');
    // A headline repeated later on the page: a jump line (转版) continuing the article.
    if (repeatHeadline && blocks.length > 2)
      text += `\n\n${blocks[0]![0]}\n\n${blocks[blocks.length - 1]![0]}。\n`;
    text = text.replace(/\r\n|\r|\n/g, eol);
    const bytes = new TextEncoder().encode(text);
    return bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]) : bytes;
  });

/** A CSV cell read back by the column's schema type, the way a consumer of the Data Package would. */
function typed(table: TableName, column: string, cell: string, flavour: 'standard' | 'excel'): unknown {
  const property = (
    schemaOf(tableSchemaName(table)).properties as Record<string, { type: string | string[] }>
  )[column]!;
  const types = ([] as string[]).concat(property.type);
  const text =
    flavour === 'excel' && cell.startsWith("'") && (types.includes('string') || types.includes('array'))
      ? cell.slice(1)
      : cell;
  if (types.includes('array')) return text === '' ? [] : text.split(';');
  if (cell === '' && types.includes('null')) return null;
  if (types.includes('integer') || types.includes('number')) return Number(text);
  if (types.includes('boolean')) return text === 'true';
  return text;
}

function tableSchemaName(table: TableName) {
  return (
    {
      articles: 'article',
      paragraphs: 'paragraph',
      statistics: 'statistic',
      people: 'person',
      documents: 'document',
    } as const
  )[table];
}

function text(chunks: Iterable<Uint8Array>): string {
  return Buffer.concat([...chunks]).toString('utf8');
}

/** One page through parse → extract → validate → export; throws on anything but a typed outcome. */
function throughThePipeline(bytes: Uint8Array): void {
  tried.pages++;
  const file = 'fuzz.txt';
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let page: ReturnType<typeof parsePage>;
  try {
    page = parsePage(bytes, { file });
  } catch (error) {
    // Refusing a page is fine, but only with a typed error that the report can show.
    if (!isNewsDataError(error)) throw error;
    expect(error.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(error.message.length).toBeGreaterThan(10);
    const report = validateRelease(
      {
        tables: { articles: [], paragraphs: [], statistics: [], people: [], documents: [] },
        sources: [
          {
            source_id: 'fuzz',
            file,
            sha256,
            bytes: bytes.length,
            encoding: null,
            error: sourceErrorFrom(error),
          },
        ],
      },
      { lang: 'zh' },
    );
    expect(report.valid).toBe(false);
    tried.refused++;
    return;
  }
  const tables = toRecords(page, { source_id: 'fuzz', meta: null, date: null });
  const report = validateRelease(
    {
      tables,
      sources: [
        {
          source_id: 'fuzz',
          file,
          sha256,
          bytes: bytes.length,
          encoding: page.encoding,
          lines: page.lines,
          accounting: page.accounting,
          noise: page.noise.map((n) => ({ line: n.line })),
          warnings: page.warnings,
        },
      ],
    },
    { lang: 'en' },
  );
  for (const problem of report.problems) {
    expect(problem.type).toMatch(/^[a-z][a-z0-9-]+$/);
    expect(problem.message.length).toBeGreaterThan(5);
  }
  if (!report.valid) {
    tried.invalid++;
    return;
  }
  tried.valid++;
  const files = planRelease(tables);
  const ndjson = new Map<TableName, Record<string, unknown>[]>();
  for (const table of tableNames) {
    const file = files.find((f) => f.path === `${table}.ndjson`)!;
    const rows = text(file.chunks())
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(tables[table].length);
    ndjson.set(table, rows);
  }
  for (const flavour of ['standard', 'excel'] as const) {
    for (const table of tableNames) {
      const file = files.find(
        (f) => f.path === (flavour === 'standard' ? `${table}.csv` : `excel/${table}.csv`),
      )!;
      const csv = text(file.chunks());
      const records = parseCsv(csv, { bom: true, relax_column_count: false }) as string[][];
      const [header, ...rows] = records;
      expect(header).toEqual(columnsOf(table));
      const back = rows.map((cells) =>
        Object.fromEntries(header!.map((column, i) => [column, typed(table, column, cells[i]!, flavour)])),
      );
      expect(back, `${flavour} ${table}`).toEqual(ndjson.get(table));
    }
  }
  const nested = JSON.parse(text(files.find((f) => f.path === 'articles.json')!.chunks())) as Record<
    string,
    unknown
  >[];
  expect(nested.map(({ paragraphs, statistics, people, documents, ...article }) => article)).toEqual(
    ndjson.get('articles'),
  );
  expect(nested.flatMap((a) => a.paragraphs as unknown[])).toEqual(
    [...ndjson.get('paragraphs')!].sort((x, y) => articleOrder(nested, x, y)),
  );
}

function articleOrder(
  nested: Record<string, unknown>[],
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): number {
  const ids = nested.map((n) => n.article_id);
  return ids.indexOf(a.article_id) - ids.indexOf(b.article_id) || (a.seq as number) - (b.seq as number);
}

describe('fuzzed pages through parse → extract → validate → export', () => {
  it('never crash untyped; a valid release reads back from CSV exactly as its NDJSON and JSON', () => {
    fc.assert(
      fc.property(pageBytes, (bytes) => throughThePipeline(bytes)),
      { numRuns: 1000 },
    );
  }, 300_000);

  it('random bytes and random Unicode are refused or published, never crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 400 }),
          fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
          fc.string({ unit: 'binary', maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
        ),
        (bytes) => throughThePipeline(bytes),
      ),
      { numRuns: 500 },
    );
  }, 300_000);
});
