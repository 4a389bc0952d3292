import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runtimeError } from '@newsdata/errors';
import { type BuildJob, type BuiltSource, buildSource, type Engine, type SourceFailure } from './build.js';
import { type PackedSegments, segmentViews } from './segments.js';

/**
 * Sources for a thread to build, several per message when several are asked for at once, and the
 * answers likewise: every message wakes a thread, and on two busy vCPUs a wake-up costs far more than
 * the bytes it carries.
 */
export interface WorkerRequest {
  jobs: { id: number; job: BuildJob }[];
  /** Segment buffers written and given back, for the thread to use again (moved with the request). */
  recycle: ArrayBuffer[];
}

export type WorkerAnswer =
  | { id: number; built: BuiltSource; segments: PackedSegments | null; rows: string }
  | { id: number; failure: SourceFailure; unexpected: boolean }
  | { id: number; error: { message: string; code?: string | undefined } };

export interface WorkerReply {
  answers: WorkerAnswer[];
}

/** What building a source gave: what the run keeps of it, its segments and row keys (`RowKeys` as JSON), or why it failed. */
export type BuildOutcome =
  | { built: BuiltSource; segments: Uint8Array[] | null; rows: string }
  | { failure: SourceFailure; unexpected: boolean };

/** Builds sources (parse, extract, validate, render) on the threads of a pool, or in process. */
export interface Builder {
  build(job: BuildJob): Promise<BuildOutcome>;
  /** The segments of an outcome are written and no longer used: their buffer may be used again. */
  recycle(segments: Uint8Array[]): void;
  /** Start every thread now (they load their modules while this thread goes on), not at the first build. */
  warm(): void;
  close(): Promise<void>;
}

/** In this thread, with a replaceable engine (tests count its calls). */
export function inProcessBuilder(engine?: Engine): Builder {
  return {
    async build(job) {
      const result = buildSource(job, engine);
      if ('failure' in result) return result;
      return {
        built: result.built,
        segments: result.segments ? segmentViews(result.segments) : null,
        rows: JSON.stringify(result.rows),
      };
    },
    recycle() {},
    warm() {},
    async close() {},
  };
}

/** A worker thread: the compiled module, or the TypeScript source under a test runner (through tsx). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here));
  const source = new URL('./worker.ts', here).href;
  return new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
    { eval: true },
  );
}

/** A worker thread of the pool, with the sources it was given and not yet sent. */
interface Thread {
  worker: Worker;
  inFlight: number;
  queue: { id: number; job: BuildJob }[];
}

/** Threads to use: one per core the process may run on. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * A pool of `size` worker threads, started lazily. Each source goes to the thread with the fewest
 * sources in flight; the bytes are transferred, not copied. Results come back in any order: callers
 * place them by source.
 */
export function threadBuilder(size: number): Builder {
  const threads: Thread[] = [];
  const waiting = new Map<
    number,
    { resolve: (outcome: BuildOutcome) => void; reject: (error: Error) => void }
  >();
  let nextId = 0;
  let failed: Error | null = null;
  /** Segment buffers given back by the writer, waiting for the next request. */
  const returned: ArrayBuffer[] = [];
  const RETURNED_MAX = 8;
  const answer = (thread: Thread, reply: WorkerAnswer) => {
    thread.inFlight--;
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (!pending) return;
    if ('error' in reply) {
      pending.reject(
        runtimeError(
          'PUBLISH_WORKER_FAILED',
          `Building a source in a worker thread failed: ${reply.error.message}`,
        ),
      );
    } else if ('failure' in reply) pending.resolve(reply);
    else {
      const { built, segments, rows } = reply;
      pending.resolve({ built, segments: segments ? segmentViews(segments) : null, rows });
    }
  };
  /** Send what was asked of a thread in this turn of the event loop, in one message. */
  const send = (thread: Thread) => {
    const jobs = thread.queue.splice(0);
    const recycle = returned.splice(0, 2);
    const request: WorkerRequest = { jobs, recycle };
    thread.worker.postMessage(request, [
      ...jobs.map((entry) => entry.job.bytes.buffer as ArrayBuffer),
      ...recycle,
    ]);
  };
  const start = () => {
    const worker = startWorker();
    const thread: Thread = { worker, inFlight: 0, queue: [] };
    worker.on('message', (reply: WorkerReply) => {
      for (const item of reply.answers) answer(thread, item);
    });
    worker.on('error', (error) => {
      failed = error;
      for (const pending of waiting.values()) pending.reject(error);
      waiting.clear();
    });
    threads.push(thread);
    return thread;
  };
  return {
    build(job) {
      if (failed) return Promise.reject(failed);
      const thread =
        threads.length < size ? start() : threads.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      thread.inFlight++;
      const id = nextId++;
      const copy = new Uint8Array(job.bytes);
      if (thread.queue.length === 0) queueMicrotask(() => send(thread));
      thread.queue.push({ id, job: { ...job, bytes: copy } });
      return new Promise<BuildOutcome>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
      });
    },
    recycle(segments) {
      const buffer = segments[0]?.buffer;
      // They go back with the next request rather than in messages of their own (see WorkerRequest).
      if (buffer instanceof ArrayBuffer && returned.length < RETURNED_MAX) returned.push(buffer);
    },
    warm() {
      while (!failed && threads.length < size) start();
    },
    async close() {
      await Promise.all(threads.map((thread) => thread.worker.terminate()));
      threads.length = 0;
    },
  };
}
