import { parseChineseNumber } from './numbers.js';

/** A date read from text: ISO form (YYYY, YYYY-MM or YYYY-MM-DD) and how precise it is. */
export interface ResolvedDate {
  iso: string;
  precision: 'year' | 'month' | 'day';
}

/** A date found in a text, with where it starts (0-based index in UTF-16 units). */
export interface DateMention extends ResolvedDate {
  text: string;
  index: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
const NUM = '[0-9]{1,4}|[零〇一二两三四五六七八九十]{1,4}';
const ABSOLUTE = new RegExp(`(?:(${NUM})年)?(?:(${NUM})月)?(?:(${NUM})[日号])?`, 'u');
const ABSOLUTE_ALL = new RegExp(
  `([0-9]{4}|[零〇一二三四五六七八九]{4})年(?:(${NUM})月(?:(${NUM})[日号])?)?`,
  'gu',
);

function isoOf(year: number, month?: number, day?: number): ResolvedDate | null {
  if (year < 1000 || year > 9999) return null;
  if (month === undefined) return { iso: String(year), precision: 'year' };
  if (month < 1 || month > 12) return null;
  if (day === undefined) return { iso: `${year}-${pad(month)}`, precision: 'month' };
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (day < 1 || probe.getUTCMonth() !== month - 1) return null;
  return { iso: `${year}-${pad(month)}-${pad(day)}`, precision: 'day' };
}

function parseEdition(editionDate: string | null | undefined): Date | null {
  if (!editionDate) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(editionDate);
  if (!m) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

function shift(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

function dayOf(date: Date): ResolvedDate {
  return isoOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())!;
}

const RELATIVE_DAYS: Record<string, number> = {
  今天: 0,
  今日: 0,
  当天: 0,
  当日: 0,
  昨天: -1,
  昨日: -1,
  前天: -2,
  前日: -2,
};

/**
 * Resolves a time word or a written date to an ISO date with its precision. Absolute dates need no
 * edition date; relative ones (昨日, 今天, 前天; 近日 and 日前 give the month of the day before the
 * edition; 今年, 去年, 本月, 上月) and dates without a year (1月8日, 8日) are read against
 * `editionDate` (YYYY-MM-DD) and give null without it. A month-day later than a month after the
 * edition is taken from the year before (a January paper reporting 12月30日).
 *
 * @example
 * resolveDate('2024年11月29日');          // { iso: '2024-11-29', precision: 'day' }
 * resolveDate('2024年5月');               // { iso: '2024-05', precision: 'month' }
 * resolveDate('昨日', '2025-01-08');      // { iso: '2025-01-07', precision: 'day' }
 * resolveDate('1月8日', '2025-01-09');    // { iso: '2025-01-08', precision: 'day' }
 * resolveDate('昨日');                    // null
 */
export function resolveDate(text: string, editionDate?: string | null): ResolvedDate | null {
  const t = text.trim();
  const edition = parseEdition(editionDate);
  if (t in RELATIVE_DAYS) return edition ? dayOf(shift(edition, RELATIVE_DAYS[t]!)) : null;
  if (!edition && /^(近日|日前|近期|今年|去年|本月|上月)$/.test(t)) return null;
  if (edition) {
    const y = edition.getUTCFullYear();
    const m = edition.getUTCMonth() + 1;
    if (t === '近日' || t === '日前' || t === '近期') {
      const before = shift(edition, -1);
      return isoOf(before.getUTCFullYear(), before.getUTCMonth() + 1);
    }
    if (t === '今年') return isoOf(y);
    if (t === '去年') return isoOf(y - 1);
    if (t === '本月') return isoOf(y, m);
    if (t === '上月') return m === 1 ? isoOf(y - 1, 12) : isoOf(y, m - 1);
  }
  const match = ABSOLUTE.exec(t);
  if (!match || match[0] !== t || t.length === 0) return null;
  const [, ys, ms, ds] = match;
  const read = (s: string | undefined) =>
    s === undefined ? undefined : (parseChineseNumber(s) ?? Number.NaN);
  const year = read(ys);
  const month = read(ms);
  const day = read(ds);
  if ([year, month, day].some((n) => Number.isNaN(n))) return null;
  if (year !== undefined) {
    if (day !== undefined && month === undefined) return null;
    return isoOf(year, month, day);
  }
  if (!edition) return null;
  if (month === undefined) {
    return day === undefined ? null : isoOf(edition.getUTCFullYear(), edition.getUTCMonth() + 1, day);
  }
  let candidateYear = edition.getUTCFullYear();
  const candidate = isoOf(candidateYear, month, day);
  if (!candidate) return null;
  const start = new Date(Date.UTC(candidateYear, month - 1, day ?? 1));
  if (start.getTime() > shift(edition, 31).getTime()) candidateYear -= 1;
  return isoOf(candidateYear, month, day);
}

/**
 * Every absolute date with a year in a text (2024年, 2024年5月, 2024年11月29日), in order.
 *
 * @example
 * findDates('2024年11月29日,现场会召开')[0]; // { text: '2024年11月29日', iso: '2024-11-29', precision: 'day', index: 0 }
 */
export function findDates(text: string): DateMention[] {
  const out: DateMention[] = [];
  for (const m of text.matchAll(ABSOLUTE_ALL)) {
    const resolved = resolveDate(m[0]);
    if (resolved) out.push({ text: m[0], index: m.index, ...resolved });
  }
  return out;
}
