/**
 * GB18030 encoding for test data. Node decodes GB18030 but does not encode it, so the table is built
 * by decoding every two-byte code once (the CJK characters and full-width punctuation the pages use
 * are all two-byte codes); ASCII passes through.
 */
let table: Map<string, [number, number]> | undefined;

function encoder(): Map<string, [number, number]> {
  if (table) return table;
  table = new Map();
  const decoder = new TextDecoder('gb18030', { fatal: true });
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      let char: string;
      try {
        char = decoder.decode(new Uint8Array([lead, trail]));
      } catch {
        continue;
      }
      if (char.length === 1 && !table.has(char)) table.set(char, [lead, trail]);
    }
  }
  return table;
}

/** The GB18030 bytes of `text`; throws for a character outside ASCII and the two-byte codes. */
export function gb18030(text: string): Uint8Array {
  const map = encoder();
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const pair = map.get(char);
    if (!pair) throw new Error(`no two-byte GB18030 code for ${JSON.stringify(char)}`);
    bytes.push(...pair);
  }
  return new Uint8Array(bytes);
}
