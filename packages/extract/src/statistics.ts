import { CHINESE_NUMERAL_CHARS, parseChineseNumber, toHalfWidthDigits } from './numbers.js';
import { charTest, nextMatch, quotedRanges, type Range, sentenceAt, startTable } from './text.js';

/** A quantity found in a paragraph's text. Indexes are 0-based UTF-16 positions in that text. */
export interface StatisticMatch {
  /** The number in base units (万/亿 applied; percent as a number of percent). */
  value: number;
  /** Measure word or sign (件, 人次, 元, %). */
  unit: string;
  /** What is counted, or null when the sentence does not say. */
  label: string | null;
  approximate: boolean;
  /** The qualifier as written (余, 近, 上百), or null. */
  qualifier: string | null;
  /** The year the sentence ties the value to (…2023年的10家…), or null. */
  year: number | null;
  /** The exact span of the text, qualifiers included. */
  text: string;
  /** Where `text` starts in the paragraph. */
  index: number;
  sentence: string;
}

/** Options of {@link extractStatistics}. */
export interface StatisticOptions {
  /** Extra measure words to accept, beyond the built-in list. */
  units?: readonly string[];
}

const UNITS = [
  '个百分点',
  '百分点',
  '平方公里',
  '平方米',
  '立方米',
  '千瓦时',
  '人次',
  '篇次',
  '场次',
  '架次',
  '车次',
  '户次',
  '件次',
  '公里',
  '千米',
  '公顷',
  '千克',
  '公斤',
  '千瓦',
  '个月',
  '小时',
  '分钟',
  '元',
  '件',
  '次',
  '家',
  '个',
  '项',
  '名',
  '场',
  '条',
  '种',
  '篇',
  '吨',
  '人',
  '位',
  '辆',
  '台',
  '套',
  '座',
  '所',
  '户',
  '批',
  '起',
  '宗',
  '笔',
  '份',
  '本',
  '部',
  '册',
  '处',
  '只',
  '头',
  '株',
  '棵',
  '亩',
  '米',
  '天',
  '倍',
  '岁',
  '张',
  '艘',
  '间',
  '栋',
  '例',
  '支',
  '列',
  '所',
  '届',
];
/** Units that are not counts of the thing: a 24小时 service is a name, not a quantity. */
const DURATIONS = new Set(['小时', '天', '分钟', '个月']);
/** Words that start with a unit character but are not a unit (75周年, 三部门, 十条例). */
const NOT_UNIT_WORDS = [
  '周年',
  '部门',
  '条例',
  '名单',
  '人民',
  '次方',
  '处理',
  '场所',
  '家庭',
  '台湾',
  '批准',
  '起草',
  '份额',
  '户籍',
  '只有',
  '头部',
  '位于',
  '本级',
  '所有',
  '届时',
  '名称',
  '项目',
  '天然',
  '部分',
];
const NOT_UNIT_BY_FIRST = new Map<string, string[]>();
for (const word of NOT_UNIT_WORDS)
  NOT_UNIT_BY_FIRST.set(word[0]!, [...(NOT_UNIT_BY_FIRST.get(word[0]!) ?? []), word]);
/** Set phrases with numerals that count nothing. */
const IDIOMS = [
  '三番五次',
  '千家万户',
  '千方百计',
  '一五一十',
  '三三两两',
  '万无一失',
  '十全十美',
  '九牛一毛',
  '五湖四海',
  '接二连三',
  '成千上万',
  '成百上千',
  '七上八下',
  '一举两得',
  '三令五申',
  '四面八方',
  '五花八门',
  '一年四季',
  '千千万万',
];
const IDIOM_PATTERN = new RegExp(IDIOMS.join('|'), 'gu');
/** Verbs and markers that end a label: what follows them is the counted thing. */
const VERBS = [
  '提出',
  '受理',
  '办理',
  '完成',
  '组织',
  '召开',
  '开展',
  '引入',
  '引进',
  '发布',
  '公布',
  '实现',
  '达到',
  '新增',
  '增加',
  '增长',
  '减少',
  '下降',
  '上升',
  '提高',
  '降低',
  '突破',
  '举办',
  '推出',
  '建成',
  '投入',
  '投资',
  '接待',
  '审结',
  '办结',
  '执结',
  '收到',
  '接到',
  '签约',
  '选派',
  '讲授',
  '颁发',
  '申报',
  '整合',
  '缩减',
  '扩大',
  '进行',
  '获评',
  '获得',
  '评为',
  '帮助',
  '培训',
  '报道',
  '抽调',
  '累计',
  '共计',
  '合计',
  '总计',
  '全年共',
  '共有',
  '共设',
  '设有',
  '共',
  '达',
  '为',
  '是',
  '有',
  '约',
  '涉及',
  '覆盖',
  '惠及',
  '参与',
  '参加',
  '吸引',
  '带动',
  '支持',
  '解决',
  '处置',
  '挽回',
  '追回',
  '查处',
  '化解',
  '调解',
  '救助',
  '资助',
  '发放',
  '拨付',
  '安排',
  '建设',
  '改造',
  '修复',
  '种植',
  '植树',
  '设立',
  '确保',
  '开通',
  '新开通',
  '培育',
  '新建',
  '占',
  '设',
  '签约',
];
const VERB_SET = new Set(VERBS);
const VERBS_BY_LENGTH = [...VERBS].sort((a, b) => b.length - a.length);
/** Verbs of two or more characters by their first character, for the per-character scan of labelAfter. */
const LONG_VERBS_BY_FIRST = new Map<string, string[]>();
for (const verb of VERBS_BY_LENGTH) {
  if (verb.length < 2) continue;
  const list = LONG_VERBS_BY_FIRST.get(verb[0]!) ?? [];
  list.push(verb);
  LONG_VERBS_BY_FIRST.set(verb[0]!, list);
}
/** Every verb by its first character, longest first: a run starts with a verb only if its first character starts one. */
const VERBS_BY_FIRST = new Map<string, string[]>();
for (const verb of VERBS_BY_LENGTH) {
  const list = VERBS_BY_FIRST.get(verb[0]!) ?? [];
  list.push(verb);
  VERBS_BY_FIRST.set(verb[0]!, list);
}
const LONG_VERB_FIRSTS = startTable([...LONG_VERBS_BY_FIRST.keys()].join(''));
/** Any verb anywhere in a text: a run without one needs no word segmentation. */
const ANY_VERB = new RegExp(VERBS_BY_LENGTH.join('|'), 'u');
/** Characters that end a label read after the unit. */
const AFTER_STOPS = new Set([
  '和',
  '与',
  '及',
  '或',
  '等',
  '被',
  '获',
  '将',
  '已',
  '均',
  '在',
  '从',
  '向',
  '对',
  '到',
  '驻',
  '受',
  '里',
  '内',
  '以',
  '也',
  '都',
  '就',
  '共',
]);
const AFTER_STOP_CODES = startTable([...AFTER_STOPS].join(''));
const isBoundary = charTest(/[\s,，。;；:：、!！?？(（)）[\]【】…—·0-9A-Za-z%％]/);
const isInnerQuote = charTest(/[“”‘’「」]/);
const isAsciiLetter = charTest(/[A-Za-z]/);
/** After a duration, these make it a span of time (3天内, 24小时以上), not the name of a service. */
const isSpanWord = charTest(/[内以之后前左右的]/);
/** Before a number, these make it part of a code or name (A1, No.3, 3#), not a quantity. */
const isCodeMark = charTest(/[A-Za-z·\-/#_.:]/);
const PREFIX_QUALIFIERS = ['超过', '将近', '接近', '大约', '不足', '不到', '近', '约', '超', '逾'];
const POST_QUALIFIERS = ['左右', '以上', '上下'];
/** Written before 十, 百, 千…, these make a rough count (上百, 数十, 几千). */
const VAGUE = new Set(['上', '数', '几']);
const CHANGE =
  /(?:由|从)[^,，。;；]*?(?:增加|增长|提高|提升|上升|下降|减少|缩减|降低|扩大|降至|升至|变为|发展)(?:到|至|为)?/gu;

const CN = `[${CHINESE_NUMERAL_CHARS}]`;
const ARABIC = '[0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?';

/** The pattern of quantities with a set of units, and the characters that can follow its first. */
interface QuantityPattern {
  sticky: RegExp;
  /** Undefined when a unit is empty and a match can be one character long. */
  seconds: Uint8Array | undefined;
}

function buildPattern(units: readonly string[]): QuantityPattern {
  const sorted = [...new Set(units)].sort((a, b) => b.length - a.length);
  const unitAlt = sorted.map((u) => u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const sticky = new RegExp(
    // Groups by number (see groupsOf): named groups cost the engine more per match.
    `(百分之(?:${ARABIC}|${CN}+(?:点[零〇一二三四五六七八九]+)?))` +
      `|(${CN}+分之${CN}+)` +
      `|(${ARABIC}|${CN}+)(余|多|来)?(千万|百万|万|亿)?(余|多)?(%|％|${unitAlt})`,
    'uy',
  );
  // After the first character: more digits or numerals, a separator or point, 分 (之), a suffix,
  // a scale or a unit.
  const seconds = sorted.includes('')
    ? undefined
    : startTable(
        `0123456789０１２３４５６７８９,，.．${CHINESE_NUMERAL_CHARS}分余多来%％${sorted.map((u) => u[0]).join('')}`,
      );
  return { sticky, seconds };
}

/** The groups of a quantity match: a percent, a fraction, or a number with its suffix, scale and unit. */
interface QuantityGroups {
  pct?: string;
  frac?: string;
  num?: string;
  suf?: string;
  scale?: string;
  suf2?: string;
  unit?: string;
}

function groupsOf(m: RegExpExecArray): QuantityGroups {
  return { pct: m[1], frac: m[2], num: m[3], suf: m[4], scale: m[5], suf2: m[6], unit: m[7] };
}

/** Every quantity starts with a digit or a numeral (百分之 with 百). */
const QUANTITY_STARTS = startTable(`0123456789０１２３４５６７８９${CHINESE_NUMERAL_CHARS}`);

const defaultPattern = buildPattern(UNITS);
// Compiling the pattern costs more than scanning a paragraph with it: one per set of extra units.
const patterns = new Map<string, QuantityPattern>();

function patternFor(extra: readonly string[] | undefined): QuantityPattern {
  if (!extra?.length) return defaultPattern;
  const key = extra.join('\0');
  let pattern = patterns.get(key);
  if (!pattern) {
    if (patterns.size >= 64) patterns.clear();
    pattern = buildPattern([...UNITS, ...extra]);
    patterns.set(key, pattern);
  }
  return pattern;
}

function idiomRanges(text: string): Range[] {
  const idioms: Range[] = [];
  IDIOM_PATTERN.lastIndex = 0;
  for (let m = IDIOM_PATTERN.exec(text); m; m = IDIOM_PATTERN.exec(text))
    idioms.push({ start: m.index, end: m.index + m[0].length });
  return idioms;
}

function inRanges(ranges: Range[], start: number, end: number): Range | undefined {
  return ranges.find((r) => r.start < end && start < r.end);
}

const isHan = charTest(/\p{Script=Han}/u);

function isCjk(c: string | undefined): boolean {
  return c !== undefined && isHan(c.charCodeAt(0));
}

function stripMarks(s: string): string {
  return s.replace(/[“”‘’「」『』《》〈〉"']/g, '');
}

/** The counted thing written after the unit: 92个专窗窗口 → 专窗窗口. */
function labelAfter(text: string, from: number): string | null {
  // The run is sliced once at the end rather than built a character at a time; `n` counts its
  // characters, quotes left out.
  let i = from;
  let n = 0;
  let quoted = false;
  while (i < text.length && n < 16) {
    const code = text.charCodeAt(i);
    if (isInnerQuote(code)) {
      quoted = true;
      i++;
      continue;
    }
    if (!isHan(code) || isBoundary(code)) break;
    if (n >= 1 && AFTER_STOP_CODES[code] === 1) break;
    if (
      n >= 2 &&
      LONG_VERB_FIRSTS[code] === 1 &&
      LONG_VERBS_BY_FIRST.get(text[i]!)!.some((v) => text.startsWith(v, i))
    )
      break;
    n++;
    i++;
  }
  if (n < 2) return null;
  let run = withoutInnerQuotes(text.slice(from, i), quoted);
  if (VERBS_BY_FIRST.get(run[0]!)?.some((v) => run.startsWith(v)) || run.startsWith('的')) return null;
  const de = run.lastIndexOf('的');
  if (de >= 0) run = run.slice(de + 1);
  return run.length >= 1 ? run : null;
}

const INNER_QUOTES = /[“”‘’「」]/g;

function withoutInnerQuotes(run: string, quoted: boolean): string {
  return quoted ? run.replace(INNER_QUOTES, '') : run;
}

/** The text before a number back to a clause boundary, with quotes dropped. */
function runBefore(text: string, to: number): string {
  let i = to;
  let n = 0;
  let quoted = false;
  while (i > 0 && n < 20) {
    const code = text.charCodeAt(i - 1);
    if (isInnerQuote(code)) {
      quoted = true;
      i--;
      continue;
    }
    if (!isHan(code) || isBoundary(code) || code === 0x7b49 /* 等 */) break;
    n++;
    i--;
  }
  let run = withoutInnerQuotes(text.slice(i, to), quoted);
  // 2024年全市… : the year belongs to the date, not to the label.
  if (/^[年月日]/.test(run) && /[0-9]/.test(text[i - 1] ?? '')) run = run.replace(/^[年月日]度?/, '');
  return run;
}

/** Words that end a run before a number and only link it to the value (收入完成856亿元, 提高到45%). */
const LINKING_VERBS =
  /(?:完成|达到了?|达|为|是|有|提高到|提高至|增加到|增加至|增长到|下降到|降至|降到|升至|缩短|缩短到|减少|不低于|不少于|不超过|不足|超过|约|共计|累计|合计|总计|实现|突破|占)$/u;

/**
 * The counted thing written before the number: 受理公益诉讼案件线索920件 → 公益诉讼案件线索.
 * Verbs are looked for at word boundaries only (Intl.Segmenter), so 共 in 一般公共预算 is no verb.
 */
function labelBefore(text: string, to: number): string | null {
  let run = runBefore(text, to).replace(/的$/, '');
  for (let m = LINKING_VERBS.exec(run); m && run.length - m[0].length >= 3; m = LINKING_VERBS.exec(run)) {
    run = run.slice(0, run.length - m[0].length);
  }
  if (run.length === 0) return null;
  // Only a verb can cut the run: without one anywhere in it, the words do not matter.
  if (ANY_VERB.test(run)) run = cutAtVerb(run);
  run = run.replace(/^(?:全年|全市|其中|同时|此外|累计|共)/, '');
  return run.length >= 2 ? run : null;
}

/** The run after its last verb (a word of its own), or ending with its closing verb. */
function cutAtVerb(run: string): string {
  const words = wordsOf(run);
  let cut = -1;
  let closing = -1;
  let at = 0;
  words.forEach((word, k) => {
    at += word.length;
    if (!VERB_SET.has(word)) return;
    if (run.length - at >= 2) cut = k;
    else if (k === words.length - 1 && word.length >= 2) closing = k;
  });
  // 受理公益诉讼案件线索 → 公益诉讼案件线索; a run that ends in its verb keeps it (授课培训).
  if (cut >= 0) run = words.slice(cut + 1).join('');
  else if (closing >= 0) {
    const previous = words[closing - 1] ?? '';
    run = words.slice(Math.max(0, closing - (previous.length >= 2 ? 1 : 2))).join('');
  }
  return run;
}

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
// Segmenting is the costliest step of extraction, and the same short runs recur across a paper's
// pages (labels, subjects): remember the words of recent runs.
const segmented = new Map<string, readonly string[]>();

function wordsOf(text: string): readonly string[] {
  let words = segmented.get(text);
  if (!words) {
    if (segmented.size >= 4096) segmented.clear();
    words = Array.from(segmenter.segment(text), (w) => w.segment);
    segmented.set(text, words);
  }
  return words;
}

/** Head noun of a change sentence's subject: 全市企事业单位假期托管班 → 托管班. */
function headNoun(subject: string): string | null {
  const words = [...wordsOf(subject)];
  let head = '';
  while (words.length > 0 && head.length < 3) head = words.pop()! + head;
  return head.length >= 2 ? head : null;
}

function changeRanges(
  sentenceText: string,
  offset: number,
  text: string,
): (Range & { subject: string | null })[] {
  const out: (Range & { subject: string | null })[] = [];
  for (const m of sentenceText.matchAll(CHANGE)) {
    const start = offset + m.index;
    // The change clause runs to the end of its clause; the values sit inside it.
    let end = start + m[0].length;
    while (end < text.length && !/[,，。;；]/.test(text[end]!)) end++;
    const subject = runBefore(text, start);
    out.push({ start, end, subject: subject ? headNoun(subject) : null });
  }
  return out;
}

const YEAR_BEFORE = /([12][0-9]{3})年(?:的|底|末|初)?$/;
/** The characters a written year can end with. */
const YEAR_ENDS = new Set(['年', '的', '底', '末', '初']);

/** The year written right before `at` (2023年的10家) and how long it is written. */
function yearBefore(text: string, at: number): { year: number; length: number } | null {
  // The year is at most 6 characters long: the 8 before `at` hold it, and the regex need not scan
  // the paragraph from its start to reach its end.
  if (!YEAR_ENDS.has(text[at - 1] ?? '')) return null;
  const m = YEAR_BEFORE.exec(text.slice(Math.max(0, at - 8), at));
  return m ? { year: Number(m[1]), length: m[0].length } : null;
}

/**
 * Finds the quantities a paragraph reports: numbers with a measure word or sign, their label,
 * qualifier and year. Years, dates, ordinals (第…), session numbers (十三届九次), anniversaries,
 * numbers inside short quotes and names, codes and phone numbers are not quantities.
 *
 * @example
 * extractStatistics('全年共提出提案508件,立案433件。').map((s) => [s.label, s.value, s.unit]);
 * // [['提案', 508, '件'], ['立案', 433, '件']]
 * extractStatistics('实现营业收入3365万元')[0]; // { value: 33650000, unit: '元', text: '3365万元', … }
 */
export function extractStatistics(text: string, options: StatisticOptions = {}): StatisticMatch[] {
  return statisticsIn(text, options);
}

/**
 * {@link extractStatistics}, given the quoted ranges of the text when the caller has them (toRecords
 * needs them for the documents too).
 */
export function statisticsIn(
  text: string,
  options: StatisticOptions,
  quoted?: readonly (Range & { open: string })[],
): StatisticMatch[] {
  const { sticky, seconds } = patternFor(options.units);
  // Quotes and idioms only matter around a quantity, and a third of a paper's paragraphs have none:
  // they are found at the first one.
  let quotes: Range[] | undefined;
  let idioms: Range[] | undefined;
  const found: { match: StatisticMatch; end: number; hasAfterLabel: boolean }[] = [];
  for (
    let m = nextMatch(sticky, text, 0, QUANTITY_STARTS, seconds);
    m;
    m = nextMatch(sticky, text, m.index + m[0].length, QUANTITY_STARTS, seconds)
  ) {
    const g = groupsOf(m);
    let start = m.index;
    let end = start + m[0].length;
    const before = text[start - 1];
    quotes ??= (quoted ?? quotedRanges(text)).filter((r) => r.open === '《' || r.end - r.start <= 22);
    idioms ??= idiomRanges(text);
    if (inRanges(quotes, start, end) || inRanges(idioms, start, end)) continue;
    if (before === '第' || before === '届' || before === '序' || (before && isCodeMark(before.charCodeAt(0))))
      continue;
    // Where the match ends, before a post qualifier moves `end`; tests read the text from there
    // rather than from a slice of the rest.
    const matchEnd = end;
    let unit: string;
    let value: number | null;
    let qualifier: string | null = null;
    if (g.pct) {
      unit = '%';
      value = parseChineseNumber(g.pct);
    } else if (g.frac) {
      unit = '%';
      const v = parseChineseNumber(g.frac);
      value = v === null ? null : Number((v * 100).toFixed(4));
    } else {
      unit = g.unit === '％' ? '%' : g.unit!;
      const num = toHalfWidthDigits(g.num!);
      // The words are 2 characters long: the unit and what follows it decide, not the rest of the text.
      const head = unit + text.slice(end, end + 8);
      if (NOT_UNIT_BY_FIRST.get(head[0]!)?.some((w) => head.startsWith(w))) continue;
      if (unit === '届') continue;
      const isChinese = !/[0-9]/.test(num);
      if (!isChinese && /^0[0-9]/.test(num)) continue;
      if (!isChinese && num.replace(/\D/g, '').length >= 7 && !g.scale) continue;
      if (/[0-9A-Za-z]/.test(text[start - 1] ?? '') || isAsciiLetter(text.charCodeAt(matchEnd))) continue;
      if (/(?:电话|热线|编号|代码|邮编|号码|编码|代号)$/.test(text.slice(Math.max(0, start - 4), start)))
        continue;
      const vague = before !== undefined && VAGUE.has(before) ? before : undefined;
      if (isChinese) {
        if (vague && /^[十百千万亿]$/.test(num)) {
          start -= 1;
          qualifier = vague + num;
        } else if (num === '一' || (/^[百千万亿]$/.test(num) && !(g.suf ?? g.suf2))) {
          continue;
        }
        if (text.startsWith(g.unit!.slice(-1), matchEnd) && g.unit!.length === 1) continue; // 一件件, 一个个
      }
      if (DURATIONS.has(unit) && isCjk(text[matchEnd]) && !isSpanWord(text.charCodeAt(matchEnd))) continue;
      value = parseChineseNumber(num + (g.scale ?? ''));
      const suffix = g.suf ?? g.suf2;
      if (suffix) qualifier = qualifier ?? suffix;
    }
    if (value === null) continue;
    if (!qualifier) {
      const prefix = PREFIX_QUALIFIERS.find((q) => start >= q.length && text.startsWith(q, start - q.length));
      if (prefix) {
        qualifier = prefix;
        start -= prefix.length;
      }
    }
    const post = POST_QUALIFIERS.find((q) => text.startsWith(q, matchEnd));
    if (post) {
      qualifier = qualifier ?? post;
      end += post.length;
    }
    const written = yearBefore(text, start);
    const year = written?.year ?? null;
    const labelFrom = start - (written?.length ?? 0);
    const after2 = labelAfter(text, end);
    const label = after2 ?? labelBefore(text, labelFrom);
    found.push({
      match: {
        value,
        unit,
        label: label ? stripMarks(label) : null,
        approximate: qualifier !== null,
        qualifier,
        year,
        text: text.slice(start, end),
        index: start,
        sentence: sentenceAt(text, start),
      },
      end,
      hasAfterLabel: after2 !== null,
    });
  }
  // Coordinated quantities share the noun that follows the last one: 23项60条务实举措.
  for (let k = found.length - 2; k >= 0; k--) {
    const cur = found[k]!;
    const next = found[k + 1]!;
    if (!cur.hasAfterLabel && next.match.index === cur.end && next.match.label) {
      cur.match.label = next.match.label;
      cur.hasAfterLabel = next.hasAfterLabel;
    }
  }
  // In a change sentence (由2023年的10家增加至2024年的91家) the values count the subject.
  const seenSentences = new Map<number, (Range & { subject: string | null })[]>();
  for (const { match: s, hasAfterLabel } of found) {
    if (hasAfterLabel) continue;
    const sentenceStart = text.indexOf(s.sentence);
    if (sentenceStart < 0) continue;
    let changes = seenSentences.get(sentenceStart);
    if (!changes) {
      changes = changeRanges(s.sentence, sentenceStart, text);
      seenSentences.set(sentenceStart, changes);
    }
    const change = changes.find((c) => c.start <= s.index && s.index < c.end);
    if (change?.subject) s.label = change.subject;
  }
  return found.map((f) => f.match);
}
