import { parentPort } from 'node:worker_threads';
import { createValidator } from '@newsdata/validate';
import { buildSource } from './build.js';
import type { WorkerAnswer, WorkerReply, WorkerRequest } from './workers.js';

/** Segment buffers the writer has sent back, for the next sources: a few large buffers go round. */
const spare: ArrayBuffer[] = [];
const SPARE_MAX = 4;
/** Buffers are made a little larger than asked, so that one fits more sources. */
const ROUND = 64 * 1024;

function take(bytes: number): ArrayBuffer {
  const index = spare.findIndex((buffer) => buffer.byteLength >= bytes);
  if (index >= 0) return spare.splice(index, 1)[0]!;
  return new ArrayBuffer(Math.ceil((bytes * 1.25) / ROUND) * ROUND);
}

// Build each source of a request in turn and answer them all in one message, the segments moved.
parentPort!.on('message', (request: WorkerRequest) => {
  for (const buffer of request.recycle) if (spare.length < SPARE_MAX) spare.push(buffer);
  const answers: WorkerAnswer[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const { id, job } of request.jobs) {
    try {
      const result = buildSource(job, undefined, take);
      if ('failure' in result) answers.push({ id, failure: result.failure, unexpected: result.unexpected });
      else {
        const segments = result.segments;
        if (segments) transfer.push(segments.buffer);
        // The row keys as one JSON text: cloning one string costs far less than cloning thousands.
        answers.push({ id, built: result.built, segments, rows: JSON.stringify(result.rows) });
      }
    } catch (error) {
      answers.push({
        id,
        error: {
          message: (error as Error).message ?? String(error),
          code: (error as { code?: string }).code,
        },
      });
    }
  }
  const reply: WorkerReply = { answers };
  parentPort!.postMessage(reply, transfer);
});

// The schemas are compiled as the thread starts, before its first source: a pool started early (see
// `Builder.warm`) does it while the main thread still reads the sources.
createValidator();
