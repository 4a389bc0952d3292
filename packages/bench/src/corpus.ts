import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';

/** How a generated page is stored on disk. */
export type CorpusEncoding = 'utf-8' | 'gb18030';
export type LineEnding = 'lf' | 'crlf';

export interface CorpusOptions {
  /** How many pages to make. */
  pages: number;
  /** Seed of the PRNG: the same seed and sample give the same pages, byte for byte. Default 1. */
  seed?: number;
  /** Edition date of the first page (YYYY-MM-DD). Default 2024-01-01. */
  startDate?: string;
  /** Pages per edition day; the page number restarts at 1 each day. Default 16. */
  pagesPerDay?: number;
  /** Share of pages stored as GB18030 (0–1). Default 0.2. */
  gb18030Share?: number;
  /** Share of pages with CRLF line ends (0–1). Default 0.25. */
  crlfShare?: number;
}

export interface CorpusPage {
  /** File name `YYYY-MM-DD-pNN.txt`. */
  name: string;
  /** The source id: the file name without `.txt`. */
  sourceId: string;
  date: string;
  page: number;
  encoding: CorpusEncoding;
  lineEnding: LineEnding;
  /** The page text with LF line ends, before encoding. */
  text: string;
  /** The file's bytes as written (encoded, line ends applied). */
  bytes: Uint8Array;
}

/** A deterministic PRNG (mulberry32): a function returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Split a page into its blank-line separated blocks (LF or CRLF), without the blank lines. */
export function splitBlocks(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t\u3000]*\n/)
    .map((block) => block.replace(/^\n+|\n+$/g, ''))
    .filter((block) => block.trim() !== '');
}

/** The blocks of a page grouped into the pieces that are shuffled: page furniture first, then articles. */
export interface PageParts {
  /** Blocks before the first article that are page furniture (QR-code captions and the like). */
  furniture: string[];
  /** Each article's blocks: headline (and subtitle, byline) then its paragraphs and section headings. */
  articles: string[][];
}

const TERMINAL = /[。!?…”’」』)!?.]$/u;
const SHORT = 64;

function isShortLine(block: string): boolean {
  return !block.includes('\n') && [...block].length <= SHORT && !TERMINAL.test(block.trim());
}

/**
 * Group blocks into articles. An article starts at a short unterminated line followed by another one
 * (a subtitle or byline) or by a `本报讯` lead; a short line followed by a paragraph is a section
 * heading and stays in the article it sits in; short lines right after a headline are its subtitle and
 * byline. Blocks before the first article are page furniture.
 */
export function partsOf(blocks: readonly string[]): PageParts {
  const furniture: string[] = [];
  const articles: string[][] = [];
  let current: string[] | undefined;
  blocks.forEach((block, index) => {
    const next = blocks[index + 1];
    // A headline's subtitle and byline are short too: they belong to the article just started.
    const headingOnly = current?.every(isShortLine) === true;
    const starts =
      !headingOnly &&
      isShortLine(block) &&
      next !== undefined &&
      (isShortLine(next) || next.startsWith('本报讯'));
    if (starts) {
      current = [block];
      articles.push(current);
    } else if (current === undefined) {
      furniture.push(block);
    } else {
      current.push(block);
    }
  });
  return { furniture, articles };
}

const SURNAMES = [
  ...'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文',
];
const GIVEN = [
  ...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁琳晶欣悦瑶婷博文思远航毅然嘉怡蕾岚雪松柏',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomName(random: () => number): string {
  const length = random() < 0.6 ? 1 : 2;
  let name = pick(random, SURNAMES);
  for (let i = 0; i < length; i++) name += pick(random, GIVEN);
  return name;
}

function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * Change every Arabic number in a text, keeping what makes it plausible: years stay in 2015–2025, months
 * in 1–12, days in 1–28, percentages in 0–100, other numbers keep their digit count and decimals.
 * `2024年5月,一审网上立案率93.83%` → `2019年11月,一审网上立案率47.05%`. Pass the same `memo` for
 * one page so that a number repeated on it (a jump line repeats its headline) changes the same way.
 */
export function changeNumbers(text: string, random: () => number, memo = new Map<string, string>()): string {
  return text.replace(/(\d+)(?:\.(\d+))?(?=(年|月|日|号|%|%)?)/g, (whole, int: string, decimals, unit) => {
    const key = whole + (unit ?? '');
    const known = memo.get(key);
    if (known !== undefined) return known;
    const changed = changeNumber(int, decimals, unit, random);
    memo.set(key, changed);
    return changed;
  });
}

function changeNumber(
  int: string,
  decimals: string | undefined,
  unit: string | undefined,
  random: () => number,
) {
  const places = decimals === undefined ? 0 : decimals.length;
  const fraction =
    places === 0 ? '' : '.' + String(randomInt(random, 0, 10 ** places - 1)).padStart(places, '0');
  if (places === 0 && unit === '年' && int.length === 4) return String(randomInt(random, 2015, 2025));
  if (places === 0 && unit === '月' && int.length <= 2) return String(randomInt(random, 1, 12));
  if (places === 0 && (unit === '日' || unit === '号') && int.length <= 2)
    return String(randomInt(random, 1, 28));
  if (unit === '%' || unit === '%') return String(randomInt(random, 0, 99)) + fraction;
  if (int.length === 1) return String(randomInt(random, 1, 9)) + fraction;
  const low = 10 ** (int.length - 1);
  return String(randomInt(random, low, low * 10 - 1)) + fraction;
}

const HAN_NAME = /^[\u4e00-\u9fff]{2,3}$/u;
const ROLE = /(记者|通讯员)([ \u3000]?)([\u4e00-\u9fff]{2,3}(?:[、 ][\u4e00-\u9fff]{2,3})*)(?=[)）\s]|$)/gu;

/**
 * Change the names in bylines: the name after 记者/通讯员 in a lead (`本报讯(…记者石朕)`) and the
 * space-separated names of a standalone byline line (`张璐 大连新闻传媒集团记者 谢锦宜`).
 */
export function changeNames(block: string, random: () => number, memo = new Map<string, string>()): string {
  const rename = (name: string) => {
    let changed = memo.get(name);
    if (changed === undefined) {
      changed = randomName(random);
      memo.set(name, changed);
    }
    return changed;
  };
  const renameList = (names: string) =>
    names
      .split(/([、 ])/)
      .map((part) => (HAN_NAME.test(part) ? rename(part) : part))
      .join('');
  const isBylineLine = !block.includes('\n') && [...block].length <= 40 && /记者|通讯员/.test(block);
  if (isBylineLine) {
    return block
      .split(/([ \u3000]+)/)
      .map((token) =>
        HAN_NAME.test(token) && !/记者|通讯员/.test(token)
          ? rename(token)
          : token.replace(
              ROLE,
              (_m, role: string, space: string, names: string) => role + space + renameList(names),
            ),
      )
      .join('');
  }
  if (!block.startsWith('本报讯')) return block;
  return block.replace(
    ROLE,
    (_m, role: string, space: string, names: string) => role + space + renameList(names),
  );
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function addDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Encode a page's text for disk: line ends applied, then UTF-8 or GB18030. */
export function encodePage(text: string, encoding: CorpusEncoding, lineEnding: LineEnding): Uint8Array {
  const withEnds = lineEnding === 'crlf' ? text.replace(/\n/g, '\r\n') : text;
  if (encoding === 'gb18030') return new Uint8Array(iconv.encode(withEnds, 'gb18030'));
  return new TextEncoder().encode(withEnds);
}

/**
 * Make varied pages from a sample page: its articles in shuffled order (75–100% of them on each page),
 * numbers and byline names changed, some pages GB18030, some CRLF, named `YYYY-MM-DD-pNN.txt`.
 * Pure and lazy: the same sample and options give the same pages, one at a time.
 *
 * @example
 * for (const page of generateCorpus(sampleText, { pages: 32, seed: 7 })) {
 *   page.name; // '2024-01-01-p01.txt', … '2024-01-02-p16.txt'
 * }
 */
export function* generateCorpus(sample: string, options: CorpusOptions): Generator<CorpusPage> {
  const {
    pages,
    seed = 1,
    startDate = '2024-01-01',
    pagesPerDay = 16,
    gb18030Share = 0.2,
    crlfShare = 0.25,
  } = options;
  const parts = partsOf(splitBlocks(sample));
  const random = createRandom(seed);
  for (let index = 0; index < pages; index++) {
    const date = addDays(startDate, Math.floor(index / pagesPerDay));
    const page = (index % pagesPerDay) + 1;
    const articles = shuffle([...parts.articles], random);
    const keep = Math.max(1, Math.round(articles.length * (0.75 + random() * 0.25)));
    const blocks = [...parts.furniture];
    const numbers = new Map<string, string>();
    const names = new Map<string, string>();
    for (const article of articles.slice(0, keep)) {
      for (const block of article)
        blocks.push(changeNames(changeNumbers(block, random, numbers), random, names));
    }
    const text = blocks.join('\n\n') + '\n';
    const encoding: CorpusEncoding = random() < gb18030Share ? 'gb18030' : 'utf-8';
    const lineEnding: LineEnding = random() < crlfShare ? 'crlf' : 'lf';
    const sourceId = `${date}-p${String(page).padStart(2, '0')}`;
    yield {
      name: `${sourceId}.txt`,
      sourceId,
      date,
      page,
      encoding,
      lineEnding,
      text,
      bytes: encodePage(text, encoding, lineEnding),
    };
  }
}

/** Pages of the corpus until their bytes reach `bytes` (at least one page). */
export function corpusOfSize(
  sample: string,
  bytes: number,
  options: Omit<CorpusOptions, 'pages'> = {},
): CorpusPage[] {
  const pages: CorpusPage[] = [];
  let total = 0;
  for (const page of generateCorpus(sample, { ...options, pages: Number.MAX_SAFE_INTEGER })) {
    pages.push(page);
    total += page.bytes.byteLength;
    if (total >= bytes) break;
  }
  return pages;
}

/** Write pages into `dir` (created if missing) as their file names. Returns the number of bytes written. */
export async function writeCorpus(dir: string, pages: Iterable<CorpusPage>): Promise<number> {
  await mkdir(dir, { recursive: true });
  let total = 0;
  for (const page of pages) {
    await writeFile(join(dir, page.name), page.bytes);
    total += page.bytes.byteLength;
  }
  return total;
}
