import type { Machine } from './machine.js';
import type { ProfileEntry } from './profile.js';
import type { Summary } from './stats.js';

/** A target from the issue, and whether the figure meets it. */
export interface Target {
  /** As printed: `≥ 15 MB/s`. */
  text: string;
  pass: boolean;
}

/** One line of the results table. */
export interface ResultRow {
  section: string;
  measure: string;
  /** The figure, or a sentence saying why there is none (`not available: …`). */
  value: Summary | number | string;
  unit: string;
  target?: Target;
  note?: string;
}

/** Rows grouped by section, sections in the order they first appear, rows in their order within each. */
export function groupBySection(rows: readonly ResultRow[]): ResultRow[] {
  const sections = [...new Set(rows.map((row) => row.section))];
  return sections.flatMap((section) => rows.filter((row) => row.section === section));
}

/** Three significant digits, without exponent notation for everyday sizes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function valueText(row: ResultRow): { value: string; spread: string } {
  if (typeof row.value === 'string') return { value: row.value, spread: '' };
  if (typeof row.value === 'number')
    return { value: `${formatNumber(row.value)} ${row.unit}`.trim(), spread: '' };
  const { median, min, max, values } = row.value;
  const spread = values.length > 1 ? `${formatNumber(min)}–${formatNumber(max)} (n=${values.length})` : 'n=1';
  return { value: `${formatNumber(median)} ${row.unit}`.trim(), spread };
}

function targetText(target: Target | undefined): string {
  if (!target) return '';
  return `${target.text} ${target.pass ? 'pass' : 'SHORT'}`;
}

/** The table as aligned plain text, for the terminal. */
export function formatTable(rows: readonly ResultRow[]): string {
  const lines: string[][] = [['measure', 'median', 'spread (min–max)', 'target', 'note']];
  let section = '';
  const sectionRows = new Set<number>();
  for (const row of groupBySection(rows)) {
    if (row.section !== section) {
      section = row.section;
      sectionRows.add(lines.length);
      lines.push([`[${section}]`, '', '', '', '']);
    }
    const { value, spread } = valueText(row);
    lines.push([`  ${row.measure}`, value, spread, targetText(row.target), row.note ?? '']);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...lines.map((line) => [...line[i]!].length)));
  return lines
    .map((line, index) =>
      sectionRows.has(index)
        ? line[0]!
        : line
            .map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell))
            .join('  ')
            .trimEnd(),
    )
    .join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** BENCHMARKS.md: how to run it, the machine, the table, the notes and (if any) the profile's top entries. */
export function formatMarkdown(input: {
  rows: readonly ResultRow[];
  machine: Machine;
  command: string;
  corpus: string;
  seconds: number;
  /** Load averages at the end of the run. */
  loadAfter?: readonly number[];
  notes: readonly string[];
  profile?: { command: string; entries: readonly ProfileEntry[]; packages?: readonly ProfileEntry[] };
}): string {
  const { machine } = input;
  const out: string[] = [
    '# Benchmarks',
    '',
    'Written by `pnpm bench` (`packages/bench`); do not edit by hand. Each figure is the median of several runs,',
    'with the spread (min–max) and the number of runs. MB = 10^6 bytes; MB/s of source text counts the bytes of',
    'the page files as stored (UTF-8 or GB18030). Targets are from issue 8; a target that is not met is marked',
    '**SHORT**. No figure here is asserted by a test.',
    '',
    '## How it was run',
    '',
    '```sh',
    input.command,
    '```',
    '',
    `- Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB memory, ${machine.platform}`,
    `- Node ${machine.node}, measured on ${machine.date}, the whole run took ${Math.round(input.seconds)} s`,
    `- Load average (1, 5, 15 min) before the run: ${machine.load.join(', ')}; after it: ${(input.loadAfter ?? []).join(', ')}`,
    `- Corpus: ${input.corpus}`,
    '',
    '## Results',
    '',
    '| measure | median | spread (min–max) | target | note |',
    '|---|---:|---|---|---|',
  ];
  let section = '';
  for (const row of groupBySection(input.rows)) {
    if (row.section !== section) {
      section = row.section;
      out.push(`| **${cell(section)}** | | | | |`);
    }
    const { value, spread } = valueText(row);
    const target = row.target ? `${row.target.text} ${row.target.pass ? 'pass' : '**SHORT**'}` : '';
    out.push(
      `| ${cell(row.measure)} | ${cell(value)} | ${cell(spread)} | ${cell(target)} | ${cell(row.note ?? '')} |`,
    );
  }
  if (input.notes.length > 0) {
    out.push('', '## Notes', '');
    for (const note of input.notes) out.push(`- ${note}`);
  }
  if (input.profile) {
    out.push(
      '',
      '## CPU profile of a full publish (self time, all threads added up)',
      '',
      '```sh',
      input.profile.command,
      '```',
      '',
    );
    if (input.profile.packages) {
      out.push('| self ms | % | package |', '|---:|---:|---|');
      for (const entry of input.profile.packages) {
        out.push(`| ${entry.selfMs.toFixed(0)} | ${entry.percent.toFixed(1)} | ${cell(entry.name)} |`);
      }
      out.push('');
    }
    out.push('| self ms | % | function (file:line of the built JavaScript) |', '|---:|---:|---|');
    for (const entry of input.profile.entries) {
      out.push(`| ${entry.selfMs.toFixed(0)} | ${entry.percent.toFixed(1)} | ${cell(entry.name)} |`);
    }
  }
  out.push('');
  return out.join('\n');
}
