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
 * Add the character bigrams of `text` (pairs of adjacent word characters) to `into`. Bigrams are a
 * language-neutral measure of shared vocabulary for Chinese, which has no spaces between words.
 *
 * @example
 * addBigrams('机关文化', new Set()) // 3 bigrams: 机关, 关文, 文化
 */
export function addBigrams(text: string, into: Set<number>): Set<number> {
  let prev = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isWordChar(code)) {
      if (prev >= 0) into.add(prev * 65536 + code);
      prev = code;
    } else prev = -1;
  }
  return into;
}

/** Text that grows (an article being assembled) with its bigram set built on demand, incrementally. */
export class Vocabulary {
  private readonly parts: string[] = [];
  private fed = 0;
  private set: Set<number> | null = null;

  add(text: string): void {
    this.parts.push(text);
  }

  /** The bigrams of everything added so far. Each part is read once over the vocabulary's life. */
  bigrams(): Set<number> {
    this.set ??= new Set();
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
export function scoreVocabulary(block: string, candidates: Set<number>[]): VocabularyScore[] {
  const grams = addBigrams(block, new Set());
  const scores = candidates.map(() => ({ shared: 0, exclusive: 0 }));
  for (const gram of grams) {
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
