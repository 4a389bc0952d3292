const DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const SMALL: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const BIG: Record<string, number> = { 万: 1e4, 亿: 1e8 };

/** Characters that can make up a Chinese numeral. */
export const CHINESE_NUMERAL_CHARS = '零〇一二两三四五六七八九十百千万亿';

const ARABIC = /^([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)(千万|百万|万亿|[十百千万亿])?$/;

const FULL_WIDTH = /[０-９，．]/;
const FULL_WIDTH_ALL = /[０-９，．]/g;

/** Full-width digits, comma and point to ASCII, so one grammar reads both. */
export function toHalfWidthDigits(text: string): string {
  // Most numbers are written in ASCII: a test is cheaper than a replace that finds nothing.
  if (!FULL_WIDTH.test(text)) return text;
  return text.replace(FULL_WIDTH_ALL, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

function isAsciiDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Rounds away binary noise (1.2 × 1e8 = 120000000.00000001) without losing stated decimals. */
function tidy(value: number): number {
  // An integer below 10^15 has at most 15 significant digits: toPrecision(15) gives it back unchanged.
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value;
  return Number.parseFloat(value.toPrecision(15));
}

function chineseInteger(text: string): number | null {
  if (text.length === 0) return null;
  const chars = [...text];
  if (chars.every((c) => c in DIGITS)) {
    // 二〇二四 is read digit by digit; a lone 两 is 2.
    return Number(chars.map((c) => DIGITS[c]).join(''));
  }
  let total = 0;
  let section = 0;
  let digit: number | null = null;
  for (const c of chars) {
    if (c in DIGITS) {
      digit = DIGITS[c]!;
    } else if (c in SMALL) {
      section += (digit ?? 1) * SMALL[c]!;
      digit = null;
    } else if (c === '万') {
      total += (section + (digit ?? 0) || 1) * BIG[c]!;
      section = 0;
      digit = null;
    } else if (c === '亿') {
      total = (total + section + (digit ?? 0) || 1) * BIG[c]!;
      section = 0;
      digit = null;
    } else {
      return null;
    }
  }
  return total + section + (digit ?? 0);
}

function anyNumber(text: string): number | null {
  // Most numbers are plain digits: no grammar needed.
  if (isAsciiDigits(text)) return tidy(Number(text));
  const arabic = ARABIC.exec(text);
  if (arabic) {
    const base = Number(arabic[1]!.replaceAll(',', ''));
    const scale = arabic[2] ? chineseInteger(arabic[2])! : 1;
    return tidy(base * scale);
  }
  const decimal = /^([零〇一二两三四五六七八九十百千]+)点([零〇一二两三四五六七八九]+)$/.exec(text);
  if (decimal) {
    const whole = chineseInteger(decimal[1]!);
    const fraction = [...decimal[2]!].map((c) => DIGITS[c]).join('');
    return whole === null ? null : Number(`${whole}.${fraction}`);
  }
  return chineseInteger(text);
}

/**
 * Reads a number written in Arabic digits, Chinese numerals or a mix, with 万/亿 applied.
 * Percent (百分之…) gives the number of percent; a fraction (…分之…) gives its value.
 * Returns null for text that is not one number.
 *
 * @example
 * parseChineseNumber('一百二十五'); // 125
 * parseChineseNumber('3365万');     // 33650000
 * parseChineseNumber('1,200');      // 1200
 * parseChineseNumber('百分之三十');  // 30
 * parseChineseNumber('三分之一');    // 0.3333333333
 */
export function parseChineseNumber(text: string): number | null {
  const t = toHalfWidthDigits(text.trim());
  if (t.length === 0) return null;
  if (t.startsWith('百分之')) return anyNumber(t.slice(3));
  const fraction = t.includes('分之') ? /^(.+)分之(.+)$/.exec(t) : null;
  if (fraction) {
    const denominator = anyNumber(fraction[1]!);
    const numerator = anyNumber(fraction[2]!);
    if (denominator === null || numerator === null || denominator === 0) return null;
    return tidy(numerator / denominator);
  }
  return anyNumber(t);
}
