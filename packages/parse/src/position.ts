import { codePointsBetween } from './text.js';
import type { ParsedParagraph } from './types.js';

/**
 * The source position (1-based line, 1-based code-point column) of the character at `index` of
 * `paragraph.text`. An index at the end of the text maps to just after its last character.
 *
 * @example
 * // paragraph.text '…机关办公楼走廊…' was joined from two lines: the 楼 maps to the start of the second.
 * positionOf(paragraph, paragraph.text.indexOf('楼走廊')) // { line: 99, column: 1 }
 */
export function positionOf(paragraph: ParsedParagraph, index: number): { line: number; column: number } {
  const { spans, text } = paragraph;
  if (spans.length === 0) throw new RangeError('positionOf: the paragraph has no spans');
  const at = Math.max(0, Math.min(Math.trunc(index), text.length));
  let lo = 0;
  let hi = spans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (spans[mid]!.at <= at) lo = mid;
    else hi = mid - 1;
  }
  const span = spans[lo]!;
  return { line: span.line, column: span.column + codePointsBetween(text, span.at, at) };
}
