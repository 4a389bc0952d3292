import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run } from './child.js';

/** A free TCP port on loopback (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A long-running child (a server), with the means to stop it and what it said. */
export interface Running {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Start a server process; `stop()` sends SIGTERM (SIGKILL after 3 s) to that process only. */
export function start(command: string, args: readonly string[], options: { cwd?: string } = {}): Running {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (data: Buffer) => (output = (output + data.toString()).slice(-16 * 1024));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(String(error))));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Poll `url` until it answers (any status) or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs = 15000, running?: Running): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running && running.child.exitCode !== null) return false;
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}

/**
 * Start nginx serving `root` on 127.0.0.1:`port`: one worker (the Node server is one process), sendfile,
 * etags on, no access log, every path of its own under `prefix`.
 */
export async function startNginx(root: string, port: number, prefix: string): Promise<Running> {
  await mkdir(prefix, { recursive: true });
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const conf = `${user}worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  etag on;
  keepalive_requests 1000000;
  types { text/csv csv; application/json json; application/x-ndjson ndjson; text/html html; }
  default_type application/octet-stream;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`;
  const file = join(prefix, 'nginx.conf');
  await writeFile(file, conf);
  return start('nginx', ['-e', join(prefix, 'error.log'), '-c', file, '-p', prefix]);
}

export interface WrkResult {
  requestsPerSecond: number;
  /** Bytes per second of responses (headers and bodies), as wrk counts them. */
  bytesPerSecond: number;
  /** Responses that were not 2xx or 3xx. */
  badResponses: number;
  socketErrors: number;
  raw: string;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Read wrk's summary: `Requests/sec:`, `Transfer/sec:` (binary units), non-2xx/3xx and socket errors. */
export function parseWrk(text: string): WrkResult {
  const requests = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const transfer = /Transfer\/sec:\s+([\d.]+)([KMGT]?B)/.exec(text);
  if (!requests || !transfer) throw new Error(`wrk printed no summary:\n${text}`);
  const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSecond: Number(requests[1]),
    bytesPerSecond: Number(transfer[1]) * (UNITS[transfer[2]!] ?? 1),
    badResponses: bad ? Number(bad[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    raw: text,
  };
}

/** One wrk run against `url`, bounded by `seconds`. */
export async function wrk(
  url: string,
  options: { seconds: number; connections: number; threads: number; headers?: Record<string, string> },
): Promise<WrkResult> {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const result = await run('wrk', args);
  if (result.code !== 0) throw new Error(`wrk exited with ${result.code}: ${result.stderr || result.stdout}`);
  return parseWrk(result.stdout);
}

/** Miller converting one NDJSON file to CSV (`mlr --ijsonl --ocsv cat`; Debian's Miller 6.6 has no `--inidjson`), output into `outFile`. */
export async function millerToCsv(inFile: string, outFile: string): Promise<number> {
  const result = await run('mlr', ['--ijsonl', '--ocsv', 'cat', inFile], { stdoutFile: outFile });
  if (result.code !== 0) throw new Error(`mlr exited with ${result.code}: ${result.stderr}`);
  return result.seconds;
}
