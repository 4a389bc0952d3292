import { isUtf8, transcode } from 'node:buffer';
import { dataError } from '@newsdata/errors';
import type { Encoding } from './types.js';

/** The decoded text of a source and the encoding it was read with. */
export interface DecodedSource {
  /** The text with CRLF and CR line ends turned into LF (and a UTF-8 BOM removed); nothing else changed. */
  text: string;
  encoding: Encoding;
}

const gb18030 = new TextDecoder('gb18030', { fatal: true });

/** A control character that never occurs in text (tab, LF, CR and form feed do). */
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/;

interface Utf8Check {
  /** Byte offset of the first byte that does not start a valid UTF-8 character, or -1. */
  offset: number;
  /** The bad character is a valid start cut off by the end of the input. */
  truncated: boolean;
  /** Valid multi-byte characters seen before `offset` (counting stops at 8). */
  multibyte: number;
}

/** Walk the bytes as UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
function checkUtf8(bytes: Uint8Array, from: number): Utf8Check {
  let multibyte = 0;
  let i = from;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return { offset: i, truncated: false, multibyte };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { offset: i, truncated: true, multibyte };
      const c = bytes[i + k]!;
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c < min || c > max) return { offset: i, truncated: false, multibyte };
    }
    if (multibyte < 8) multibyte++;
    i += need + 1;
  }
  return { offset: -1, truncated: false, multibyte };
}

/**
 * Byte offset where the bytes stop following the GB18030 byte structure (one byte below 0x80; two
 * bytes 81–FE + 40–7E/80–FE; four bytes 81–FE + 30–39 + 81–FE + 30–39), or -1. The decoder itself
 * is stricter about four-byte ranges; this only locates a break for the error message.
 */
function gbBreak(bytes: Uint8Array, from: number): { offset: number; truncated: boolean } {
  let i = from;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b <= 0x80) {
      i++;
      continue;
    }
    if (b === 0xff) return { offset: i, truncated: false };
    if (i + 1 >= n) return { offset: i, truncated: true };
    const c = bytes[i + 1]!;
    if ((c >= 0x40 && c <= 0x7e) || (c >= 0x80 && c <= 0xfe)) {
      i += 2;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      if (i + 3 >= n) return { offset: i, truncated: true };
      const d = bytes[i + 2]!;
      const e = bytes[i + 3]!;
      if (d >= 0x81 && d <= 0xfe && e >= 0x30 && e <= 0x39) {
        i += 4;
        continue;
      }
    }
    return { offset: i, truncated: false };
  }
  return { offset: -1, truncated: false };
}

function hex(byte: number | undefined): string {
  return byte === undefined ? '' : ` (0x${byte.toString(16).toUpperCase().padStart(2, '0')})`;
}

/**
 * Line and column (1-based; the column in characters) of a byte offset, so that an editor can jump
 * to the bad byte: `file:line:column`. The line's bytes before the offset are decoded leniently.
 */
export function bytePosition(bytes: Uint8Array, offset: number, encoding: 'utf-8' | 'gb18030' = 'utf-8') {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, bytes.length);
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const before = new TextDecoder(encoding === 'gb18030' ? 'gb18030' : 'utf-8').decode(
    bytes.subarray(lineStart, end),
  );
  return { offset, line, column: [...before.replace(/^\uFEFF/, '')].length + 1 };
}

function where(file: string | undefined): string {
  return file === undefined ? 'The source' : `Source ${file}`;
}

/** Line ends as LF: CRLF and lone CR are both line breaks in the dumps we read. */
export function normalizeLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Throw SOURCE_BINARY if the bytes hold a control character that text never has. */
function rejectBinary(bytes: Uint8Array, file: string | undefined): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 ? b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d : b === 0x7f) {
      throw dataError(
        'SOURCE_BINARY',
        `${where(file)} is not text: byte ${i}${hex(b)} is a control character (${b === 0 ? 'NUL' : 'not tab, LF, CR or form feed'}). ` +
          'Give the text dump of the page (UTF-8 or GB18030), not a PDF, image or archive.',
        { ...(file === undefined ? {} : { file }), ...bytePosition(bytes, i) },
      );
    }
  }
}

/** Throw SOURCE_EMPTY when the text has no visible character. */
export function rejectEmpty(text: string, file: string | undefined): void {
  if (!/\S/.test(text)) {
    throw dataError(
      'SOURCE_EMPTY',
      `${where(file)} is empty${text.length > 0 ? ' (only blank lines or spaces)' : ''}: a page must have at least one line of text. ` +
        'Check that the dump was written completely, or remove the source.',
      { ...(file === undefined ? {} : { file }) },
    );
  }
}

/**
 * Decode the bytes of a page dump: UTF-8, UTF-8 with a BOM (removed) or GB18030, never guessing
 * silently. Line ends are normalized to LF.
 *
 * @example
 * decodeSource(new TextEncoder().encode('市政协召开党组会议\r\n')) // { text: '市政协召开党组会议\n', encoding: 'utf-8' }
 * @throws NewsDataError (fault `data`): `SOURCE_NOT_DECODABLE` with the byte `offset` of the first bad
 *   character (also when the bytes end in the middle of a character), `SOURCE_BINARY` for control
 *   bytes such as NUL, `SOURCE_EMPTY` when there is no visible text.
 */
export function decodeSource(bytes: Uint8Array, file?: string): DecodedSource {
  const context = file === undefined ? {} : { file };
  if (bytes.length === 0) rejectEmpty('', file);
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw dataError(
      'SOURCE_NOT_DECODABLE',
      `${where(file)} starts with a UTF-16 byte order mark (byte 0${hex(bytes[0])}): only UTF-8 and GB18030 are read. ` +
        'Convert it, e.g. `iconv -f utf-16 -t utf-8`, and publish again.',
      { ...context, offset: 0 },
    );
  }

  let text: string | undefined;
  let encoding: Encoding = bom ? 'utf-8-bom' : 'utf-8';
  const body = bom ? bytes.subarray(3) : bytes;
  // isUtf8 runs natively (simdutf). Once the bytes are known valid, transcoding them to UTF-16 and
  // taking that as the string is several times faster for Chinese text than Buffer#toString('utf8')
  // or a TextDecoder, which build a two-byte string character by character.
  if (isUtf8(body)) text = transcode(body, 'utf8', 'utf16le').toString('utf16le');
  else {
    const check = checkUtf8(bytes, bom ? 3 : 0);
    // GB18030 text almost never contains two well-formed UTF-8 characters before its first
    // invalid one; UTF-8 text with a bad byte does. Bytes that are valid UTF-8 up to a character cut
    // off by the end of the input are a truncated UTF-8 file: reading them as GB18030 would be a guess.
    if (!bom && !check.truncated && check.multibyte < 2) {
      try {
        text = gb18030.decode(bytes);
        encoding = 'gb18030';
      } catch {
        rejectBinary(bytes, file);
        const gb = gbBreak(bytes, 0);
        if (check.multibyte === 0 && gb.offset > check.offset) {
          throw dataError(
            'SOURCE_NOT_DECODABLE',
            `${where(file)} looks like GB18030 but byte ${gb.offset}${hex(bytes[gb.offset])} ` +
              (gb.truncated
                ? 'starts a character that the end of the file cuts off: the file was cut short. Fetch or copy it again.'
                : 'is not a valid GB18030 character (and the file is not UTF-8 either). Fix or re-export the page, e.g. `iconv -f gb18030 -t utf-8`.'),
            {
              ...context,
              ...bytePosition(bytes, gb.offset, 'gb18030'),
              encoding: 'gb18030',
              reason: gb.truncated ? 'truncated' : 'invalid',
            },
          );
        }
      }
    }
    if (text === undefined) {
      rejectBinary(bytes, file);
      throw dataError(
        'SOURCE_NOT_DECODABLE',
        check.truncated
          ? `${where(file)} ends in the middle of a UTF-8 character that starts at byte ${check.offset}${hex(bytes[check.offset])}: the file was cut short. Fetch or copy it again.`
          : `${where(file)} is not valid UTF-8 at byte ${check.offset}${hex(bytes[check.offset])}, and not valid GB18030 either. ` +
              'Find the encoding it was saved in and convert it to UTF-8 (e.g. `iconv -f <encoding> -t utf-8`), then publish again.',
        {
          ...context,
          ...bytePosition(bytes, check.offset),
          encoding: 'utf-8',
          reason: check.truncated ? 'truncated' : 'invalid',
        },
      );
    }
  }

  if (CONTROL.test(text)) rejectBinary(bytes, file);
  rejectEmpty(text, file);
  return { text: normalizeLineEnds(text), encoding };
}
