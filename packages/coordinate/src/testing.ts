import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test support, exported as `@newsdata/coordinate/testing` so that this package's tests and the
// end-to-end tests of the app start Redis the same way. Not used by the coordinator itself.

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
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
