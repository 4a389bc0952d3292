import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChineseNumber } from './index.js';

const DIGITS = '零一二三四五六七八九';
/** Writes an integer below 1e12 in Chinese numerals, the way a newspaper does. */
function toChinese(n: number): string {
  if (n === 0) return '零';
  const section = (v: number): string => {
    let out = '';
    let zero = false;
    for (const [unit, size] of [
      ['千', 1000],
      ['百', 100],
      ['十', 10],
      ['', 1],
    ] as const) {
      const d = Math.floor(v / size) % 10;
      if (d === 0) {
        zero = out.length > 0;
        continue;
      }
      if (zero) out += '零';
      zero = false;
      out += DIGITS[d] + unit;
    }
    return out;
  };
  const yi = Math.floor(n / 1e8);
  const wan = Math.floor((n % 1e8) / 1e4);
  const rest = n % 1e4;
  let out = '';
  if (yi) out += `${section(yi)}亿`;
  if (wan) out += `${yi && wan < 1000 ? '零' : ''}${section(wan)}万`;
  if (rest) out += `${(yi || wan) && rest < 1000 ? '零' : ''}${section(rest)}`;
  return out;
}

describe('parseChineseNumber', () => {
  it.each([
    ['508', 508],
    ['93.83', 93.83],
    ['1,200', 1200],
    ['１２０', 120],
    ['一百二十五', 125],
    ['两千', 2000],
    ['十', 10],
    ['十七', 17],
    ['二十一', 21],
    ['一万二千', 12000],
    ['三千五百万', 35_000_000],
    ['一亿二千万', 120_000_000],
    ['3365万', 33_650_000],
    ['3.5万', 35_000],
    ['1.2亿', 120_000_000],
    ['二〇二四', 2024],
    ['百分之三十', 30],
    ['百分之12.5', 12.5],
    ['三分之一', 0.333333333333333],
    ['四分之三', 0.75],
    ['三点五', 3.5],
  ])('%s → %d', (text, value) => {
    expect(parseChineseNumber(text)).toBe(value);
  });

  it.each(['', '年', '三分之', 'abc', '零分之一'])('%j is not a number', (text) => {
    expect(parseChineseNumber(text)).toBeNull();
  });

  it('reads every integer written in Chinese numerals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999 }), (n) => {
        expect(parseChineseNumber(toChinese(n))).toBe(n);
      }),
    );
  });

  it('reads every Arabic number with thousands separators and 万', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
        expect(parseChineseNumber(n.toLocaleString('en-US'))).toBe(n);
        expect(parseChineseNumber(`${n}万`)).toBe(n * 10_000);
      }),
    );
  });
});
