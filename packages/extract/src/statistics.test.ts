import { describe, expect, it } from 'vitest';
import { extractStatistics } from './index.js';
import { budgetStory, numeralStory, trafficStory } from './page.test-data.js';

const paragraphsOf = (spec: { paragraphs: (string | string[])[] }) =>
  spec.paragraphs.map((p) => (typeof p === 'string' ? p : p.join('')));
const rows = (text: string) =>
  extractStatistics(text).map((s) => ({
    text: s.text,
    value: s.value,
    unit: s.unit,
    label: s.label,
    qualifier: s.qualifier,
    year: s.year,
  }));

describe('extractStatistics', () => {
  it('reads counts with the label before the number', () => {
    expect(rows('全年共提出提案508件,立案433件,均已办复。')).toEqual([
      { text: '508件', value: 508, unit: '件', label: '提案', qualifier: null, year: null },
      { text: '433件', value: 433, unit: '件', label: '立案', qualifier: null, year: null },
    ]);
  });

  it('reads the label after the unit when a noun follows', () => {
    expect(rows('引入227名律师志愿者驻院开展诉讼辅导工作。')[0]).toMatchObject({ label: '律师志愿者' });
    expect(rows('共受理公益诉讼案件线索920件。')[0]).toMatchObject({ label: '公益诉讼案件线索' });
  });

  it('gives each value of a change sentence its year and the subject as label', () => {
    expect(rows('全市假期托管班由2023年的10家增加至2024年的91家。')).toEqual([
      { text: '10家', value: 10, unit: '家', label: '托管班', qualifier: null, year: 2023 },
      { text: '91家', value: 91, unit: '家', label: '托管班', qualifier: null, year: 2024 },
    ]);
  });

  it('applies 万 and 亿 as scale and keeps the text as written', () => {
    const [s] = extractStatistics('安排就业补助资金3365万元。');
    expect(s).toMatchObject({ value: 33_650_000, unit: '元', text: '3365万元', label: '就业补助资金' });
    expect(rows('税收收入1.2亿元')[0]).toMatchObject({ value: 120_000_000, unit: '元' });
  });

  it('reads approximations with their qualifier and the stated bound', () => {
    expect(rows('向市委请示报告40余次')[0]).toMatchObject({ value: 40, qualifier: '余' });
    expect(rows('被媒体报道上百篇次')[0]).toMatchObject({ value: 100, unit: '篇次', qualifier: '上百' });
    expect(rows('数十家合作社参与')[0]).toMatchObject({ value: 10, unit: '家', qualifier: '数十' });
    expect(rows('惠及市场主体超3万户')[0]).toMatchObject({ value: 30_000, unit: '户', qualifier: '超' });
    expect(rows('减税降费近120亿元')[0]).toMatchObject({ text: '近120亿元', qualifier: '近' });
    expect(rows('培训300人左右')[0]).toMatchObject({ text: '300人左右', qualifier: '左右' });
    for (const s of extractStatistics('十余个部门、四十多个村、逾千名志愿者'))
      expect(s.approximate).toBe(true);
  });

  it('reads percentages and fractions as percent', () => {
    expect(rows('一审网上立案率93.83%')[0]).toMatchObject({
      value: 93.83,
      unit: '%',
      label: '一审网上立案率',
    });
    expect(rows('公交分担率提高到百分之四十五')[0]).toMatchObject({
      value: 45,
      unit: '%',
      label: '公交分担率',
    });
    expect(rows('三分之一的乘客')[0]).toMatchObject({ value: 33.3333, unit: '%', text: '三分之一' });
  });

  it.each([
    ['years and dates', '2024年4月26日,2024年度规划通过。'],
    ['ordinals', '连续第十二年发布白皮书,组织第七批申报,第二十一次会议。'],
    ['session numbers', '十七届人大常委会,市委十三届九次全委会议。'],
    ['anniversaries', '庆祝新中国成立75周年,人代会成立70周年。'],
    ['numbers in names and short quotes', '提升12345政务服务热线效能,编辑“事说70年”,“地铁100天”活动。'],
    ['attributive durations', '又一家24小时智能工会驿站启用,以24小时驿站为辐射点。'],
    ['phone numbers and codes', '咨询电话0411-12345678,拨打96123转1,B类提案3件G15高速。'],
    ['the article 一 and reduplication', '整合到一个窗口,一件件提案,一个个建议。'],
    ['idioms', '千家万户受益,三番五次督办,千方百计。'],
  ])('finds no statistic in %s', (_name, text) => {
    const found = rows(text).filter((s) => s.text !== '3件');
    expect(found).toEqual([]);
  });
});

describe('fixture stories', () => {
  it('budget story: 亿元, 万元, 同比增长, 百分点, 百分之', () => {
    const all = paragraphsOf(budgetStory).flatMap(rows);
    expect(all.map((s) => [s.text, s.value, s.unit])).toEqual([
      ['856.3亿元', 85_630_000_000, '元'],
      ['5.2%', 5.2, '%'],
      ['1.3个百分点', 1.3, '个百分点'],
      ['612亿元', 61_200_000_000, '元'],
      ['71.5%', 71.5, '%'],
      ['1,204.7亿元', 120_470_000_000, '元'],
      ['近120亿元', 12_000_000_000, '元'],
      ['超3万户', 30_000, '户'],
      ['3365万元', 33_650_000, '元'],
      ['两千余名', 2000, '名'],
      ['百分之六十', 60, '%'],
    ]);
    expect(all.map((s) => s.label)).toEqual([
      '一般公共预算收入',
      '同比增长',
      '比上年提高',
      '税收收入',
      '一般公共预算收入',
      '一般公共预算支出',
      '中小微企业减税降费',
      '惠及市场主体',
      '就业补助资金',
      '高校毕业生',
      '三保支出',
    ]);
  });

  it('traffic story: 公里, 万人次, a change sentence, 百分之, 分钟; no codes or quoted numbers', () => {
    const all = paragraphsOf(trafficStory).flatMap(rows);
    expect(all.map((s) => [s.text, s.value, s.unit, s.label, s.year])).toEqual([
      ['24.5公里', 24.5, '公里', '号线全长', null],
      ['18座', 18, '座', '车站', null],
      ['32.6万人次', 326_000, '人次', '日均客运量', null],
      ['237公里', 237, '公里', '运营里程', 2023],
      ['261公里', 261, '公里', '运营里程', 2024],
      ['百分之四十五', 45, '%', '公交分担率', null],
      ['约三分之一', 33.3333, '%', null, null],
      ['约8分钟', 8, '分钟', '平均通勤时间', null],
      ['12条', 12, '条', '公交线路', null],
      ['二十列', 20, '列', '新车辆', null],
    ]);
  });

  it('numeral story: Chinese numerals, 余/多/上百/数十, no ordinals or idioms', () => {
    const all = paragraphsOf(numeralStory).flatMap(rows);
    expect(all.map((s) => [s.text, s.value, s.unit, s.qualifier])).toEqual([
      ['一万二千亩', 12_000, '亩', null],
      ['一百二十五座', 125, '座', null],
      ['三百余家', 300, '家', '余'],
      ['四十多个', 40, '个', '多'],
      ['两千余万元', 20_000_000, '元', '余'],
      ['二十七名', 27, '名', null],
      ['上百名', 100, '名', '上百'],
      ['数十家', 10, '家', '数十'],
      ['一千五百场次', 1500, '场次', null],
    ]);
  });

  it('keeps the sentence and the index where the text starts', () => {
    const text = '会议指出,要坚持。全年共提出提案508件,立案433件,均已办复。';
    for (const s of extractStatistics(text)) {
      expect(text.slice(s.index, s.index + s.text.length)).toBe(s.text);
      expect(s.sentence).toBe('全年共提出提案508件,立案433件,均已办复。');
    }
  });

  it('gives each statistic the sentence it sits in, also after a paragraph with the same layout', () => {
    const first = '去年新建公园12个。今年“新建”绿道30公里,栽种树木500棵。';
    const second = '去年改造学校15所。今年“改造”医院40家,新增床位900张。';
    expect(extractStatistics(first).map((s) => s.sentence)).toEqual([
      '去年新建公园12个。',
      '今年“新建”绿道30公里,栽种树木500棵。',
      '今年“新建”绿道30公里,栽种树木500棵。',
    ]);
    expect(extractStatistics(second).map((s) => s.sentence)).toEqual([
      '去年改造学校15所。',
      '今年“改造”医院40家,新增床位900张。',
      '今年“改造”医院40家,新增床位900张。',
    ]);
  });

  it('keeps labels and the extra units written in full width or around quotes', () => {
    expect(rows('累计接待“游客”１２万人次。')[0]).toMatchObject({
      value: 120_000,
      unit: '人次',
      label: '游客',
    });
    expect(extractStatistics('铺设管道8段', { units: ['段'] })[0]).toMatchObject({ value: 8, unit: '段' });
  });

  it('accepts extra units', () => {
    expect(extractStatistics('新增泊位12个,建成码头3处,完成12标段')).toHaveLength(2);
    expect(extractStatistics('完成12标段', { units: ['标段'] })[0]).toMatchObject({
      value: 12,
      unit: '标段',
    });
  });
});
