import type { Tables } from '@newsdata/contract';
import { describe, expect, it } from 'vitest';
import { fixturePage, parkArticle } from './fixtures.test-data.js';
import { exitCodeForReport, formatReport, validateRelease } from './index.js';

function corruptedReport(lang: 'en' | 'zh' = 'en') {
  const page = fixturePage();
  page.tables.statistics[2]!.value = 130;
  delete (page.tables.articles[1] as Partial<Tables['articles'][0]>).title;
  page.sources[0]!.warnings = [
    { code: 'orphan-block', message: 'Block fits no article.', line: 2, column: 1 },
  ];
  return validateRelease(page, { lang });
}

describe('formatReport', () => {
  it('shows the counts first, then each problem under its type as file:line:column', () => {
    const text = formatReport(corruptedReport());
    expect(text).toBe(
      [
        'Validation: INVALID, 2 errors, 1 warning',
        '  by type: orphan-block 1, percent-out-of-range 1, schema 1',
        '  rows: articles 2 (1 with errors), paragraphs 4, statistics 6 (1 with errors), people 3, documents 1',
        '  sources: coastal-district-page (utf-8, 737 bytes)',
        '',
        'percent-out-of-range (1)',
        `  test/fixtures/coastal-district-page.txt:10:22  error  statistics ${parkArticle}-p2-n1 value  The percentage 130% is outside 0–100; check the number and the unit read from "41.2%".`,
        '',
        'schema (1)',
        "  test/fixtures/coastal-district-page.txt:14:1  error  articles coastal-district-page~b72d4e15 title  Field title: must have required property 'title' (see schemas/article.schema.json); correct the articles row coastal-district-page~b72d4e15, or the parse/extract step that produced it.",
        '',
        'orphan-block (1)',
        '  test/fixtures/coastal-district-page.txt:2:1  warning  Block fits no article.',
        '',
      ].join('\n'),
    );
  });

  it('speaks Chinese and colours only when asked', () => {
    const text = formatReport(corruptedReport('zh'), { lang: 'zh' });
    expect(text.split('\n')[0]).toBe('校验结果\uFF1A无效\uFF0C2 个错误\uFF0C1 个警告');
    expect(text).toContain('test/fixtures/coastal-district-page.txt:10:22  错误  statistics');
    expect(text).toContain(
      'test/fixtures/coastal-district-page.txt:2:1  警告  第 2 行的文字块无法归入任何文章',
    );
    expect(text).not.toContain('\u001b[');
    expect(formatReport(corruptedReport(), { color: true })).toContain('\u001b[31merror\u001b[0m');
  });

  it('says so when there is nothing wrong', () => {
    expect(formatReport(validateRelease(fixturePage()))).toMatch(
      /^Validation: valid, 0 errors, 0 warnings\n[\s\S]*\nNo problems found\.\n$/,
    );
  });
});

describe('exitCodeForReport', () => {
  it('is 2 for errors, 1 for warnings only when failing on warnings, else 0', () => {
    expect(exitCodeForReport(corruptedReport())).toBe(2);
    expect(exitCodeForReport(corruptedReport(), { failOn: 'warning' })).toBe(2);
    const page = fixturePage();
    page.sources[0]!.warnings = [{ code: 'unresolved-cut', message: 'x', line: 10, column: 1 }];
    const warningsOnly = validateRelease(page);
    expect(exitCodeForReport(warningsOnly)).toBe(0);
    expect(exitCodeForReport(warningsOnly, { failOn: 'error' })).toBe(0);
    expect(exitCodeForReport(warningsOnly, { failOn: 'warning' })).toBe(1);
    expect(exitCodeForReport(validateRelease(fixturePage()), { failOn: 'warning' })).toBe(0);
  });
});
