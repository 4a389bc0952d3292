import type { ValidationReport } from '@newsdata/contract';

/** One entry of `validation-report.json`: what is wrong, where, and what to do. */
export type Problem = ValidationReport['problems'][number];

/** Where in a source file a problem came from. */
export type ProblemSource = NonNullable<Problem['source']>;

/** Language of the messages. */
export type Lang = 'en' | 'zh';

/** A valid problem type: kebab-case, as the report schema requires (`SOURCE_NOT_DECODABLE` → `source-not-decodable`). */
export function kebab(code: string): string {
  const type = code
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(type) ? type : `x-${type || 'unknown'}`;
}

function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function compareNumber(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a - b;
}

/**
 * The report's order: errors first, then by file, line, column and type; problems without a source
 * come last, a file-level problem (no line) before the lines of that file. Ties are broken by every
 * other field, so the order never depends on the input order.
 */
export function compareProblems(a: Problem, b: Problem): number {
  if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1;
  if ((a.source === null) !== (b.source === null)) return a.source === null ? 1 : -1;
  return (
    compareText(a.source?.file ?? null, b.source?.file ?? null) ||
    compareNumber(a.source?.line ?? null, b.source?.line ?? null) ||
    compareNumber(a.source?.column ?? null, b.source?.column ?? null) ||
    compareText(a.type, b.type) ||
    compareText(a.table, b.table) ||
    compareText(a.key, b.key) ||
    compareText(a.field, b.field) ||
    compareText(a.message, b.message)
  );
}

/** `file:line:column` (or less, when the line or column is unknown), for editors and terminals. */
export function locationOf(problem: Problem): string {
  const source = problem.source;
  if (!source) return '-';
  if (source.line === null) return source.file;
  return source.column === null
    ? `${source.file}:${source.line}`
    : `${source.file}:${source.line}:${source.column}`;
}
