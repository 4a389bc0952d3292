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

/** Per code unit: 0 no mark, 1 an opener, 2 a closer. */
const MARK_KIND = new Uint8Array(0x10000);
/** The opener of each closer, and each opener as a string, by code unit. */
const OPENER_OF_CLOSER = new Map<number, number>();
const OPENER_TEXT = new Map<number, string>();
for (const [open, close] of Object.entries(OPENERS)) {
  MARK_KIND[open.charCodeAt(0)] = 1;
  MARK_KIND[close.charCodeAt(0)] = 2;
  OPENER_OF_CLOSER.set(close.charCodeAt(0), open.charCodeAt(0));
  OPENER_TEXT.set(open.charCodeAt(0), open);
}

/**
 * Ranges enclosed by quotation or title marks (outermost pairs only). An opener with no closer in
 * the text encloses nothing: a cut quote must not swallow the rest of a paragraph.
 */
export function quotedRanges(text: string): (Range & { open: string })[] {
  const out: (Range & { open: string })[] = [];
  // The open marks and where they are, as two arrays of numbers: no object or string per mark.
  const opens: number[] = [];
  const ats: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const kind = MARK_KIND[code];
    if (kind === 0) continue;
    if (kind === 1) {
      opens.push(code);
      ats.push(i);
      continue;
    }
    const top = opens.lastIndexOf(OPENER_OF_CLOSER.get(code)!);
    if (top < 0) continue;
    const open = opens[top]!;
    const at = ats[top]!;
    while (opens.length > top) {
      opens.pop();
      ats.pop();
    }
    if (top === 0) out.push({ open: OPENER_TEXT.get(open)!, start: at, end: i + 1 });
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
 * would find it, when every match starts with a character of `starts` (and, with `seconds`, is at
 * least two characters long with its second in `seconds`). Paragraphs are mostly characters that
 * start no match: skipping them by a table lookup is several times faster than the regex engine
 * trying each alternative at each of them.
 */
export function nextMatch(
  sticky: RegExp,
  text: string,
  from: number,
  starts: Uint8Array,
  seconds?: Uint8Array,
): RegExpExecArray | null {
  for (let i = from; i < text.length; i++) {
    if (starts[text.charCodeAt(i)] === 0) continue;
    if (seconds && (i + 1 >= text.length || seconds[text.charCodeAt(i + 1)] === 0)) continue;
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

const TERMINATORS = startTable('。!?！？;；');
const CLOSERS = startTable('”’」』)）');

// The last sentence read: a paragraph's statistics mostly share sentences, and each would walk
// the whole sentence again.
let lastText = '';
let lastFrom = -1;
let lastTo = -1;
let lastSentence = '';

/** The sentence around `index`: from after the previous terminator to the next one (inclusive). */
export function sentenceAt(text: string, index: number): string {
  // Between the same two terminators the sentence is the same, unless `index` sits on one of the
  // closers its start skips.
  if (index >= lastFrom && index <= lastTo && CLOSERS[text.charCodeAt(index)] !== 1 && text === lastText)
    return lastSentence;
  // Code units looked up in tables, not one-character strings in sets: this runs for every
  // statistic over its whole sentence.
  let from = index;
  while (from > 0 && TERMINATORS[text.charCodeAt(from - 1)] === 0) from--;
  let to = index;
  while (to < text.length && TERMINATORS[text.charCodeAt(to)] === 0) to++;
  let start = from;
  while (start < index && CLOSERS[text.charCodeAt(start)] === 1) start++;
  let end = to;
  if (end < text.length) end++;
  while (end < text.length && CLOSERS[text.charCodeAt(end)] === 1) end++;
  const sentence = text.slice(start, end).trim();
  if (CLOSERS[text.charCodeAt(index)] !== 1) {
    lastText = text;
    lastFrom = from;
    lastTo = to;
    lastSentence = sentence;
  }
  return sentence;
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
