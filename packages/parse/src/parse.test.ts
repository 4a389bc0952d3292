import { NewsDataError } from '@newsdata/errors';
import { describe, expect, it } from 'vitest';
import { type ParsedPage, parseByline, parsePage, positionOf } from './index.js';
import { expectAccounted, parseFixture } from './page-checks.test-data.js';

function texts(page: ParsedPage, seq = 1): string[] {
  return page.articles[seq - 1]!.paragraphs.map((p) => p.text);
}

describe('parsePage on varied pages', () => {
  it('one article with a standalone 本报记者 X 通讯员 Y byline, a section and a cut paragraph', () => {
    const page = parseFixture('one-article.txt');
    expectAccounted(page);
    expect(page.articles).toHaveLength(1);
    const [article] = page.articles;
    expect(article).toMatchObject({
      title: '滨海路改造工程全线贯通',
      subtitle: null,
      reporters: ['王海燕'],
      contributors: ['刘晓东'],
      agency: null,
      dateline: '日前',
      sections: ['慢行系统更舒适'],
    });
    expect(texts(page)[1]).toBe(
      '工程由市城建集团承建，全长32.6公里，新增步道18公里、停车泊位900个，沿线的排水管网和照明设施一并完成更新，夜间亮灯率达到百分之百。',
    );
    expect(article!.paragraphs.map((p) => p.section)).toEqual([null, null, '慢行系统更舒适']);
    expect(page.repairs).toEqual([expect.objectContaining({ kind: 'join-cut', article: 1, line: 9 })]);
  });

  it('full-width brackets and spaces: the byline is parsed, the text keeps its own characters', () => {
    const page = parseFixture('full-width-brackets.txt');
    expectAccounted(page);
    const [article] = page.articles;
    expect(article).toMatchObject({
      title: '港口集装箱吞吐量再创新高',
      reporters: ['赵明'],
      contributors: ['孙丽'],
      agency: null,
      dateline: '１月８日',
    });
    expect(texts(page)[0]!.startsWith('１月８日，记者从港口集团获悉')).toBe(true);
    // The indent of U+3000 is trimmed; the column counts it.
    expect(article!.paragraphs[1]!.spans[0]).toMatchObject({ line: 5, column: 3 });
  });

  it('新华社 datelines: agency, date and reporter come out of the lead', () => {
    const page = parseFixture('xinhua.txt');
    expectAccounted(page);
    expect(page.articles.map((a) => [a.title, a.agency, a.dateline, a.reporters])).toEqual([
      ['全国铁路春运今日启动', '新华社', '1月8日', ['陈刚']],
      ['北方地区迎来新一轮降温', '新华社', null, []],
    ]);
    expect(texts(page, 1)[0]!.startsWith('记者从国铁集团获悉')).toBe(true);
    expect(texts(page, 2)[0]!.startsWith('受冷空气影响')).toBe(true);
  });

  it('下转/上接 markers and a jump line: the continuation joins its article, the markers stay out of the text', () => {
    const page = parseFixture('jump-markers.txt');
    expectAccounted(page);
    expect(page.articles.map((a) => a.title)).toEqual([
      '新能源汽车产业链加速集聚',
      '社区食堂开进老旧小区',
      '海水淡化项目进入调试阶段',
    ]);
    expect(texts(page, 1)[1]).toBe(
      '去年以来，全市新签约新能源汽车项目23个，总投资超过300亿元，其中动力电池项目占比超过四成，带动配套企业加快落户。',
    );
    expect(texts(page, 1)).toHaveLength(3);
    expect(texts(page, 2)).toHaveLength(2);
    // Article 3 goes on another page: its cut paragraph is expected, not a warning.
    expect(page.articles[2]!.lines).toContain(27);
    expect(page.warnings).toEqual([]);
    expect(page.repairs.map((r) => [r.kind, r.article, r.line])).toEqual([
      ['continuation-marker', 1, 7],
      ['jump-line', 1, 15],
      ['join-cut', 1, 17],
      ['continuation-marker', 3, 27],
    ]);
  });

  it('a page without noise and with hard-wrapped lines inside blocks', () => {
    const page = parseFixture('no-noise.txt');
    expectAccounted(page);
    expect(page.noise).toEqual([]);
    expect(page.articles.map((a) => [a.title, a.reporters, a.dateline, a.paragraphs.length])).toEqual([
      ['图书馆延长开放时间', ['林静'], '日前', 2],
      ['公园新增智能健身步道', ['何飞'], '近日', 1],
    ]);
    expect(texts(page)[0]).toBe(
      '日前，市图书馆宣布自本月起延长开放时间，工作日闭馆时间由晚上8点推迟至10点，周末全天开放。',
    );
  });

  it('CRLF line ends', () => {
    const page = parseFixture('crlf.txt');
    expectAccounted(page);
    expect(page.text.includes('\r')).toBe(false);
    expect(page.articles[0]).toMatchObject({
      title: '市民服务中心启用',
      reporters: ['邵华'],
      dateline: '昨日',
    });
    expect(texts(page)[1]).toBe('中心设置综合窗口，实行“一窗受理”，群众办事时间平均缩短一半。');
  });

  it('GB18030 bytes', () => {
    const page = parseFixture('gb18030.txt');
    expect(page.encoding).toBe('gb18030');
    expectAccounted(page);
    expect(page.articles[0]).toMatchObject({
      title: '菜篮子价格保持平稳',
      reporters: ['冯雨'],
      dateline: '昨日',
    });
  });

  it('a cut paragraph at the very end of the page is kept and warned about', () => {
    const page = parseFixture('cut-at-end.txt');
    expectAccounted(page);
    expect(texts(page)).toHaveLength(2);
    expect(page.warnings).toEqual([
      expect.objectContaining({ code: 'unresolved-cut', line: 5, column: 37, lines: [] }),
    ]);
  });

  it('interleaved columns: each continuation goes to the article whose cut it completes', () => {
    const page = parseFixture('interleaved.txt');
    expectAccounted(page);
    expect(texts(page, 1)).toEqual([
      '渔港码头改造后，渔船停泊能力提升一倍，鱼货装卸区和冷链仓储面积扩大到8000平方米，渔船补给点增加到6个。渔民老李说，过去渔船排队卸货要等半天，如今渔港码头装卸效率大大提高，鱼货当天就能进冷链仓储，渔船补给也更方便了。',
    ]);
    expect(texts(page, 2)).toEqual([
      '航天科普课由高校志愿者授课，学生们动手制作火箭模型，了解卫星发射的基本原理。课程每周一次，覆盖三至六年级，已有1200名学生参加，学校还计划组建航天兴趣小组和卫星观测社团。',
      '科普课深受学生欢迎。',
    ]);
    const decisions = page.repairs.filter((r) => r.kind === 'interleaved-continuation');
    expect(decisions.map((r) => [r.article, r.line])).toEqual([
      [1, 13],
      [2, 15],
    ]);
    expect(decisions[0]!.reason).toMatch(/bigrams/);
  });

  it('keeps a block with the article it follows when another cut article only shares some words with it', () => {
    const page = parseFixture('stale-cut.txt');
    expectAccounted(page);
    expect(page.articles[1]!.paragraphs[0]!.text).toBe(
      '近日，中山区首家社区养老服务站开门迎客，站内设有助餐、助浴和康复训练等服务区，机关干部和社区工作人员定期上门，为老人建设文化活动空间。',
    );
    expect(page.articles[0]!.paragraphs).toHaveLength(2);
    // The vocabulary leaned to article 1 without overruling the flow: the doubt is reported.
    expect(page.warnings).toEqual([
      expect.objectContaining({ code: 'unresolved-cut', line: 7 }),
      expect.objectContaining({ code: 'ambiguous-continuation', line: 15, lines: [] }),
    ]);
    expect(page.repairs).toEqual([expect.objectContaining({ kind: 'join-cut', article: 2, line: 15 })]);
  });

  it('headlines without bylines: a heading before a dated lead starts an article, otherwise it is a section', () => {
    const page = parseFixture('lead-headlines.txt');
    expectAccounted(page);
    expect(page.articles.map((a) => [a.title, a.dateline, a.sections])).toEqual([
      ['城区新增三条公交线路', '昨日', []],
      ['旅顺樱花节筹备启动', '日前', ['赏花路线']],
    ]);
  });

  it('holds text before any headline in warnings, never drops it', () => {
    const page = parsePage(
      '（上接第1版）上文的剩余部分。\n\n另一段没有标题的文字。\n\n扫描二维码\n关注我们\n',
    );
    expectAccounted(page);
    expect(page.articles).toEqual([]);
    expect(page.warnings.map((w) => [w.code, w.line])).toEqual([
      ['orphan-block', 1],
      ['orphan-block', 3],
    ]);
    expect(page.noise.map((n) => n.line)).toEqual([5, 6]);
  });

  it('holds a headline with no text under it in a warning', () => {
    const page = parsePage('第一条消息\n\n本报讯 昨日，某事发生。\n\n最后一个标题\n\n——只有副题\n');
    expectAccounted(page);
    expect(page.articles).toHaveLength(1);
    expect(page.warnings.map((w) => [w.code, w.line])).toEqual([
      ['empty-article', 5],
      ['empty-article', 7],
    ]);
  });

  it('accepts text as well as bytes, and a BOM in text', () => {
    const page = parsePage('\uFEFF标题一\r\n\r\n本报讯（记者 王某）今天，内容。');
    expect(page.encoding).toBe('utf-8-bom');
    expect(page.articles[0]).toMatchObject({ title: '标题一', dateline: '今天', reporters: ['王某'] });
  });

  it('throws typed data errors for text it cannot take', () => {
    for (const [input, code] of [
      ['', 'SOURCE_EMPTY'],
      [' \n\u3000\n', 'SOURCE_EMPTY'],
      ['a\u0000b', 'SOURCE_BINARY'],
      ['a\uD800b', 'SOURCE_NOT_DECODABLE'],
    ] as const) {
      expect(() => parsePage(input)).toThrow(NewsDataError);
      try {
        parsePage(input);
      } catch (error) {
        expect((error as NewsDataError).code).toBe(code);
      }
    }
  });
});

describe('positionOf', () => {
  it('maps code points, not UTF-16 units, to columns', () => {
    const page = parsePage('标题\n\n本报讯 昨日，𠀀字在前，之后是\n\n续行的文字。\n');
    const paragraph = page.articles[0]!.paragraphs[0]!;
    expect(paragraph.text).toBe('昨日，𠀀字在前，之后是续行的文字。');
    expect(positionOf(paragraph, paragraph.text.indexOf('字'))).toEqual({ line: 3, column: 9 });
    expect(positionOf(paragraph, paragraph.text.indexOf('续'))).toEqual({ line: 5, column: 1 });
    expect(positionOf(paragraph, paragraph.text.length)).toEqual({ line: 5, column: 7 });
  });
});

describe('parseByline', () => {
  it('reads the standalone forms', () => {
    expect(parseByline('张璐 大连新闻传媒集团记者 谢锦宜')).toEqual({
      reporters: ['谢锦宜'],
      contributors: ['张璐'],
      agency: '大连新闻传媒集团',
    });
    expect(parseByline('本报记者 王某 通讯员 李某')).toEqual({
      reporters: ['王某'],
      contributors: ['李某'],
      agency: null,
    });
    expect(parseByline('记者　陈晨　实习生　刘洋')).toEqual({
      reporters: ['陈晨'],
      contributors: ['刘洋'],
      agency: null,
    });
    expect(parseByline('□本报记者 王某 李某 报道')).toEqual({
      reporters: ['王某', '李某'],
      contributors: [],
      agency: null,
    });
    expect(parseByline('文/图 新华社记者 阿依古丽·买买提')).toEqual({
      reporters: ['阿依古丽·买买提'],
      contributors: [],
      agency: '新华社',
    });
  });

  it('is not fooled by sentences that mention a reporter', () => {
    expect(parseByline('记者从市交通局获悉，新线路将于下月开通。')).toBeNull();
    expect(parseByline('市民服务中心启用')).toBeNull();
  });
});

describe('parsePage on text continued from another page', () => {
  it('a heading over 上接 text starts that article, it is not a section of the one before', () => {
    const page = parseFixture('continued-from-another-page.txt');
    expectAccounted(page);
    expect(page.articles.map((a) => [a.title, a.sections, a.paragraphs.length])).toEqual([
      ['夜间经济点亮城市消费', [], 1],
      ['老港区变身文创园区', [], 2],
    ]);
    expect(texts(page, 2)[0]!.startsWith('改造后的园区')).toBe(true);
  });
});

describe('parsePage on an editorial without blank lines', () => {
  it('reads 本报评论员 as a byline, indented single-line paragraphs, and flags a lead with no headline', () => {
    const page = parseFixture('editorial-single-newlines.txt');
    expectAccounted(page);
    expect(page.articles).toHaveLength(1);
    expect(page.articles[0]).toMatchObject({
      title: '坚定信心 真抓实干',
      subtitle: '写在全国两会召开之际',
      reporters: [],
      agency: null,
      sections: ['稳增长政策持续发力'],
    });
    expect(texts(page)[1]).toBe(
      '实践表明，只要我们坚定信心、真抓实干，就一定能够战胜前进道路上的各种困难挑战，不断开创发展新局面。',
    );
    expect(page.warnings).toEqual([
      expect.objectContaining({ code: 'lead-without-headline', line: 9, lines: [] }),
    ]);
  });
});

describe('parsePage on captions', () => {
  it('takes the QR caption as noise but not a headline printed in the same block', () => {
    const page = parsePage(
      '扫描二维码\n关注本报\n客户端\n海湾大桥主体完工\n\n本报讯（记者 罗兰）昨日，海湾大桥主体工程完工。\n',
    );
    expectAccounted(page);
    expect(page.noise.map((n) => n.text)).toEqual(['扫描二维码', '关注本报', '客户端']);
    expect(page.articles.map((a) => [a.title, a.reporters])).toEqual([['海湾大桥主体完工', ['罗兰']]]);
  });
});
