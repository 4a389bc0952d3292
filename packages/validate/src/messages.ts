import type { Lang } from './problem.js';

const FULL_WIDTH: Record<string, string> = {
  ',': '\uFF0C',
  ';': '\uFF1B',
  ':': '\uFF1A',
  '(': '\uFF08',
  ')': '\uFF09',
};

/**
 * Chinese text with full-width punctuation (,;:()). The messages are typed with ASCII punctuation,
 * which is easy to mix up with its full-width look-alike; this tag converts the literal parts and
 * leaves the interpolated values (file names, keys, the source's own text) exactly as they are.
 *
 * @example
 * zh`第 ${3} 行(注意)`; // → '第 3 行\uFF08注意\uFF09', printed with full-width parentheses
 */
export function zh(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = '';
  strings.forEach((literal, i) => {
    out += literal.replace(/[,;:()]/g, (c) => FULL_WIDTH[c]!);
    if (i < values.length) out += String(values[i]);
  });
  return out;
}

/** Messages of the domain rules: each says what is wrong and what to do, in English and Chinese. */
export const messages = {
  duplicateKey: (lang: Lang, p: { table: string; key: string; count: number }) =>
    lang === 'zh'
      ? zh`${p.table} 表中键 ${p.key} 出现了 ${p.count} 次,而键必须唯一;请删除重复的记录,或修正生成键的方式。`
      : `Key ${p.key} appears ${p.count} times in ${p.table}, but keys must be unique; remove the duplicate rows or fix how the key is made.`,

  danglingReference: (lang: Lang, p: { table: string; articleId: string }) =>
    lang === 'zh'
      ? zh`${p.table} 表的 article_id ${p.articleId} 在 articles 表中找不到;请补上这篇文章,或改正这个引用。`
      : `article_id ${p.articleId} of this ${p.table} row matches no row of articles; add the article or correct the reference.`,

  percentOutOfRange: (lang: Lang, p: { value: number; text: string }) =>
    lang === 'zh'
      ? zh`百分比 ${p.value}% 不在 0–100 之间;请核对从“${p.text}”读出的数值和单位。`
      : `The percentage ${p.value}% is outside 0–100; check the number and the unit read from "${p.text}".`,

  emptyParagraph: (lang: Lang, p: { articleId: string; seq: string }) =>
    lang === 'zh'
      ? zh`文章 ${p.articleId} 的第 ${p.seq} 段没有文字;请删除该段,或修正留下空段的版面修复。`
      : `Paragraph ${p.seq} of article ${p.articleId} has no text; remove it or fix the layout repair that left it empty.`,

  lineLost: (lang: Lang, p: { line: number }) =>
    lang === 'zh'
      ? zh`第 ${p.line} 行不是空行,却不在任何文章、噪声或警告中,解析时丢失了;请修正解析器,让每一行都有归属。`
      : `Line ${p.line} is not blank but is in no article, no noise and no warning: the parser lost it; fix the parser so that every line is accounted for.`,

  linesLost: (
    lang: Lang,
    p: { lost: number; nonBlank: number; articles: number; noise: number; warnings: number },
  ) =>
    lang === 'zh'
      ? zh`${p.nonBlank} 个非空行中有 ${p.lost} 行没有归属(文章 ${p.articles} 行,噪声 ${p.noise} 行,警告 ${p.warnings} 行),解析时丢失了;请修正解析器,让每一行都有归属。`
      : `${p.lost} of ${p.nonBlank} non-blank lines are unaccounted for (articles ${p.articles}, noise ${p.noise}, warnings ${p.warnings}): the parser lost them; fix the parser so that every line is accounted for.`,

  linesCountedTwice: (lang: Lang, p: { counted: number; nonBlank: number }) =>
    lang === 'zh'
      ? zh`解析器记了 ${p.counted} 行,而来源只有 ${p.nonBlank} 个非空行,有的行被算了两次;请修正解析器的行计数。`
      : `The parser accounts for ${p.counted} lines but the source has only ${p.nonBlank} non-blank lines, so some line was counted twice; fix the parser's line accounting.`,

  statisticTextMismatch: (
    lang: Lang,
    p: { text: string; file: string; line: number; column: number; found: string },
  ) =>
    lang === 'zh'
      ? zh`原文“${p.text}”不在 ${p.file} 第 ${p.line} 行第 ${p.column} 列(该处是“${p.found}”);请改正 source_line/source_column 或 text。`
      : `The text "${p.text}" is not at line ${p.line}, column ${p.column} of ${p.file} (found "${p.found}"); correct source_line/source_column or text.`,

  statisticLineMissing: (lang: Lang, p: { text: string; file: string; line: number; lines: number }) =>
    lang === 'zh'
      ? zh`原文“${p.text}”所在的第 ${p.line} 行不存在(${p.file} 只有 ${p.lines} 行);请改正 source_line。`
      : `The text "${p.text}" points at line ${p.line}, but ${p.file} has only ${p.lines} lines; correct source_line.`,

  sourceError: (
    lang: Lang,
    p: { file: string; code: string; message: string; offset: number | undefined; line: number | undefined },
  ) => {
    const at =
      p.offset === undefined || p.line !== undefined
        ? ''
        : lang === 'zh'
          ? zh`(字节偏移 ${p.offset})`
          : ` (at byte offset ${p.offset})`;
    if (lang !== 'zh') {
      // The parser's own message usually names the file and the byte already; do not say it twice.
      if (p.message.includes(p.file)) {
        return p.offset === undefined || p.message.includes(String(p.offset))
          ? p.message
          : `${p.message}${at}`;
      }
      return `Source ${p.file} could not be read as a page${at}: ${p.message}`;
    }
    switch (p.code) {
      case 'SOURCE_NOT_DECODABLE':
        return zh`来源 ${p.file} 无法解码${at}:它既不是 UTF-8 也不是 GB18030;请把文件另存为 UTF-8 后重试。(${p.message})`;
      case 'SOURCE_BINARY':
        return zh`来源 ${p.file} 含有控制字节${at},不是文本文件;请确认选对了文件,或把它移出来源目录。(${p.message})`;
      case 'SOURCE_EMPTY':
        return zh`来源 ${p.file} 没有任何文字;请检查文件是否完整,或把它移出来源目录。(${p.message})`;
      default:
        return zh`来源 ${p.file} 无法作为版面读取${at}(${p.code});请修正该文件后重试。(${p.message})`;
    }
  },

  parseWarning: (lang: Lang, p: { code: string; message: string; line: number }) => {
    if (lang !== 'zh') return p.message;
    switch (p.code) {
      case 'unresolved-cut':
        return zh`第 ${p.line} 行的段落在分栏处被截断,却找不到它的下文;请核对版面,确认后半段在哪里。(${p.message})`;
      case 'empty-article':
        return zh`第 ${p.line} 行的标题下没有正文;请核对版面,确认正文是否在别处或被误判为噪声。(${p.message})`;
      case 'orphan-block':
        return zh`第 ${p.line} 行的文字块无法归入任何文章;请核对版面,确认它属于哪篇文章。(${p.message})`;
      default:
        return zh`解析警告 ${p.code}(第 ${p.line} 行);请核对版面。(${p.message})`;
    }
  },
};
