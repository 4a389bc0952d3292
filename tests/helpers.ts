import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
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

/** A private `redis-server` on a free loopback port, with no persistence, in a temporary directory. */
export interface TestRedis {
  port: number;
  url: string;
  /** Send one command and return its reply (a string, a number, null, or an array of those). */
  command(...args: Array<string | number>): Promise<RedisReply>;
  /** Stop the server (SIGTERM) and wait until it has exited. */
  stop(): Promise<void>;
  /** Start it again on the same port, with an empty data set. */
  start(): Promise<void>;
  /** Stop it and remove its directory (safe to call twice). */
  dispose(): Promise<void>;
}

export type RedisReply = string | number | null | RedisReply[];

/**
 * Start `redis-server` (the Debian package; `$REDIS_SERVER` overrides the binary) with
 * `--save '' --appendonly no`, and wait until it accepts connections.
 */
export async function startRedis(): Promise<TestRedis> {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const dir = await mkdtemp(join(tmpdir(), 'newsdata-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    await new Promise<void>((ready, fail) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          proc.stdout?.off('data', onData);
          proc.stdout?.resume();
          ready();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.resume();
      proc.once('error', (error) =>
        fail(
          new Error(`Could not start ${binary} (${error.message}); install it: apt-get install redis-server`),
        ),
      );
      proc.once('exit', (code) =>
        fail(new Error(`${binary} exited with ${code} before it was ready:\n${output}`)),
      );
    });
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((done) => {
      proc.once('exit', () => done());
      proc.kill('SIGTERM');
    });
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (...args) => redisCommand(port, args),
    stop,
    start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One RESP command over a fresh loopback connection (enough for a test to peek at keys). */
function redisCommand(port: number, args: Array<string | number>): Promise<RedisReply> {
  const request = `*${args.length}\r\n${args
    .map((arg) => `$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`)
    .join('')}`;
  return new Promise((resolveReply, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    socket.setTimeout(2_000, () => socket.destroy(new Error('Redis did not answer within 2 s')));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseReply(buffer, 0);
      if (parsed === undefined) return;
      socket.end();
      if (parsed.value instanceof Error) reject(parsed.value);
      else resolveReply(parsed.value);
    });
    socket.write(request);
  });
}

/** Parse one RESP reply at `at`, or undefined when it is not complete yet. */
function parseReply(buffer: Buffer, at: number): { value: RedisReply | Error; end: number } | undefined {
  const eol = buffer.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buffer[at] ?? 0);
  const line = buffer.toString('utf8', at + 1, eol);
  switch (type) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new Error(line), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: eol + 2 };
      if (buffer.length < eol + 2 + length + 2) return undefined;
      return { value: buffer.toString('utf8', eol + 2, eol + 2 + length), end: eol + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: eol + 2 };
      const items: RedisReply[] = [];
      let end = eol + 2;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (item === undefined) return undefined;
        if (item.value instanceof Error) return item;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      return { value: new Error(`unexpected Redis reply ${JSON.stringify(line)}`), end: eol + 2 };
  }
}
