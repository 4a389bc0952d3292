import { fold } from './text.js';

/** Who wrote an article, as printed in its byline. */
export interface Credits {
  reporters: string[];
  contributors: string[];
  agency: string | null;
}

/** Roles printed in bylines. Those with 记者 are reporters; the rest (通讯员, 实习生) contribute. */
const ROLE = /(特约通讯员|通讯员|实习生|见习生|见习记者|特约记者|首席记者|记者|评论员)/;
/** A personal name: 2–4 Han characters, or a transcribed name with a middle dot. */
const NAME = /^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,8}[·・][\u4e00-\u9fff]{1,10})$/;
/** Credit prefixes that are not names: 文/ 图/, and the box or dot printed before a byline (□ ■ ◎). */
const PREFIX = /^[□■◎●○◆◇★☆▲△]*\s*(?:文\/图\s*\/?|文\s*\/|图\s*\/)?/;
/** Words that follow names in a credit and are not names: 报道, 摄, 整理. */
const NOT_NAME = /^(?:报道|摄|摄影|整理|供图|制图|发自\S*)$/;

function emptyCredits(): Credits {
  return { reporters: [], contributors: [], agency: null };
}

function cleanAgency(prefix: string): string | null {
  const agency = prefix.replace(/^本报/, '').trim();
  return agency.length > 0 ? agency : null;
}

/**
 * Parse the credit list of a byline (folded text). Names before any role are contributors (the
 * standalone form prints them before the agency); names after a role take that role.
 * Returns null when a token is neither a name, a role nor an agency: then it is not a byline.
 *
 * @example
 * parseCredits('张璐 大连新闻传媒集团记者 谢锦宜')
 * // { reporters: ['谢锦宜'], contributors: ['张璐'], agency: '大连新闻传媒集团' }
 */
export function parseCredits(text: string, lenient = false): Credits | null {
  const tokens = text
    .replace(PREFIX, '')
    .split(/[\s、,，/:]+/)
    .filter((t) => t.length > 0);
  const credits = emptyCredits();
  let role: 'reporter' | 'contributor' | null = null;
  let roles = 0;
  let names = 0;
  const add = (name: string) => {
    names++;
    if (role === 'reporter') credits.reporters.push(name);
    else credits.contributors.push(name);
  };
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k]!;
    const match = ROLE.exec(token);
    if (match) {
      roles++;
      const prefix = token.slice(0, match.index);
      const rest = token.slice(match.index + match[0].length);
      const agency = cleanAgency(prefix);
      if (agency !== null) {
        if (!/^[\u4e00-\u9fffA-Za-z0-9]+$/.test(agency) && !lenient) return null;
        credits.agency = agency;
      }
      role = match[0].includes('记者') || match[0] === '评论员' ? 'reporter' : 'contributor';
      // 本报评论员 signs an editorial without a name: the role alone is the byline.
      if (match[0] === '评论员' && rest.length === 0) names++;
      if (rest.length > 0) {
        if (NAME.test(rest)) add(rest);
        else if (!lenient) return null;
      }
      continue;
    }
    if (NOT_NAME.test(token)) continue;
    if (NAME.test(token)) {
      add(token);
      continue;
    }
    // A longer Han token right before a bare role word is the agency: 大连新闻传媒集团 记者 王某.
    const next = tokens[k + 1];
    if (/^[\u4e00-\u9fff]{4,20}$/.test(token) && next !== undefined && next.search(ROLE) === 0) {
      credits.agency = cleanAgency(token);
      continue;
    }
    if (!lenient) return null;
  }
  if (roles === 0 || (names === 0 && !lenient)) return null;
  return credits;
}

/**
 * A standalone byline line: `张璐 大连新闻传媒集团记者 谢锦宜`, `本报记者 王某 通讯员 李某`.
 * `folded` is the trimmed line after `fold`.
 */
export function parseBylineLine(folded: string): Credits | null {
  if (folded.length > 60 || !ROLE.test(folded) || /[。;!?"“”《》0-9]/.test(folded)) return null;
  return parseCredits(folded);
}

/** An inline byline at the start of a lead paragraph, as found. */
export interface LeadByline {
  credits: Credits;
  /** Index (in the line) where the paragraph text starts after the byline. */
  end: number;
  /** [start, end) of the date printed in a `…电` dateline (新华社北京1月8日电), if any. */
  date: [number, number] | null;
}

/**
 * `本报讯`, `本报北京1月8日电`, `新华社北京1月8日电`, `据新华社电`, `中新社电`, `大连晚报讯`: source, place,
 * date, 讯/电. A leading 据 (relayed from) is skipped.
 */
const LEAD =
  /^据?(本报|[\u4e00-\u9fff]{1,8}?社|[\u4e00-\u9fff]{1,6}?(?:日报|晚报|早报|晨报|商报|都市报))([\u4e00-\u9fff]{0,8}?)((?:\d{4}年)?\d{1,2}月\d{1,2}日)?(讯|电)/;

/**
 * Find an inline byline at `from` in a folded line: `本报讯(大连新闻传媒集团记者石朕)昨日,…`,
 * `新华社北京1月8日电(记者某某)…`. The returned `end` is where the lead's own text starts.
 */
export function parseLeadByline(folded: string, from: number): LeadByline | null {
  // Cheap test first: a dateline ends with 讯 or 电 within its first 32 characters. Searched in
  // place: this runs for every paragraph line, and most have neither.
  const xun = folded.indexOf('讯', from);
  const dian = folded.indexOf('电', from);
  if (!(xun >= 0 && xun < from + 32) && !(dian >= 0 && dian < from + 32)) return null;
  const head = folded.slice(from, from + 120);
  const match = LEAD.exec(head);
  if (!match) return null;
  const [whole, source, place, date] = match as unknown as [string, string, string, string | undefined];
  let at = whole.length;
  while (head[at] === ' ') at++;
  const bracket = head[at] === '(';
  // 清泉社区电… is a sentence, not a dateline: accept a 社 source only with a date, a bracket or nothing between.
  if (source !== '本报' && date === undefined && !bracket && place.length > 0) return null;
  // 本报记者近日从市电力公司… is a sentence too: a place is a few characters, or comes with a date.
  if (place.includes('记者') || (date === undefined && place.length > 3)) return null;
  let credits = emptyCredits();
  if (bracket) {
    const close = head.indexOf(')', at);
    if (close < 0 || close - at > 80) return null;
    const inner = head.slice(at + 1, close);
    const parsed = parseCredits(inner, true);
    if (parsed === null && inner.trim().length > 0) return null;
    if (parsed !== null) credits = parsed;
    at = close + 1;
  }
  if (source !== '本报' && credits.agency === null) credits.agency = source;
  while (head[at] === ' ' || head[at] === ':') at++;
  const dateStart = date === undefined ? -1 : whole.length - 1 - date.length;
  return {
    credits,
    end: from + at,
    date: date === undefined ? null : [from + dateStart, from + dateStart + date.length],
  };
}

/** Time words that open a news lead, relative to the edition: 昨日, 近日, 日前, 今天… */
const RELATIVE = /^(昨日|昨天|今日|今天|前日|前天|近日|日前|连日来|近期|日内|当天|当日)/;
/** A calendar date opening a lead: 1月8日, 2025年1月8日. */
const DATE = /^(?:\d{4}年)?\d{1,2}月\d{1,2}日/;

/**
 * The dateline at `from` in a folded line: a relative time word, or (when `dates` is true, i.e.
 * right after an inline byline) a calendar date. Returns [start, end) or null.
 *
 * @example
 * datelineAt('昨日,市政协召开党组会议', 0, true) // [0, 2]
 */
export function datelineAt(folded: string, from: number, dates: boolean): [number, number] | null {
  const head = folded.slice(from, from + 16);
  const match = RELATIVE.exec(head) ?? (dates ? DATE.exec(head) : null);
  return match ? [from, from + match[0].length] : null;
}

/** Fold and parse a standalone byline line given in source characters (for tests and callers). */
export function parseByline(line: string): Credits | null {
  return parseBylineLine(fold(line.trim()));
}

/** A credit in brackets closing a line or standing alone: `（记者 王某）`, `（本报记者 王某 整理）`, `(文/王某)`. */
const TAIL = /\(([^()]{2,40})\)$/;

/**
 * The credit that closes a brief or an article (folded line): `…。（记者 王某）` or a line
 * `（本报记者 王某 整理）`. Returns the credits and where the bracket starts, or null. Inside text, it
 * counts only after a sentence end, so that a bracketed aside is never taken for a credit.
 *
 * @example
 * parseTailCredit('市图书馆推出寒假阅读活动。(记者 王某)') // { credits: { reporters: ['王某'], … }, start: 13 }
 */
export function parseTailCredit(folded: string): { credits: Credits; start: number } | null {
  if (!folded.endsWith(')')) return null;
  const match = TAIL.exec(folded);
  if (!match) return null;
  const before = folded.slice(0, match.index).trimEnd();
  if (before.length > 0 && !/[。!?…”"]$/.test(before)) return null;
  const inner = match[1]!.trim();
  if (/(?:^|\s)(?:摄|摄影|供图)$/.test(inner)) return null;
  // 文/王某: the writer, without a role word.
  const writer = /^文\s*\/\s*([\u4e00-\u9fff·]{2,10}(?:\s+[\u4e00-\u9fff·]{2,4}){0,3})$/.exec(inner);
  if (writer) {
    return {
      credits: { reporters: writer[1]!.split(/\s+/), contributors: [], agency: null },
      start: match.index,
    };
  }
  const credits = parseCredits(inner);
  return credits ? { credits, start: match.index } : null;
}
