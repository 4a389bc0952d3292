import { expectTypeOf, test } from 'vitest';
import type { Article, Person, Statistic } from './generated/types.js';
import { type TableRows, tables } from './tables.js';

// Compile-time checks (vitest --typecheck): the generated types keep the contract's shapes.
test('generated row types', () => {
  expectTypeOf<Statistic['value']>().toEqualTypeOf<number>();
  expectTypeOf<Statistic['year']>().toEqualTypeOf<number | null>();
  expectTypeOf<Statistic['approximate']>().toEqualTypeOf<boolean>();
  expectTypeOf<Person['role']>().toEqualTypeOf<'reporter' | 'contributor' | 'mentioned'>();
  expectTypeOf<Article['reporters']>().toEqualTypeOf<string[]>();
  expectTypeOf<TableRows['people']>().toEqualTypeOf<Person>();
  expectTypeOf(tables.statistics.key).toEqualTypeOf<readonly (keyof Statistic & string)[]>();
});
