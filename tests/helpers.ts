import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
/** The built CLI (`pnpm --filter @newsdata/publisher build` makes it; `pnpm test` builds first). */
export const cli = join(root, 'apps', 'publisher', 'dist', 'cli.js');

/** A temporary workspace with a copy of `data/sources` and an empty place for the release store. */
export interface Workspace {
  dir: string;
  sources: string;
  out: string;
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'newsdata-e2e-'));
  const sources = join(dir, 'sources');
  await cp(join(root, 'data', 'sources'), sources, { recursive: true });
  return { dir, sources, out: join(dir, 'public'), remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
  const child = startCli(args, options);
  return child.exited;
}

/** A running CLI process, its output so far, and a way to stop it. */
export interface Running {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<Finished>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<Finished>;
}

export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Running {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: options.cwd ?? root,
    // INIT_CWD from an outer pnpm would redirect relative paths: the test decides.
    env: { ...process.env, INIT_CWD: options.cwd ?? root, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Finished>((done) => {
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Poll `probe` until it returns something other than undefined/false, or fail after `timeoutMs` with
 * the last error or value, and `context()` for the story of what the process said.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  throw new Error(
    `Timed out waiting for ${options.what ?? 'a condition'}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}\n${options.context?.() ?? ''}`,
  );
}

/** GET a URL and return status and text; never throws on HTTP errors. */
export async function get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** GET JSON. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const { status, text } = await get(url);
  if (status >= 500 && status !== 503) throw new Error(`${url} answered ${status}`);
  return JSON.parse(text) as T;
}

export { type RedisReply, startRedis, type TestRedis } from '@newsdata/coordinate/testing';
