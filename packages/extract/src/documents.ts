import type { ParsedArticle } from '@newsdata/parse';
import { quotedRanges, type Range } from './text.js';

/** A document cited in 《》 and how often the article cites it. */
export interface DocumentMention {
  title: string;
  mentions: number;
}

/**
 * Titles inside 《》 of a text in order, nested marks and quotes kept (《办好关系民心向背“小案”的工作指引》).
 *
 * @example
 * findDocumentTitles('审议《市政协党组2025年度民主生活会方案》'); // ['市政协党组2025年度民主生活会方案']
 */
export function findDocumentTitles(text: string): string[] {
  return titlesIn(text, quotedRanges(text));
}

/** {@link findDocumentTitles} with the text's quoted ranges already found. */
export function titlesIn(text: string, quotes: readonly (Range & { open: string })[]): string[] {
  return quotes
    .filter((r) => r.open === '《' && r.end - r.start > 2)
    .map((r) => text.slice(r.start + 1, r.end - 1).trim())
    .filter((t) => t.length > 0);
}

/** Titles counted over the paragraphs of an article, in order of first mention. */
export function countDocuments(titlesByParagraph: Iterable<readonly string[]>): DocumentMention[] {
  const counts = new Map<string, number>();
  for (const titles of titlesByParagraph) {
    for (const title of titles) counts.set(title, (counts.get(title) ?? 0) + 1);
  }
  return [...counts].map(([title, mentions]) => ({ title, mentions }));
}

/**
 * Every document an article cites in its paragraphs, in order of first mention, with mention counts.
 *
 * @example
 * extractDocuments(article); // [{ title: '大连市湿地保护条例', mentions: 1 }]
 */
export function extractDocuments(article: ParsedArticle): DocumentMention[] {
  return countDocuments(article.paragraphs.map((p) => findDocumentTitles(p.text)));
}
