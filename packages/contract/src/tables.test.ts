import { describe, expect, it } from 'vitest';
import { columnsOf, compareByKey, keyOf, tableNames, tables } from './tables.js';

describe('tables', () => {
  it('take their columns from the schema in order, keys first where DESIGN §5 lists them', () => {
    expect(columnsOf('people')).toEqual(['article_id', 'name', 'role', 'titles']);
    expect(columnsOf('statistics').slice(0, 3)).toEqual(['statistic_id', 'article_id', 'paragraph_seq']);
    for (const name of tableNames) for (const key of tables[name].key) expect(columnsOf(name)).toContain(key);
  });

  it('sort rows by key, numbers as numbers', () => {
    const rows = [
      { article_id: 'b~00000000', seq: 10 },
      { article_id: 'a~00000000', seq: 2 },
      { article_id: 'b~00000000', seq: 9 },
    ] as never[];
    const sorted = [...rows].sort(compareByKey('paragraphs')).map((row) => keyOf('paragraphs', row));
    expect(sorted).toEqual(['a~00000000|2', 'b~00000000|9', 'b~00000000|10']);
  });
});
