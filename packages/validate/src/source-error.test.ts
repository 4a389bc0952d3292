import { dataError, runtimeError } from '@newsdata/errors';
import { describe, expect, it } from 'vitest';
import { describeSourceError, sourceErrorFrom } from './index.js';

describe('source errors', () => {
  it('keep the code, the position and the file the position is in', () => {
    const error = dataError('SOURCE_META_INVALID', 'a.meta.json is not JSON', {
      file: 'a.meta.json',
      line: 3,
      column: 5,
    });
    const expected = {
      code: 'SOURCE_META_INVALID',
      message: 'a.meta.json is not JSON',
      file: 'a.meta.json',
      line: 3,
      column: 5,
    };
    expect(sourceErrorFrom(error)).toEqual(expected);
    expect(describeSourceError(error)).toEqual(expected);
  });

  it('leave runtime faults to the caller, unless every failure is to be described', () => {
    const fault = runtimeError('SOURCE_FETCH_FAILED', 'http://x answered 500');
    expect(sourceErrorFrom(fault)).toBeUndefined();
    expect(describeSourceError(fault)).toEqual({
      code: 'SOURCE_FETCH_FAILED',
      message: 'http://x answered 500',
    });
    expect(describeSourceError(new TypeError('boom'))).toEqual({ code: 'SOURCE_FAILED', message: 'boom' });
  });
});
