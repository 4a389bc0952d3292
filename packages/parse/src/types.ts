/**
 * The shapes the parser produces. Extract, validate and publish read them; only the parser makes them.
 * Lines are 1-based; columns are 1-based and count Unicode code points; offsets are 0-based indexes
 * (UTF-16 units) into `ParsedPage.text`, the decoded and line-normalized text.
 */

/** How the source bytes were decoded. */
export type Encoding = 'utf-8' | 'utf-8-bom' | 'gb18030';

/** A piece of the source that went into a paragraph (a column break splits a paragraph into pieces). */
export interface SourceSpan {
  /** 1-based source line. */
  line: number;
  /** 1-based column (code points) of the first character taken from the line. */
  column: number;
  /** 0-based offset of that character in `ParsedPage.text`. */
  offset: number;
  /** Length of the piece in UTF-16 units. */
  length: number;
  /** 0-based index in the paragraph's `text` where the piece starts. */
  at: number;
}

export interface ParsedParagraph {
  /** 1-based position in the article. */
  seq: number;
  /** Section heading the paragraph sits under, or null before the first heading. */
  section: string | null;
  /** The text as printed (the source's own characters), pieces joined with nothing in between. */
  text: string;
  /** Where each piece of `text` came from, in text order. */
  spans: SourceSpan[];
}

export interface ParsedArticle {
  /** 1-based position on the page, in reading order. */
  seq: number;
  title: string;
  subtitle: string | null;
  /** The kicker (引题) printed above the headline, when one was recognized; absent otherwise. */
  kicker?: string;
  reporters: string[];
  contributors: string[];
  agency: string | null;
  /** Time word of the lead as written (昨日, 近日, 1月8日), or null. */
  dateline: string | null;
  /** Section headings in order. */
  sections: string[];
  paragraphs: ParsedParagraph[];
  /** Every source line the article was built from (headline, subtitle, byline, jump lines, paragraphs), ascending. */
  lines: number[];
}

/** Something the parser could not resolve: never fatal, reported as a validation warning. */
export interface ParseWarning {
  /** Stable kebab-case code: `unresolved-cut`, `orphan-block`, … */
  code: string;
  message: string;
  line: number;
  column: number;
  /**
   * The source lines this warning holds: lines that are in no article and not in the noise list
   * (an orphan block, a headline without text). Empty or absent for advisory warnings such as
   * `unresolved-cut`, whose line stays in its article.
   */
  lines?: number[];
}

/** A layout repair the parser made, recorded so that it can be checked. */
export interface RepairDecision {
  kind: 'join-cut' | 'jump-line' | 'continuation-marker' | 'interleaved-continuation';
  /** seq of the article the repair applies to. */
  article: number;
  /** Source line of the block that was attached. */
  line: number;
  /** Why, in a sentence (which rule, which candidates, the vocabulary score). */
  reason: string;
}

export interface LineAccounting {
  nonBlank: number;
  inArticles: number;
  inNoise: number;
  inWarnings: number;
}

export interface ParsedPage {
  encoding: Encoding;
  /** Decoded text with CRLF/CR normalized to LF; otherwise the source's own characters. */
  text: string;
  /** `text` split into lines: source line n is `lines[n - 1]`. */
  lines: string[];
  articles: ParsedArticle[];
  /** Lines classified as noise (QR-code captions and the like). */
  noise: { line: number; text: string }[];
  warnings: ParseWarning[];
  repairs: RepairDecision[];
  /** Every non-blank line is in exactly one of articles, noise or warnings: nonBlank = the sum of the rest. */
  accounting: LineAccounting;
}
