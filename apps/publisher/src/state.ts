import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SchedulerState } from '@newsdata/contract';
import { runtimeError } from '@newsdata/errors';
import { validateSchema } from '@newsdata/validate';

export type { SchedulerState };

/** `<out>/state.json`. */
export function statePath(out: string): string {
  return join(out, 'state.json');
}

/** The state of a scheduler that never ran. */
export function emptyState(): SchedulerState {
  return { last_run: null, last_success: null, last_error: null, current_release: null, source_hashes: {} };
}

/**
 * Read `<out>/state.json`; a missing file is a fresh start. A file that does not match
 * `schemas/state.schema.json` is reported (it would make the scheduler lie about what it missed).
 */
export async function readState(out: string): Promise<SchedulerState | null> {
  const file = statePath(out);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw runtimeError('STATE_NOT_JSON', `${file} is not JSON; delete it to start afresh.`, {
      file,
      cause: error,
    });
  }
  const problems = validateSchema('state', value);
  if (problems.length > 0) {
    throw runtimeError(
      'STATE_INVALID',
      `${file} does not match schemas/state.schema.json (${problems.map((p) => p.message).join('; ')}); delete it to start afresh.`,
      { file },
    );
  }
  return value as SchedulerState;
}

/** Write `<out>/state.json` atomically: a temporary file in the same directory, fsync, rename. */
export async function writeState(out: string, state: SchedulerState): Promise<void> {
  const file = statePath(out);
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
