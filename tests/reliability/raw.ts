import { connect, type Socket } from 'node:net';

/** A response read off a raw socket, or how the connection ended without one. */
export interface RawResponse {
  status: number | null;
  headers: [string, string][];
  body: Buffer;
  /** Everything the server sent. */
  raw: Buffer;
  /** The socket was closed (or reset) by the server. */
  closed: boolean;
}

/** Requests sent by this module and by {@link countRequest}, for the closing note. */
export const requestCount = { value: 0 };
export function countRequest(n = 1): void {
  requestCount.value += n;
}

/**
 * Send `request` exactly as given (no normalisation of `..`, percent-escapes or bytes, unlike fetch)
 * on a fresh connection and read until the server closes it or `timeoutMs` passes. The request
 * should carry `Connection: close`.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  countRequest();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(parts), closed));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk) => parts.push(chunk));
    socket.on('error', () => {
      closed = true;
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(request);
  });
}

/** The request line and headers of a GET, with `Connection: close`. */
export function getRequest(target: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    'Accept-Encoding: identity',
  ];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function parse(raw: Buffer, closed: boolean): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: null, headers: [], body: Buffer.alloc(0), raw, closed };
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? Number.NaN);
  const headers = head.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  let body = raw.subarray(end + 4);
  if (headers.some(([name, value]) => name === 'transfer-encoding' && /chunked/i.test(value)))
    body = dechunk(body);
  return { status: Number.isNaN(status) ? null : status, headers, body, raw, closed };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = data.indexOf('\r\n', at);
    if (line < 0) break;
    const size = Number.parseInt(data.subarray(at, line).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A header's values (a header may be repeated). */
export function headerValues(response: RawResponse, name: string): string[] {
  return response.headers.filter(([key]) => key === name.toLowerCase()).map(([, value]) => value);
}

/** Open a connection and keep it (for slow clients); resolves once connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}
