import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ParsedPage, parsePage } from './index.js';
import { expectAccounted, parseFixture } from './page-checks.test-data.js';

/**
 * Whole pages from imagined newspapers, each with the articles a reader sees on it, written by hand in
 * `<page>.expected.json`: headlines, kickers, subtitles, bylines, datelines, sections, and every
 * paragraph with its text and source lines; the noise lines and the warnings.
 */
function expectedOf(name: string) {
  return JSON.parse(
    readFileSync(
      new URL(`../test/fixtures/${name.replace(/\.txt$/, '.expected.json')}`, import.meta.url),
      'utf8',
    ),
  );
}

function summary(page: ParsedPage) {
  return {
    encoding: page.encoding,
    articles: page.articles.map((a) => ({
      title: a.title,
      kicker: a.kicker ?? null,
      subtitle: a.subtitle,
      reporters: a.reporters,
      contributors: a.contributors,
      agency: a.agency,
      dateline: a.dateline,
      sections: a.sections,
      paragraphs: a.paragraphs.map((p) => ({
        section: p.section,
        text: p.text,
        lines: p.spans.map((s) => s.line),
      })),
    })),
    noise: page.noise.map((n) => n.line),
    warnings: page.warnings.map((w) => ({ code: w.code, line: w.line })),
  };
}

describe('whole pages from other newspapers', () => {
  it('a national page: header furniture, kicker + headline + —subtitle, ■ byline, numbered sections, a quoted headline, a 【】 column tag, 据新华社…电 with spaces, a photo caption, (完), editor footer', () => {
    const page = parseFixture('national-page.txt');
    expectAccounted(page);
    expect(summary(page)).toEqual(expectedOf('national-page.txt'));
    expect(page.noise.map((n) => n.text)).toEqual([
      '人民时报 要闻',
      '2025年1月8日 星期三 责编：孙立 美编：周洁 02',
      '图为某汽车工厂的智能化生产线。 新华社记者 李建国 摄',
      '责任编辑：孙立 校对：何静',
    ]);
  });

  it('an evening paper of short briefs: closing credits, briefs without bylines, 记者从…获悉 leads, captions, a page number between two pieces of a cut paragraph', () => {
    const page = parseFixture('evening-briefs.txt');
    expectAccounted(page);
    expect(summary(page)).toEqual(expectedOf('evening-briefs.txt'));
    // The closing credit leaves the text and names the reporter.
    expect(page.articles[1]!.paragraphs[0]!.text.endsWith('预约。')).toBe(true);
  });

  it('an economics page: a headline ending with 。, a table dumped as lines, 1. sections, a closing （本报记者 X 整理）, 上接, an English line', () => {
    const page = parseFixture('economy-page.txt');
    expectAccounted(page);
    expect(summary(page)).toEqual(expectedOf('economy-page.txt'));
    expect(page.repairs.filter((r) => r.kind === 'join-cut')).toEqual([]);
  });

  it('a GB18030 page with CRLF: a colon kicker, 新华社记者 byline over a 据新华社…电 lead, a fragment between column breaks, 下转/上接 with a jump line', () => {
    const page = parseFixture('coast-gb18030-crlf.txt');
    expect(page.text.includes('\r')).toBe(false);
    expectAccounted(page);
    expect(summary(page)).toEqual(expectedOf('coast-gb18030-crlf.txt'));
    expect(page.repairs.map((r) => [r.kind, r.article, r.line])).toEqual([
      ['continuation-marker', 1, 13],
      ['join-cut', 2, 23],
      ['join-cut', 2, 25],
      ['jump-line', 1, 27],
    ]);
  });
});

describe('shapes that look like furniture, captions or credits but are text', () => {
  it('keeps headlines with numbers or spaces, sentences about photos, and bracketed asides', () => {
    const page = parsePage(
      [
        '聚焦 2025',
        '',
        '本报讯（记者 王某）昨日，摄影展开幕，展出作品120幅，他说要用镜头记录城市。',
        '',
        '展览持续到月底（周一闭馆）。',
        '',
        '项目 120 150',
      ].join('\n'),
    );
    expectAccounted(page);
    expect(page.noise).toEqual([]);
    expect(page.articles.map((a) => [a.title, a.reporters])).toEqual([['聚焦 2025', ['王某']]]);
    expect(page.articles[0]!.paragraphs.map((p) => p.text)).toEqual([
      '昨日，摄影展开幕，展出作品120幅，他说要用镜头记录城市。',
      '展览持续到月底（周一闭馆）。',
      '项目 120 150',
    ]);
  });

  it('warns when a heading inside a news story may be the headline of a brief with no byline', () => {
    const page = parsePage(
      '路灯改造完成\n\n本报讯（记者 王某）昨日，主干道路灯改造完成。\n\n公园新增停车位\n\n公园东门新增停车位200个。\n',
    );
    expect(page.articles.map((a) => [a.title, a.sections])).toEqual([['路灯改造完成', ['公园新增停车位']]]);
    expect(page.warnings).toEqual([
      expect.objectContaining({ code: 'ambiguous-heading', line: 5, lines: [] }),
    ]);
  });
});
