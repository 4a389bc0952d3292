/**
 * Character rules shared by every step. Rules look at a *folded* view of the text in which the
 * full-width forms (（ ， ： ！ ０…９) are replaced by their half-width twins and odd spaces (NBSP,
 * U+3000) by a plain space. Folding maps one UTF-16 unit to one unit, so an index in the folded view
 * is the same index in the source: rules decide on the folded view, the output keeps the source.
 */

/** Fold full-width ASCII variants and odd spaces to their half-width forms, index for index. */
export function fold(text: string): string {
  return text.replace(/[\uFF01-\uFF5E\u3000\u00A0\u2002-\u200A\u202F\u205F]/g, (c) => {
    const code = c.charCodeAt(0);
    return code >= 0xff01 && code <= 0xff5e ? String.fromCharCode(code - 0xfee0) : ' ';
  });
}

/**
 * A copy of `text` that keeps no larger string alive. V8 makes a slice of 13 units or more a view
 * into its parent (the parser's folded page), so a short name taken from it would hold the page.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

/** Characters that may close a paragraph: sentence ends, closing quotes and brackets (both widths). */
const CLOSING = new Set([...'。．.！!？?…”’」』）)"\'；;：:》〉】]']);

/** Whether `text` (already trimmed) ends like a finished paragraph. */
export function isTerminated(text: string): boolean {
  return text.length > 0 && CLOSING.has(text[text.length - 1]!);
}

/** Characters a paragraph cannot start with: a block that starts so continues a cut sentence. */
const CONTINUING = new Set([...'，,、。．；;：:）)」』”’！!？?…%％']);

export function startsMidSentence(text: string): boolean {
  return text.length > 0 && CONTINUING.has(text[0]!);
}

/** Number of Unicode code points in `text[from, to)`. */
export function codePointsBetween(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point: count the pair once.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Length of `text` in code points. */
export function codePointLength(text: string): number {
  return codePointsBetween(text, 0, text.length);
}

/** Whitespace for the rules: ASCII blanks, NBSP, U+3000 and the other Unicode spaces that `trim` knows. */
export function isSpace(code: number): boolean {
  return (
    code === 0x20 ||
    (code >= 0x09 && code <= 0x0d) ||
    code === 0xa0 ||
    code === 0x3000 ||
    code === 0xfeff ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f
  );
}

/** Index of the first non-space unit at or after `from`, or `to` if none. */
export function skipSpaces(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** [start, end) of `text` without leading and trailing spaces. */
export function trimBounds(text: string): [number, number] {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

/** A Han ideograph (the unified blocks and extension A). */
export function isHan(code: number): boolean {
  return (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf);
}
