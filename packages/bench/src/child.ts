import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { secondsSince } from './stats.js';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
  /** Peak RSS in KiB, for Node children started with `node()`; undefined otherwise. */
  maxRssKiB?: number;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Send standard output to this file instead of collecting it. */
  stdoutFile?: string;
}

const probe = pathToFileURL(fileURLToPath(new URL('./rss-probe.js', import.meta.url))).href;
let probeCount = 0;

const TAIL = 64 * 1024;

/** Run a command to its end, timing it. Output is kept up to its last 64 KiB. */
export function run(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', options.stdoutFile ? 'pipe' : 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const sink = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    if (sink) child.stdout.pipe(sink);
    else child.stdout.on('data', (data: Buffer) => (stdout = (stdout + data.toString()).slice(-TAIL)));
    child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-TAIL)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = secondsSince(start);
      const done = () => resolve({ code, signal, seconds, stdout, stderr });
      if (sink && !sink.closed) sink.on('close', done);
      else done();
    });
  });
}

/** Run a Node script in a child process with the current Node, reporting its peak RSS. */
export async function runNode(
  script: string,
  args: readonly string[],
  options: ChildOptions & { nodeFlags?: readonly string[] } = {},
): Promise<ChildResult> {
  const rssFile = join(tmpdir(), `newsdata-bench-rss-${process.pid}-${probeCount++}`);
  const env = { ...(options.env ?? process.env), NEWSDATA_BENCH_RSS_FILE: rssFile };
  const result = await run(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', probe, script, ...args],
    {
      ...options,
      env,
    },
  );
  const rss = await readFile(rssFile, 'utf8').catch(() => undefined);
  await rm(rssFile, { force: true });
  return rss === undefined ? result : { ...result, maxRssKiB: Number(rss) };
}

/** Whether a command is on the PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  const result = await run('sh', ['-c', `command -v ${name}`]).catch(() => undefined);
  return result?.code === 0;
}

/** The last lines of a child's error output, for a one-line "failed" note. */
export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 200);
}
