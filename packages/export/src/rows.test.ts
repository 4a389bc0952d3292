import { columnsOf } from '@newsdata/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowJsonWriter } from './rows.js';

const columns = columnsOf('people');

/** The canonical line spelled out: the table's columns in order, a missing value as null. */
function canonical(row: Record<string, unknown>): string {
  return `{${columns.map((column) => `${JSON.stringify(column)}:${JSON.stringify(row[column] ?? null)}`).join(',')}}`;
}

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string(),
  fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
);

describe('rowJsonWriter', () => {
  it('writes the columns in schema order whatever the row holds and in whatever order', () => {
    const write = rowJsonWriter('people');
    fc.assert(
      fc.property(
        fc.tuple(...columns.map(() => value)),
        fc.array(fc.tuple(fc.constantFrom('extra', 'toJSON', '0'), value), { maxLength: 2 }),
        fc.boolean(),
        (values, extras, reverse) => {
          const entries: [string, unknown][] = columns.map((column, i) => [column, values[i]]);
          if (reverse) entries.reverse();
          const row = Object.fromEntries([...entries, ...extras]);
          expect(write(row)).toBe(canonical(row));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writes a row in schema order as it is, and a class instance through its columns only', () => {
    const write = rowJsonWriter('documents');
    const row = { article_id: 'p~0a1b2c3d', title: '民法典', mentions: 2 };
    expect(write(row)).toBe('{"article_id":"p~0a1b2c3d","title":"民法典","mentions":2}');
    class Row {
      article_id = 'p~0a1b2c3d';
      title = '民法典';
      mentions = 2;
      toJSON() {
        return { other: true };
      }
    }
    expect(write(new Row() as never)).toBe('{"article_id":"p~0a1b2c3d","title":"民法典","mentions":2}');
  });
});
