import { isHan } from './text.js';

/** A word character for vocabulary: Han ideographs, ASCII letters and digits. */
function isWordChar(code: number): boolean {
  return (
    isHan(code) ||
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a)
  );
}

/**
 * A set of character bigrams, each packed into one 32-bit key (two UTF-16 units). Open addressing on
 * a typed array: the parser builds one per candidate article, and a `Set<number>` costs several
 * times more per insertion.
 */
export class BigramSet {
  private keys: Int32Array;
  private mask: number;
  /** 32 - log2(capacity): the slot is the top bits of the multiplicative hash. */
  private shift: number;
  size = 0;

  /**
   * `expected`: about how many bigrams will be added. Sizing the table once up front matters: every
   * typed array is a native allocation, and growing from a small table costs more than the inserts.
   */
  constructor(expected = 0) {
    let bits = 8;
    while (1 << bits < 2 * expected && bits < 24) bits++;
    this.keys = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  /** Add a key (never 0: both units of a bigram are word characters). True if it was not there yet. */
  add(key: number): boolean {
    const keys = this.keys;
    // Fibonacci hashing takes the HIGH bits of the product: its low bits depend only on the key's
    // low bits (the second character), which would pile every bigram ending in one character into
    // one probe run.
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (let k = keys[i]!; k !== 0; k = keys[i]!) {
      if (k === key) return false;
      i = (i + 1) & this.mask;
    }
    keys[i] = key;
    if (++this.size * 2 > keys.length) this.grow();
    return true;
  }

  has(key: number): boolean {
    const keys = this.keys;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (let k = keys[i]!; k !== 0; k = keys[i]!) {
      if (k === key) return true;
      i = (i + 1) & this.mask;
    }
    return false;
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Int32Array(old.length * 2);
    this.mask = this.keys.length - 1;
    this.shift--;
    this.size = 0;
    for (const key of old) if (key !== 0) this.add(key);
  }
}

/**
 * Add the character bigrams of `text` (pairs of adjacent word characters) to `into`. Bigrams are a
 * language-neutral measure of shared vocabulary for Chinese, which has no spaces between words.
 *
 * @example
 * addBigrams('机关文化', new BigramSet()).size // 3: 机关, 关文, 文化
 */
export function addBigrams(text: string, into: BigramSet): BigramSet {
  let prev = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isWordChar(code)) {
      if (prev >= 0) into.add((prev << 16) | code);
      prev = code;
    } else prev = -1;
  }
  return into;
}

/** Text that grows (an article being assembled) with its bigram set built on demand, incrementally. */
export class Vocabulary {
  private readonly parts: string[] = [];
  private fed = 0;
  private set: BigramSet | null = null;

  add(text: string): void {
    this.parts.push(text);
  }

  /** The bigrams of everything added so far. Each part is read once over the vocabulary's life. */
  bigrams(): BigramSet {
    if (this.set === null) {
      // A text of n units has fewer than n bigrams. Room for twice the text so far: the article
      // usually grows after its first comparison, and each regrowth costs a native allocation and a
      // rehash of everything.
      let units = 0;
      for (const part of this.parts) units += part.length;
      this.set = new BigramSet(2 * units);
    }
    while (this.fed < this.parts.length) addBigrams(this.parts[this.fed++]!, this.set);
    return this.set;
  }
}

/** How a block's vocabulary matches one candidate: shared bigrams, and those no other candidate has. */
export interface VocabularyScore {
  shared: number;
  exclusive: number;
}

/** Score `block` against each candidate vocabulary. */
export function scoreVocabulary(block: string, candidates: BigramSet[]): VocabularyScore[] {
  const seen = new BigramSet(block.length);
  // Pushed, not mapped: Array#map makes a holey array, and mixing the two kinds deoptimized the loop.
  const scores: VocabularyScore[] = [];
  for (let c = 0; c < candidates.length; c++) scores.push({ shared: 0, exclusive: 0 });
  let prev = -1;
  for (let i = 0; i < block.length; i++) {
    const code = block.charCodeAt(i);
    if (!isWordChar(code)) {
      prev = -1;
      continue;
    }
    const gram = (prev << 16) | code;
    const first = prev >= 0;
    prev = code;
    if (!first || !seen.add(gram)) continue;
    let owner = -1;
    let owners = 0;
    for (let c = 0; c < candidates.length; c++) {
      if (candidates[c]!.has(gram)) {
        scores[c]!.shared++;
        owner = c;
        owners++;
      }
    }
    if (owners === 1) scores[owner]!.exclusive++;
  }
  return scores;
}
