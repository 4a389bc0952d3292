import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Finished, runCli } from '../helpers.js';

/** Directory of the reliability helpers (preload modules live here). */
export const here = resolve(fileURLToPath(new URL('.', import.meta.url)));

/** Run `cli publish` on `sources` into `out` with quiet logs. */
export function publishCli(
  sources: string[],
  out: string,
  options: { env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<Finished> {
  return runCli(
    ['publish', ...sources.flatMap((source) => ['--source', source]), '--out', out, ...(options.args ?? [])],
    {
      env: { LOG_LEVEL: 'warn', ...options.env },
    },
  );
}

/** What a CLI run said, for assertion messages. */
export function story(run: Finished): string {
  return `exit ${run.code} signal ${run.signal}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

export interface ReportProblem {
  type: string;
  severity: 'error' | 'warning';
  message: string;
  source: { file: string | null; line: number | null; column: number | null } | null;
}

/** `<out>/reports/latest-invalid.json`, written when a publish is blocked. */
export async function invalidReport(out: string): Promise<{ valid: boolean; problems: ReportProblem[] }> {
  return JSON.parse(await readFile(join(out, 'reports', 'latest-invalid.json'), 'utf8'));
}

/** `node --import <file>` for a preload module of this directory, as NODE_OPTIONS. */
export function preload(name: string): string {
  return `--import=${join(here, name)}`;
}
