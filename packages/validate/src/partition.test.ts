import { describe, expect, it } from 'vitest';
import { fixturePage, parkArticle, showArticle } from './fixtures.test-data.js';
import { partitionRows, validateRelease } from './index.js';

describe('partitionRows', () => {
  it('keeps every row of a valid release', () => {
    const page = fixturePage();
    const { valid, rejected, rejectedShare } = partitionRows(page.tables, validateRelease(page));
    expect(valid).toEqual(page.tables);
    expect(rejected).toEqual([]);
    expect(rejectedShare).toBe(0);
  });

  it('rejects a bad row, with its problems, and keeps the rest', () => {
    const page = fixturePage();
    page.tables.statistics[2]!.value = 130;
    const { valid, rejected, rejectedShare } = partitionRows(page.tables, validateRelease(page));
    expect(rejected).toEqual([
      {
        table: 'statistics',
        row: page.tables.statistics[2],
        problems: [expect.objectContaining({ type: 'percent-out-of-range' })],
      },
    ]);
    expect(valid.statistics.map((s) => s.statistic_id)).not.toContain(`${parkArticle}-p2-n1`);
    expect(valid.statistics).toHaveLength(5);
    expect(rejectedShare).toBeCloseTo(1 / 16);
  });

  it('rejects every row of a rejected article, and only those', () => {
    const page = fixturePage();
    page.tables.articles[1]!.char_count = 0;
    const report = validateRelease(page);
    const { valid, rejected } = partitionRows(page.tables, report);
    expect(rejected.map((r) => r.table)).toEqual([
      'articles',
      'paragraphs',
      'paragraphs',
      'statistics',
      'statistics',
      'people',
    ]);
    expect(rejected.every((r) => (r.row as { article_id: string }).article_id === showArticle)).toBe(true);
    expect(rejected.every((r) => r.problems[0]?.field === 'char_count')).toBe(true);
    expect(valid.articles.map((a) => a.article_id)).toEqual([parkArticle]);
    expect(valid.documents).toHaveLength(1);
  });

  it('rejects rows that are not records, and every row sharing a duplicated key; warnings reject nothing', () => {
    const page = fixturePage();
    (page.tables.people as unknown[]).push(42);
    page.tables.documents.push(structuredClone(page.tables.documents[0]!));
    page.sources[0]!.warnings = [{ code: 'orphan-block', message: 'x', line: 10, column: 1 }];
    const { valid, rejected } = partitionRows(page.tables, validateRelease(page));
    expect(rejected.map((r) => [r.table, r.problems.map((p) => p.type)])).toEqual([
      ['people', ['schema']],
      ['documents', ['duplicate-key', 'duplicate-key']],
      ['documents', ['duplicate-key', 'duplicate-key']],
    ]);
    expect(valid.people).toHaveLength(3);
    expect(valid.documents).toEqual([]);
    expect(valid.paragraphs).toHaveLength(4);
  });
});
