import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ParsedArticle, parsePage, positionOf } from './index.js';
import { expectAccounted } from './page-checks.test-data.js';

const file = new URL('../../../data/sources/dalian-daily-sample-page.txt', import.meta.url);
const page = parsePage(readFileSync(file), { file: 'dalian-daily-sample-page.txt' });

function paragraphWith(article: ParsedArticle, fragment: string) {
  const paragraph = article.paragraphs.find((p) => p.text.includes(fragment));
  if (!paragraph) throw new Error(`no paragraph of “${article.title}” contains “${fragment}”`);
  return paragraph;
}

describe('the bundled sample page', () => {
  it('is UTF-8 and gives the 7 articles of the issue, in page order', () => {
    expect(page.encoding).toBe('utf-8');
    expect(
      page.articles.map((a) => ({
        title: a.title,
        subtitle: a.subtitle,
        reporters: a.reporters,
        contributors: a.contributors,
        dateline: a.dateline,
        sections: a.sections.length,
        paragraphs: a.paragraphs.length,
      })),
    ).toEqual([
      {
        title: '市政协召开党组会议',
        subtitle: '官福清主持会议',
        reporters: ['石朕'],
        contributors: [],
        dateline: '昨日',
        sections: 0,
        paragraphs: 3,
      },
      {
        title: '金普新区新年第一会 聚焦人才工作',
        subtitle: null,
        reporters: ['郑鸿'],
        contributors: [],
        dateline: '昨日',
        sections: 0,
        paragraphs: 3,
      },
      {
        title: '“青之云”24小时智能工会驿站启用',
        subtitle: null,
        reporters: ['邵洁'],
        contributors: [],
        dateline: '近日',
        sections: 0,
        paragraphs: 3,
      },
      {
        title: '立足“四个机关”建设 展现人大温度与担当',
        subtitle: '市人大常委会2024年自身建设工作综述',
        reporters: ['谢锦宜'],
        contributors: ['张璐'],
        dateline: null,
        sections: 5,
        paragraphs: 6,
      },
      {
        title: '以“提案之力”凝聚发展共识 以“政协之为”助力振兴新突破',
        subtitle: '市政协2024年提案工作综述',
        reporters: ['石朕'],
        contributors: [],
        dateline: null,
        sections: 3,
        paragraphs: 20,
      },
      {
        title: '秉持“如我在诉”理念 做实为人民司法',
        subtitle: null,
        reporters: ['王艺'],
        contributors: ['由好', '李丹'],
        dateline: null,
        sections: 0,
        paragraphs: 7,
      },
      {
        title: '做优公益诉讼 守护公共利益',
        subtitle: null,
        reporters: ['王艺'],
        contributors: ['叶红', '杨茜淳'],
        dateline: null,
        sections: 2,
        paragraphs: 5,
      },
    ]);
  });

  it('removes the inline byline from the lead and keeps the dateline word in the text', () => {
    const first = page.articles[0]!;
    expect(first.agency).toBe('大连新闻传媒集团');
    expect(first.paragraphs[0]!.text.startsWith('昨日,市政协召开党组会议')).toBe(true);
    expect(first.paragraphs[0]!.spans[0]).toMatchObject({ line: 13, column: 18 });
    expect(page.articles.every((a) => a.paragraphs.every((p) => !p.text.includes('本报讯')))).toBe(true);
  });

  it('attaches the interleaved block and the last section of article 4 printed after part of article 5', () => {
    const article = page.articles[3]!;
    expect(article.sections.at(-1)).toBe('深植作风能力锻造 打造干事创业“加油站”');
    const joined = paragraphWith(article, '推选活动,机关办公楼走廊文化完成优化升级');
    expect(joined.spans.map((s) => s.line)).toEqual([57, 99]);
    const at = joined.text.indexOf('楼走廊');
    expect(positionOf(joined, at)).toEqual({ line: 99, column: 1 });
    expect(positionOf(joined, at - 1)).toEqual({ line: 57, column: [...page.lines[56]!].length });
    expect(paragraphWith(article, '具体制度相衔接、工作机制与责任机制相配套').spans).toHaveLength(2);
    expect(page.repairs).toContainEqual(
      expect.objectContaining({ kind: 'interleaved-continuation', article: 4, line: 99 }),
    );
  });

  it('continues article 5 after its jump line', () => {
    const article = page.articles[4]!;
    expect(article.lines).toContain(105);
    expect(paragraphWith(article, '贯穿于提案办理全过程,将提案的“高言值”转化为“高价值”').spans).toHaveLength(
      2,
    );
    expect(paragraphWith(article, '围绕经济建设,政协委员').spans).toHaveLength(2);
    expect(page.repairs).toContainEqual(
      expect.objectContaining({ kind: 'jump-line', article: 5, line: 105 }),
    );
  });

  it('joins the cut paragraphs of articles 6 and 7 with nothing in between', () => {
    const [courts, prosecutors] = [page.articles[5]!, page.articles[6]!];
    for (const fragment of ['一次办好”,并持续推动', '优化线上诉讼服务,一审网上立案率', '在全省率先出台']) {
      expect(paragraphWith(courts, fragment).spans).toHaveLength(2);
    }
    for (const fragment of ['涉海案件23件,督促存在的行业监管相关问题', '无障碍设施不规范问题进行整改']) {
      expect(paragraphWith(prosecutors, fragment).spans).toHaveLength(2);
    }
  });

  it('puts the QR caption in the noise list and accounts for every line', () => {
    expect(page.noise).toEqual([
      { line: 5, text: '扫描二维码' },
      { line: 6, text: '关注大连新闻' },
      { line: 7, text: '传媒集团' },
    ]);
    expect(page.warnings).toEqual([]);
    expect(page.accounting).toEqual({ nonBlank: 82, inArticles: 79, inNoise: 3, inWarnings: 0 });
    // Also: every paragraph character maps back to the same character of the source.
    expectAccounted(page);
  });

  it('comes out the same from the GB18030 bytes of the page (converted with iconv)', () => {
    const gb = parsePage(
      readFileSync(new URL('../test/fixtures/dalian-daily-sample-page.gb18030.txt', import.meta.url)),
    );
    expect(gb.encoding).toBe('gb18030');
    expect(gb.articles).toEqual(page.articles);
    expect(gb.noise).toEqual(page.noise);
  });
});
