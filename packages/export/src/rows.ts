import {
  columnsOf,
  compareByKey,
  keyOf,
  type TableName,
  type Tables,
  tableNames,
  tables,
} from '@newsdata/contract';
import { dataError } from '@newsdata/errors';
import { checkValue } from './cells.js';

/** Rows of one table as plain records, for code that handles every table alike. */
export type AnyRow = Record<string, unknown>;

/** Tables sorted by key and checked for what export itself relies on. */
export type SortedTables = { readonly [T in TableName]: readonly AnyRow[] };

/**
 * Sort every table by its key (`compareByKey`) and check what byte-determinism and the file formats
 * need: keys are unique (else the order would depend on the input), rows of the child tables point at
 * an article (else `articles.json` would drop them), and every value can be written and read back.
 * Throws a data error naming the table, key and column; the input is not modified.
 */
export function sortTables(input: Tables): SortedTables {
  const sorted = {} as { [T in TableName]: AnyRow[] };
  for (const table of tableNames) {
    const rows = [...rowsOf(input, table)];
    const compare = compareByKey(table) as unknown as (a: AnyRow, b: AnyRow) => number;
    rows.sort(compare);
    const columns = columnsOf(table);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (i > 0 && compare(rows[i - 1]!, row) === 0) {
        throw dataError(
          'EXPORT_DUPLICATE_KEY',
          `Table ${table} has two rows with the key ${keyFor(table, row)}; keys must be unique. Validate the tables before exporting them.`,
          { table, key: keyFor(table, row) },
        );
      }
      for (const column of columns) {
        const problem = checkValue(row[column]);
        if (problem !== undefined) {
          throw dataError(
            'EXPORT_VALUE_UNWRITABLE',
            `Table ${table}, row ${keyFor(table, row)}, column ${column}: ${problem}. Fix the value before exporting.`,
            { table, key: keyFor(table, row), field: column },
          );
        }
      }
    }
    sorted[table] = rows;
  }
  const articleIds = new Set(sorted.articles.map((row) => row['article_id']));
  for (const table of tableNames) {
    const reference = tables[table].articleReference;
    if (reference === undefined) continue;
    for (const row of sorted[table]) {
      if (!articleIds.has(row[reference])) {
        throw dataError(
          'EXPORT_ORPHAN_ROW',
          `Table ${table}, row ${keyFor(table, row)}: ${reference} ${String(row[reference])} is not in the articles table. Validate the tables before exporting them.`,
          { table, key: keyFor(table, row), field: reference },
        );
      }
    }
  }
  return sorted;
}

/** The rows of one table, seen as plain records. */
export function rowsOf(input: Tables, table: TableName): readonly AnyRow[] {
  return input[table] as unknown as readonly AnyRow[];
}

/** The key of a row of any table, as `keyOf` writes it (`a~1f2e3d4c|2`). */
export function keyFor(table: TableName, row: AnyRow): string {
  return keyOf(table, row as never);
}

/**
 * Build a function that writes a row as one line of canonical JSON: the table's columns in schema
 * order, a missing value as null, nothing else. NDJSON lines, `articles.json` and the row digests of
 * the change log all use it, so the same row always gives the same bytes.
 *
 * @example rowJsonWriter('documents')({ title: '民法典', mentions: 2, article_id: 'p~0a1b2c3d' })
 * // '{"article_id":"p~0a1b2c3d","title":"民法典","mentions":2}'
 */
export function rowJsonWriter(table: TableName): (row: AnyRow) => string {
  const columns = columnsOf(table);
  // Column names are not array indices, so a fresh object keeps them in insertion (schema) order and
  // the native serializer, much faster than joining per-value strings, writes the same bytes.
  return (row) => {
    // Rows made by the extractor already hold exactly the columns, in order: serialise them as they
    // are, without the copy (15% of the time of a line).
    if (Object.getPrototypeOf(row) === Object.prototype) {
      let i = 0;
      let same = true;
      for (const key in row) {
        if (key !== columns[i] || row[key] === undefined) {
          same = false;
          break;
        }
        i++;
      }
      if (same && i === columns.length) return JSON.stringify(row);
    }
    const ordered: AnyRow = {};
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const value = row[column];
      ordered[column] = value === undefined ? null : value;
    }
    return JSON.stringify(ordered);
  };
}
