import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type ParsedPage, parsePage, positionOf } from './index.js';

/** Parse a page of `test/fixtures/`, named as its file. */
export function parseFixture(name: string): ParsedPage {
  return parsePage(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url)), { file: name });
}

/**
 * What must hold on every page: each non-blank line is in exactly one article, the noise list, or a
 * warning that holds it; the accounting adds up; every character of every paragraph maps back (through
 * its span and `positionOf`) to the same character of the source.
 */
export function expectAccounted(page: ParsedPage): void {
  const placed = [
    ...page.articles.flatMap((a) => a.lines),
    ...page.noise.map((n) => n.line),
    ...page.warnings.flatMap((w) => w.lines ?? []),
  ].sort((a, b) => a - b);
  expect(placed).toEqual(page.lines.flatMap((line, k) => (line.trim() ? [k + 1] : [])));
  const { nonBlank, inArticles, inNoise, inWarnings } = page.accounting;
  expect(nonBlank).toBe(inArticles + inNoise + inWarnings);
  for (const article of page.articles) {
    for (const paragraph of article.paragraphs) {
      for (const span of paragraph.spans) {
        expect(page.text.slice(span.offset, span.offset + span.length)).toBe(
          paragraph.text.slice(span.at, span.at + span.length),
        );
        const { line, column } = positionOf(paragraph, span.at);
        expect([...page.lines[line - 1]!][column - 1]).toBe(paragraph.text[span.at]);
      }
    }
  }
}
