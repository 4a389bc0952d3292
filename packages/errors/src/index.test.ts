import { describe, expect, it } from 'vitest';
import { dataError, ExitCode, exitCodeFor, fromSystemError, NewsDataError, runtimeError } from './index.js';

describe('NewsDataError', () => {
  it('carries code, fault and position', () => {
    const error = dataError('SOURCE_NOT_DECODABLE', 'bad bytes', {
      file: 'a.txt',
      line: 3,
      column: 7,
      offset: 12,
    });
    expect(error).toBeInstanceOf(NewsDataError);
    expect(error.code).toBe('SOURCE_NOT_DECODABLE');
    expect(error.fault).toBe('data');
    expect(error.location).toBe('a.txt:3:7');
    expect(error.context.offset).toBe(12);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'SOURCE_NOT_DECODABLE', fault: 'data' });
  });

  it('maps faults to exit codes', () => {
    expect(exitCodeFor(dataError('X', 'x'))).toBe(ExitCode.invalidData);
    expect(exitCodeFor(runtimeError('X', 'x'))).toBe(ExitCode.runtime);
    expect(exitCodeFor(new Error('plain'))).toBe(ExitCode.runtime);
  });

  it('turns system errors into actionable runtime errors', () => {
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const error = fromSystemError(enoent, 'read', 'missing.txt');
    expect(error.code).toBe('IO_ENOENT');
    expect(error.message).toBe(
      'Could not read missing.txt: the path does not exist; check the spelling or create it.',
    );
    expect(error.cause).toBe(enoent);
  });
});
