import {
  emptyTables,
  keyOf,
  type TableName,
  type TableRows,
  type Tables,
  tables as tableDefinitions,
  tableNames,
  type ValidationReport,
} from '@newsdata/contract';
import type { Problem } from './problem.js';

/** A row set aside by the quarantine policy, with the problems that rejected it. */
export interface RejectedRow {
  table: TableName;
  row: unknown;
  /** The row's own errors; for a row rejected with its article, the article's errors. */
  problems: Problem[];
}

export interface Partition {
  /** Rows with no error, whose article (if any) has no error either: safe to publish. */
  valid: Tables;
  rejected: RejectedRow[];
  /** Rejected rows over all rows, 0–1 (0 for no rows): compare with `max_quarantine_share`. */
  rejectedShare: number;
}

function isRow(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Split the rows of a release by a validation report, for the `quarantine` policy: a row with an
 * error is rejected, and so is every row that belongs to a rejected article (its paragraphs,
 * statistics, people, documents). Rows are matched to problems by table and key, so rows sharing a
 * duplicated key are all rejected. Warnings reject nothing.
 *
 * @example
 * const { valid, rejected, rejectedShare } = partitionRows(tables, validateRelease({ tables, sources }));
 * if (rejectedShare > config.max_quarantine_share) fail(); else publish(valid), quarantine(rejected);
 */
export function partitionRows(tables: Tables, report: ValidationReport): Partition {
  const errorsByRow = new Map<TableName, Map<string | null, Problem[]>>(
    tableNames.map((t) => [t, new Map()]),
  );
  for (const problem of report.problems) {
    if (problem.severity !== 'error' || !tableNames.includes(problem.table as TableName)) continue;
    const byKey = errorsByRow.get(problem.table as TableName)!;
    const list = byKey.get(problem.key);
    if (list) list.push(problem);
    else byKey.set(problem.key, [problem]);
  }

  const valid = emptyTables();
  const rejected: RejectedRow[] = [];
  const rejectedArticles = new Map<string, Problem[]>();
  let total = 0;

  for (const table of tableNames) {
    const rows: unknown[] = Array.isArray(tables[table]) ? tables[table] : [];
    const reference = tableDefinitions[table].articleReference;
    total += rows.length;
    for (const row of rows) {
      const key = isRow(row) ? keyOf(table, row as unknown as TableRows[typeof table]) : null;
      const own = errorsByRow.get(table)!.get(key);
      const articleId = isRow(row) && typeof row.article_id === 'string' ? row.article_id : undefined;
      const inherited = reference && articleId !== undefined ? rejectedArticles.get(articleId) : undefined;
      if (own || inherited || !isRow(row)) {
        const problems = own ?? inherited ?? [];
        rejected.push({ table, row, problems });
        if (table === 'articles' && articleId !== undefined) rejectedArticles.set(articleId, problems);
        continue;
      }
      (valid[table] as unknown[]).push(row);
    }
  }

  return { valid, rejected, rejectedShare: total === 0 ? 0 : rejected.length / total };
}
