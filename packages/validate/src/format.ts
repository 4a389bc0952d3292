import type { ValidationReport } from '@newsdata/contract';
import { ExitCode } from '@newsdata/errors';
import { zh } from './messages.js';
import { type Lang, locationOf, type Problem } from './problem.js';

export interface FormatOptions {
  lang?: Lang;
  /** ANSI colours (errors red, warnings yellow); off by default, for files and pipes. */
  color?: boolean;
}

const labels = {
  en: {
    valid: 'valid',
    invalid: 'INVALID',
    errors: (n: number) => `${n} error${n === 1 ? '' : 's'}`,
    warnings: (n: number) => `${n} warning${n === 1 ? '' : 's'}`,
    byType: 'by type',
    rows: 'rows',
    withErrors: (n: number) => `${n} with errors`,
    sources: 'sources',
    undecodable: 'not decoded',
    bytes: 'bytes',
    error: 'error',
    warning: 'warning',
    none: 'No problems found.',
  },
  zh: {
    valid: '有效',
    invalid: '无效',
    errors: (n: number) => `${n} 个错误`,
    warnings: (n: number) => `${n} 个警告`,
    byType: '按类型',
    rows: '行数',
    withErrors: (n: number) => `${n} 行有错误`,
    sources: '来源',
    undecodable: '未能解码',
    bytes: '字节',
    error: '错误',
    warning: '警告',
    none: '没有发现问题。',
  },
} as const;

/**
 * The report for a terminal: counts first (errors, warnings, problems per type, rows per table, the
 * sources), then the problems grouped by type, each line starting with `file:line:column` so that an
 * editor or terminal can jump to it.
 *
 * @example
 * formatReport(report, { lang: 'zh' });
 * // 校验结果:无效,1 个错误,0 个警告
 * // …
 * // percent-out-of-range (1)
 * //   data/sources/a.txt:10:17  错误  statistics a~1f2e3d4c-p2-n1 value  百分比 130% 不在 0–100 之间;…
 */
export function formatReport(report: ValidationReport, options: FormatOptions = {}): string {
  const lang = options.lang ?? 'en';
  const l = labels[lang];
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const severityText = (problem: Problem) =>
    problem.severity === 'error' ? paint('31', l.error) : paint('33', l.warning);
  const colon = lang === 'zh' ? zh`:` : ': ';
  const open = lang === 'zh' ? zh`(` : ' (';
  const close = lang === 'zh' ? zh`)` : ')';
  const sep = lang === 'zh' ? zh`,` : ', ';

  const out: string[] = [];
  const verdict = report.valid ? paint('32', l.valid) : paint('31;1', l.invalid);
  out.push(
    `${lang === 'zh' ? zh`校验结果:` : 'Validation: '}${verdict}${sep}${l.errors(report.counts.errors)}${sep}${l.warnings(report.counts.warnings)}`,
  );
  const types = Object.entries(report.counts.by_type);
  if (types.length > 0)
    out.push(`  ${l.byType}${colon}${types.map(([type, n]) => `${type} ${n}`).join(sep)}`);
  const tableEntries = Object.entries(report.tables).map(([name, counts]) => {
    const rows = counts?.rows ?? 0;
    const errors = counts?.errors ?? 0;
    return errors > 0 ? `${name} ${rows}${open}${l.withErrors(errors)}${close}` : `${name} ${rows}`;
  });
  out.push(`  ${l.rows}${colon}${tableEntries.join(sep)}`);
  if (report.sources.length > 0) {
    const sources = report.sources.map(
      (s) =>
        `${s.source_id}${lang === 'zh' ? zh`(` : ' ('}${s.encoding ?? l.undecodable}${sep}${s.bytes} ${l.bytes}${lang === 'zh' ? zh`)` : ')'}`,
    );
    out.push(`  ${l.sources}${colon}${sources.join(sep)}`);
  }

  if (report.problems.length === 0) {
    out.push('', l.none);
    return `${out.join('\n')}\n`;
  }

  const groups = new Map<string, Problem[]>();
  for (const problem of report.problems) {
    const group = groups.get(problem.type);
    if (group) group.push(problem);
    else groups.set(problem.type, [problem]);
  }
  for (const [type, problems] of groups) {
    out.push('', paint('1', `${type} (${problems.length})`));
    for (const problem of problems) {
      const record = [problem.table, problem.key, problem.field].filter((part) => part !== null).join(' ');
      out.push(
        `  ${locationOf(problem)}  ${severityText(problem)}  ${record ? `${record}  ` : ''}${problem.message}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

export interface ExitCodeOptions {
  /** `warning`: warnings alone fail the command with exit code 1 (`--fail-on warning`). */
  failOn?: 'error' | 'warning';
}

/**
 * The exit code a command ends with for a report (DESIGN §6): 0 valid, 1 only warnings when failing
 * on warnings, 2 invalid data.
 */
export function exitCodeForReport(report: ValidationReport, options: ExitCodeOptions = {}): 0 | 1 | 2 {
  if (report.counts.errors > 0) return ExitCode.invalidData;
  if (report.counts.warnings > 0 && options.failOn === 'warning') return ExitCode.warnings;
  return ExitCode.ok;
}
