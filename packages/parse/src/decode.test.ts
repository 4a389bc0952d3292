import { readFileSync } from 'node:fs';
import { NewsDataError } from '@newsdata/errors';
import { describe, expect, it } from 'vitest';
import { decodeSource } from './index.js';

const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url));
const utf8 = (text: string) => new TextEncoder().encode(text);

function errorOf(run: () => unknown): NewsDataError {
  try {
    run();
  } catch (error) {
    if (error instanceof NewsDataError) return error;
    throw error;
  }
  throw new Error('expected a NewsDataError');
}

describe('decodeSource', () => {
  it('reads UTF-8 and says so', () => {
    expect(decodeSource(utf8('市政协召开党组会议\n'))).toEqual({
      text: '市政协召开党组会议\n',
      encoding: 'utf-8',
    });
  });

  it('strips a UTF-8 BOM and reports it', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('官福清主持会议')]);
    expect(decodeSource(bytes)).toEqual({ text: '官福清主持会议', encoding: 'utf-8-bom' });
  });

  it('reads GB18030 bytes written by iconv', () => {
    const { text, encoding } = decodeSource(fixture('gb18030.txt'), 'gb18030.txt');
    expect(encoding).toBe('gb18030');
    expect(text.split('\n')[0]).toBe('菜篮子价格保持平稳');
  });

  it('turns CRLF and lone CR into LF and keeps odd spaces', () => {
    expect(decodeSource(utf8('甲\r\n乙\r丙\u3000丁\u00a0')).text).toBe('甲\n乙\n丙\u3000丁\u00a0');
  });

  it('rejects a UTF-8 file cut in the middle of a character, naming the byte offset', () => {
    const whole = utf8('本报讯(记者石朕)昨日,市政协召开党组会议。');
    for (const cut of [1, 2]) {
      const error = errorOf(() => decodeSource(whole.subarray(0, whole.length - cut), 'cut.txt'));
      expect(error.code).toBe('SOURCE_NOT_DECODABLE');
      expect(error.fault).toBe('data');
      expect(error.context).toMatchObject({ file: 'cut.txt', offset: whole.length - 3, reason: 'truncated' });
      expect(error.message).toContain('cut short');
    }
  });

  it('rejects a short UTF-8 text cut after one character instead of reading it as GB18030', () => {
    const bytes = utf8('中文').subarray(0, 4);
    expect(errorOf(() => decodeSource(bytes)).context).toMatchObject({ offset: 3, reason: 'truncated' });
  });

  it('rejects bytes that are valid in no supported encoding, naming the first bad byte', () => {
    const good = utf8('会议指出,要认真学习贯彻。');
    const bytes = new Uint8Array([...good, 0xff, ...utf8('其余文字')]);
    const error = errorOf(() => decodeSource(bytes, 'bad.txt'));
    expect(error.code).toBe('SOURCE_NOT_DECODABLE');
    expect(error.context.offset).toBe(good.length);
    expect(error.message).toMatch(/byte \d+ \(0xFF\)/);
    expect(error.message).toContain('iconv');
  });

  it('points at the bad byte as line and column, so the report can say file:line:column', () => {
    const bytes = new Uint8Array([...utf8('标题\r\n\n会议指出,要认真'), 0xff, ...utf8('学习。\n')]);
    const error = errorOf(() => decodeSource(bytes, 'bad.txt'));
    expect(error.context).toMatchObject({ file: 'bad.txt', line: 3, column: 9 });
    expect(error.location).toBe('bad.txt:3:9');
    const binary = errorOf(() => decodeSource(new Uint8Array([...utf8('甲\n乙丙'), 0x00]), 'nul.txt'));
    expect(binary.location).toBe('nul.txt:2:3');
  });

  it('rejects a GB18030 file cut in the middle of a character at its offset', () => {
    const whole = fixture('gb18030.txt');
    const cut = whole.subarray(0, 5);
    const error = errorOf(() => decodeSource(cut));
    expect(error.code).toBe('SOURCE_NOT_DECODABLE');
    expect(error.context).toMatchObject({ offset: 4, encoding: 'gb18030', reason: 'truncated' });
  });

  it('rejects UTF-16 with a hint to convert it', () => {
    const error = errorOf(() => decodeSource(new Uint8Array([0xff, 0xfe, 0x2d, 0x4e])));
    expect(error.code).toBe('SOURCE_NOT_DECODABLE');
    expect(error.message).toContain('UTF-16');
  });

  it('rejects binary input: NUL bytes and control characters', () => {
    const nul = errorOf(() => decodeSource(new Uint8Array([...utf8('标题'), 0x00, 0x01]), 'x.pdf'));
    expect(nul.code).toBe('SOURCE_BINARY');
    expect(nul.context).toMatchObject({ file: 'x.pdf', offset: 6 });
    const invalidAndBinary = errorOf(() =>
      decodeSource(new Uint8Array([0x25, 0x50, 0x44, 0x46, 0xe2, 0x00, 0xff])),
    );
    expect(invalidAndBinary.code).toBe('SOURCE_BINARY');
    expect(errorOf(() => decodeSource(utf8('a\u0007b'))).code).toBe('SOURCE_BINARY');
  });

  it('rejects empty input and input of blank lines only', () => {
    for (const bytes of [new Uint8Array(), utf8('\n\r\n  \u3000\n'), new Uint8Array([0xef, 0xbb, 0xbf])]) {
      const error = errorOf(() => decodeSource(bytes, 'empty.txt'));
      expect(error.code).toBe('SOURCE_EMPTY');
      expect(error.fault).toBe('data');
    }
  });
});
