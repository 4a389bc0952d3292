import { dataError } from '@newsdata/errors';
import {
  type Credits,
  datelineAt,
  type LeadByline,
  parseBylineLine,
  parseLeadByline,
  parseTailCredit,
} from './byline.js';
import { decodeSource, normalizeLineEnds, rejectEmpty } from './decode.js';
import { isCaption, isFurniture, isNumbered, rowCells } from './furniture.js';
import {
  codePointLength,
  codePointsBetween,
  detach,
  fold,
  isTerminated,
  skipSpaces,
  startsMidSentence,
  trimBounds,
} from './text.js';
import type {
  Encoding,
  ParsedArticle,
  ParsedPage,
  ParsedParagraph,
  ParseWarning,
  RepairDecision,
  SourceSpan,
} from './types.js';
import { scoreVocabulary, Vocabulary } from './vocabulary.js';

/** Options of `parsePage`. */
export interface ParseOptions {
  /** Name of the source, for error messages. */
  file?: string;
}

type Kind = 'noise' | 'marker' | 'byline' | 'credit' | 'heading' | 'loose' | 'row' | 'para';
type MarkerKind = 'down' | 'up' | 'end';

/** One non-blank line and what it looks like on its own. Indexes are into the source line. */
interface Unit {
  n: number;
  start: number;
  end: number;
  block: number;
  kind: Kind;
  /** The folded line from `start` (its first 160 units at most): index k is source index start + k. */
  folded: string;
  marker?: MarkerKind;
  credits?: Credits;
  lead?: LeadByline | null;
  /** A numbered heading (一、 (一) 1.): a section, never a headline. */
  numbered?: boolean;
  /** A kicker-shaped line (ends with a colon, or a whole 【tag】): above a headline, it is its kicker. */
  kicker?: boolean;
}

interface Piece {
  line: number;
  start: number;
  end: number;
}

interface Para {
  pieces: Piece[];
  section: string | null;
  /** The paragraph ends without closing punctuation: a column break cut it. */
  open: boolean;
  /** Cut and marked 下转: its rest is on another page, or after a jump line. */
  deferred: boolean;
}

interface Art {
  order: number;
  title: string;
  subtitle: string | null;
  kicker: string | null;
  credits: Credits | null;
  /** The byline was a line of its own (a feature with sections), not inline in the lead. */
  bylineLine: boolean;
  /** A closing credit (（记者 王某）) or （完） ended it: a heading after it starts a new article. */
  closed: boolean;
  dateline: string | null;
  /** The next paragraph is the lead: look for a dateline (`dates`: a calendar date counts too). */
  expectDateline: 'relative' | 'dates' | null;
  sections: string[];
  section: string | null;
  paras: Para[];
  lines: number[];
  vocabulary: Vocabulary;
  /** Keys of its headline (whole line, title alone): a later heading with one of them is its jump line. */
  keys: string[];
}

interface Repair {
  kind: RepairDecision['kind'];
  art: Art;
  line: number;
  reason: (seq: (art: Art) => number) => string;
}

const MAX_HEADING = 40;
/**
 * Without a jump line to go by, another article takes a block from the current one only when the
 * block shares this many more own bigrams with it (beyond twice the current article's): the flow of
 * the page is the better guess, and a big article shares words with anything by sheer size.
 */
const OVERRIDE = 8;
/** How many recent articles may own a cut paragraph that a later block completes. */
const WINDOW = 16;
/** QR-code captions: 扫描二维码 / 关注… / 下载客户端. */
const QR = /二维码|扫码|扫一扫/;
const CALL = /^(?:关注|下载|获取|查看|观看|收听|阅读|订阅|登录|更多)/;
const EDITOR = /^(?:责任编辑|责编|本版编辑|编辑|美编|校对|版式设计|版式|组版|制图|审校|终审)\s*:/;
const MARKER_LINE =
  /^\((下转|转|上接|紧接|接)第?\s*[0-9一二三四五六七八九十百A-Za-z]+\s*版\)$|^\((完|全文完)\)$/;
const MARKER_TAIL = /\((?:下转|转)第?\s*[0-9一二三四五六七八九十百A-Za-z]+\s*版\)$/;
const MARKER_HEAD = /^\((?:上接|紧接|接)第?\s*[0-9一二三四五六七八九十百A-Za-z]+\s*版\)/;
const DASH = /[—―]{2}|--/;
/** A lead that says where the news came from: 记者从市交通局获悉, 据市气象台消息. */
const OPENER =
  /^(?:本报)?记者(?:近日|日前|昨日|昨天|今天|今日)?(?:从|在|获悉|了解到)[^。]{0,40}?(?:获悉|了解到|得知)|^据[^,。]{1,20}(?:消息|报道|通报)/;

/** Where an inline subtitle dash starts in a folded headline (after the title), or -1. */
function dashAt(folded: string): number {
  const at = folded.search(DASH);
  return at > 0 ? at : -1;
}

/** Read the bytes (or take the text) of a page. */
function textOf(input: Uint8Array | string, file: string | undefined): { text: string; encoding: Encoding } {
  if (typeof input !== 'string') return decodeSource(input, file);
  const wellFormed = (input as string & { isWellFormed?: () => boolean }).isWellFormed?.() ?? true;
  if (!wellFormed) {
    const bad = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(input)!;
    throw dataError(
      'SOURCE_NOT_DECODABLE',
      `${file ?? 'The source'} holds a lone UTF-16 surrogate at index ${bad.index}: it is not Unicode text. ` +
        'Decode the page from its bytes instead (parsePage accepts a Uint8Array).',
      { ...(file === undefined ? {} : { file }), offset: bad.index },
    );
  }
  const bom = input.charCodeAt(0) === 0xfeff;
  const text = normalizeLineEnds(bom ? input.slice(1) : input);
  if (/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text)) {
    // Reuse the byte check for the message and offset.
    decodeSource(new TextEncoder().encode(text), file);
  }
  rejectEmpty(text, file);
  return { text, encoding: bom ? 'utf-8-bom' : 'utf-8' };
}

/** Heading-like: short, without sentence punctuation. `loose` allows commas and !?… (a headline only with a byline after it). */
function headingKind(folded: string): 'heading' | 'loose' | null {
  if (folded.length > 2 * MAX_HEADING + 20) return null;
  const dash = dashAt(folded);
  const title = dash > 0 ? folded.slice(0, dash) : folded;
  if (codePointLength(title) > MAX_HEADING) return null;
  if (/[。;]/.test(folded) || /[,、:]$/.test(folded)) return null;
  if (!/[\u4e00-\u9fffA-Za-z]/.test(title)) return null;
  return /[,!?…]/.test(folded) ? 'loose' : 'heading';
}

/** Split the page into units: one per non-blank line, classified on its own (and its block, for captions). */
function unitsOf(
  lines: string[],
  lineStarts: number[],
  foldedText: string,
  noise: { line: number; text: string }[],
): Unit[] {
  const units: Unit[] = [];
  let block = 0;
  let blockStart = 0;
  let blockHasQr = false;
  // A QR caption is its 扫码 line, the calls to action around it (关注…, 下载…) and the short
  // remnants of a wrapped caption line (关注大连新闻 / 传媒集团); a headline in the same block is not.
  const closeBlock = () => {
    if (!blockHasQr) return;
    const caption = (k: number) => {
      const unit = units[k]!;
      return unit.end - unit.start <= 30 && (QR.test(unit.folded) || CALL.test(unit.folded));
    };
    for (let k = blockStart; k < units.length; k++) {
      if (!QR.test(units[k]!.folded) || units[k]!.end - units[k]!.start > 30) continue;
      let from = k;
      while (from > blockStart && caption(from - 1)) from--;
      let to = k + 1;
      while (to < units.length && (caption(to) || units[to]!.end - units[to]!.start <= 6)) to++;
      for (let m = from; m < to; m++) units[m]!.kind = 'noise';
      k = to - 1;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const [start, end] = trimBounds(line);
    if (start === end) {
      if (units.length > blockStart) closeBlock();
      block++;
      blockStart = units.length;
      blockHasQr = false;
      continue;
    }
    const at = lineStarts[i]!;
    const folded = foldedText.slice(at + start, at + Math.min(end, start + 160));
    if (end - start <= 30 && QR.test(folded)) blockHasQr = true;
    // Every field set up front: one object shape keeps the loops over units monomorphic.
    const unit: Unit = {
      n: i + 1,
      start,
      end,
      block,
      kind: 'para',
      folded,
      marker: undefined,
      credits: undefined,
      lead: undefined,
      numbered: false,
      kicker: false,
    };
    if (end - start <= 40 && EDITOR.test(folded)) unit.kind = 'noise';
    else if (end - start <= 80 && isFurniture(folded)) unit.kind = 'noise';
    else if (isCaption(folded, end - start <= 160)) unit.kind = 'noise';
    else if (end - start <= 24 && folded.charCodeAt(0) === 0x28) {
      // A marker line is bracketed: the trimmed line starts with its '('.
      const marker = MARKER_LINE.exec(folded.replace(/\s+/g, ''));
      if (marker) {
        unit.kind = 'marker';
        unit.marker = marker[2] ? 'end' : marker[1]!.includes('接') ? 'up' : 'down';
      }
    }
    if (unit.kind === 'para') {
      const head = MARKER_HEAD.exec(folded);
      unit.lead = parseLeadByline(folded, head ? skipSpaces(folded, head[0].length, folded.length) : 0);
    }
    if (unit.kind === 'para' && !unit.lead && end - start <= 2 * MAX_HEADING + 20) {
      const credits = parseBylineLine(folded);
      const tail = credits ? null : parseTailCredit(folded);
      if (credits) {
        unit.kind = 'byline';
        unit.credits = credits;
      } else if (tail && tail.start === 0) {
        unit.kind = 'credit';
        unit.credits = tail.credits;
      } else {
        const kind = headingKind(folded);
        if (kind) {
          unit.kind = kind;
          if (isNumbered(folded)) unit.numbered = true;
          else if (/^【[^】]{1,20}】$/.test(folded)) unit.kicker = true;
        } else if (end - start <= 30 && /[\u4e00-\u9fff]/.test(folded)) {
          // A kicker ends with a colon (新春走基层：); a rare headline ends with 。: both only count
          // when what follows confirms them, else they are text.
          if (/^[^。;!?,:]+:$/.test(folded)) {
            unit.kind = 'heading';
            unit.kicker = true;
          } else if (/^[^。;!?,:]+。$/.test(folded)) unit.kind = 'loose';
        }
      }
    }
    units.push(unit);
  }
  closeBlock();
  for (const unit of units) {
    if (unit.kind === 'noise')
      noise.push({ line: unit.n, text: lines[unit.n - 1]!.slice(unit.start, unit.end) });
  }
  const kept = units.filter((unit) => unit.kind !== 'noise');
  markRows(kept);
  return kept;
}

/**
 * Table rows dumped as lines (`地区生产总值 8752亿元 5.5%`): a line of space-separated cells with two
 * numbers, or one number next to another such line; a line of as many cells without numbers right
 * above a row is its header. Rows are paragraphs of their own, never headings, never cut.
 */
function markRows(units: Unit[]): void {
  const cells = new Int32Array(units.length).fill(-1);
  for (let k = 0; k < units.length; k++) {
    const unit = units[k]!;
    if (
      unit.end - unit.start <= 120 &&
      (unit.kind === 'heading' || unit.kind === 'loose' || unit.kind === 'para')
    )
      cells[k] = rowCells(unit.folded);
  }
  const count = (unit: Unit) => unit.folded.split(/\s+/).filter((t) => t.length > 0).length;
  for (let k = 0; k < units.length; k++) {
    const c = cells[k]!;
    if (c >= 2 || (c >= 1 && ((cells[k - 1] ?? -1) >= 1 || (cells[k + 1] ?? -1) >= 1)))
      units[k]!.kind = 'row';
  }
  for (let k = units.length - 2; k >= 0; k--) {
    const next = units[k + 1]!;
    if (cells[k] === 0 && next.kind === 'row' && count(units[k]!) === count(next)) units[k]!.kind = 'row';
  }
}

/**
 * Credits for the output, their strings copied: credits are read from the page's folded text, and
 * V8 keeps a whole string alive for any slice of 13 units or more taken from it.
 */
function ownCredits(credits: Credits): Credits {
  return {
    reporters: credits.reporters.map(detach),
    contributors: credits.contributors.map(detach),
    agency: credits.agency === null ? null : detach(credits.agency),
  };
}

/** Whether the line's text before `end` closes with a bracket (either width): a credit may close it. */
function closesWithBracket(line: string, end: number): boolean {
  const code = line.charCodeAt(end - 1);
  return code === 0x29 || code === 0xff09;
}

/** The key a jump line repeats: the folded headline without spaces or continuation markers. */
function keyOf(folded: string): string {
  return folded
    .replace(/\((?:下转|转|上接|紧接|接)第?\s*[0-9一二三四五六七八九十百A-Za-z]+\s*版\)/g, '')
    .replace(/\s+/g, '');
}

function quote(text: string, fromEnd: boolean): string {
  const chars = [...(fromEnd ? text.slice(-24) : text.slice(0, 24))];
  if (chars.length <= 12) return `“${text}”`;
  return fromEnd ? `“…${chars.slice(-12).join('')}”` : `“${chars.slice(0, 12).join('')}…”`;
}

/**
 * Rebuild the articles of one newspaper page from its bytes (UTF-8, UTF-8 with BOM, GB18030) or text.
 * Pure: no I/O, the same input gives the same output.
 *
 * Blocks are classified as noise, headline, subtitle, byline, section heading or paragraph by
 * general features (length, punctuation, position, what follows). Layout damage is repaired: cut
 * paragraphs are joined, jump lines and 下转/上接 markers continue their article, interleaved
 * continuation blocks go to the article whose cut paragraph they complete (grammar of the cut plus
 * shared character bigrams). Every non-blank line ends in exactly one article, the noise list, or a
 * warning.
 *
 * @example
 * const page = parsePage('市政协召开党组会议\n\n本报讯(记者石朕)昨日,市政协召开党组会议。\n');
 * page.articles[0].title     // '市政协召开党组会议'
 * page.articles[0].reporters // ['石朕']
 * page.articles[0].dateline  // '昨日'
 * page.articles[0].paragraphs[0].text // '昨日,市政协召开党组会议。'
 * @throws NewsDataError (fault `data`) `SOURCE_NOT_DECODABLE`, `SOURCE_BINARY` or `SOURCE_EMPTY`: see `decodeSource`.
 */
export function parsePage(input: Uint8Array | string, options: ParseOptions = {}): ParsedPage {
  const { text, encoding } = textOf(input, options.file);
  const lines = text.split('\n');
  const lineStarts: number[] = new Array(lines.length);
  for (let n = 0, at = 0; n < lines.length; n++) {
    lineStarts[n] = at;
    at += lines[n]!.length + 1;
  }
  // Folded once for the page: one pass costs less than folding each line on its own, and a line's
  // folded view is then a slice of it (folding keeps indexes).
  const foldedText = fold(text);
  const noise: { line: number; text: string }[] = [];
  const units = unitsOf(lines, lineStarts, foldedText, noise);

  const arts: Art[] = [];
  const warnings: ParseWarning[] = [];
  const repairs: Repair[] = [];
  const jumpKeys = new Map<string, Art>();
  // Where each heading text occurs (unit indexes, ascending): tells whether an article resumes later.
  const headingsAt = new Map<string, number[]>();
  units.forEach((unit, k) => {
    if (unit.kind !== 'heading' && unit.kind !== 'loose') return;
    const key = keyOf(unit.folded);
    const at = headingsAt.get(key);
    if (at) at.push(k);
    else headingsAt.set(key, [k]);
  });
  /** The unit index of the next jump line of `art` after unit `i`, or -1. */
  const nextJump = (art: Art, i: number) => {
    let found = -1;
    for (const key of art.keys) {
      const at = headingsAt.get(key);
      if (!at) continue;
      // Binary search: a headline repeated many times must not make this step quadratic.
      let lo = 0;
      let hi = at.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (at[mid]! > i) hi = mid;
        else lo = mid + 1;
      }
      const k = at[lo];
      if (k !== undefined && (found < 0 || k < found)) found = k;
    }
    return found;
  };
  let cur: Art | null = null;
  let last: {
    kind: 'para' | 'jump' | 'head' | 'section' | 'byline' | 'up' | 'row' | 'other';
    art: Art | null;
    block: number;
  } = { kind: 'other', art: null, block: -1 };
  let pendingUp: Unit[] = [];

  const src = (unit: Unit, from: number, to: number) => lines[unit.n - 1]!.slice(from, to);
  /** `fold(src(unit, from, to))`, without folding again. */
  const foldedSrc = (unit: Unit, from: number, to: number) => {
    const at = lineStarts[unit.n - 1]!;
    return foldedText.slice(at + from, at + to);
  };
  /** The unit's line ends with a closing credit after its text: …。（记者 王某）. */
  const signsOff = (unit: Unit) => {
    if (!closesWithBracket(lines[unit.n - 1]!, unit.end)) return false;
    const from = Math.max(unit.start, unit.end - 48);
    const signed = parseTailCredit(foldedSrc(unit, from, unit.end));
    return signed !== null && (signed.start > 0 || from === unit.start);
  };
  const columnOf = (line: number, index: number) => codePointsBetween(lines[line - 1]!, 0, index) + 1;
  const hold = (unit: Unit, code: string, message: string) => {
    warnings.push({ code, message, line: unit.n, column: columnOf(unit.n, unit.start), lines: [unit.n] });
  };
  const orphan = (unit: Unit, why: string) =>
    hold(unit, 'orphan-block', `Line ${unit.n} ${why}; it is kept here so that no line is lost.`);
  const flushPendingUp = (art: Art | null) => {
    for (const marker of pendingUp) {
      if (art) {
        art.lines.push(marker.n);
        repairs.push({
          kind: 'continuation-marker',
          art,
          line: marker.n,
          reason: (seq) =>
            `上接 marker on line ${marker.n}: the text after it continues article ${seq(art)}.`,
        });
      } else orphan(marker, 'is a 上接 marker, but no headline follows it on this page');
    }
    pendingUp = [];
  };
  const lastPara = (art: Art) => art.paras[art.paras.length - 1];
  const ambiguous: { unit: Unit; from: Art; rival: Art; own: number; other: number }[] = [];
  /** A closing credit names who wrote the article: it fills the byline, or adds names it lacks. */
  const credit = (art: Art, credits: Credits) => {
    if (art.credits === null) {
      art.credits = ownCredits(credits);
      return;
    }
    const into = art.credits;
    for (const name of credits.reporters)
      if (!into.reporters.includes(name)) into.reporters.push(detach(name));
    for (const name of credits.contributors)
      if (!into.contributors.includes(name) && !into.reporters.includes(name))
        into.contributors.push(detach(name));
    into.agency ??= credits.agency === null ? null : detach(credits.agency);
  };
  const openCut = (art: Art) => {
    const para = lastPara(art);
    return para?.open === true && !para.deferred;
  };
  const unresolved = (art: Art, para: Para) => {
    const piece = para.pieces[para.pieces.length - 1]!;
    const tail = lines[piece.line - 1]!.slice(piece.start, piece.end);
    warnings.push({
      code: 'unresolved-cut',
      message: `The paragraph ending ${quote(tail, true)} on line ${piece.line} (article “${art.title}”) ends without closing punctuation and no block on the page completes it; it is published as printed.`,
      line: piece.line,
      column: columnOf(piece.line, piece.end - 1),
      lines: [],
    });
  };

  /** Add a piece to the article: a new paragraph, or the rest of its cut last paragraph. */
  const addPiece = (art: Art, unit: Unit, start: number, end: number, join: boolean) => {
    art.lines.push(unit.n);
    if (start >= end) return;
    const piece = { line: unit.n, start, end };
    const body = src(unit, start, end);
    art.vocabulary.add(body);
    let para = lastPara(art);
    if (join && para) para.pieces.push(piece);
    else {
      if (para?.open) unresolved(art, para);
      para = { pieces: [piece], section: art.section, open: false, deferred: false };
      art.paras.push(para);
    }
    para.open = !isTerminated(body);
    para.deferred = false;
  };

  /** Choose among articles whose last paragraph is cut which one `unit` completes. */
  const choose = (unit: Unit, start: number, end: number, candidates: Art[], current: Art | null) => {
    const body = src(unit, start, end);
    const scores = scoreVocabulary(
      body,
      candidates.map((art) => art.vocabulary.bigrams()),
    );
    let best = 0;
    for (let c = 1; c < candidates.length; c++) {
      const a = scores[c]!;
      const b = scores[best]!;
      const better =
        a.exclusive > b.exclusive ||
        (a.exclusive === b.exclusive &&
          (a.shared > b.shared ||
            (a.shared === b.shared && candidates[best] !== current && candidates[c] === current)));
      if (better) best = c;
    }
    return { winner: candidates[best]!, scores };
  };

  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    let kind = unit.kind;

    // Inside one block, a line after a cut line is its continuation whatever it looks like.
    if (
      (kind === 'heading' || kind === 'loose') &&
      last.kind === 'para' &&
      last.block === unit.block &&
      cur !== null &&
      openCut(cur)
    ) {
      kind = 'para';
    }

    // A short line or one followed by text that starts inside a sentence, right after a cut
    // paragraph, is a piece of that paragraph between two column breaks, not a section heading.
    if (
      (kind === 'heading' || kind === 'loose') &&
      cur !== null &&
      last.kind === 'para' &&
      last.art === cur
    ) {
      const next = units[i + 1];
      // A short sentence right after a cut is its end, not a headline that happens to end with 。.
      if (openCut(cur) && kind === 'loose' && unit.folded.endsWith('。')) kind = 'para';
      else if (
        openCut(cur) &&
        !unit.numbered &&
        !unit.kicker &&
        !jumpKeys.has(keyOf(unit.folded)) &&
        next?.kind !== 'byline' &&
        !next?.lead &&
        ((next?.kind === 'para' && startsMidSentence(next.folded)) ||
          (kind === 'heading' && codePointLength(unit.folded) <= 6 && !/\s/.test(unit.folded)))
      )
        kind = 'para';
    }

    if (kind === 'marker') {
      if (unit.marker === 'up') {
        if (cur && (last.kind === 'head' || last.kind === 'jump') && last.art === cur) {
          pendingUp.push(unit);
          flushPendingUp(cur);
          last = { kind: 'up', art: cur, block: unit.block };
        } else pendingUp.push(unit);
        continue;
      }
      if (!cur) {
        orphan(unit, `is a ${unit.marker === 'end' ? 'closing' : '下转'} marker before any headline`);
        continue;
      }
      const art = cur;
      art.lines.push(unit.n);
      if (unit.marker === 'end') art.closed = true;
      if (unit.marker === 'down') {
        const para = lastPara(art);
        if (para?.open) para.deferred = true;
        repairs.push({
          kind: 'continuation-marker',
          art,
          line: unit.n,
          reason: (seq) =>
            `下转 marker on line ${unit.n}: article ${seq(art)} continues on another page or after its jump line` +
            (para?.open ? ', so its cut paragraph is not joined to the next block.' : '.'),
        });
      }
      last = { kind: 'other', art, block: unit.block };
      continue;
    }

    if (kind === 'byline' || kind === 'credit') {
      if (cur && cur.paras.length === 0 && cur.credits === null && last.art === cur) {
        cur.credits = ownCredits(unit.credits!);
        cur.bylineLine = kind === 'byline';
        cur.lines.push(unit.n);
        last = { kind: 'byline', art: cur, block: unit.block };
        continue;
      }
      // At the end of an article (text before it, no text after it), a credit line closes it:
      // （本报记者 王某 整理）, or a bare 记者 王某 where no byline was printed above.
      const next = units[i + 1];
      const closing =
        kind === 'credit' || (cur?.credits === null && (next === undefined || next.kind !== 'para'));
      if (cur && cur.paras.length > 0 && last.art === cur && closing) {
        credit(cur, unit.credits!);
        cur.closed = true;
        cur.lines.push(unit.n);
        last = { kind: 'other', art: cur, block: unit.block };
      } else orphan(unit, 'is a byline with no headline before it');
      continue;
    }

    if (kind === 'row') {
      if (pendingUp.length > 0) flushPendingUp(null);
      if (!cur) {
        orphan(unit, 'is a table row before any headline on the page');
        continue;
      }
      addPiece(cur, unit, unit.start, unit.end, false);
      lastPara(cur)!.open = false;
      last = { kind: 'row', art: cur, block: unit.block };
      continue;
    }

    if (kind === 'heading' || kind === 'loose') {
      const folded = foldedSrc(unit, unit.start, unit.end);
      const key = keyOf(folded);
      const jumped = jumpKeys.get(key);
      if (jumped) {
        cur = jumped;
        jumped.lines.push(unit.n);
        const para = lastPara(jumped);
        if (para?.deferred) para.deferred = false;
        const target = jumped;
        repairs.push({
          kind: 'jump-line',
          art: target,
          line: unit.n,
          reason: (seq) =>
            `Line ${unit.n} repeats the headline of article ${seq(target)}: a jump line, so the text after it continues that article.`,
        });
        flushPendingUp(jumped);
        last = { kind: 'jump', art: jumped, block: unit.block };
        continue;
      }
      const run: Unit[] = [unit];
      let j = i + 1;
      // A headline that ends with 。 has no kicker or subtitle: it is a headline only before a byline.
      while (j < units.length && run.length < 4 && !unit.folded.endsWith('。')) {
        const next = units[j]!;
        // A subtitle is a strict heading, or a line that opens with a dash (it may hold commas).
        if (next.kind !== 'heading' && !(next.kind === 'loose' && /^[—―-]/.test(next.folded))) break;
        if (next.numbered || next.kicker) break;
        if (jumpKeys.has(keyOf(foldedSrc(next, next.start, next.end)))) break;
        run.push(next);
        j++;
      }
      const after = units[j];
      const bylineNext =
        after !== undefined && (after.kind === 'byline' || (after.kind === 'para' && !!after.lead));
      // Text marked 上接 under a heading is the rest of an article begun on another page.
      const continuedNext =
        after !== undefined &&
        ((after.kind === 'marker' && after.marker === 'up') ||
          (after.kind === 'para' && MARKER_HEAD.test(after.folded)));
      const dash = dashAt(folded) > 0;
      const dashNext = run.length > 1 && /^[—―-]/.test(run[1]!.folded);
      // A heading is a headline before a news lead: one that opens with a time word and a comma
      // (昨日上午, / 1月7日下午,), or says where the news came from (记者从…获悉, 据…消息).
      const time = after?.kind === 'para' ? datelineAt(after.folded, 0, true) : null;
      const timed = time !== null && /^[^,。]{0,6},/.test(after!.folded.slice(time[1], time[1] + 8));
      const opener = after?.kind === 'para' && OPENER.test(after.folded);
      // A brief printed whole under its heading signs off with a credit: …。（记者 王某）.
      const signed = after?.kind === 'para' && signsOff(after);
      const leadNext =
        cur !== null &&
        (cur.closed || opener || signed || (cur.sections.length === 0 && run.length === 1 && timed));
      let headline: boolean;
      if (bylineNext) headline = true;
      else if (kind === 'loose' || (unit.numbered && cur !== null)) headline = false;
      else headline = dash || dashNext || continuedNext || cur === null || pendingUp.length > 0 || leadNext;
      // Which line of the run is the headline: a kicker (引题) may stand above it.
      const dashLine = run.findIndex((u, k) => k > 0 && /^[—―-]/.test(u.folded));
      let titleAt = 0;
      if (headline && !dash && run.length >= 2) {
        if (unit.kicker || dashLine === 2 || (dashLine < 0 && run.length >= 3)) titleAt = 1;
      }
      if ((kind === 'loose' || unit.kicker) && (!headline || (unit.kicker && titleAt === 0))) kind = 'para';
      else if (!headline && after === undefined && cur !== null) kind = 'para';
      else if (headline) {
        const main = run[titleAt]!;
        const first = src(main, main.start, main.end);
        const mainFolded = foldedSrc(main, main.start, main.end);
        const cut = dashAt(mainFolded);
        const title = (cut > 0 ? first.slice(0, cut) : first).trim();
        const kicker = run
          .slice(0, titleAt)
          .map((u) => src(u, u.start, u.end).trim())
          .join(' ');
        const subtitles: string[] = [];
        if (cut > 0) subtitles.push(first.slice(cut + 2).trim());
        for (const extra of run.slice(titleAt + 1)) {
          subtitles.push(
            src(extra, extra.start, extra.end)
              .replace(/^[—―-]+\s*/, '')
              .trim(),
          );
        }
        const titleKey = keyOf(mainFolded);
        const ownKey = keyOf(fold(title));
        const art: Art = {
          order: arts.length,
          title,
          subtitle: subtitles.filter((s) => s.length > 0).join(' ') || null,
          kicker: kicker || null,
          credits: null,
          bylineLine: false,
          closed: false,
          dateline: null,
          expectDateline: 'relative',
          sections: [],
          section: null,
          paras: [],
          lines: run.map((u) => u.n),
          vocabulary: new Vocabulary(),
          keys: [titleKey, ownKey],
        };
        art.vocabulary.add(title);
        if (art.subtitle) art.vocabulary.add(art.subtitle);
        arts.push(art);
        // A kicker is not a key: two articles may share one (新春走基层:), and it is no jump line.
        jumpKeys.set(titleKey, art);
        jumpKeys.set(ownKey, art);
        cur = art;
        flushPendingUp(art);
        last = { kind: 'head', art, block: run[run.length - 1]!.block };
        i = j - 1;
        continue;
      } else {
        // A section heading of the current article.
        const art = cur!;
        const heading = src(unit, unit.start, unit.end);
        if (art.sections.length === 0 && !unit.numbered && !art.bylineLine && art.subtitle === null) {
          // A news story (byline in its lead, or none) seldom has sections: this may be the headline
          // of a brief that prints no byline. Nothing on the page tells; say so.
          warnings.push({
            code: 'ambiguous-heading',
            message: `Line ${unit.n} (${quote(heading, false)}) is taken as a section heading of “${art.title}”, but it may be the headline of a new article that prints no byline; check the page.`,
            line: unit.n,
            column: columnOf(unit.n, unit.start),
            lines: [],
          });
        }
        art.sections.push(heading);
        art.section = heading;
        art.lines.push(unit.n);
        art.vocabulary.add(heading);
        last = { kind: 'section', art, block: unit.block };
        continue;
      }
    }

    // A paragraph block.
    if (pendingUp.length > 0) flushPendingUp(null);
    if (!cur) {
      orphan(unit, 'comes before any headline on the page');
      continue;
    }
    let start = unit.start;
    let end = unit.end;
    const head = MARKER_HEAD.exec(unit.folded);
    if (head) start = unit.start + skipSpaces(unit.folded, head[0].length, unit.folded.length);
    const tailFolded = foldedSrc(unit, Math.max(start, end - 24), end);
    const tail = MARKER_TAIL.exec(tailFolded);
    let deferred = false;
    if (tail) {
      end = Math.max(start, end - tailFolded.length + tail.index);
      while (end > start && /\s/.test(lines[unit.n - 1]![end - 1]!)) end--;
      deferred = true;
    }
    // A brief signs off at its end: …。（记者 王某）. The credit leaves the text for the byline fields.
    let closing: Credits | null = null;
    if (!deferred && end - start > 4 && closesWithBracket(lines[unit.n - 1]!, end)) {
      const from = Math.max(start, end - 48);
      const signed = parseTailCredit(foldedSrc(unit, from, end));
      if (signed && (signed.start > 0 || from === start)) {
        closing = signed.credits;
        end = from + signed.start;
        while (end > start && /\s/.test(lines[unit.n - 1]![end - 1]!)) end--;
      }
    }

    const lead = unit.lead;
    let isLead = false;
    // A lead right under a standalone byline (新华社记者 王某 / 据新华社沈阳1月7日电 …) is still the lead.
    const underByline = cur.credits !== null && last.kind === 'byline' && last.art === cur;
    if (lead && cur.paras.length === 0 && (cur.credits === null || underByline)) {
      isLead = true;
      const art = cur;
      credit(art, lead.credits);
      start = unit.start + lead.end;
      if (lead.date) art.dateline = src(unit, unit.start + lead.date[0], unit.start + lead.date[1]);
      art.expectDateline = lead.date ? null : 'dates';
      if (start >= end) {
        art.lines.push(unit.n);
        last = { kind: 'byline', art, block: unit.block };
        continue;
      }
    } else if (lead) {
      warnings.push({
        code: 'lead-without-headline',
        message: `Line ${unit.n} opens like the lead of a new article (${quote(src(unit, unit.start, unit.start + lead.end), false)}) but no headline precedes it; it is kept, byline and all, as a paragraph of “${cur.title}”.`,
        line: unit.n,
        column: columnOf(unit.n, unit.start),
        lines: [],
      });
    }

    const continuing =
      !isLead && (head !== null || last.kind === 'para' || last.kind === 'jump' || last.kind === 'up');
    const followsCut = continuing && last.art === cur && openCut(cur);
    const openCuts = () => {
      const found: Art[] = [];
      for (let k = Math.max(0, arts.length - WINDOW); k < arts.length; k++)
        if (openCut(arts[k]!)) found.push(arts[k]!);
      return found;
    };
    let target: Art = cur;
    let join = false;
    if (followsCut) {
      join = true;
      const others = openCuts().filter((art) => art !== cur);
      if (others.length === 0) {
        const art = cur;
        repairs.push({
          kind: 'join-cut',
          art,
          line: unit.n,
          reason: (seq) =>
            `The paragraph of article ${seq(art)} before line ${unit.n} ends without closing punctuation; line ${unit.n} completes it (no other article has a cut paragraph).`,
        });
      } else {
        // Without a jump line of the current article further down, the flow of the page is presumed:
        // another article must share clearly more vocabulary. A jump line says the current article is
        // interrupted before it resumes, so then vocabulary decides on equal terms.
        const jump = nextJump(cur, i);
        const pool = [cur, ...others];
        const { winner: best, scores } = choose(unit, start, end, pool, cur);
        let winner = best;
        if (jump < 0 && best !== cur) {
          const own = scores[0]!;
          const other = scores[pool.indexOf(best)]!;
          if (other.exclusive < 2 * own.exclusive + OVERRIDE) {
            winner = cur;
            // The vocabulary leans the other way, only not far enough to overrule the flow.
            if (other.exclusive > own.exclusive) {
              const from = cur;
              const rival = best;
              ambiguous.push({ unit, from, rival, own: own.exclusive, other: other.exclusive });
            }
          }
        }
        target = winner;
        const explain = (seq: (art: Art) => number) =>
          pool
            .map(
              (art, c) =>
                `article ${seq(art)}: ${scores[c]!.exclusive} own / ${scores[c]!.shared} shared bigrams`,
            )
            .join('; ');
        const from = cur;
        const jumpLine = jump >= 0 ? units[jump]!.n : 0;
        repairs.push({
          kind: winner === cur ? 'join-cut' : 'interleaved-continuation',
          art: winner,
          line: unit.n,
          reason: (seq) =>
            winner === from
              ? `Line ${unit.n} follows the cut paragraph of article ${seq(from)} and completes it; another article also has a cut paragraph, but ${jump >= 0 ? 'none shares more' : 'none shares clearly more'} vocabulary with the block (${explain(seq)}).`
              : `Line ${unit.n} follows the cut paragraph of article ${seq(from)}, but it shares ${jump >= 0 ? 'more' : 'far more'} vocabulary with the cut paragraph of article ${seq(winner)} (${explain(seq)})${jump >= 0 ? `, and article ${seq(from)} resumes after its jump line on line ${jumpLine}` : ''}: the columns interleave.`,
        });
      }
    } else if (!isLead && startsMidSentence(unit.folded.slice(start - unit.start)) && openCuts().length > 0) {
      const recent = openCuts();
      const { winner, scores } = choose(unit, start, end, recent, null);
      target = winner;
      join = true;
      repairs.push({
        kind: 'interleaved-continuation',
        art: winner,
        line: unit.n,
        reason: (seq) =>
          `Line ${unit.n} starts inside a sentence, so it completes a cut paragraph; of the articles with one, article ${seq(winner)} shares the most vocabulary with it (${recent
            .map(
              (art, c) =>
                `article ${seq(art)}: ${scores[c]!.exclusive} own / ${scores[c]!.shared} shared bigrams`,
            )
            .join('; ')}).`,
      });
    }

    if (!join && target.expectDateline) {
      const folded = unit.folded;
      const span = datelineAt(folded, start - unit.start, target.expectDateline === 'dates');
      if (span) target.dateline = src(unit, unit.start + span[0], unit.start + span[1]);
    }
    if (!join) target.expectDateline = null;
    addPiece(target, unit, start, end, join);
    if (deferred) {
      const para = lastPara(target)!;
      if (para.open) para.deferred = true;
      const art = target;
      repairs.push({
        kind: 'continuation-marker',
        art,
        line: unit.n,
        reason: (seq) =>
          `Line ${unit.n} ends with a 下转 marker: article ${seq(art)} continues on another page or after its jump line.`,
      });
    }
    if (closing) {
      credit(target, closing);
      target.closed = true;
    }
    cur = target;
    last = { kind: 'para', art: target, block: unit.block };
  }
  if (pendingUp.length > 0) flushPendingUp(null);

  // An article needs a paragraph: a headline with nothing under it is held by a warning.
  const kept: Art[] = [];
  for (const art of arts) {
    if (art.paras.length > 0) {
      kept.push(art);
      continue;
    }
    for (const n of art.lines) {
      const [start] = trimBounds(lines[n - 1]!);
      warnings.push({
        code: 'empty-article',
        message: `Line ${n} belongs to the headline “${art.title}”, which has no paragraph on this page; it is kept here so that no line is lost.`,
        line: n,
        column: columnOf(n, start),
        lines: [n],
      });
    }
  }
  for (const art of kept) {
    const para = lastPara(art)!;
    if (para.open && !para.deferred) unresolved(art, para);
  }
  const seqOf = new Map(kept.map((art, k) => [art, k + 1]));
  const seq = (art: Art) => seqOf.get(art) ?? 0;
  for (const { unit, from, rival, own, other } of ambiguous) {
    // Only worth a word when the rival's cut stayed open: then the page may have it wrong.
    const para = lastPara(rival);
    if (!seqOf.has(rival) || !para?.open || para.deferred) continue;
    warnings.push({
      code: 'ambiguous-continuation',
      message: `Line ${unit.n} was joined to the cut paragraph of “${from.title}” (article ${seq(from)}) by the flow of the page, but it shares more vocabulary with “${rival.title}” (article ${seq(rival)}: ${other} against ${own} own bigrams), whose cut paragraph nothing completes; one of the two is likely wrong.`,
      line: unit.n,
      column: columnOf(unit.n, unit.start),
      lines: [],
    });
  }

  const articles: ParsedArticle[] = kept.map((art, k) => ({
    seq: k + 1,
    title: art.title,
    subtitle: art.subtitle,
    ...(art.kicker === null ? {} : { kicker: art.kicker }),
    reporters: art.credits?.reporters ?? [],
    contributors: art.credits?.contributors ?? [],
    agency: art.credits?.agency ?? null,
    dateline: art.dateline,
    sections: art.sections,
    paragraphs: art.paras.map((para, p) => paragraphOf(para, p + 1, lines, lineStarts)),
    lines: ascending(art.lines),
  }));
  warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  const nonBlank = units.length + noise.length;
  const inArticles = articles.reduce((sum, art) => sum + art.lines.length, 0);
  const inWarnings = warnings.reduce((sum, warning) => sum + (warning.lines?.length ?? 0), 0);
  return {
    encoding,
    text,
    lines,
    articles,
    noise,
    warnings,
    repairs: repairs
      .filter((repair) => seqOf.has(repair.art))
      .map((repair) => ({
        kind: repair.kind,
        article: seq(repair.art),
        line: repair.line,
        reason: repair.reason(seq),
      })),
    accounting: { nonBlank, inArticles, inNoise: noise.length, inWarnings },
  };
}

/** `lines` sorted in place. They are nearly always in order already: then Array#sort (which allocates a work area) is skipped. */
function ascending(lines: number[]): number[] {
  for (let k = 1; k < lines.length; k++) if (lines[k - 1]! > lines[k]!) return lines.sort((a, b) => a - b);
  return lines;
}

/** Build the published paragraph: text joined from its pieces, with a span per piece. */
function paragraphOf(para: Para, seq: number, lines: string[], lineStarts: number[]): ParsedParagraph {
  let text = '';
  const spans: SourceSpan[] = [];
  for (const piece of para.pieces) {
    const line = lines[piece.line - 1]!;
    spans.push({
      line: piece.line,
      column: codePointsBetween(line, 0, piece.start) + 1,
      offset: lineStarts[piece.line - 1]! + piece.start,
      length: piece.end - piece.start,
      at: text.length,
    });
    text += line.slice(piece.start, piece.end);
  }
  return { seq, section: para.section, text, spans };
}
