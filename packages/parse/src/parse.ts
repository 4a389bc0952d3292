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
import { type BigramSet, scoreVocabulary, Vocabulary, type VocabularyScore } from './vocabulary.js';

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
  marker: MarkerKind | null;
  credits: Credits | null;
  lead: LeadByline | null;
  /** A numbered heading (一、 (一) 1.): a section, never a headline. */
  numbered: boolean;
  /** A kicker-shaped line (ends with a colon, or a whole 【tag】): above a headline, it is its kicker. */
  kicker: boolean;
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
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const [start, end] = trimBounds(line);
    if (start === end) {
      if (blockHasQr && units.length > blockStart) markQrCaptions(units, blockStart);
      block++;
      blockStart = units.length;
      blockHasQr = false;
      continue;
    }
    const at = lineStarts[i]!;
    const folded = foldedText.slice(at + start, at + Math.min(end, start + 160));
    if (end - start <= 30 && QR.test(folded)) blockHasQr = true;
    units.push(unitOf(i + 1, start, end, block, folded));
  }
  if (blockHasQr) markQrCaptions(units, blockStart);
  for (const unit of units) {
    if (unit.kind === 'noise')
      noise.push({ line: unit.n, text: lines[unit.n - 1]!.slice(unit.start, unit.end) });
  }
  const kept = units.filter((unit) => unit.kind !== 'noise');
  markRows(kept);
  return kept;
}

/** A short line of a QR caption block: the 扫码 line or a call to action (关注…, 下载…). */
function isCaptionLine(unit: Unit): boolean {
  return unit.end - unit.start <= 30 && (QR.test(unit.folded) || CALL.test(unit.folded));
}

/**
 * Mark the QR caption in the block of `units` from `blockStart`: its 扫码 line, the calls to action
 * around it (关注…, 下载…) and the short remnants of a wrapped caption line (关注大连新闻 / 传媒集团);
 * a headline in the same block is not.
 */
function markQrCaptions(units: Unit[], blockStart: number): void {
  for (let k = blockStart; k < units.length; k++) {
    if (!QR.test(units[k]!.folded) || units[k]!.end - units[k]!.start > 30) continue;
    let from = k;
    while (from > blockStart && isCaptionLine(units[from - 1]!)) from--;
    let to = k + 1;
    while (to < units.length && (isCaptionLine(units[to]!) || units[to]!.end - units[to]!.start <= 6)) to++;
    for (let m = from; m < to; m++) units[m]!.kind = 'noise';
    k = to - 1;
  }
}

/** One non-blank line (`n`, 1-based) classified on its own. */
function unitOf(n: number, start: number, end: number, block: number, folded: string): Unit {
  // Every field set up front: one object shape keeps the loops over units monomorphic.
  const unit: Unit = {
    n,
    start,
    end,
    block,
    kind: 'para',
    folded,
    marker: null,
    credits: null,
    lead: null,
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
  if (unit.kind !== 'para') return unit;
  const head = MARKER_HEAD.exec(folded);
  unit.lead = parseLeadByline(folded, head ? skipSpaces(folded, head[0].length, folded.length) : 0);
  if (!unit.lead && end - start <= 2 * MAX_HEADING + 20) classifyShort(unit);
  return unit;
}

/** A short text line that is no lead: a byline, a closing credit, a heading, or text after all. */
function classifyShort(unit: Unit): void {
  const folded = unit.folded;
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
    } else if (unit.end - unit.start <= 30 && /[\u4e00-\u9fff]/.test(folded)) {
      // A kicker ends with a colon (新春走基层：); a rare headline ends with 。: both only count
      // when what follows confirms them, else they are text.
      if (/^[^。;!?,:]+:$/.test(folded)) {
        unit.kind = 'heading';
        unit.kicker = true;
      } else if (/^[^。;!?,:]+。$/.test(folded)) unit.kind = 'loose';
    }
  }
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
  return new PageParser(text).parse(encoding);
}

type LastKind = 'para' | 'jump' | 'head' | 'section' | 'byline' | 'up' | 'row' | 'other';

/** A paragraph unit's text bounds once its continuation markers and closing credit are cut off. */
interface Bounds {
  start: number;
  end: number;
  /** It opened with a 上接 marker. */
  head: boolean;
  /** It ended with a 下转 marker. */
  deferred: boolean;
  /** The credit it signed off with: …。（记者 王某）. */
  closing: Credits | null;
}

/** A block joined by the flow of the page although another article's vocabulary leaned its way. */
interface Ambiguous {
  unit: Unit;
  from: Art;
  rival: Art;
  own: number;
  other: number;
}

/**
 * The reconstruction of one page. A class rather than closures inside one function: each phase is
 * a method small enough for V8 to optimize once, and every field is set in the constructor so the
 * state keeps one shape (as one 10 KB function it was recompiled several times per cold run).
 */
class PageParser {
  readonly text: string;
  readonly lines: string[];
  /** Offset of each line in the text. */
  readonly lineStarts: number[];
  /** The page folded once: a line's folded view is a slice of it (folding keeps indexes). */
  readonly foldedText: string;
  readonly noise: { line: number; text: string }[];
  readonly units: Unit[];
  readonly arts: Art[];
  readonly warnings: ParseWarning[];
  readonly repairs: Repair[];
  readonly jumpKeys: Map<string, Art>;
  /** Where each heading text occurs (unit indexes, ascending): tells whether an article resumes later. */
  readonly headingsAt: Map<string, number[]>;
  readonly ambiguous: Ambiguous[];
  cur: Art | null;
  /** What the previous unit was, for which article, in which block (three fields: no object per unit). */
  lastKind: LastKind;
  lastArt: Art | null;
  lastBlock: number;
  /** 上接 markers waiting for the headline they continue. */
  pendingUp: Unit[];

  constructor(text: string) {
    this.text = text;
    this.lines = text.split('\n');
    this.lineStarts = lineStartsOf(this.lines);
    // Folded once for the page: one pass costs less than folding each line on its own.
    this.foldedText = fold(text);
    this.noise = [];
    this.units = unitsOf(this.lines, this.lineStarts, this.foldedText, this.noise);
    this.arts = [];
    this.warnings = [];
    this.repairs = [];
    this.jumpKeys = new Map();
    this.headingsAt = headingsOf(this.units);
    this.ambiguous = [];
    this.cur = null;
    this.lastKind = 'other';
    this.lastArt = null;
    this.lastBlock = -1;
    this.pendingUp = [];
  }

  parse(encoding: Encoding): ParsedPage {
    const units = this.units;
    for (let i = 0; i < units.length; i++) i = this.step(i);
    if (this.pendingUp.length > 0) this.flushPendingUp(null);
    return this.result(encoding);
  }

  /** Place unit `i`; returns the index of the last unit it consumed (a headline takes its run). */
  step(i: number): number {
    const unit = this.units[i]!;
    const kind = this.kindInFlow(unit, i);
    if (kind === 'marker') this.onMarker(unit);
    else if (kind === 'byline' || kind === 'credit') this.onByline(unit, kind, i);
    else if (kind === 'row') this.onRow(unit);
    else if (kind === 'heading' || kind === 'loose') {
      const done = this.onHeading(unit, kind, i);
      if (done >= 0) return done;
      this.onParagraph(unit, i);
    } else this.onParagraph(unit, i);
    return i;
  }

  setLast(kind: LastKind, art: Art | null, block: number): void {
    this.lastKind = kind;
    this.lastArt = art;
    this.lastBlock = block;
  }

  /** A heading-like unit that the flow of the page shows to be a piece of a cut paragraph is one. */
  kindInFlow(unit: Unit, i: number): Kind {
    const kind = unit.kind;
    if (kind !== 'heading' && kind !== 'loose') return kind;
    const cur = this.cur;
    if (cur === null || this.lastKind !== 'para' || !this.openCut(cur)) return kind;
    // Inside one block, a line after a cut line is its continuation whatever it looks like.
    if (this.lastBlock === unit.block) return 'para';
    // A short line or one followed by text that starts inside a sentence, right after a cut
    // paragraph, is a piece of that paragraph between two column breaks, not a section heading.
    if (this.lastArt !== cur) return kind;
    // A short sentence right after a cut is its end, not a headline that happens to end with 。.
    if (kind === 'loose' && unit.folded.endsWith('。')) return 'para';
    const next = this.units[i + 1];
    if (
      !unit.numbered &&
      !unit.kicker &&
      !this.jumpKeys.has(keyOf(unit.folded)) &&
      next?.kind !== 'byline' &&
      !next?.lead &&
      ((next?.kind === 'para' && startsMidSentence(next.folded)) ||
        (kind === 'heading' && codePointLength(unit.folded) <= 6 && !/\s/.test(unit.folded)))
    )
      return 'para';
    return kind;
  }

  onMarker(unit: Unit): void {
    const cur = this.cur;
    if (unit.marker === 'up') {
      this.pendingUp.push(unit);
      if (cur && (this.lastKind === 'head' || this.lastKind === 'jump') && this.lastArt === cur) {
        this.flushPendingUp(cur);
        this.setLast('up', cur, unit.block);
      }
      return;
    }
    if (!cur) {
      this.orphan(unit, `is a ${unit.marker === 'end' ? 'closing' : '下转'} marker before any headline`);
      return;
    }
    const art = cur;
    art.lines.push(unit.n);
    if (unit.marker === 'end') art.closed = true;
    if (unit.marker === 'down') {
      const para = lastPara(art);
      if (para?.open) para.deferred = true;
      this.repairs.push({
        kind: 'continuation-marker',
        art,
        line: unit.n,
        reason: (seq) =>
          `下转 marker on line ${unit.n}: article ${seq(art)} continues on another page or after its jump line` +
          (para?.open ? ', so its cut paragraph is not joined to the next block.' : '.'),
      });
    }
    this.setLast('other', art, unit.block);
  }

  onByline(unit: Unit, kind: Kind, i: number): void {
    const cur = this.cur;
    if (cur && cur.paras.length === 0 && cur.credits === null && this.lastArt === cur) {
      cur.credits = ownCredits(unit.credits!);
      cur.bylineLine = kind === 'byline';
      cur.lines.push(unit.n);
      this.setLast('byline', cur, unit.block);
      return;
    }
    // At the end of an article (text before it, no text after it), a credit line closes it:
    // （本报记者 王某 整理）, or a bare 记者 王某 where no byline was printed above.
    const next = this.units[i + 1];
    const closing =
      kind === 'credit' || (cur?.credits === null && (next === undefined || next.kind !== 'para'));
    if (cur && cur.paras.length > 0 && this.lastArt === cur && closing) {
      this.credit(cur, unit.credits!);
      cur.closed = true;
      cur.lines.push(unit.n);
      this.setLast('other', cur, unit.block);
    } else this.orphan(unit, 'is a byline with no headline before it');
  }

  onRow(unit: Unit): void {
    if (this.pendingUp.length > 0) this.flushPendingUp(null);
    const cur = this.cur;
    if (!cur) {
      this.orphan(unit, 'is a table row before any headline on the page');
      return;
    }
    this.addPiece(cur, unit, unit.start, unit.end, false);
    lastPara(cur)!.open = false;
    this.setLast('row', cur, unit.block);
  }

  /**
   * A heading-like unit: a jump line, a headline (with its kicker and subtitles: the run), or a
   * section heading. Returns the index of the last unit it consumed, or -1 when it is a paragraph.
   */
  onHeading(unit: Unit, kind: Kind, i: number): number {
    const folded = this.foldedSrc(unit, unit.start, unit.end);
    const jumped = this.jumpKeys.get(keyOf(folded));
    if (jumped) {
      this.onJumpLine(unit, jumped);
      return i;
    }
    const run = this.headingRun(unit, i);
    const after = this.units[i + run.length];
    const cur = this.cur;
    const dash = dashAt(folded) > 0;
    let headline: boolean;
    if (after !== undefined && (after.kind === 'byline' || (after.kind === 'para' && !!after.lead)))
      headline = true;
    else if (kind === 'loose' || (unit.numbered && cur !== null)) headline = false;
    else headline = dash || cur === null || this.pendingUp.length > 0 || this.headlineBefore(run, after);
    // Which line of the run is the headline: a kicker (引题) may stand above it.
    let titleAt = 0;
    if (headline && !dash && run.length >= 2) {
      const dashLine = dashLineOf(run);
      if (unit.kicker || dashLine === 2 || (dashLine < 0 && run.length >= 3)) titleAt = 1;
    }
    if ((kind === 'loose' || unit.kicker) && (!headline || (unit.kicker && titleAt === 0))) return -1;
    if (!headline && after === undefined && cur !== null) return -1;
    if (headline) {
      this.startArticle(run, titleAt);
      return i + run.length - 1;
    }
    this.onSection(unit, cur!);
    return i;
  }

  onJumpLine(unit: Unit, jumped: Art): void {
    this.cur = jumped;
    jumped.lines.push(unit.n);
    const para = lastPara(jumped);
    if (para?.deferred) para.deferred = false;
    this.repairs.push({
      kind: 'jump-line',
      art: jumped,
      line: unit.n,
      reason: (seq) =>
        `Line ${unit.n} repeats the headline of article ${seq(jumped)}: a jump line, so the text after it continues that article.`,
    });
    this.flushPendingUp(jumped);
    this.setLast('jump', jumped, unit.block);
  }

  /** The heading at `i` and the subtitle-like headings under it (at most 4 lines). */
  headingRun(unit: Unit, i: number): Unit[] {
    const run: Unit[] = [unit];
    // A headline that ends with 。 has no kicker or subtitle: it is a headline only before a byline.
    if (unit.folded.endsWith('。')) return run;
    const units = this.units;
    for (let j = i + 1; j < units.length && run.length < 4; j++) {
      const next = units[j]!;
      // A subtitle is a strict heading, or a line that opens with a dash (it may hold commas).
      if (next.kind !== 'heading' && !(next.kind === 'loose' && /^[—―-]/.test(next.folded))) break;
      if (next.numbered || next.kicker) break;
      if (this.jumpKeys.has(keyOf(this.foldedSrc(next, next.start, next.end)))) break;
      run.push(next);
    }
    return run;
  }

  /**
   * Whether a strict heading with an article open is a new headline (not a section heading) by what
   * follows it: a dash subtitle, text marked 上接, or a news lead.
   */
  headlineBefore(run: Unit[], after: Unit | undefined): boolean {
    if (run.length > 1 && /^[—―-]/.test(run[1]!.folded)) return true;
    // Text marked 上接 under a heading is the rest of an article begun on another page.
    if (after !== undefined && after.kind === 'marker' && after.marker === 'up') return true;
    // The caller asks only with an article open.
    const cur = this.cur!;
    if (cur.closed) return true;
    if (after === undefined || after.kind !== 'para') return false;
    if (MARKER_HEAD.test(after.folded)) return true;
    // A heading is a headline before a news lead: one that opens with a time word and a comma
    // (昨日上午, / 1月7日下午,), or says where the news came from (记者从…获悉, 据…消息).
    if (OPENER.test(after.folded)) return true;
    // A brief printed whole under its heading signs off with a credit: …。（记者 王某）.
    if (this.signsOff(after)) return true;
    if (cur.sections.length !== 0 || run.length !== 1) return false;
    const time = datelineAt(after.folded, 0, true);
    return time !== null && /^[^,。]{0,6},/.test(after.folded.slice(time[1], time[1] + 8));
  }

  /** A new article under the headline at `run[titleAt]`: kicker above it, subtitles below. */
  startArticle(run: Unit[], titleAt: number): void {
    const main = run[titleAt]!;
    const first = this.src(main, main.start, main.end);
    const mainFolded = this.foldedSrc(main, main.start, main.end);
    const cut = dashAt(mainFolded);
    const title = (cut > 0 ? first.slice(0, cut) : first).trim();
    let kicker = '';
    for (let k = 0; k < titleAt; k++) {
      const u = run[k]!;
      kicker += (k > 0 ? ' ' : '') + this.src(u, u.start, u.end).trim();
    }
    let subtitle = '';
    const addSubtitle = (s: string) => {
      if (s.length > 0) subtitle += (subtitle.length > 0 ? ' ' : '') + s;
    };
    if (cut > 0) addSubtitle(first.slice(cut + 2).trim());
    for (let k = titleAt + 1; k < run.length; k++) {
      const extra = run[k]!;
      addSubtitle(
        this.src(extra, extra.start, extra.end)
          .replace(/^[—―-]+\s*/, '')
          .trim(),
      );
    }
    // Pushed one by one (not Array#map): every article's line list is then the same kind of array.
    const lines: number[] = [];
    for (const u of run) lines.push(u.n);
    const titleKey = keyOf(mainFolded);
    const ownKey = keyOf(fold(title));
    const art: Art = {
      order: this.arts.length,
      title,
      subtitle: subtitle || null,
      kicker: kicker || null,
      credits: null,
      bylineLine: false,
      closed: false,
      dateline: null,
      expectDateline: 'relative',
      sections: [],
      section: null,
      paras: [],
      lines,
      vocabulary: new Vocabulary(),
      keys: [titleKey, ownKey],
    };
    art.vocabulary.add(title);
    if (art.subtitle) art.vocabulary.add(art.subtitle);
    this.arts.push(art);
    // A kicker is not a key: two articles may share one (新春走基层:), and it is no jump line.
    this.jumpKeys.set(titleKey, art);
    this.jumpKeys.set(ownKey, art);
    this.cur = art;
    this.flushPendingUp(art);
    this.setLast('head', art, run[run.length - 1]!.block);
  }

  /** A section heading of the current article. */
  onSection(unit: Unit, art: Art): void {
    const heading = this.src(unit, unit.start, unit.end);
    if (art.sections.length === 0 && !unit.numbered && !art.bylineLine && art.subtitle === null) {
      // A news story (byline in its lead, or none) seldom has sections: this may be the headline
      // of a brief that prints no byline. Nothing on the page tells; say so.
      this.warnings.push({
        code: 'ambiguous-heading',
        message: `Line ${unit.n} (${quote(heading, false)}) is taken as a section heading of “${art.title}”, but it may be the headline of a new article that prints no byline; check the page.`,
        line: unit.n,
        column: this.columnOf(unit.n, unit.start),
        lines: [],
      });
    }
    art.sections.push(heading);
    art.section = heading;
    art.lines.push(unit.n);
    art.vocabulary.add(heading);
    this.setLast('section', art, unit.block);
  }

  /** The paragraph text of a unit: without a 上接 marker before it, a 下转 marker or a closing credit after it. */
  boundsOf(unit: Unit): Bounds {
    const line = this.lines[unit.n - 1]!;
    let start = unit.start;
    let end = unit.end;
    const head = MARKER_HEAD.exec(unit.folded);
    if (head) start = unit.start + skipSpaces(unit.folded, head[0].length, unit.folded.length);
    const tailFolded = this.foldedSrc(unit, Math.max(start, end - 24), end);
    const tail = MARKER_TAIL.exec(tailFolded);
    let deferred = false;
    if (tail) {
      end = Math.max(start, end - tailFolded.length + tail.index);
      while (end > start && /\s/.test(line[end - 1]!)) end--;
      deferred = true;
    }
    // A brief signs off at its end: …。（记者 王某）. The credit leaves the text for the byline fields.
    let closing: Credits | null = null;
    if (!deferred && end - start > 4 && closesWithBracket(line, end)) {
      const from = Math.max(start, end - 48);
      const signed = parseTailCredit(this.foldedSrc(unit, from, end));
      if (signed && (signed.start > 0 || from === start)) {
        closing = signed.credits;
        end = from + signed.start;
        while (end > start && /\s/.test(line[end - 1]!)) end--;
      }
    }
    return { start, end, head: head !== null, deferred, closing };
  }

  /** A paragraph unit: the lead of the current article, a new paragraph, or the rest of a cut one. */
  onParagraph(unit: Unit, i: number): void {
    if (this.pendingUp.length > 0) this.flushPendingUp(null);
    const cur = this.cur;
    if (!cur) {
      this.orphan(unit, 'comes before any headline on the page');
      return;
    }
    const bounds = this.boundsOf(unit);
    let start = bounds.start;
    const end = bounds.end;
    const lead = unit.lead;
    let isLead = false;
    // A lead right under a standalone byline (新华社记者 王某 / 据新华社沈阳1月7日电 …) is still the lead.
    const underByline = cur.credits !== null && this.lastKind === 'byline' && this.lastArt === cur;
    if (lead && cur.paras.length === 0 && (cur.credits === null || underByline)) {
      isLead = true;
      this.credit(cur, lead.credits);
      start = unit.start + lead.end;
      if (lead.date) cur.dateline = this.src(unit, unit.start + lead.date[0], unit.start + lead.date[1]);
      cur.expectDateline = lead.date ? null : 'dates';
      if (start >= end) {
        cur.lines.push(unit.n);
        this.setLast('byline', cur, unit.block);
        return;
      }
    } else if (lead) {
      this.warnings.push({
        code: 'lead-without-headline',
        message: `Line ${unit.n} opens like the lead of a new article (${quote(this.src(unit, unit.start, unit.start + lead.end), false)}) but no headline precedes it; it is kept, byline and all, as a paragraph of “${cur.title}”.`,
        line: unit.n,
        column: this.columnOf(unit.n, unit.start),
        lines: [],
      });
    }

    const lastKind = this.lastKind;
    const continuing =
      !isLead && (bounds.head || lastKind === 'para' || lastKind === 'jump' || lastKind === 'up');
    let target: Art = cur;
    let join = false;
    if (continuing && this.lastArt === cur && this.openCut(cur)) {
      join = true;
      target = this.completeCut(unit, i, start, end, cur);
    } else if (
      !isLead &&
      startsMidSentence(unit.folded.slice(start - unit.start)) &&
      this.openCuts().length > 0
    ) {
      join = true;
      target = this.completeInterleaved(unit, start, end);
    }

    if (!join && target.expectDateline) {
      const span = datelineAt(unit.folded, start - unit.start, target.expectDateline === 'dates');
      if (span) target.dateline = this.src(unit, unit.start + span[0], unit.start + span[1]);
    }
    if (!join) target.expectDateline = null;
    this.addPiece(target, unit, start, end, join);
    if (bounds.deferred) {
      const para = lastPara(target)!;
      if (para.open) para.deferred = true;
      const art = target;
      this.repairs.push({
        kind: 'continuation-marker',
        art,
        line: unit.n,
        reason: (seq) =>
          `Line ${unit.n} ends with a 下转 marker: article ${seq(art)} continues on another page or after its jump line.`,
      });
    }
    if (bounds.closing) {
      this.credit(target, bounds.closing);
      target.closed = true;
    }
    this.cur = target;
    this.setLast('para', target, unit.block);
  }

  /** The unit follows the cut paragraph of `cur`: it completes it, or another article's cut paragraph. */
  completeCut(unit: Unit, i: number, start: number, end: number, cur: Art): Art {
    const pool: Art[] = [cur];
    for (const art of this.openCuts()) if (art !== cur) pool.push(art);
    if (pool.length === 1) {
      this.repairs.push({
        kind: 'join-cut',
        art: cur,
        line: unit.n,
        reason: (seq) =>
          `The paragraph of article ${seq(cur)} before line ${unit.n} ends without closing punctuation; line ${unit.n} completes it (no other article has a cut paragraph).`,
      });
      return cur;
    }
    // Without a jump line of the current article further down, the flow of the page is presumed:
    // another article must share clearly more vocabulary. A jump line says the current article is
    // interrupted before it resumes, so then vocabulary decides on equal terms.
    const jump = this.nextJump(cur, i);
    const scores = this.scores(unit, start, end, pool);
    const best = pool[bestOf(scores, pool, cur)]!;
    let winner = best;
    if (jump < 0 && best !== cur) {
      const own = scores[0]!;
      const other = scores[pool.indexOf(best)]!;
      if (other.exclusive < 2 * own.exclusive + OVERRIDE) {
        winner = cur;
        // The vocabulary leans the other way, only not far enough to overrule the flow.
        if (other.exclusive > own.exclusive)
          this.ambiguous.push({ unit, from: cur, rival: best, own: own.exclusive, other: other.exclusive });
      }
    }
    const jumpLine = jump >= 0 ? this.units[jump]!.n : 0;
    this.repairs.push({
      kind: winner === cur ? 'join-cut' : 'interleaved-continuation',
      art: winner,
      line: unit.n,
      reason: (seq) =>
        winner === cur
          ? `Line ${unit.n} follows the cut paragraph of article ${seq(cur)} and completes it; another article also has a cut paragraph, but ${jump >= 0 ? 'none shares more' : 'none shares clearly more'} vocabulary with the block (${explain(seq, pool, scores)}).`
          : `Line ${unit.n} follows the cut paragraph of article ${seq(cur)}, but it shares ${jump >= 0 ? 'more' : 'far more'} vocabulary with the cut paragraph of article ${seq(winner)} (${explain(seq, pool, scores)})${jump >= 0 ? `, and article ${seq(cur)} resumes after its jump line on line ${jumpLine}` : ''}: the columns interleave.`,
    });
    return winner;
  }

  /** The unit starts inside a sentence: it completes the cut paragraph that shares most vocabulary with it. */
  completeInterleaved(unit: Unit, start: number, end: number): Art {
    const recent = this.openCuts();
    const scores = this.scores(unit, start, end, recent);
    const winner = recent[bestOf(scores, recent, null)]!;
    this.repairs.push({
      kind: 'interleaved-continuation',
      art: winner,
      line: unit.n,
      reason: (seq) =>
        `Line ${unit.n} starts inside a sentence, so it completes a cut paragraph; of the articles with one, article ${seq(winner)} shares the most vocabulary with it (${explain(seq, recent, scores)}).`,
    });
    return winner;
  }

  /** How the unit's text between `start` and `end` matches each candidate's vocabulary. */
  scores(unit: Unit, start: number, end: number, candidates: Art[]): VocabularyScore[] {
    const sets: BigramSet[] = [];
    for (const art of candidates) sets.push(art.vocabulary.bigrams());
    return scoreVocabulary(this.src(unit, start, end), sets);
  }

  /** The unit index of the next jump line of `art` after unit `i`, or -1. */
  nextJump(art: Art, i: number): number {
    let found = -1;
    for (const key of art.keys) {
      const at = this.headingsAt.get(key);
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
  }

  src(unit: Unit, from: number, to: number): string {
    return this.lines[unit.n - 1]!.slice(from, to);
  }

  /** `fold(src(unit, from, to))`, without folding again. */
  foldedSrc(unit: Unit, from: number, to: number): string {
    const at = this.lineStarts[unit.n - 1]!;
    return this.foldedText.slice(at + from, at + to);
  }

  /** The unit's line ends with a closing credit after its text: …。（记者 王某）. */
  signsOff(unit: Unit): boolean {
    if (!closesWithBracket(this.lines[unit.n - 1]!, unit.end)) return false;
    const from = Math.max(unit.start, unit.end - 48);
    const signed = parseTailCredit(this.foldedSrc(unit, from, unit.end));
    return signed !== null && (signed.start > 0 || from === unit.start);
  }

  columnOf(line: number, index: number): number {
    return codePointsBetween(this.lines[line - 1]!, 0, index) + 1;
  }

  orphan(unit: Unit, why: string): void {
    this.warnings.push({
      code: 'orphan-block',
      message: `Line ${unit.n} ${why}; it is kept here so that no line is lost.`,
      line: unit.n,
      column: this.columnOf(unit.n, unit.start),
      lines: [unit.n],
    });
  }

  flushPendingUp(art: Art | null): void {
    for (const marker of this.pendingUp) {
      if (art) {
        art.lines.push(marker.n);
        this.repairs.push({
          kind: 'continuation-marker',
          art,
          line: marker.n,
          reason: (seq) =>
            `上接 marker on line ${marker.n}: the text after it continues article ${seq(art)}.`,
        });
      } else this.orphan(marker, 'is a 上接 marker, but no headline follows it on this page');
    }
    this.pendingUp = [];
  }

  /** A closing credit names who wrote the article: it fills the byline, or adds names it lacks. */
  credit(art: Art, credits: Credits): void {
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
  }

  openCut(art: Art): boolean {
    const para = lastPara(art);
    return para?.open === true && !para.deferred;
  }

  /** The recent articles whose last paragraph is cut. */
  openCuts(): Art[] {
    const arts = this.arts;
    const found: Art[] = [];
    for (let k = Math.max(0, arts.length - WINDOW); k < arts.length; k++)
      if (this.openCut(arts[k]!)) found.push(arts[k]!);
    return found;
  }

  unresolved(art: Art, para: Para): void {
    const piece = para.pieces[para.pieces.length - 1]!;
    const tail = this.lines[piece.line - 1]!.slice(piece.start, piece.end);
    this.warnings.push({
      code: 'unresolved-cut',
      message: `The paragraph ending ${quote(tail, true)} on line ${piece.line} (article “${art.title}”) ends without closing punctuation and no block on the page completes it; it is published as printed.`,
      line: piece.line,
      column: this.columnOf(piece.line, piece.end - 1),
      lines: [],
    });
  }

  /** Add a piece to the article: a new paragraph, or the rest of its cut last paragraph. */
  addPiece(art: Art, unit: Unit, start: number, end: number, join: boolean): void {
    art.lines.push(unit.n);
    if (start >= end) return;
    const piece: Piece = { line: unit.n, start, end };
    const body = this.src(unit, start, end);
    art.vocabulary.add(body);
    let para = lastPara(art);
    if (join && para) para.pieces.push(piece);
    else {
      if (para?.open) this.unresolved(art, para);
      para = { pieces: [piece], section: art.section, open: false, deferred: false };
      art.paras.push(para);
    }
    para.open = !isTerminated(body);
    para.deferred = false;
  }

  /** An article needs a paragraph: a headline with nothing under it is held by a warning. */
  keptArticles(): Art[] {
    const kept: Art[] = [];
    for (const art of this.arts) {
      if (art.paras.length > 0) {
        kept.push(art);
        continue;
      }
      for (const n of art.lines) {
        const [start] = trimBounds(this.lines[n - 1]!);
        this.warnings.push({
          code: 'empty-article',
          message: `Line ${n} belongs to the headline “${art.title}”, which has no paragraph on this page; it is kept here so that no line is lost.`,
          line: n,
          column: this.columnOf(n, start),
          lines: [n],
        });
      }
    }
    return kept;
  }

  /** Warnings for joins by the flow of the page that the vocabulary disputes. */
  warnAmbiguous(seqOf: Map<Art, number>): void {
    for (const { unit, from, rival, own, other } of this.ambiguous) {
      // Only worth a word when the rival's cut stayed open: then the page may have it wrong.
      const para = lastPara(rival);
      if (!seqOf.has(rival) || !para?.open || para.deferred) continue;
      this.warnings.push({
        code: 'ambiguous-continuation',
        message: `Line ${unit.n} was joined to the cut paragraph of “${from.title}” (article ${seqOf.get(from) ?? 0}) by the flow of the page, but it shares more vocabulary with “${rival.title}” (article ${seqOf.get(rival) ?? 0}: ${other} against ${own} own bigrams), whose cut paragraph nothing completes; one of the two is likely wrong.`,
        line: unit.n,
        column: this.columnOf(unit.n, unit.start),
        lines: [],
      });
    }
  }

  result(encoding: Encoding): ParsedPage {
    const kept = this.keptArticles();
    for (const art of kept) {
      const para = lastPara(art)!;
      if (para.open && !para.deferred) this.unresolved(art, para);
    }
    const seqOf = new Map<Art, number>();
    for (let k = 0; k < kept.length; k++) seqOf.set(kept[k]!, k + 1);
    const seq = (art: Art) => seqOf.get(art) ?? 0;
    this.warnAmbiguous(seqOf);
    const articles: ParsedArticle[] = [];
    let inArticles = 0;
    for (let k = 0; k < kept.length; k++) {
      const article = this.articleOf(kept[k]!, k + 1);
      inArticles += article.lines.length;
      articles.push(article);
    }
    const warnings = this.warnings;
    warnings.sort((a, b) => a.line - b.line || a.column - b.column);
    let inWarnings = 0;
    for (const warning of warnings) inWarnings += warning.lines?.length ?? 0;
    const repairs: RepairDecision[] = [];
    for (const repair of this.repairs) {
      if (!seqOf.has(repair.art)) continue;
      repairs.push({
        kind: repair.kind,
        article: seq(repair.art),
        line: repair.line,
        reason: repair.reason(seq),
      });
    }
    const noise = this.noise;
    return {
      encoding,
      text: this.text,
      lines: this.lines,
      articles,
      noise,
      warnings,
      repairs,
      accounting: {
        nonBlank: this.units.length + noise.length,
        inArticles,
        inNoise: noise.length,
        inWarnings,
      },
    };
  }

  articleOf(art: Art, seq: number): ParsedArticle {
    const paragraphs: ParsedParagraph[] = [];
    for (let p = 0; p < art.paras.length; p++)
      paragraphs.push(paragraphOf(art.paras[p]!, p + 1, this.lines, this.lineStarts));
    const reporters = art.credits?.reporters ?? [];
    const contributors = art.credits?.contributors ?? [];
    const agency = art.credits?.agency ?? null;
    const lines = ascending(art.lines);
    // Two literals rather than a conditional spread: each has one fixed shape, so V8 keeps this
    // function optimized (a spread copies through a generic path); `kicker` is absent, not null, when
    // there is none (`ParsedArticle`).
    if (art.kicker === null) {
      return {
        seq,
        title: art.title,
        subtitle: art.subtitle,
        reporters,
        contributors,
        agency,
        dateline: art.dateline,
        sections: art.sections,
        paragraphs,
        lines,
      };
    }
    return {
      seq,
      title: art.title,
      subtitle: art.subtitle,
      kicker: art.kicker,
      reporters,
      contributors,
      agency,
      dateline: art.dateline,
      sections: art.sections,
      paragraphs,
      lines,
    };
  }
}

function lineStartsOf(lines: string[]): number[] {
  const starts: number[] = new Array(lines.length);
  for (let n = 0, at = 0; n < lines.length; n++) {
    starts[n] = at;
    at += lines[n]!.length + 1;
  }
  return starts;
}

/** Where each heading text occurs (unit indexes, ascending). */
function headingsOf(units: Unit[]): Map<string, number[]> {
  const headingsAt = new Map<string, number[]>();
  for (let k = 0; k < units.length; k++) {
    const unit = units[k]!;
    if (unit.kind !== 'heading' && unit.kind !== 'loose') continue;
    const key = keyOf(unit.folded);
    const at = headingsAt.get(key);
    if (at) at.push(k);
    else headingsAt.set(key, [k]);
  }
  return headingsAt;
}

/** The index of the first line after the first of a run that opens with a dash, or -1. */
function dashLineOf(run: Unit[]): number {
  for (let k = 1; k < run.length; k++) if (/^[—―-]/.test(run[k]!.folded)) return k;
  return -1;
}

function lastPara(art: Art): Para | undefined {
  return art.paras[art.paras.length - 1];
}

/** The index of the candidate with most own bigrams, then most shared; a tie goes to `current`. */
function bestOf(scores: VocabularyScore[], candidates: Art[], current: Art | null): number {
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
  return best;
}

function explain(seq: (art: Art) => number, pool: Art[], scores: VocabularyScore[]): string {
  let text = '';
  for (let c = 0; c < pool.length; c++) {
    if (c > 0) text += '; ';
    text += `article ${seq(pool[c]!)}: ${scores[c]!.exclusive} own / ${scores[c]!.shared} shared bigrams`;
  }
  return text;
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
