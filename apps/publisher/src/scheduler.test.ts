import { describe, expect, it } from 'vitest';
import { missedTicks } from './scheduler.js';

describe('missedTicks', () => {
  it('counts the minutes an every-minute schedule missed', () => {
    expect(
      missedTicks(
        '* * * * *',
        'Asia/Shanghai',
        new Date('2025-01-08T10:00:30Z'),
        new Date('2025-01-08T10:05:30Z'),
      ),
    ).toBe(5);
  });

  it('reads the schedule in its time zone', () => {
    // 08:00 in Shanghai is 00:00 UTC: a daily 08:00 run falls once in this UTC window.
    const since = new Date('2025-01-07T23:00:00Z');
    const until = new Date('2025-01-08T01:00:00Z');
    expect(missedTicks('0 8 * * *', 'Asia/Shanghai', since, until)).toBe(1);
    expect(missedTicks('0 8 * * *', 'UTC', since, until)).toBe(0);
  });

  it('counts nothing when the process was down less than one interval', () => {
    expect(
      missedTicks('*/15 * * * *', 'UTC', new Date('2025-01-08T10:01:00Z'), new Date('2025-01-08T10:14:00Z')),
    ).toBe(0);
  });

  it('stops counting at the limit', () => {
    expect(
      missedTicks(
        '* * * * *',
        'UTC',
        new Date('2025-01-01T00:00:00Z'),
        new Date('2025-02-01T00:00:00Z'),
        100,
      ),
    ).toBe(100);
  });
});
