import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A local HTTP origin whose behaviour a test switches between requests. */
export interface Origin {
  url(path?: string): string;
  /** Replace the request handler. */
  handle(handler: (request: IncomingMessage, response: ServerResponse) => void): void;
  /** Requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Start an origin on 127.0.0.1 and a free port. */
export async function startOrigin(): Promise<Origin> {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_q, r) => r.end();
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    requests++;
    handler(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: (path = '/page.txt') => `http://127.0.0.1:${port}${path}`,
    handle(next) {
      handler = next;
    },
    get requests() {
      return requests;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
