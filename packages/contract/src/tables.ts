import type { Article, Document, Paragraph, Person, Statistic } from './generated/types.js';
import { type SchemaName, schemaOf } from './schemas.js';

/** The published tables (DESIGN §5), in the order they are listed in a release. */
export const tableNames = ['articles', 'paragraphs', 'statistics', 'people', 'documents'] as const;
export type TableName = (typeof tableNames)[number];

/** Row type of each table. */
export interface TableRows {
  articles: Article;
  paragraphs: Paragraph;
  statistics: Statistic;
  people: Person;
  documents: Document;
}

export interface TableDefinition<T extends TableName = TableName> {
  name: T;
  /** Schema that validates one row. */
  schema: SchemaName;
  /** Columns that identify a row; rows are sorted by them and keys are joined with `|` when shown. */
  key: readonly (keyof TableRows[T] & string)[];
  /** Column that links the row to its article, for the foreign-key rule. */
  articleReference?: keyof TableRows[T] & string;
}

export const tables: { readonly [T in TableName]: TableDefinition<T> } = {
  articles: { name: 'articles', schema: 'article', key: ['article_id'] },
  paragraphs: {
    name: 'paragraphs',
    schema: 'paragraph',
    key: ['article_id', 'seq'],
    articleReference: 'article_id',
  },
  statistics: {
    name: 'statistics',
    schema: 'statistic',
    key: ['statistic_id'],
    articleReference: 'article_id',
  },
  people: {
    name: 'people',
    schema: 'person',
    key: ['article_id', 'name', 'role'],
    articleReference: 'article_id',
  },
  documents: {
    name: 'documents',
    schema: 'document',
    key: ['article_id', 'title'],
    articleReference: 'article_id',
  },
};

/** Column names of a table in the schema's property order: the CSV column order. */
export function columnsOf(table: TableName): string[] {
  return Object.keys(schemaOf(tables[table].schema).properties ?? {});
}

/** The key of a row as one string (`a~1f2e3d4c|2`), for reports and change logs. */
export function keyOf<T extends TableName>(table: T, row: TableRows[T]): string {
  const values = tables[table].key.map((column) => String(row[column]));
  return values.join('|');
}

/**
 * Compare two rows of a table by key. Numbers compare as numbers, strings by code point, so the
 * order is the same on every machine and locale.
 */
export function compareByKey<T extends TableName>(table: T): (a: TableRows[T], b: TableRows[T]) => number {
  const key = tables[table].key;
  return (a, b) => {
    for (const column of key) {
      const x = a[column] as unknown;
      const y = b[column] as unknown;
      if (x === y) continue;
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      return String(x) < String(y) ? -1 : 1;
    }
    return 0;
  };
}

/** All rows of a set of tables. */
export type Tables = { [T in TableName]: TableRows[T][] };

export function emptyTables(): Tables {
  return { articles: [], paragraphs: [], statistics: [], people: [], documents: [] };
}
