import type { ParsedArticle, ParsedPage, ParsedParagraph } from '@newsdata/parse';

/** An article for a hand-built page: paragraphs may be split into pieces (a column break). */
export interface ArticleSpec {
  title: string;
  subtitle?: string | null;
  reporters?: string[];
  contributors?: string[];
  agency?: string | null;
  dateline?: string | null;
  /** A paragraph, or its pieces as they sit on separate source lines. */
  paragraphs: (string | string[])[];
  sections?: (string | null)[];
}

/**
 * Lays articles out as a page dump (headline, blank line, paragraphs separated by blank lines) and
 * returns the ParsedPage a parser would give for it, with exact spans. Stands in for the parser in
 * unit tests so that extraction is tested on its own.
 */
export function buildPage(specs: ArticleSpec[]): ParsedPage {
  const lines: string[] = [];
  const articles: ParsedArticle[] = [];
  let offset = 0;
  const push = (line: string) => {
    lines.push(line, '');
    const start = offset;
    offset += line.length + 1 + 1;
    return { line: lines.length - 1, offset: start };
  };
  specs.forEach((spec, i) => {
    const used: number[] = [];
    used.push(push(spec.title).line);
    const paragraphs: ParsedParagraph[] = spec.paragraphs.map((p, k) => {
      const pieces = typeof p === 'string' ? [p] : p;
      let at = 0;
      const spans = pieces.map((piece) => {
        const placed = push(piece);
        used.push(placed.line);
        const span = { line: placed.line, column: 1, offset: placed.offset, length: piece.length, at };
        at += piece.length;
        return span;
      });
      return { seq: k + 1, section: spec.sections?.[k] ?? null, text: pieces.join(''), spans };
    });
    articles.push({
      seq: i + 1,
      title: spec.title,
      subtitle: spec.subtitle ?? null,
      reporters: spec.reporters ?? [],
      contributors: spec.contributors ?? [],
      agency: spec.agency ?? null,
      dateline: spec.dateline ?? null,
      sections: [...new Set((spec.sections ?? []).filter((s): s is string => Boolean(s)))],
      paragraphs,
      lines: used,
    });
  });
  const text = lines.join('\n');
  const nonBlank = lines.filter((l) => l.length > 0).length;
  return {
    encoding: 'utf-8',
    text,
    lines,
    articles,
    noise: [],
    warnings: [],
    repairs: [],
    accounting: { nonBlank, inArticles: nonBlank, inNoise: 0, inWarnings: 0 },
  };
}

/** A budget story: 万元/亿元, 同比增长, 百分点. */
export const budgetStory: ArticleSpec = {
  title: '全市财政收支运行平稳',
  reporters: ['李明'],
  agency: '本报',
  dateline: '昨日',
  paragraphs: [
    '昨日,记者从市财政局获悉,2024年全市一般公共预算收入完成856.3亿元,同比增长5.2%,增幅比上年提高1.3个百分点。',
    '其中,税收收入612亿元,占一般公共预算收入的71.5%。全市一般公共预算支出1,204.7亿元,民生支出占比保持在八成左右。',
    [
      '全年为中小微企业减税降费近120亿元,惠及市场主体超3万户;安排就业补助资金3365万元,',
      '帮助两千余名高校毕业生实现就业。',
    ],
    '市财政局局长赵建国介绍,今年将继续压减一般性支出,确保“三保”支出不低于百分之六十。',
  ],
};

/** A traffic story: 公里, 百分之, 万人次, a change sentence. */
export const trafficStory: ArticleSpec = {
  title: '地铁5号线客流创新高',
  reporters: ['周婷'],
  contributors: ['孙浩'],
  dateline: '1月8日',
  paragraphs: [
    '1月8日,记者从市交通运输局了解到,地铁5号线全长24.5公里,共设车站18座,日均客运量达到32.6万人次。',
    '全市城市轨道交通运营里程由2023年的237公里增加至2024年的261公里,公交分担率提高到百分之四十五。',
    '约三分之一的乘客选择早高峰出行,平均通勤时间缩短约8分钟。市交通运输局副局长钱志远表示,将新开通公交线路12条。',
    '市民可拨打12345热线或96123咨询,“地铁100天”活动同步启动,第三季度还将投入新车辆二十列。',
  ],
};

/** Chinese numerals only. */
export const numeralStory: ArticleSpec = {
  title: '乡村振兴结硕果',
  paragraphs: [
    '全县共建成高标准农田一万二千亩,新建村级光伏电站一百二十五座,培育家庭农场三百余家。',
    '第十二届农民丰收节上,四十多个村集体签约项目两千余万元,二十七名致富带头人受表彰,十七届县委第三次全会提出“十大工程”。',
    '全县上百名农技人员进村入户,数十家合作社参与,开展培训一千五百场次,千家万户受益。',
  ],
};
