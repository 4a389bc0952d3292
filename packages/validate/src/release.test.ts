import type { Tables, ValidationReport } from '@newsdata/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturePage, pageFile, parkArticle, showArticle } from './fixtures.test-data.js';
import { createValidator, type Problem, type SourceContext, validateRelease } from './index.js';

type Page = { tables: Tables; sources: SourceContext[] };

function expectMatchesOwnSchema(report: ValidationReport): void {
  const validate = createValidator().get('validation-report');
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
}

interface Corruption {
  name: string;
  corrupt: (page: Page) => void;
  expected: Omit<Problem, 'message' | 'severity'>;
  en: RegExp;
  zh: RegExp;
}

/** A pattern for a Chinese message, typed with ASCII ,;:() that the messages print full-width (escaped ones stay ASCII). */
function cn(pattern: string): RegExp {
  const full: Record<string, string> = {
    ',': '\uFF0C',
    ';': '\uFF1B',
    ':': '\uFF1A',
    '(': '\uFF08',
    ')': '\uFF09',
  };
  return new RegExp(pattern.replace(/\\?[,;:()]/g, (c) => full[c] ?? c));
}

const at = (line: number | null, column: number | null) => ({ file: pageFile, line, column });

const corruptions: Corruption[] = [
  {
    name: 'a missing title',
    corrupt: ({ tables }) => {
      delete (tables.articles[0] as Partial<Tables['articles'][0]>).title;
    },
    expected: { type: 'schema', table: 'articles', key: parkArticle, field: 'title', source: at(4, 1) },
    en: /^Field title: must have required property 'title' \(see schemas\/article\.schema\.json\); correct the articles row/,
    zh: cn(
      String.raw`^字段 title:应当有必需属性 title(见 schemas\/article\.schema\.json);请修正 articles 表中键为`,
    ),
  },
  {
    name: 'a negative count',
    corrupt: ({ tables }) => {
      tables.paragraphs[1]!.char_count = -5;
    },
    expected: {
      type: 'schema',
      table: 'paragraphs',
      key: `${parkArticle}|2`,
      field: 'char_count',
      source: at(10, 1),
    },
    en: /^Field char_count: must be >= 1 /,
    zh: cn('^字段 char_count:应当为 >= 1'),
  },
  {
    name: 'a percentage of 130',
    corrupt: ({ tables }) => {
      tables.statistics[2]!.value = 130;
    },
    expected: {
      type: 'percent-out-of-range',
      table: 'statistics',
      key: `${parkArticle}-p2-n1`,
      field: 'value',
      source: at(10, 22),
    },
    en: /^The percentage 130% is outside 0–100; check the number and the unit read from "41\.2%"\.$/,
    zh: cn(String.raw`^百分比 130% 不在 0–100 之间;请核对从“41\.2%”读出的数值和单位。$`),
  },
  {
    name: 'a dangling article_id',
    corrupt: ({ tables }) => {
      tables.statistics[4]!.article_id = 'coastal-district-page~deadbeef';
    },
    expected: {
      type: 'dangling-reference',
      table: 'statistics',
      key: `${showArticle}-p1-n1`,
      field: 'article_id',
      source: at(16, 38),
    },
    en: /^article_id coastal-district-page~deadbeef of this statistics row matches no row of articles; add the article/,
    zh: cn(
      '^statistics 表的 article_id coastal-district-page~deadbeef 在 articles 表中找不到;请补上这篇文章',
    ),
  },
  {
    name: 'a person of a missing article',
    corrupt: ({ tables }) => {
      tables.people[2]!.article_id = 'coastal-district-page~deadbeef';
    },
    expected: {
      type: 'dangling-reference',
      table: 'people',
      key: 'coastal-district-page~deadbeef|赵晨|reporter',
      field: 'article_id',
      source: at(null, null),
    },
    en: /matches no row of articles/,
    zh: cn('在 articles 表中找不到'),
  },
  {
    name: 'a statistic whose text is not at its position',
    corrupt: ({ tables }) => {
      tables.statistics[1]!.source_column = 10;
    },
    expected: {
      type: 'statistic-text-mismatch',
      table: 'statistics',
      key: `${parkArticle}-p1-n2`,
      field: 'text',
      source: at(8, 10),
    },
    en: /^The text "3\.2万平方米" is not at line 8, column 10 of test\/fixtures\/coastal-district-page\.txt \(found "通讯员王芳\)昨"\); correct/,
    zh: cn(
      String.raw`^原文“3\.2万平方米”不在 test\/fixtures\/coastal-district-page\.txt 第 8 行第 10 列(该处是“通讯员王芳\)昨”);请改正`,
    ),
  },
  {
    name: 'a statistic on a line the source does not have',
    corrupt: ({ tables }) => {
      tables.statistics[5]!.source_line = 99;
    },
    expected: {
      type: 'statistic-text-mismatch',
      table: 'statistics',
      key: `${showArticle}-p2-n1`,
      field: 'source_line',
      source: at(99, 17),
    },
    en: /points at line 99, but .* has only 18 lines; correct source_line\.$/,
    zh: cn('第 99 行不存在(.* 只有 18 行);请改正 source_line。$'),
  },
  {
    name: 'an empty paragraph',
    corrupt: ({ tables }) => {
      tables.paragraphs[3]!.text = '';
    },
    expected: {
      type: 'empty-paragraph',
      table: 'paragraphs',
      key: `${showArticle}|2`,
      field: 'text',
      source: at(18, 1),
    },
    en: /^Paragraph 2 of article coastal-district-page~b72d4e15 has no text; remove it or fix the layout repair/,
    zh: cn('^文章 coastal-district-page~b72d4e15 的第 2 段没有文字;请删除该段'),
  },
  {
    name: 'a paragraph of blanks',
    corrupt: ({ tables }) => {
      tables.paragraphs[0]!.text = ' \u3000 ';
    },
    expected: {
      type: 'empty-paragraph',
      table: 'paragraphs',
      key: `${parkArticle}|1`,
      field: 'text',
      source: at(8, 1),
    },
    en: /has no text/,
    zh: cn('没有文字'),
  },
  {
    name: 'a line the parser lost',
    corrupt: ({ tables, sources }) => {
      tables.articles[1]!.source_lines = ['14-16'];
      sources[0]!.accounting = { nonBlank: 10, inArticles: 7, inNoise: 2, inWarnings: 0 };
    },
    expected: { type: 'lines-lost', table: null, key: null, field: null, source: at(18, 1) },
    en: /^Line 18 is not blank but is in no article, no noise and no warning: the parser lost it; fix the parser/,
    zh: cn('^第 18 行不是空行,却不在任何文章、噪声或警告中,解析时丢失了;请修正解析器'),
  },
  {
    name: 'lines counted twice',
    corrupt: ({ sources }) => {
      sources[0]!.accounting = { nonBlank: 10, inArticles: 8, inNoise: 2, inWarnings: 1 };
    },
    expected: { type: 'lines-counted-twice', table: null, key: null, field: null, source: at(null, null) },
    en: /^The parser accounts for 11 lines but the source has only 10 non-blank lines/,
    zh: cn('^解析器记了 11 行,而来源只有 10 个非空行,有的行被算了两次;请修正解析器的行计数。$'),
  },
  {
    name: 'lost lines that cannot be named',
    corrupt: ({ sources }) => {
      sources[0]!.accounting = { nonBlank: 10, inArticles: 6, inNoise: 2, inWarnings: 0 };
      delete sources[0]!.noise;
    },
    expected: { type: 'lines-lost', table: null, key: null, field: null, source: at(null, null) },
    en: /^2 of 10 non-blank lines are unaccounted for \(articles 6, noise 2, warnings 0\)/,
    zh: cn('^10 个非空行中有 2 行没有归属(文章 6 行,噪声 2 行,警告 0 行)'),
  },
];

describe('validateRelease', () => {
  it('finds nothing wrong with a correct page, and its report matches its own schema', () => {
    const report = validateRelease(fixturePage());
    expect(report.problems).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.counts).toEqual({ errors: 0, warnings: 0, by_type: {} });
    expect(report.tables).toEqual({
      articles: { rows: 2, errors: 0 },
      paragraphs: { rows: 4, errors: 0 },
      statistics: { rows: 6, errors: 0 },
      people: { rows: 3, errors: 0 },
      documents: { rows: 1, errors: 0 },
    });
    expect(report.sources).toEqual([
      {
        source_id: 'coastal-district-page',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        bytes: 737,
        encoding: 'utf-8',
      },
    ]);
    expectMatchesOwnSchema(report);
  });

  describe.each(['en', 'zh'] as const)('in %s', (lang) => {
    it.each(corruptions)('reports $name with its type, key and source position', (corruption) => {
      const page = fixturePage();
      corruption.corrupt(page);
      const report = validateRelease(page, { lang });
      expect(report.problems).toHaveLength(1);
      const [problem] = report.problems;
      expect(problem).toEqual({ ...corruption.expected, severity: 'error', message: expect.any(String) });
      expect(problem!.message).toMatch(lang === 'en' ? corruption.en : corruption.zh);
      expect(report.valid).toBe(false);
      expect(report.counts).toEqual({ errors: 1, warnings: 0, by_type: { [corruption.expected.type]: 1 } });
      expectMatchesOwnSchema(report);
    });
  });

  it('reports every row of a duplicated key, at each row', () => {
    const page = fixturePage();
    page.tables.paragraphs.push(structuredClone(page.tables.paragraphs[2]!));
    const report = validateRelease(page);
    expect(
      report.problems.map(({ type, table, key, field, source }) => ({ type, table, key, field, source })),
    ).toEqual([
      {
        type: 'duplicate-key',
        table: 'paragraphs',
        key: `${showArticle}|1`,
        field: 'article_id,seq',
        source: at(16, 1),
      },
      {
        type: 'duplicate-key',
        table: 'paragraphs',
        key: `${showArticle}|1`,
        field: 'article_id,seq',
        source: at(16, 1),
      },
    ]);
    expect(report.problems[0]!.message).toBe(
      `Key ${showArticle}|1 appears 2 times in paragraphs, but keys must be unique; remove the duplicate rows or fix how the key is made.`,
    );
    expect(validateRelease(page, { lang: 'zh' }).problems[0]!.message).toMatch(
      cn(
        String.raw`^paragraphs 表中键 coastal-district-page~b72d4e15\|1 出现了 2 次,而键必须唯一;请删除重复的记录,或修正生成键的方式。$`,
      ),
    );
    expect(report.tables.paragraphs).toEqual({ rows: 5, errors: 2 });
  });

  it('gives one problem per schema error, each naming its column', () => {
    const page = fixturePage();
    Object.assign(page.tables.statistics[0]!, { unit: '', approximate: 'no', colour: 'red' });
    const problems = validateRelease(page).problems;
    expect(problems.map((p) => [p.type, p.field])).toEqual([
      ['schema', 'approximate'],
      ['schema', 'colour'],
      ['schema', 'unit'],
    ]);
    expect(problems.every((p) => p.key === `${parkArticle}-p1-n1` && p.source?.line === 8)).toBe(true);
  });

  it('accepts a quantity that runs off the end of its line (cut by a column break)', () => {
    const page = fixturePage();
    const lines = page.sources[0]!.lines!;
    lines[17] = '演出由社区志愿者自编自演,共表演节目1';
    const statistic = page.tables.statistics[5]!;
    expect(validateRelease(page).problems).toEqual([]);
    statistic.text = '节目25个';
    expect(validateRelease(page).problems.map((p) => p.type)).toEqual(['statistic-text-mismatch']);
  });

  it('counts columns in code points, not UTF-16 units', () => {
    const page = fixturePage();
    const lines = page.sources[0]!.lines!;
    lines[17] = `𠀀${lines[17]}`;
    page.tables.statistics[5]!.source_column += 1;
    expect(validateRelease(page).problems).toEqual([]);
  });

  it('finds a statistic at its column on any line: characters outside the BMP and lone surrogates', () => {
    // 𠮷 is two UTF-16 units; a lone \uD842 is one code point of its own.
    const char = fc.constantFrom('张', '𠮷', '3', '%', '\uD842');
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 12 }),
        fc.array(char, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 15 }),
        (line, text, column) => {
          const page = fixturePage();
          const statistic = page.tables.statistics[5]!;
          page.sources[0]!.lines![statistic.source_line - 1] = line.join('');
          statistic.text = text.join('');
          statistic.source_column = column;
          // The reference: the rest of the line from the column, split into code points.
          const rest = Array.from(line.join(''))
            .slice(column - 1)
            .join('');
          const found = rest.startsWith(statistic.text) || (rest !== '' && statistic.text.startsWith(rest));
          const problems = validateRelease(page).problems;
          if (found) expect(problems).toEqual([]);
          else {
            expect(problems.map((p) => [p.type, p.field])).toEqual([['statistic-text-mismatch', 'text']]);
            const shown = Array.from(rest).slice(0, Array.from(statistic.text).length).join('');
            expect(problems[0]!.message).toContain(`(found "${shown}")`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('calls a paragraph empty exactly when trimming leaves nothing, whatever white space it has', () => {
    // Every kind of white space and line end JavaScript trims, and some characters that are not.
    const char = fc.constantFrom(
      ...' \t\n\v\f\r\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff',
      ...'\u0085\u200b\u3001字A!',
    );
    fc.assert(
      fc.property(fc.array(char, { maxLength: 6 }), (chars) => {
        const page = fixturePage();
        const text = chars.join('');
        page.tables.paragraphs[3]!.text = text;
        const types = validateRelease(page).problems.map((p) => p.type);
        expect(types.includes('empty-paragraph')).toBe(text.trim() === '');
      }),
      { numRuns: 300 },
    );
  });

  it('turns an undecodable source into an error at its byte offset', () => {
    const page = fixturePage();
    page.sources.push({
      source_id: 'broken-page',
      file: 'data/sources/broken-page.txt',
      sha256: 'b'.repeat(64),
      bytes: 40,
      encoding: null,
      error: {
        code: 'SOURCE_NOT_DECODABLE',
        message: 'Byte 0xFF at offset 17 is neither UTF-8 nor GB18030; save the file as UTF-8.',
        offset: 17,
      },
    });
    for (const lang of ['en', 'zh'] as const) {
      const report = validateRelease(page, { lang });
      expect(report.problems).toEqual([
        {
          type: 'source-not-decodable',
          severity: 'error',
          table: null,
          key: null,
          field: null,
          message: expect.stringMatching(lang === 'en' ? /at byte offset 17/ : /字节偏移 17.*另存为 UTF-8/),
          source: { file: 'data/sources/broken-page.txt', line: null, column: null },
        },
      ]);
      expect(report.sources.map((s) => [s.source_id, s.encoding])).toEqual([
        ['broken-page', null],
        ['coastal-district-page', 'utf-8'],
      ]);
      expectMatchesOwnSchema(report);
    }
  });

  it('points a parse error at file:line:column and names it source-*', () => {
    const page = fixturePage();
    page.sources[0]!.error = { code: 'SOURCE_EMPTY', message: 'The page has no text.', line: 1, column: 1 };
    const [problem] = validateRelease(page, { lang: 'zh' }).problems;
    expect(problem).toMatchObject({ type: 'source-empty', source: at(1, 1) });
    expect(problem!.message).toMatch(/^来源 test\/fixtures\/coastal-district-page\.txt 没有任何文字/);
    page.sources[0]!.error = { code: 'LAYOUT_UNREADABLE', message: 'x', line: 3 };
    expect(validateRelease(page).problems[0]).toMatchObject({
      type: 'source-layout-unreadable',
      source: at(3, null),
    });
  });

  it('reports parser warnings with severity warning, after the errors', () => {
    const page = fixturePage();
    const source = page.sources[0]!;
    source.warnings = [
      {
        code: 'unresolved-cut',
        message: 'Paragraph ends without punctuation; check the page.',
        line: 10,
        column: 1,
      },
    ];
    source.accounting!.inWarnings = 0;
    page.tables.statistics[2]!.value = 101;
    const report = validateRelease(page, { lang: 'zh' });
    expect(report.problems.map((p) => [p.severity, p.type, p.source?.line])).toEqual([
      ['error', 'percent-out-of-range', 10],
      ['warning', 'unresolved-cut', 10],
    ]);
    expect(report.problems[1]!.message).toMatch(/^第 10 行的段落在分栏处被截断/);
    expect(report.counts).toEqual({
      errors: 1,
      warnings: 1,
      by_type: { 'percent-out-of-range': 1, 'unresolved-cut': 1 },
    });
    expect(validateRelease(page).problems[1]!.message).toBe(
      'Paragraph ends without punctuation; check the page.',
    );
  });

  it('sorts problems by file, line, column and type whatever the row order', () => {
    const page = fixturePage();
    page.tables.statistics[5]!.source_column = 3;
    page.tables.statistics[0]!.value = -1;
    page.tables.statistics[0]!.unit = '%';
    delete (page.tables.articles[1] as Partial<Tables['articles'][0]>).title;
    const forward = validateRelease(page).problems;
    page.tables.statistics.reverse();
    page.tables.articles.reverse();
    expect(validateRelease(page).problems).toEqual(forward);
    expect(forward.map((p) => `${p.source?.line}:${p.source?.column} ${p.type}`)).toEqual([
      '8:39 percent-out-of-range',
      '14:1 schema',
      '18:3 statistic-text-mismatch',
    ]);
  });

  it('never throws on arbitrary mutations of the rows, and its report always matches its schema', () => {
    const tableName = fc.constantFrom('articles', 'paragraphs', 'statistics', 'people', 'documents' as const);
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        table: tableName,
        row: fc.nat(),
        field: fc.string(),
        value: fc.anything(),
      }),
      fc.record({
        kind: fc.constant('set-known' as const),
        table: tableName,
        row: fc.nat(),
        field: fc.constantFrom(
          'article_id',
          'seq',
          'text',
          'source_lines',
          'source_line',
          'source_column',
          'value',
          'unit',
        ),
        value: fc.oneof(fc.anything(), fc.integer(), fc.string(), fc.array(fc.string())),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        table: tableName,
        row: fc.nat(),
        field: fc.string(),
      }),
      fc.record({
        kind: fc.constant('replace' as const),
        table: tableName,
        row: fc.nat(),
        value: fc.anything(),
      }),
      fc.record({ kind: fc.constant('duplicate' as const), table: tableName, row: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(mutation, { maxLength: 8 }),
        fc.constantFrom('en', 'zh' as const),
        (mutations, lang) => {
          const page = fixturePage();
          for (const m of mutations) {
            const rows = page.tables[m.table] as unknown[];
            const index = m.row % rows.length;
            const row = rows[index] as Record<string, unknown>;
            if (m.kind === 'replace') rows[index] = m.value;
            else if (m.kind === 'duplicate') rows.push(structuredClone(rows[index]));
            else if (typeof row !== 'object' || row === null) continue;
            else if (m.kind === 'delete') delete row[m.field];
            else row[m.field] = m.value;
          }
          const report = validateRelease(page, { lang });
          expectMatchesOwnSchema(report);
          expect(report.valid).toBe(report.counts.errors === 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
