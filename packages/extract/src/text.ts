/** A half-open range [start, end) of UTF-16 indexes. */
export interface Range {
  start: number;
  end: number;
}

const OPENERS: Record<string, string> = {
  '“': '”',
  '‘': '’',
  '「': '」',
  '『': '』',
  '《': '》',
  '〈': '〉',
};

const OPENER_SET = new Set(Object.keys(OPENERS));
const OPENER_OF = new Map(Object.entries(OPENERS).map(([open, close]) => [close, open]));
const MARKS = new RegExp(`[${Object.keys(OPENERS).join('')}${Object.values(OPENERS).join('')}]`, 'gu');

/**
 * Ranges enclosed by quotation or title marks (outermost pairs only). An opener with no closer in
 * the text encloses nothing: a cut quote must not swallow the rest of a paragraph.
 */
export function quotedRanges(text: string): (Range & { open: string })[] {
  const out: (Range & { open: string })[] = [];
  // The open marks and where they are, as two arrays: no object per mark.
  const opens: string[] = [];
  const ats: number[] = [];
  // exec on the shared pattern: matchAll would copy it on every call.
  MARKS.lastIndex = 0;
  for (let m = MARKS.exec(text); m; m = MARKS.exec(text)) {
    const c = m[0];
    const i = m.index;
    if (OPENER_SET.has(c)) {
      opens.push(c);
      ats.push(i);
      continue;
    }
    const top = opens.lastIndexOf(OPENER_OF.get(c)!);
    if (top >= 0) {
      const open = opens[top]!;
      const at = ats[top]!;
      opens.length = top;
      ats.length = top;
      if (top === 0) out.push({ open, start: at, end: i + 1 });
    }
  }
  return out;
}

/**
 * A table of the UTF-16 code units that can start a match, for {@link nextMatch}. Every character of
 * `chars` must be in the Basic Multilingual Plane.
 */
export function startTable(chars: string): Uint8Array {
  const table = new Uint8Array(0x10000);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

/**
 * The next match of a sticky pattern at or after `from`, as the same pattern with the `g` flag
 * would find it, when every match starts with a character of `starts`. Paragraphs are mostly
 * characters that start no match: skipping them by a table lookup is several times faster than the
 * regex engine trying each alternative at each of them.
 */
export function nextMatch(
  sticky: RegExp,
  text: string,
  from: number,
  starts: Uint8Array,
): RegExpExecArray | null {
  for (let i = from; i < text.length; i++) {
    if (starts[text.charCodeAt(i)] === 0) continue;
    sticky.lastIndex = i;
    const m = sticky.exec(text);
    if (m) return m;
  }
  return null;
}

/**
 * A test of one UTF-16 code unit against a pattern for one character, remembered per code unit:
 * label scans test every character they pass, and a regex call costs more than the rest of a step.
 * The pattern must not be global or sticky.
 */
export function charTest(pattern: RegExp): (code: number) => boolean {
  const known = new Uint8Array(0x10000); // 0 not yet tested, 1 matches, 2 does not
  return (code) => {
    let state = known[code]!;
    if (state === 0) {
      state = pattern.test(String.fromCharCode(code)) ? 1 : 2;
      known[code] = state;
    }
    return state === 1;
  };
}

const TERMINATORS = startTable('。!?!?;;');
const CLOSERS = startTable('”’」』))');

/** The sentence around `index`: from after the previous terminator to the next one (inclusive). */
export function sentenceAt(text: string, index: number): string {
  // Code units looked up in tables, not one-character strings in sets: this runs for every
  // statistic over its whole sentence.
  let start = index;
  while (start > 0 && TERMINATORS[text.charCodeAt(start - 1)] === 0) start--;
  while (start < index && CLOSERS[text.charCodeAt(start)] === 1) start++;
  let end = index;
  while (end < text.length && TERMINATORS[text.charCodeAt(end)] === 0) end++;
  if (end < text.length) end++;
  while (end < text.length && CLOSERS[text.charCodeAt(end)] === 1) end++;
  return text.slice(start, end).trim();
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Number of Unicode code points in a string. */
export function codePoints(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The distinct numbers in ascending order; a paragraph's lines mostly come so already. */
function ascendingUnique(lines: Iterable<number>): number[] {
  const list = Array.isArray(lines) ? (lines as number[]) : [...lines];
  let ascending = true;
  for (let i = 1; i < list.length && ascending; i++) ascending = list[i - 1]! < list[i]!;
  return ascending ? list : [...new Set(list)].sort((a, b) => a - b);
}

/**
 * Line numbers as compressed ranges: [9, 13, 14, 15] → ['9', '13-15']. With `isBlank`, a gap of
 * blank lines does not break a range: [13, 15, 17] with 14 and 16 blank → ['13-17'].
 */
export function compressLines(
  lines: Iterable<number>,
  isBlank: (line: number) => boolean = () => false,
): string[] {
  const sorted = ascendingUnique(lines);
  const out: string[] = [];
  let i = 0;
  const joins = (from: number, to: number) => {
    for (let n = from + 1; n < to; n++) if (!isBlank(n)) return false;
    return true;
  };
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && joins(sorted[j]!, sorted[j + 1]!)) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out;
}
