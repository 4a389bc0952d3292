import type { ParsedArticle } from '@newsdata/parse';
import { nextMatch, startTable } from './text.js';

/** A person named by an article. */
export interface PersonMention {
  name: string;
  role: 'reporter' | 'contributor' | 'mentioned';
  /** Titles printed before the name, in order (市政协党组书记, 主席). */
  titles: string[];
}

// Common surnames (百家姓, by frequency) and compound ones; a name must start with one of them so
// that ordinary words after a title (副主席列席会议) are never taken for a person.
const SURNAMES = new Set([
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由',
]);
const COMPOUND_SURNAMES = [
  '欧阳',
  '司马',
  '上官',
  '诸葛',
  '东方',
  '皇甫',
  '尉迟',
  '公孙',
  '慕容',
  '长孙',
  '宇文',
  '司徒',
  '夏侯',
  '令狐',
  '端木',
  '独孤',
];
const TITLE_WORDS = [
  '党组书记',
  '党委书记',
  '党工委书记',
  '副书记',
  '书记',
  '副主席',
  '主席',
  '副主任',
  '主任',
  '副市长',
  '市长',
  '副省长',
  '省长',
  '副区长',
  '区长',
  '副县长',
  '县长',
  '局长',
  '处长',
  '科长',
  '庭长',
  '院长',
  '检察长',
  '部长',
  '厅长',
  '常委',
  '委员',
  '秘书长',
  '董事长',
  '总经理',
  '经理',
  '校长',
  '所长',
  '会长',
  '理事长',
  '队长',
  '站长',
  '社长',
  '总编辑',
  '主编',
  '教授',
  '研究员',
  '法官',
  '检察官',
  '代表',
  '负责人',
  '总监',
  '主任医师',
  '医生',
  '专家',
  '民警',
  '村支书',
  '镇长',
  '乡长',
  '组长',
  '行长',
  '总裁',
  '创始人',
];
const VERBS = [
  '主持',
  '出席',
  '介绍',
  '表示',
  '说',
  '列席',
  '指出',
  '强调',
  '讲话',
  '致辞',
  '参加',
  '调研',
  '宣布',
  '要求',
  '会见',
  '带队',
  '认为',
  '称',
  '告诉',
  '透露',
  '一行',
  '等',
  '同志',
  '作',
  '在',
  '向',
  '为',
  '与',
  '和',
  '率',
  '坦言',
  '解释',
  '回忆',
  '提到',
  '谈到',
  '讲',
];
const VERB_LIST = VERBS.filter((v) => /\p{Script=Han}/u.test(v)).sort((a, b) => b.length - a.length);
const TITLE_ALT = [...TITLE_WORDS].sort((a, b) => b.length - a.length).join('|');
/** A title phrase ends in a title word; a name of 2–3 characters follows; a verb follows the name. */
const PERSON = new RegExp(`(${TITLE_ALT})(?=\\p{Script=Han}{2})`, 'uy');
const TITLE_STARTS = startTable(TITLE_WORDS.map((t) => t[0]).join(''));
const TITLE_SECONDS = startTable(TITLE_WORDS.map((t) => t[1]).join(''));
const TITLE_BOUNDARY = /[,，。;；:：!！?？(（)）“”‘’《》\s—…·]/;

const COMPOUND_SET = new Set(COMPOUND_SURNAMES);
/** The characters a name can start with: a one-character surname or the first of a compound one. */
const NAME_STARTS = startTable(
  [...SURNAMES].filter((s) => s.length === 1).join('') + COMPOUND_SURNAMES.map((s) => s[0]).join(''),
);

function isName(candidate: string): boolean {
  if (COMPOUND_SET.has(candidate.slice(0, 2))) return candidate.length >= 3 && candidate.length <= 4;
  return SURNAMES.has(candidate[0]!) && candidate.length >= 2 && candidate.length <= 3;
}

/** Titles before `end` back to a clause boundary, split at 、: 市政协党组书记、主席 → [市政协党组书记, 主席]. */
function titlesBefore(text: string, end: number): string[] {
  let start = end;
  while (start > 0 && !TITLE_BOUNDARY.test(text[start - 1]!) && end - start < 40) start--;
  let phrase = text.slice(start, end);
  // A leading clause word (会议由…, 据…) belongs to the sentence, not to the title.
  phrase = phrase.replace(/^.*?(?:由|据|经|并|请|邀请|陪同|会见了?|会见|听取|看望|慰问)(?=.{2,})/u, '');
  return phrase
    .split('、')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/**
 * People named in a paragraph with their titles: a title (…书记, …主席, …庭长) right before a
 * 2–3 character name that starts with a surname and is followed by a verb (主持, 出席, 介绍, 表示, 说).
 *
 * @example
 * findMentionedPeople('市政协党组书记、主席官福清主持会议并讲话');
 * // [{ name: '官福清', role: 'mentioned', titles: ['市政协党组书记', '主席'] }]
 */
export function findMentionedPeople(text: string): PersonMention[] {
  const out: PersonMention[] = [];
  // The pattern is tried only where a title can start (see nextMatch).
  for (
    let m = nextMatch(PERSON, text, 0, TITLE_STARTS, TITLE_SECONDS);
    m;
    m = nextMatch(PERSON, text, m.index + m[0].length, TITLE_STARTS, TITLE_SECONDS)
  ) {
    const title = m[1]!;
    const afterTitle = m.index + title.length;
    // Most titles are followed by a word, not a name: one lookup rules out what cannot start one.
    if (NAME_STARTS[text.charCodeAt(afterTitle)] !== 1) continue;
    // Try the longest name first whose next characters are a verb.
    let name: string | null = null;
    for (const len of [3, 2, 4]) {
      const candidate = text.slice(afterTitle, afterTitle + len);
      if (candidate.length !== len || !isName(candidate)) continue;
      const rest = text.slice(afterTitle + len);
      if (VERB_LIST.some((v) => rest.startsWith(v)) || /^[,，、。]/.test(rest)) {
        if (/^[,，、。]/.test(rest) && len === 4) continue;
        name = candidate;
        break;
      }
    }
    if (!name) continue;
    const titles = titlesBefore(text, afterTitle);
    if (titles.length === 0) continue;
    out.push({ name, role: 'mentioned', titles });
  }
  return out;
}

/**
 * Everyone an article names: the byline's reporters (titles [记者]) and contributors, then people
 * mentioned with a title in the text (first mention wins; later titles are added).
 *
 * @example
 * extractPeople(article); // [{ name: '石朕', role: 'reporter', titles: ['记者'] }, { name: '官福清', role: 'mentioned', titles: ['市政协党组书记', '主席'] }]
 */
export function extractPeople(article: ParsedArticle): PersonMention[] {
  const out: PersonMention[] = [];
  const seen = new Map<string, PersonMention>();
  const add = (p: PersonMention) => {
    const key = `${p.name}|${p.role}`;
    const known = seen.get(key);
    if (known) {
      for (const t of p.titles) if (!known.titles.includes(t)) known.titles.push(t);
      return;
    }
    seen.set(key, p);
    out.push(p);
  };
  for (const name of article.reporters) add({ name, role: 'reporter', titles: ['记者'] });
  for (const name of article.contributors) add({ name, role: 'contributor', titles: [] });
  for (const paragraph of article.paragraphs) for (const p of findMentionedPeople(paragraph.text)) add(p);
  return out;
}
