import {
  keyOf,
  type TableName,
  type TableRows,
  type Tables,
  tables as tableDefinitions,
  tableNames,
  type ValidationReport,
} from '@newsdata/contract';
import { isNewsDataError } from '@newsdata/errors';
import type { Encoding, LineAccounting, ParseWarning } from '@newsdata/parse';
import { messages } from './messages.js';
import { compareProblems, kebab, type Lang, type Problem, type ProblemSource } from './problem.js';
import { createValidator, schemaProblems } from './validator.js';

/** Why a source could not be decoded or parsed (a NewsDataError's code, message and position). */
export interface SourceError {
  /** SCREAMING_SNAKE code, e.g. `SOURCE_NOT_DECODABLE`; becomes the problem type `source-not-decodable`. */
  code: string;
  message: string;
  line?: number;
  column?: number;
  /** Byte offset in the source, for decoding errors. */
  offset?: number;
  /** The file the line and column are in, when it is not the source itself (its `.meta.json` sidecar). */
  file?: string;
}

/**
 * The `error` of a {@link SourceContext} from what decoding or parsing threw: a NewsDataError whose
 * fault is the data's (`SOURCE_NOT_DECODABLE`, `SOURCE_EMPTY`, …) becomes a report entry; anything
 * else (a runtime fault, a bug) gives undefined, and the caller should rethrow it.
 *
 * @example
 * try { page = parsePage(bytes, { file }); } catch (error) {
 *   const sourceError = sourceErrorFrom(error);
 *   if (!sourceError) throw error;
 *   sources.push({ source_id, file, sha256, bytes: bytes.length, encoding: null, error: sourceError });
 * }
 */
export function sourceErrorFrom(error: unknown): SourceError | undefined {
  if (!isNewsDataError(error) || error.fault !== 'data') return undefined;
  return describeSourceError(error);
}

/**
 * A {@link SourceError} for any failure of a source, whoever's fault: a NewsDataError keeps its code and
 * position (and the file it is in); anything else becomes `SOURCE_FAILED` with its message. For callers
 * that report every failure of a source (a URL that answers 500) rather than rethrow runtime faults.
 */
export function describeSourceError(error: unknown): SourceError {
  if (!isNewsDataError(error)) {
    return { code: 'SOURCE_FAILED', message: error instanceof Error ? error.message : String(error) };
  }
  const { line, column, offset, file } = error.context;
  return {
    code: error.code,
    message: error.message,
    ...(typeof file === 'string' ? { file } : {}),
    ...(typeof line === 'number' ? { line } : {}),
    ...(typeof column === 'number' ? { column } : {}),
    ...(typeof offset === 'number' ? { offset } : {}),
  };
}

/** What validation needs to know about one source, beyond the records made from it. */
export interface SourceContext {
  source_id: string;
  /** Path or URL of the source, as problems show it (`data/sources/a.txt`). */
  file: string;
  sha256: string;
  bytes: number;
  /** Encoding used to decode it; null when it could not be decoded. */
  encoding: Encoding | null;
  /** The decoded lines (`ParsedPage.lines`): needed to check that statistics sit where they say. */
  lines?: string[];
  /** The parser's line accounting (`ParsedPage.accounting`): needed to detect lost lines. */
  accounting?: LineAccounting;
  /** Lines the parser classified as noise (`ParsedPage.noise`): with `lines`, lets a lost line be named. */
  noise?: { line: number }[];
  /** Parser warnings: reported with severity warning. */
  warnings?: ParseWarning[];
  /** Set when the source could not be decoded or parsed; the source has no records then. */
  error?: SourceError;
}

export interface ValidateReleaseInput {
  tables: Tables;
  sources: SourceContext[];
}

export interface ValidateReleaseOptions {
  /** Language of the messages; English by default. */
  lang?: Lang;
}

type Row = Record<string, unknown>;

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : null;
}

const RANGE = /^([1-9]\d*)(?:-([1-9]\d*))?$/;

/** First line of the first range of `source_lines` (`["9-17", "20"]` → 9). */
function firstLine(sourceLines: unknown): number | null {
  if (!Array.isArray(sourceLines) || typeof sourceLines[0] !== 'string') return null;
  const match = RANGE.exec(sourceLines[0]);
  return match ? Number(match[1]) : null;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * UTF-16 index of a 1-based code-point column of a line (the line's length past its end). Walks the
 * line only up to the column, where slicing the rest of it would walk and copy the whole line.
 */
function indexOfColumn(line: string, column: number): number {
  // Without a surrogate before the column, code points and UTF-16 units agree; a regex scans for one
  // faster than a loop in JavaScript.
  const before = line.slice(0, column - 1);
  if (!SURROGATE.test(before)) return before.length;
  let index = 0;
  for (let at = 1; at < column && index < line.length; at++) {
    const unit = line.charCodeAt(index);
    const step = unit >= 0xd800 && unit <= 0xdbff && (line.charCodeAt(index + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    index += step;
  }
  return index;
}

function firstCodePoints(text: string, count: number): string {
  return Array.from(text).slice(0, count).join('');
}

/**
 * `line.trim() === ''`. Most texts start with a character that cannot be white space (ASCII, CJK,
 * full-width forms), and that is known from one character code without calling `trim`.
 */
function isBlank(line: string): boolean {
  const first = line.charCodeAt(0);
  if ((first > 0x20 && first < 0xa0) || (first > 0x3000 && first !== 0xfeff)) return false;
  return line.trim() === '';
}

/**
 * Validate the records of a release: every row against its table's schema (one problem per ajv
 * error), then the domain rules (unique keys, article references, percentages in 0–100, non-empty
 * paragraphs, statistics at their stated position, no lost line), plus the sources' own errors and
 * the parser's warnings. Never throws on bad rows: everything wrong is a problem in the report.
 *
 * @example
 * const report = validateRelease({ tables, sources }, { lang: 'zh' });
 * report.problems[0];
 * // → { type: 'percent-out-of-range', key: 'a~1f2e3d4c-p2-n1', field: 'value',
 * //     message: '百分比 130% 不在 0–100 之间;请核对从“130%”读出的数值和单位。',
 * //     source: { file: 'data/sources/a.txt', line: 10, column: 17 }, … }
 */
export function validateRelease(
  input: ValidateReleaseInput,
  options: ValidateReleaseOptions = {},
): ValidationReport {
  const lang = options.lang ?? 'en';
  const validator = createValidator();
  const problems: Problem[] = [];
  const rowsWithErrors = new Map<TableName, Set<number>>(tableNames.map((t) => [t, new Set<number>()]));
  const rowsOf = (table: TableName): unknown[] => {
    const rows = (input.tables as Partial<Record<TableName, unknown>>)[table];
    return Array.isArray(rows) ? rows : [];
  };

  const sourcesById = new Map<string, SourceContext>();
  for (const source of input.sources)
    if (!sourcesById.has(source.source_id)) sourcesById.set(source.source_id, source);

  const articles = new Map<string, { source: SourceContext | undefined; line: number | null }>();
  for (const row of rowsOf('articles')) {
    if (!isRow(row) || typeof row.article_id !== 'string' || articles.has(row.article_id)) continue;
    const source = typeof row.source_id === 'string' ? sourcesById.get(row.source_id) : undefined;
    articles.set(row.article_id, { source, line: firstLine(row.source_lines) });
  }

  const sourceOfArticleId = (id: unknown): SourceContext | undefined => {
    if (typeof id !== 'string') return undefined;
    const known = articles.get(id);
    if (known?.source) return known.source;
    // Article ids start with their source id (`<source_id>~<hash>`), so a dangling row still has a file.
    const tilde = id.indexOf('~');
    return tilde > 0 ? sourcesById.get(id.slice(0, tilde)) : undefined;
  };

  const positionOf = (table: TableName, row: unknown): ProblemSource | null => {
    if (!isRow(row)) return null;
    const article = typeof row.article_id === 'string' ? articles.get(row.article_id) : undefined;
    let source: SourceContext | undefined;
    let line: number | null;
    let column: number | null = null;
    if (table === 'articles') {
      source =
        (typeof row.source_id === 'string' ? sourcesById.get(row.source_id) : undefined) ??
        sourceOfArticleId(row.article_id);
      line = firstLine(row.source_lines);
    } else {
      source = sourceOfArticleId(row.article_id);
      line = article?.line ?? null;
      if (table === 'paragraphs') line = firstLine(row.source_lines) ?? line;
      if (table === 'statistics' && positiveInteger(row.source_line) !== null) {
        line = positiveInteger(row.source_line);
        column = positiveInteger(row.source_column);
      }
    }
    if (!source) return null;
    if (line !== null && column === null) column = 1;
    return { file: source.file, line, column: line === null ? null : column };
  };

  const add = (table: TableName, index: number, row: unknown, problem: Omit<Problem, 'table' | 'source'>) => {
    problems.push({ ...problem, table, source: positionOf(table, row) });
    if (problem.severity === 'error') rowsWithErrors.get(table)!.add(index);
  };

  for (const table of tableNames) {
    const definition = tableDefinitions[table];
    const validate = validator.get(definition.schema);
    const rows = rowsOf(table);
    // keyOf of a one-column key is that column as a string: read without building a list of parts.
    const keyColumn = definition.key.length === 1 ? definition.key[0]! : null;
    // First index of each key; only keys seen twice get an array (a million rows, a million keys).
    const firstIndex = new Map<string, number>();
    const duplicates = new Map<string, number[]>();

    for (let index = 0; index < rows.length; index++) {
      const row = rows[index];
      const key = !isRow(row)
        ? null
        : keyColumn !== null
          ? String(row[keyColumn])
          : keyOf(table, row as unknown as TableRows[typeof table]);
      if (key !== null) {
        const first = firstIndex.get(key);
        if (first === undefined) firstIndex.set(key, index);
        else {
          const indexes = duplicates.get(key);
          if (indexes) indexes.push(index);
          else duplicates.set(key, [first, index]);
        }
      }

      const emptyText =
        table === 'paragraphs' && isRow(row) && typeof row.text === 'string' && isBlank(row.text);
      if (!validate(row)) {
        let errors = validate.errors ?? [];
        // An empty paragraph is reported once, by its own rule, not also as a schema minLength error.
        if (emptyText)
          errors = errors.filter((e) => !(e.instancePath === '/text' && e.keyword === 'minLength'));
        if (errors.length > 0) {
          const found = schemaProblems(errors, {
            schema: definition.schema,
            table,
            key,
            source: positionOf(table, row),
            lang,
            fieldDepth: 'column',
          });
          problems.push(...found);
          rowsWithErrors.get(table)!.add(index);
        }
      }
      if (!isRow(row)) continue;

      if (
        definition.articleReference &&
        typeof row.article_id === 'string' &&
        !articles.has(row.article_id)
      ) {
        add(table, index, row, {
          type: 'dangling-reference',
          severity: 'error',
          key,
          field: 'article_id',
          message: messages.danglingReference(lang, { table, articleId: row.article_id }),
        });
      }

      if (emptyText) {
        add(table, index, row, {
          type: 'empty-paragraph',
          severity: 'error',
          key,
          field: 'text',
          message: messages.emptyParagraph(lang, { articleId: String(row.article_id), seq: String(row.seq) }),
        });
      }

      if (table === 'statistics') checkStatistic(index, row, key);
    }

    for (const [key, indexes] of duplicates) {
      for (const index of indexes) {
        const row = rows[index];
        add(table, index, row, {
          type: 'duplicate-key',
          severity: 'error',
          key,
          field: definition.key.join(','),
          message: messages.duplicateKey(lang, { table, key, count: indexes.length }),
        });
      }
    }
  }

  function checkStatistic(index: number, row: Row, key: string | null): void {
    const { unit, value, text } = row;
    if ((unit === '%' || unit === '%') && typeof value === 'number' && (value < 0 || value > 100)) {
      add('statistics', index, row, {
        type: 'percent-out-of-range',
        severity: 'error',
        key,
        field: 'value',
        message: messages.percentOutOfRange(lang, { value, text: typeof text === 'string' ? text : '' }),
      });
    }

    const source = sourceOfArticleId(row.article_id);
    const lines = source?.lines;
    const line = positiveInteger(row.source_line);
    const column = positiveInteger(row.source_column);
    if (!lines || typeof text !== 'string' || text === '' || line === null || column === null) return;
    const file = source!.file;
    if (line > lines.length) {
      add('statistics', index, row, {
        type: 'statistic-text-mismatch',
        severity: 'error',
        key,
        field: 'source_line',
        message: messages.statisticLineMissing(lang, { text, file, line, lines: lines.length }),
      });
      return;
    }
    const lineText = lines[line - 1]!;
    const start = indexOfColumn(lineText, column);
    if (lineText.startsWith(text, start)) return;
    const rest = lineText.slice(start);
    // A quantity cut by a column break runs off the end of its line and goes on elsewhere on the page.
    if (rest !== '' && text.startsWith(rest)) return;
    add('statistics', index, row, {
      type: 'statistic-text-mismatch',
      severity: 'error',
      key,
      field: 'text',
      message: messages.statisticTextMismatch(lang, {
        text,
        file,
        line,
        column,
        found: firstCodePoints(rest, Array.from(text).length),
      }),
    });
  }

  for (const source of input.sources)
    problems.push(...sourceProblems(source, rowsOf('articles'), sourcesById, lang));

  return assembleReport(
    problems,
    Object.fromEntries(
      tableNames.map((table) => [
        table,
        { rows: rowsOf(table).length, errors: rowsWithErrors.get(table)!.size },
      ]),
    ),
    input.sources,
  );
}

/**
 * A report from problems found piece by piece (per table, per source, or per cached source in a
 * publish): problems in their one total order, counts by severity and type, sources by id.
 */
export function assembleReport(
  problems: Problem[],
  tables: ValidationReport['tables'],
  sources: readonly Pick<SourceContext, 'source_id' | 'sha256' | 'bytes' | 'encoding'>[],
): ValidationReport {
  const sorted = [...problems].sort(compareProblems);
  const errors = sorted.filter((problem) => problem.severity === 'error').length;
  const byType = new Map<string, number>();
  for (const problem of sorted) byType.set(problem.type, (byType.get(problem.type) ?? 0) + 1);
  return {
    valid: errors === 0,
    counts: {
      errors,
      warnings: sorted.length - errors,
      by_type: Object.fromEntries([...byType].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    },
    tables,
    sources: [...sources]
      .sort((a, b) => (a.source_id < b.source_id ? -1 : a.source_id > b.source_id ? 1 : 0))
      .map(({ source_id, sha256, bytes, encoding }) => ({ source_id, sha256, bytes, encoding })),
    problems: sorted,
  };
}

/** The source's own error, the parser's warnings and the line accounting of one source. */
function sourceProblems(
  source: SourceContext,
  articleRows: unknown[],
  sourcesById: Map<string, SourceContext>,
  lang: Lang,
): Problem[] {
  const found: Problem[] = [];
  const at = (line: unknown, column: unknown): ProblemSource => {
    const l = positiveInteger(line);
    return { file: source.file, line: l, column: l === null ? null : positiveInteger(column) };
  };
  const problem = (
    type: string,
    severity: Problem['severity'],
    message: string,
    where: ProblemSource,
  ): Problem => ({
    type,
    severity,
    table: null,
    key: null,
    field: null,
    message,
    source: where,
  });

  if (source.error) {
    const { code, message, line, column, offset } = source.error;
    const type = kebab(code);
    found.push(
      problem(
        type.startsWith('source-') ? type : `source-${type}`,
        'error',
        messages.sourceError(lang, { file: source.file, code, message, offset, line }),
        at(line, column),
      ),
    );
  }

  for (const warning of source.warnings ?? []) {
    found.push(
      problem(
        kebab(warning.code),
        'warning',
        messages.parseWarning(lang, { code: warning.code, message: warning.message, line: warning.line }),
        at(warning.line, warning.column),
      ),
    );
  }

  const accounting = source.accounting;
  if (!accounting) return found;
  const counted = accounting.inArticles + accounting.inNoise + accounting.inWarnings;
  if (counted > accounting.nonBlank) {
    found.push(
      problem(
        'lines-counted-twice',
        'error',
        messages.linesCountedTwice(lang, { counted, nonBlank: accounting.nonBlank }),
        at(null, null),
      ),
    );
  }
  if (counted >= accounting.nonBlank) return found;

  const lost = source.lines && source.noise ? lostLines(source, articleRows, sourcesById) : [];
  for (const line of lost)
    found.push(problem('lines-lost', 'error', messages.lineLost(lang, { line }), at(line, 1)));
  if (lost.length === 0) {
    found.push(
      problem(
        'lines-lost',
        'error',
        messages.linesLost(lang, {
          lost: accounting.nonBlank - counted,
          nonBlank: accounting.nonBlank,
          articles: accounting.inArticles,
          noise: accounting.inNoise,
          warnings: accounting.inWarnings,
        }),
        at(null, null),
      ),
    );
  }
  return found;
}

/** Non-blank lines of a source that no article, noise entry or warning covers. */
function lostLines(
  source: SourceContext,
  articleRows: unknown[],
  sourcesById: Map<string, SourceContext>,
): number[] {
  const lines = source.lines!;
  const covered = new Uint8Array(lines.length + 1);
  const cover = (line: number) => {
    if (Number.isInteger(line) && line >= 1 && line <= lines.length) covered[line] = 1;
  };
  for (const row of articleRows) {
    if (!isRow(row) || typeof row.source_id !== 'string' || sourcesById.get(row.source_id) !== source)
      continue;
    if (!Array.isArray(row.source_lines)) continue;
    for (const range of row.source_lines) {
      const match = typeof range === 'string' ? RANGE.exec(range) : null;
      if (!match) continue;
      const start = Number(match[1]);
      const end = Math.min(Number(match[2] ?? match[1]), lines.length);
      for (let line = start; line <= end; line++) covered[line] = 1;
    }
  }
  for (const entry of source.noise ?? []) cover(entry.line);
  for (const warning of source.warnings ?? []) cover(warning.line);
  const lost: number[] = [];
  for (let line = 1; line <= lines.length; line++)
    if (!covered[line] && !isBlank(lines[line - 1]!)) lost.push(line);
  return lost;
}
