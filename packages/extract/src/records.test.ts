import { loadSchemas, type TableName, tableNames, tables } from '@newsdata/contract';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { articleId, compressLines, toRecords } from './index.js';
import { budgetStory, buildPage, numeralStory, trafficStory } from './page.test-data.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validators = new Map([...loadSchemas()].map(([name, schema]) => [name, ajv.compile(schema)]));

function expectValid(records: ReturnType<typeof toRecords>): void {
  for (const table of tableNames) {
    const validate = validators.get(tables[table].schema)!;
    for (const row of records[table] as unknown[]) {
      const ok = validate(row);
      expect(validate.errors ?? [], `${table} ${JSON.stringify(row)}`).toEqual([]);
      expect(ok).toBe(true);
    }
  }
}

const page = buildPage([budgetStory, trafficStory, numeralStory]);
const source = {
  source_id: 'daily-2025-01-09',
  meta: { publication: '大连日报', page: 'A02', date: '2025-01-09' },
};

describe('toRecords', () => {
  const records = toRecords(page, source);

  it('gives rows that validate against the schemas', () => {
    expect(records.articles).toHaveLength(3);
    expect(records.statistics.length).toBeGreaterThan(25);
    expectValid(records);
  });

  it('fills the article from the sidecar and resolves the dateline', () => {
    const budget = records.articles.find((a) => a.title === budgetStory.title)!;
    expect(budget).toMatchObject({
      publication: '大连日报',
      page: 'A02',
      date: '2025-01-09',
      dateline: '昨日',
      dateline_date: '2025-01-08',
      reporters: ['李明'],
      paragraph_count: 4,
      lead: budgetStory.paragraphs[0],
    });
    expect(budget.text.split('\n')).toHaveLength(4);
    expect(budget.char_count).toBe([...budget.text.replaceAll('\n', '')].length);
    const traffic = records.articles.find((a) => a.title === trafficStory.title)!;
    expect(traffic.dateline_date).toBe('2025-01-08');
  });

  it('leaves dates empty without an edition date, and takes one from source.date', () => {
    const none = toRecords(page, { source_id: 'x', meta: null });
    expect(none.articles.every((a) => a.date === null && a.dateline_date === null)).toBe(true);
    const dated = toRecords(page, { source_id: 'x', meta: {}, date: '2025-01-09' });
    expect(dated.articles[0]!.date).toBe('2025-01-09');
  });

  it('points source_line/source_column exactly at the text of every statistic, across column breaks', () => {
    for (const s of records.statistics) {
      const at = [...page.lines[s.source_line - 1]!].slice(s.source_column - 1).join('');
      expect(at.startsWith(s.text), `${s.statistic_id} ${s.text}`).toBe(true);
    }
    // 两千余名 sits on the second piece of a paragraph cut by a column break.
    const cut = records.statistics.find((s) => s.text === '两千余名')!;
    expect(page.lines[cut.source_line - 1]).toBe('帮助两千余名高校毕业生实现就业。');
    expect(cut.source_column).toBe(3);
    expect(
      records.paragraphs.find((p) => p.seq === cut.paragraph_seq && p.article_id === cut.article_id)!
        .source_lines,
    ).toEqual([`${cut.source_line - 2}-${cut.source_line}`]);
  });

  it('numbers statistics by paragraph and order: article-p{seq}-n{k}', () => {
    const budget = records.articles.find((a) => a.title === budgetStory.title)!;
    const ids = records.statistics
      .filter((s) => s.article_id === budget.article_id)
      .map((s) => s.statistic_id);
    expect(ids).toContain(`${budget.article_id}-p1-n1`);
    expect(ids).toContain(`${budget.article_id}-p1-n3`);
    expect(ids).toContain(`${budget.article_id}-p2-n1`);
  });

  it('lists people and documents per article', () => {
    const budget = records.articles.find((a) => a.title === budgetStory.title)!;
    expect(records.people.filter((p) => p.article_id === budget.article_id)).toEqual([
      { article_id: budget.article_id, name: '李明', role: 'reporter', titles: ['记者'] },
      { article_id: budget.article_id, name: '赵建国', role: 'mentioned', titles: ['市财政局局长'] },
    ]);
    const traffic = records.articles.find((a) => a.title === trafficStory.title)!;
    expect(
      records.people.filter((p) => p.article_id === traffic.article_id).map((p) => [p.name, p.role]),
    ).toEqual([
      ['周婷', 'reporter'],
      ['孙浩', 'contributor'],
      ['钱志远', 'mentioned'],
    ]);
  });

  it('sorts every table by its key', () => {
    for (const table of tableNames as readonly TableName[]) {
      const keys = (records[table] as unknown as Record<string, unknown>[]).map((row) =>
        (tables[table].key as readonly string[]).map((k) => row[k]),
      );
      const sorted = [...keys].sort((a, b) => {
        for (let i = 0; i < a.length; i++) {
          if (a[i] === b[i]) continue;
          if (typeof a[i] === 'number') return (a[i] as number) - (b[i] as number);
          return String(a[i]) < String(b[i]) ? -1 : 1;
        }
        return 0;
      });
      expect(keys).toEqual(sorted);
    }
  });

  it('keeps an article id when other articles change, and separates repeated headlines', () => {
    const alone = toRecords(buildPage([trafficStory]), source);
    const id = alone.articles[0]!.article_id;
    expect(id).toBe(articleId(source.source_id, trafficStory.title));
    expect(id).toMatch(/^daily-2025-01-09~[0-9a-f]{12}$/);
    expect(records.articles.some((a) => a.article_id === id)).toBe(true);
    const twice = toRecords(buildPage([trafficStory, trafficStory]), source);
    expect(new Set(twice.articles.map((a) => a.article_id)).size).toBe(2);
    expect(twice.articles.map((a) => a.article_id)).toContain(id);
  });

  it('counts document mentions per article, nested quotes kept', () => {
    const p = buildPage([
      {
        title: '法院发布指引',
        paragraphs: [
          '出台《办好关系民心向背“小案”的工作指引》,发布《司法保护令》。',
          '《办好关系民心向背“小案”的工作指引》明确了办理流程。',
        ],
      },
    ]);
    const r = toRecords(p, source);
    expect(r.documents.map((d) => [d.title, d.mentions])).toEqual([
      ['办好关系民心向背“小案”的工作指引', 2],
      ['司法保护令', 1],
    ]);
  });

  it('rejects a source id that cannot make an id', () => {
    expect(() => toRecords(page, { source_id: 'a b', meta: null })).toThrow(
      expect.objectContaining({ code: 'EXTRACT_BAD_SOURCE_ID' }),
    );
  });

  it('gives valid rows for any paragraph text', () => {
    const cjk = fc.string({
      unit: fc.constantFrom(...'提案件立案万亿元名个项%余近约第届年月日一二三十百千0123456789.,。“”《》、'),
      minLength: 1,
    });
    fc.assert(
      fc.property(fc.array(cjk, { minLength: 1, maxLength: 4 }), (paragraphs) => {
        const r = toRecords(buildPage([{ title: '标题', paragraphs }]), source);
        expectValid(r);
        for (const s of r.statistics) {
          const line = page.lines.length > 0 ? r.paragraphs.find((p) => p.seq === s.paragraph_seq)! : null;
          expect(line?.text.includes(s.text)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('compressLines', () => {
  it('gives the same ranges whatever the order of the lines and however often they repeat', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1 }), (lines) => {
        const ascending = [...new Set(lines)].sort((a, b) => a - b);
        expect(compressLines(lines)).toEqual(compressLines(ascending));
        const ranges = compressLines(lines).map((r) => r.split('-').map(Number));
        expect(ranges.flatMap(([from, to]) => (to === undefined ? [from] : [from, to]))[0]).toBe(
          ascending[0],
        );
      }),
    );
    expect(compressLines([15, 9, 13, 14, 9, 13])).toEqual(['9', '13-15']);
  });
});
