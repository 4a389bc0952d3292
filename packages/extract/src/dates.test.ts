import { describe, expect, it } from 'vitest';
import { findDates, resolveDate } from './index.js';

describe('resolveDate', () => {
  it.each([
    ['2024年11月29日', null, '2024-11-29', 'day'],
    ['2024年5月', null, '2024-05', 'month'],
    ['2024年', null, '2024', 'year'],
    ['二〇二四年五月', null, '2024-05', 'month'],
    ['昨日', '2025-01-08', '2025-01-07', 'day'],
    ['昨天', '2025-03-01', '2025-02-28', 'day'],
    ['今天', '2025-01-08', '2025-01-08', 'day'],
    ['前天', '2025-01-01', '2024-12-30', 'day'],
    ['1月8日', '2025-01-09', '2025-01-08', 'day'],
    ['12月30日', '2025-01-02', '2024-12-30', 'day'],
    ['8日', '2025-01-09', '2025-01-08', 'day'],
    ['近日', '2025-01-08', '2025-01', 'month'],
    ['日前', '2025-01-01', '2024-12', 'month'],
    ['去年', '2025-01-08', '2024', 'year'],
    ['上月', '2025-01-08', '2024-12', 'month'],
  ])('%s (edition %s) → %s', (text, edition, iso, precision) => {
    expect(resolveDate(text, edition)).toEqual({ iso, precision });
  });

  it.each(['昨日', '近日', '1月8日', '今天'])('%s without an edition date is unknown', (text) => {
    expect(resolveDate(text)).toBeNull();
    expect(resolveDate(text, null)).toBeNull();
  });

  it.each(['2024年13月', '2025年2月30日', '会上', ''])('%j is not a date', (text) => {
    expect(resolveDate(text, '2025-01-08')).toBeNull();
  });
});

describe('findDates', () => {
  it('finds every dated mention with its position', () => {
    const text = '2024年4月26日,规划通过;2024年5月,改革实施;2024年,全市推进。';
    expect(findDates(text)).toEqual([
      { text: '2024年4月26日', iso: '2024-04-26', precision: 'day', index: 0 },
      { text: '2024年5月', iso: '2024-05', precision: 'month', index: 16 },
      { text: '2024年', iso: '2024', precision: 'year', index: 29 },
    ]);
  });
});
