import { NewsDataError } from '@newsdata/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParsedPage, parsePage, positionOf } from './index.js';

/** Parse, or return the typed error: anything else thrown fails the property. */
function attempt(input: string | Uint8Array): ParsedPage | NewsDataError {
  try {
    return parsePage(input, { file: 'generated.txt' });
  } catch (error) {
    if (error instanceof NewsDataError && error.fault === 'data') return error;
    throw error;
  }
}

function checkAccounting(page: ParsedPage): void {
  const placed = [
    ...page.articles.flatMap((a) => a.lines),
    ...page.noise.map((n) => n.line),
    ...page.warnings.flatMap((w) => w.lines ?? []),
  ].sort((a, b) => a - b);
  const nonBlank = page.lines.flatMap((line, k) => (line.trim() ? [k + 1] : []));
  expect(placed).toEqual(nonBlank);
  const { nonBlank: n, inArticles, inNoise, inWarnings } = page.accounting;
  expect(n).toBe(nonBlank.length);
  expect(n).toBe(inArticles + inNoise + inWarnings);
}

function checkSpans(page: ParsedPage): void {
  for (const article of page.articles) {
    expect(article.paragraphs.length).toBeGreaterThan(0);
    for (const paragraph of article.paragraphs) {
      expect(paragraph.text.length).toBeGreaterThan(0);
      for (const span of paragraph.spans) {
        expect(page.text.slice(span.offset, span.offset + span.length)).toBe(
          paragraph.text.slice(span.at, span.at + span.length),
        );
      }
      for (let i = 0; i < paragraph.text.length; i++) {
        const code = paragraph.text.charCodeAt(i);
        if (code >= 0xdc00 && code <= 0xdfff) continue;
        const { line, column } = positionOf(paragraph, i);
        expect([...page.lines[line - 1]!][column - 1]).toBe(
          String.fromCodePoint(paragraph.text.codePointAt(i)!),
        );
      }
    }
  }
}

/** Lines that look like a newspaper page: headlines, bylines, leads, cut pieces, markers, captions. */
const pageLine = fc.oneof(
  fc.constantFrom(
    '',
    '',
    '',
    '\u3000\u3000',
    '市政协召开党组会议',
    '港口吞吐量再创新高 ——2024年工作综述',
    '——市人大常委会工作综述',
    '张璐 大连新闻传媒集团记者 谢锦宜',
    '本报记者 王某 通讯员 李某',
    '本报讯(大连新闻传媒集团记者石朕)昨日,市政协召开党组会议。',
    '本报讯（记者 王某）近日，社区食堂开业，',
    '新华社北京1月8日电（记者 陈刚）记者从国铁集团获悉，春运将启动。',
    '会议指出,要认真学习贯彻',
    '精神,牢固树立“一盘棋”思想。',
    '，已有1200名学生参加。',
    '（下转第2版）',
    '（上接第1版）占比超过四成。',
    '（完）',
    '扫描二维码',
    '关注大连新闻',
    '责任编辑：张某',
    '深植作风能力锻造 打造干事创业“加油站”',
    '以“提案之力”凝聚发展共识',
    '\u00a0昨日，市民服务中心正式启用。\u00a0',
    '2025年1月8日 星期三 责编：王某 A02',
    '大连日报 要闻',
    '编辑 王某',
    '图为市民在公园游玩。 本报记者 王某 摄',
    '（图片由市文旅局提供）',
    '地区生产总值 8752亿元 5.5%',
    '指标 总量 增速',
    '一、产业体系更加完备',
    '新春走基层：',
    '【环球视野】',
    '我市经济运行稳中向好。',
    '（本报记者 王某 整理）',
    '寒假期间，图书馆推出阅读活动。（记者 程颖）',
    '据新华社沈阳1月7日电 入冬以来，冰雪旅游持续升温。',
    '记者从市供热办获悉，热线扩容。',
    'DALIAN DAILY',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
const pageText = fc
  .tuple(fc.array(pageLine, { maxLength: 40 }), fc.constantFrom('\n', '\r\n', '\r'))
  .map(([lines, end]) => lines.join(end));

// A generous limit: the machine may be shared, and these run hundreds of pages (no timing is asserted).
describe('parsePage properties', () => {
  it('on page-like text: returns or throws a typed data error, deterministically, accounting for every line', () => {
    fc.assert(
      fc.property(pageText, (text) => {
        const first = attempt(text);
        const second = attempt(text);
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
        if (first instanceof NewsDataError) {
          expect(['SOURCE_EMPTY', 'SOURCE_BINARY', 'SOURCE_NOT_DECODABLE']).toContain(first.code);
          return;
        }
        checkAccounting(first);
        checkSpans(first);
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('on any string, including lone surrogates and control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const result = attempt(text);
        if (!(result instanceof NewsDataError)) checkAccounting(result);
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const first = attempt(bytes);
        expect(JSON.stringify(attempt(bytes))).toBe(JSON.stringify(first));
        if (first instanceof NewsDataError) {
          if (first.code === 'SOURCE_NOT_DECODABLE' || first.code === 'SOURCE_BINARY') {
            expect(first.context.offset).toBeGreaterThanOrEqual(0);
            expect(first.context.offset).toBeLessThan(bytes.length);
          }
          return;
        }
        checkAccounting(first);
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('on page-like text encoded as UTF-8 and cut at any byte: a page or a typed error, never mojibake', () => {
    fc.assert(
      fc.property(pageText, fc.nat(), (text, at) => {
        const bytes = new TextEncoder().encode(text);
        const cut = bytes.subarray(0, bytes.length === 0 ? 0 : at % (bytes.length + 1));
        const result = attempt(cut);
        if (result instanceof NewsDataError) return;
        expect(result.encoding).not.toBe('gb18030');
        checkAccounting(result);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
