import { columnsOf, type TableName, tableNames } from '@newsdata/contract';
import { cellOf } from '@newsdata/export';
import type { RejectedRow } from '@newsdata/validate';

/** RFC 4180 quoting of one cell: quotes only when needed, inner quotes doubled. */
function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Why a row was set aside: its problems as `type: message`, joined with ` | `. */
function reasonOf(rejected: RejectedRow): string {
  return rejected.problems.map((problem) => `${problem.type}: ${problem.message}`).join(' | ');
}

/**
 * `quarantine/<table>.csv` of a release made under the quarantine policy: the rejected rows of each
 * table that has any, with the table's columns and a last `reason` column (UTF-8, CRLF, the standard
 * flavour's cells). Rows keep the order of the tables given.
 */
export function quarantineFiles(
  rejected: readonly RejectedRow[],
): { path: string; rows: number; bytes: Uint8Array }[] {
  const files: { path: string; rows: number; bytes: Uint8Array }[] = [];
  for (const table of tableNames) {
    const rows = rejected.filter((entry) => entry.table === table);
    if (rows.length === 0) continue;
    const columns = columnsOf(table as TableName);
    const lines = [[...columns, 'reason'].map(quote).join(',')];
    for (const entry of rows) {
      const row = (typeof entry.row === 'object' && entry.row !== null ? entry.row : {}) as Record<
        string,
        unknown
      >;
      const cells = columns.map((column) => {
        try {
          return cellOf(row[column] ?? null, 'standard');
        } catch {
          return JSON.stringify(row[column]) ?? '';
        }
      });
      lines.push([...cells, reasonOf(entry)].map(quote).join(','));
    }
    files.push({
      path: `quarantine/${table}.csv`,
      rows: rows.length,
      bytes: Buffer.from(`${lines.join('\r\n')}\r\n`),
    });
  }
  return files;
}
