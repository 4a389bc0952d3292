/**
 * Line shapes that are not article text, or not prose: page furniture (headers, footers, editor
 * credits), photo captions, table rows and numbered section headings. Every function takes a folded,
 * trimmed line (see `fold`) and looks at its shape only, never at the words of a known page.
 */

/** Editor roles printed in page headers and footers. */
const EDITOR_ROLES =
  '责任编辑|本版编辑|值班编辑|美术编辑|版式设计|视觉设计|责任校对|责编|责校|编辑|美编|校对|版式|组版|制图|审校|终审|主编|设计|摄影|统筹|策划';
/** A role with its colon, anywhere in a token: `责编:王某`. */
const EDITOR_COLON = new RegExp(`^(?:${EDITOR_ROLES}):`);
/** Roles that may stand without a colon before their names: `编辑 王某`. */
const EDITOR_BARE =
  /^(?:责任编辑|本版编辑|值班编辑|美术编辑|版式设计|责任校对|责编|责校|编辑|美编|校对|版式|组版)$/;
const PERSON = /^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,8}[·・][\u4e00-\u9fff]{1,10})$/;
const WEEKDAY = /^(?:星期|礼拜|周)[一二三四五六日天]$/;
const FULL_DATE =
  /^(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:(?:星期|周)[一二三四五六日天])?$|^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/;
const LUNAR = /^(?:农历|甲|乙|丙|丁|戊|己|庚|辛|壬|癸)\S{1,10}$/;
/** Page labels: A02, 第3版, 03版, 3. */
const PAGE_CODE = /^(?:[A-Z]{1,2}\d{1,3}(?:版)?|第?\d{1,3}版|第[一二三四五六七八九十]{1,3}版)$/;
/** A newspaper's name: 大连日报, 半岛晨报, 人民日报海外版. */
const PAPER =
  /^[\u4e00-\u9fff]{1,8}(?:日报|晚报|早报|晨报|时报|商报|都市报|青年报|法治报|经济报)(?:海外版)?$/;
const URL = /^(?:https?:\/\/|www\.)\S+$/i;

type TokenKind = 'date' | 'weekday' | 'page' | 'number' | 'paper' | 'editor' | 'other';

function tokenKind(token: string): TokenKind {
  if (FULL_DATE.test(token) || LUNAR.test(token)) return 'date';
  // A bare number is a page label beside other furniture (in a table row it is a cell).
  if (/^\d{1,3}$/.test(token)) return 'number';
  if (WEEKDAY.test(token)) return 'weekday';
  if (PAGE_CODE.test(token)) return 'page';
  if (PAPER.test(token)) return 'paper';
  if (EDITOR_COLON.test(token)) return 'editor';
  return 'other';
}

/**
 * Page furniture: a header or footer line made only of an edition date, weekday, page label, the
 * paper's name and editor credits (`2025年1月8日 星期三 责编:王某 美编:李某 A02`, `大连日报 要闻`,
 * `编辑 王某 校对 李某`), with at most one short other word (the page's name, 要闻); a URL; or a
 * Latin-only masthead line in capitals.
 *
 * @example
 * isFurniture('2025年1月8日 星期三 责编:王某 A02') // true
 * isFurniture('金普新区新年第一会 聚焦人才工作') // false
 */
export function isFurniture(folded: string): boolean {
  if (folded.length > 80) return false;
  if (folded.charCodeAt(0) < 0x80) {
    if (URL.test(folded)) return true;
    // A Latin-only line on a Chinese page is a masthead or a page name (DALIAN DAILY, Port Weekly).
    if (/^[A-Za-z][A-Za-z0-9 &'-]{2,40}$/.test(folded)) return true;
  }
  if (/[。,;!?“”"]/.test(folded)) return false;
  if (folded.indexOf(' ') < 0) {
    // One token: a page label, the paper's name, a weekday or an editor credit on its own.
    const kind = tokenKind(folded);
    return (
      kind === 'page' || kind === 'paper' || kind === 'weekday' || kind === 'editor' || kind === 'number'
    );
  }
  const tokens = folded.split(/\s+/).filter((t) => t.length > 0);
  let furniture = 0;
  let strong = 0;
  let other = 0;
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k]!;
    let kind = tokenKind(token);
    if (kind === 'number' && tokens.length === 1) return true;
    if (kind === 'other' && EDITOR_BARE.test(token) && PERSON.test(tokens[k + 1] ?? '')) kind = 'editor';
    if (kind === 'editor') {
      // The names after a role belong to it: 编辑 王某 李某 / 责编:王某 李某.
      const inline = token.includes(':') ? token.slice(token.indexOf(':') + 1) : '';
      if (inline.length > 0 && !PERSON.test(inline)) return false;
      while (k + 1 < tokens.length && PERSON.test(tokens[k + 1]!) && tokenKind(tokens[k + 1]!) === 'other')
        k++;
      furniture++;
      strong++;
      continue;
    }
    if (kind === 'other') {
      if (token.length > 6 || /\d/.test(token)) return false;
      other++;
      continue;
    }
    furniture++;
    if (kind === 'paper' || kind === 'page' || kind === 'weekday') strong++;
  }
  if (furniture === 0) return false;
  if (other === 0) return strong > 0 || furniture >= 2;
  // One other word (the page's name) only beside the paper's name, a page label or a full header.
  return other === 1 && strong > 0 && (furniture >= 2 || tokens.length === 2);
}

/** Openings of a photo caption: 图为…, 图①, ▲, 上图:, (图片由…提供), 资料图片. */
const CAPTION_HEAD =
  /^(?:图为|图片为|图[①-⑳\d]|(?:左上|右上|左下|右下|上|下|左|右)图[:为]|\(?资料图片\)?$|\(?图片由|\(?图片来源|\(?本版图片|\(?[\u4e00-\u9fff]{2,6}社发\)?$)/;
const CAPTION_FIRST = new Set([...'图(资上下左右本新中']);
/** A photo credit closing a line: `本报记者 王某 摄`, `(新华社记者 李某 摄)`, `王某 供图`. */
const PHOTO_TAIL =
  /(?:^|[\s。!?”)])\(?\s*((?:[\u4e00-\u9fff]{0,10}(?:记者|通讯员|摄影师|摄影记者)\s*)?[\u4e00-\u9fff·]{2,8}(?:[\s、]+[\u4e00-\u9fff·]{2,8}){0,3})\s*(?:摄|摄影|供图)\s*\)?$/;

/**
 * A photo caption or photo credit: `图为市民在…。 记者 王某 摄`, `（图片由市文旅局提供）`,
 * `本报记者 王某 摄`. The credit alone must name a role (记者, 通讯员) or follow a sentence. `complete`
 * is false when `folded` is only the head of a long line.
 *
 * @example
 * isCaption('图为游客在冰雪大世界游玩。 本报记者 王某 摄') // true
 * isCaption('本报记者 王某 摄') // true
 */
export function isCaption(folded: string, complete = true): boolean {
  // Cheap tests first: this runs on every line of the page.
  const head = folded[0]!;
  if (
    (CAPTION_FIRST.has(head) || folded.endsWith('发') || folded.endsWith('发)')) &&
    CAPTION_HEAD.test(folded)
  )
    return true;
  // The credit closes the line: on a line known only by its head, there is nothing to look at.
  if (!complete) return false;
  // Cheap test first: the regex below would be tried at every position of every line.
  const lastChar = folded[folded.length - 1];
  if (lastChar !== '摄' && lastChar !== '影' && lastChar !== '图' && lastChar !== ')') return false;
  const tail = PHOTO_TAIL.exec(folded);
  if (!tail) return false;
  const before = folded.slice(0, tail.index + 1).trim();
  return /记者|通讯员|摄影/.test(tail[1]!) || /[。!?”]$/.test(before) || /^\(/.test(folded);
}

/** A numbered heading: 一、 (一) 1. 1、 ①. */
const NUMBERED =
  /^(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十\d]{1,3}\)|\d{1,2}[.、](?!\d)|[①-⑳])/;

export function isNumbered(folded: string): boolean {
  return NUMBERED.test(folded);
}

const NUMBER_CELL =
  /^(?:[-+±]?\d[\d,.]*(?:%|‰|倍|亿元|万元|元|亿|万|吨|个|家|人|项|辆|套|公里|千米|平方米|亩|千瓦时|户|次|件)?|[-—–]{1,2})$/;

/**
 * How a line reads as a table row: the number of its cells that are numbers (8752, 5.5%, 120万元, —),
 * or -1 when it is not row-shaped (fewer than two cells, sentence punctuation, too long).
 *
 * @example
 * rowCells('地区生产总值 8752亿元 5.5%') // 2
 */
export function rowCells(folded: string): number {
  if (folded.length > 120 || folded.indexOf(' ') < 0 || /[。,;!?“”]/.test(folded)) return -1;
  const cells = folded.split(/\s+/).filter((t) => t.length > 0);
  if (cells.length < 2) return -1;
  let numbers = 0;
  for (const cell of cells) if (NUMBER_CELL.test(cell) && /\d/.test(cell)) numbers++;
  return numbers;
}
