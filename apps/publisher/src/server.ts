import { createReadStream } from 'node:fs';
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
import { ReleaseStore } from './store.js';

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
  const current = await store.currentId();
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

/**
 * Build the download server (not listening yet): `/`, `/feed.xml`, `/healthz`, `/current/<file>` and
 * `/releases/<id>/<file>`. Only files listed in a release's manifest.json (and manifest.json itself)
 * are served, after their real path is checked to lie inside `<out>/releases/<id>/`; anything else is
 * a 404. Multiple byte ranges in one request get the whole file (200), as `send` does.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const store = new ReleaseStore(options.out);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Health probes come every few seconds; a log line for each would drown the rest.
    logController: new LogController({ disableRequestLogging: (request) => request.url === '/healthz' }),
    // Against slow clients holding connections open (slowloris) and oversized requests.
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    requestTimeout: 30_000,
    maxRequestsPerSocket: 1_000,
    bodyLimit: 1_024,
    http: { maxHeaderSize: 16 * 1024 },
    frameworkErrors: (error, _request, raw) => {
      const reply = raw as unknown as FastifyReply;
      // A malformed URL (bad percent-encoding) is a path that does not exist, not a server fault.
      if (error.code === 'FST_ERR_BAD_URL') return notFound(reply);
      return reply.code(400).type('text/plain; charset=utf-8').send(`${error.message}\n`);
    },
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = 10_000;

  await app.register(compress, {
    global: true,
    encodings: ['gzip'],
    threshold: 512,
    customTypes: /^(text\/|application\/(json|x-ndjson|atom\+xml))/,
  });

  app.setNotFoundHandler((_request, reply) => notFound(reply));

  let cached: { key: string; html: string; feed: string } | undefined;
  const pages = async () => {
    const key = `${await store.currentId()}|${(await store.releaseIds()).join(',')}`;
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

  const serveFile = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string | null,
    segments: string[],
    immutable: boolean,
  ) => {
    if (id === null || segments.length === 0) return notFound(reply);
    const path = segments.join('/');
    const entry = await store.file(id, path);
    if (!entry) return notFound(reply);
    const headers: Record<string, string> = {
      ETag: `"${entry.sha256}"`,
      'Content-Type': contentTypeOf(path),
      'Content-Disposition': contentDisposition(downloadName(options.publication, path, id)),
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=60',
      'X-Content-Type-Options': 'nosniff',
      'Accept-Ranges': 'bytes',
      Vary: 'Accept-Encoding',
    };
    // The manifest is the source of the tag, so a revalidation reads nothing from disk.
    if (noneMatch(request.headers['if-none-match'], entry.sha256)) {
      return reply
        .code(304)
        .headers({ ETag: headers.ETag, 'Cache-Control': headers['Cache-Control'], Vary: 'Accept-Encoding' })
        .send();
    }
    const real = await store.resolve(id, path);
    if (!real) return notFound(reply);

    if (
      request.method === 'GET' &&
      request.headers.range === undefined &&
      acceptsGzip(request.headers['accept-encoding'])
    ) {
      // A gzip body is another representation of the same file: its tag is weak (RFC 9110 §8.8.1).
      return reply
        .headers({ ...headers, ETag: `W/"${entry.sha256}"`, 'Content-Encoding': 'gzip' })
        .send(createReadStream(real).pipe(createGzip()));
    }

    reply.hijack();
    const res = reply.raw;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    send(request.raw, real, {
      etag: false,
      lastModified: false,
      cacheControl: false,
      acceptRanges: true,
      index: false,
    })
      .on('error', (error: { status?: number }) => {
        if (!res.headersSent) {
          res.statusCode = error.status === 416 ? 416 : 404;
          res.removeHeader('Content-Disposition');
        }
        res.end();
      })
      .pipe(res);
    return reply;
  };

  const rawPath = (request: FastifyRequest, prefix: string): string[] | null => {
    const url = request.raw.url ?? '';
    const path = url.split('?')[0] ?? '';
    if (!path.startsWith(prefix)) return null;
    return safeSegments(path.slice(prefix.length));
  };

  app.get('/current/*', async (request, reply) => {
    const segments = rawPath(request, '/current/');
    if (!segments) return notFound(reply);
    return serveFile(request, reply, await store.currentId(), segments, false);
  });

  app.get('/releases/*', async (request, reply) => {
    const segments = rawPath(request, '/releases/');
    if (!segments || segments.length < 2) return notFound(reply);
    const [id, ...rest] = segments;
    return serveFile(request, reply, id ?? null, rest, true);
  });

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
