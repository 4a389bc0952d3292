import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import send from 'send';
import { gatherCatalog, renderCatalog, renderFeed } from './catalog.js';
import {
  acceptsGzip,
  contentDisposition,
  contentTypeOf,
  downloadName,
  noneMatch,
  safeSegments,
} from './download.js';
import { readState, type SchedulerState } from './state.js';
import { ReleaseStore, type ServableFile } from './store.js';

/** What `/healthz` reports. */
export interface Health {
  status: 'ok' | 'degraded' | 'error';
  current_release: string | null;
  last_run: string | null;
  last_success: string | null;
  next_run: string | null;
  last_error: SchedulerState['last_error'];
}

export interface ServerOptions {
  /** The release store directory (absolute). */
  out: string;
  /** Title of the data set and prefix of download names (e.g. 大连日报). */
  publication?: string | undefined;
  logger?: Logger;
  /** When the scheduler runs in the same process: its next run. */
  nextRun?: () => Date | null;
  /**
   * With Redis: this replica's part of `/healthz` (lease, last run of any replica). When it says
   * `redis.up: false`, the status is `degraded`.
   */
  replica?: () => Promise<unknown>;
}

export interface ListenOptions extends ServerOptions {
  port: number;
  host: string;
}

/** Health from the current release and `<out>/state.json` (written by the scheduler). */
async function health(store: ReleaseStore, nextRun: (() => Date | null) | undefined): Promise<Health> {
  const current = await store.currentId({ fresh: true });
  let state: SchedulerState | null = null;
  let stateError: SchedulerState['last_error'] = null;
  try {
    state = await readState(store.out);
  } catch (error) {
    stateError = {
      time: new Date().toISOString(),
      code: (error as { code?: string }).code ?? 'STATE_UNREADABLE',
      message: (error as Error).message,
    };
  }
  const lastError = stateError ?? state?.last_error ?? null;
  const lastSuccess = state?.last_success ?? null;
  const failing = lastError !== null && (lastSuccess === null || lastError.time >= lastSuccess);
  return {
    status: current === null ? 'error' : failing ? 'degraded' : 'ok',
    current_release: current,
    last_run: state?.last_run ?? null,
    last_success: lastSuccess,
    next_run: nextRun?.()?.toISOString() ?? null,
    last_error: lastError,
  };
}

/** Whether a replica's health (as `ReplicaStatus.snapshot()` gives it) says Redis is unreachable. */
function redisIsDown(replica: unknown): boolean {
  const redis = (replica as { redis?: { up?: unknown } } | null)?.redis;
  return redis !== undefined && redis.up === false;
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('text/plain; charset=utf-8')
    .header('Cache-Control', 'no-cache')
    .send('Not found: only the files listed in a release manifest are served.\n');
}

/** Bytes read from disk at a time for a whole-file download. */
const DOWNLOAD_CHUNK = 512 * 1024;

/**
 * Send a whole file through two reused buffers: the next block is read while the last one is being
 * written, and a buffer is filled again only once the socket has taken it. A read stream allocates a
 * fresh block per read, and at gigabytes a second the garbage collector was a tenth of the server's
 * time. Closes the file whatever happens; a client that goes away ends the loop.
 */
async function streamFile(handle: FileHandle, size: number, res: ServerResponse): Promise<void> {
  const buffers = [Buffer.allocUnsafe(DOWNLOAD_CHUNK), Buffer.allocUnsafe(DOWNLOAD_CHUNK)];
  let gone = false;
  // A destroyed response may never call back its writes: waiting on a write also ends at 'close'.
  const closed = new Promise<void>((resolve) =>
    res.once('close', () => {
      gone = true;
      resolve();
    }),
  );
  const taken: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  try {
    let position = 0;
    for (let turn = 0; position < size && !gone; turn = 1 - turn) {
      await Promise.race([taken[turn], closed]);
      if (gone) break;
      const buffer = buffers[turn]!;
      const want = Math.min(DOWNLOAD_CHUNK, size - position);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      taken[turn] = new Promise<void>((resolve) => res.write(buffer.subarray(0, bytesRead), () => resolve()));
    }
    await Promise.race([Promise.all(taken), closed]);
    if (gone) return;
    // A file that became shorter while it was sent cannot meet its Content-Length: cut the connection.
    if (position < size) res.destroy();
    else res.end();
  } catch {
    res.destroy();
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A request that takes longer than this (a large download, a slow client) is logged at info level. */
const SLOW_REQUEST_MS = 1000;

/**
 * Request logging for a download server: a line per request would cost more than answering a
 * revalidation (two JSON lines against one 304), so routine requests are logged at debug level only.
 * Errors and 5xx answers are still logged at error level, and requests that took over a second at info.
 */
class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const responseTime = reply.elapsedTime;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime }, 'request errored');
    } else if (reply.statusCode >= 500) {
      reply.log.error({ req: request, res: reply, responseTime }, 'request failed');
    } else if (responseTime >= SLOW_REQUEST_MS) {
      reply.log.info({ req: request, res: reply, responseTime }, 'slow request');
    } else {
      reply.log.debug({ res: reply, responseTime }, 'request completed');
    }
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'route not found');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ req: request, res: reply, err: error }, error?.message);
    else reply.log.debug({ res: reply, err: error }, error?.message);
  }
}

/** What a download URL asks for: a release (`id`) or the current one (`id: null`), and a file of it. */
interface DownloadTarget {
  id: string | null;
  path: string;
}

/**
 * Read `/current/<file>` or `/releases/<id>/<file>` from the raw request URL (query dropped), or
 * null when the URL is neither or any segment is unsafe (see `safeSegments`).
 */
function downloadTarget(url: string): DownloadTarget | null {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path.startsWith('/current/')) {
    const segments = safeSegments(path.slice('/current/'.length));
    return segments ? { id: null, path: segments.join('/') } : null;
  }
  if (path.startsWith('/releases/')) {
    const segments = safeSegments(path.slice('/releases/'.length));
    if (!segments || segments.length < 2) return null;
    return { id: segments[0] as string, path: segments.slice(1).join('/') };
  }
  return null;
}

/** The headers of one file of one release, built once: releases never change. */
interface Prepared {
  /** The strong tag as sent (`"<sha256>"`): an `If-None-Match` equal to it needs no parsing. */
  etag: string;
  sha256: string;
  headers: Record<string, string>;
  /** The headers of a 304, as the flat name/value list `writeHead` takes. */
  notModified: string[];
}

/**
 * Build the download server (not listening yet): `/`, `/feed.xml`, `/healthz`, `/current/<file>` and
 * `/releases/<id>/<file>`. Only files listed in a release's manifest.json (and manifest.json itself)
 * are served, after their real path is checked to lie inside `<out>/releases/<id>/` (once per file of
 * a release: releases never change); anything else is a 404. Multiple byte ranges in one request get
 * the whole file (200), as `send` does.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const store = new ReleaseStore(options.out);
  // Revalidations are answered before fastify sees them (see `revalidate` below); the rest goes on.
  let revalidate: (request: IncomingMessage, response: ServerResponse) => boolean = () => false;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new RequestLog(),
    bodyLimit: 1_024,
    serverFactory: (handler) => {
      const server = createHttpServer({ maxHeaderSize: 16 * 1024 }, (request, response) => {
        if (!revalidate(request, response)) handler(request, response);
      });
      // Against slow clients holding connections open (slowloris) and oversized requests.
      server.setTimeout(60_000);
      server.keepAliveTimeout = 5_000;
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
      server.maxRequestsPerSocket = 1_000;
      return server;
    },
    frameworkErrors: (error, _request, raw) => {
      const reply = raw as unknown as FastifyReply;
      // A malformed URL (bad percent-encoding) is a path that does not exist, not a server fault.
      if (error.code === 'FST_ERR_BAD_URL') return notFound(reply);
      return reply.code(400).type('text/plain; charset=utf-8').send(`${error.message}\n`);
    },
  }) as unknown as FastifyInstance;
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => store.close());

  await app.register(compress, {
    global: true,
    encodings: ['gzip'],
    threshold: 512,
    customTypes: /^(text\/|application\/(json|x-ndjson|atom\+xml))/,
  });

  app.setNotFoundHandler((_request, reply) => notFound(reply));

  let cached: { key: string; html: string; feed: string } | undefined;
  const pages = async () => {
    const key = `${await store.currentId({ fresh: true })}|${(await store.releaseIds()).join(',')}`;
    if (cached?.key !== key) {
      const data = await gatherCatalog(store, options.publication);
      cached = { key, html: renderCatalog(data), feed: renderFeed(data) };
    }
    return cached;
  };

  app.get('/', async (_request, reply) => {
    const { html } = await pages();
    return reply
      .type('text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(html);
  });

  app.get('/feed.xml', async (_request, reply) => {
    const { feed } = await pages();
    return reply.type('application/atom+xml; charset=utf-8').header('Cache-Control', 'no-cache').send(feed);
  });

  app.get('/healthz', async (_request, reply) => {
    const body: Health & { replica?: unknown } = await health(store, options.nextRun);
    if (options.replica) {
      body.replica = await options.replica();
      // Downloads still work, but this replica cannot publish: degraded, not an error (still 200).
      if (body.status === 'ok' && redisIsDown(body.replica)) body.status = 'degraded';
    }
    return reply
      .code(body.status === 'error' ? 503 : 200)
      .header('Cache-Control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(body);
  });

  // Keyed by the manifest entry, so they go when the store forgets the release.
  const preparedFor = {
    releases: new WeakMap<ServableFile, Prepared>(),
    current: new WeakMap<ServableFile, Prepared>(),
  };
  const prepare = (entry: ServableFile, id: string, immutable: boolean): Prepared => {
    const map = immutable ? preparedFor.releases : preparedFor.current;
    const known = map.get(entry);
    if (known) return known;
    const etag = `"${entry.sha256}"`;
    const cacheControl = immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=60';
    const prepared: Prepared = {
      etag,
      sha256: entry.sha256,
      headers: {
        ETag: etag,
        'Content-Type': contentTypeOf(entry.path),
        'Content-Disposition': contentDisposition(downloadName(options.publication, entry.path, id)),
        'Cache-Control': cacheControl,
        'X-Content-Type-Options': 'nosniff',
        'Accept-Ranges': 'bytes',
        Vary: 'Accept-Encoding',
      },
      notModified: ['ETag', etag, 'Cache-Control', cacheControl, 'Vary', 'Accept-Encoding'],
    };
    map.set(entry, prepared);
    return prepared;
  };

  /** A 304 for a matching `If-None-Match`, from the manifest alone: nothing is read from disk. */
  const notModified = (
    ifNoneMatch: string | undefined,
    prepared: Prepared,
    response: ServerResponse,
  ): boolean => {
    if (ifNoneMatch === undefined) return false;
    if (ifNoneMatch !== prepared.etag && !noneMatch(ifNoneMatch, prepared.sha256)) return false;
    response.writeHead(304, prepared.notModified);
    response.end();
    return true;
  };

  revalidate = (request, response) => {
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch === undefined || closing) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const target = downloadTarget(request.url ?? '');
    if (!target) return false;
    // Only what is already cached: a release or `current` not looked up yet takes the long way.
    const id = target.id ?? store.knownCurrentId();
    if (!id) return false;
    const entry = store.knownFile(id, target.path);
    return entry !== undefined && notModified(ifNoneMatch, prepare(entry, id, target.id !== null), response);
  };

  const serveFile = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = downloadTarget(request.raw.url ?? '');
    if (!target) return notFound(reply);
    const immutable = target.id !== null;
    const id = target.id ?? (await store.currentId());
    if (id === null) return notFound(reply);
    const { path } = target;
    const entry = await store.file(id, path);
    if (!entry) return notFound(reply);
    const prepared = prepare(entry, id, immutable);
    if (notModified(request.headers['if-none-match'], prepared, reply.raw)) {
      reply.hijack();
      return reply;
    }
    const real = await store.resolve(id, path);
    if (!real) return notFound(reply);
    const { etag, headers } = prepared;

    if (
      request.method === 'GET' &&
      request.headers.range === undefined &&
      acceptsGzip(request.headers['accept-encoding'])
    ) {
      // A gzip body is another representation of the same file: its tag is weak (RFC 9110 §8.8.1).
      return reply
        .headers({ ...headers, ETag: `W/${etag}`, 'Content-Encoding': 'gzip' })
        .send(createReadStream(real).pipe(createGzip()));
    }

    const plainRequest =
      request.headers.range === undefined &&
      request.headers['if-match'] === undefined &&
      request.headers['if-unmodified-since'] === undefined;
    if (plainRequest) {
      // The whole file, read in larger chunks than `send` uses (64 KiB): fewer reads and writes per
      // megabyte. Size and bytes come from one open file, so they agree.
      const handle = await open(real, 'r').catch(() => null);
      if (!handle) return notFound(reply);
      let size: number;
      try {
        size = (await handle.stat()).size;
      } catch {
        await handle.close();
        return notFound(reply);
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { ...headers, 'Content-Length': String(size) });
      if (request.method === 'HEAD' || size === 0) {
        await handle.close();
        res.end();
        return reply;
      }
      void streamFile(handle, size, res);
      return reply;
    }

    // Ranges and preconditions (If-Match, If-Unmodified-Since): `send` knows their rules.
    reply.hijack();
    const res = reply.raw;
    for (const name in headers) res.setHeader(name, headers[name] as string);
    send(request.raw, real, {
      etag: false,
      lastModified: false,
      cacheControl: false,
      acceptRanges: true,
      index: false,
    })
      .on('error', (error: { status?: number }) => {
        if (!res.headersSent) {
          // A failed precondition (412) or an unsatisfiable range (416) says so; anything else is a 404.
          res.statusCode = error.status === 412 || error.status === 416 ? error.status : 404;
          res.removeHeader('Content-Disposition');
        }
        res.end();
      })
      .pipe(res);
    return reply;
  };

  // Downloads compress themselves (gzip only for whole files): no compression hooks on these routes.
  const plain = { compress: false, decompress: false } as const;
  app.get('/current/*', plain, serveFile);
  app.get('/releases/*', plain, serveFile);

  return app;
}

/**
 * Start the download server and return it with the address it listens on (port 0 picks a free one).
 *
 * @example const { app, url } = await serve({ out: '/srv/newsdata', port: 8080, host: '127.0.0.1' })
 */
export async function serve(options: ListenOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = await createServer(options);
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { app, url: `http://${host}:${port}` };
}
