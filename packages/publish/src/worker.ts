import { parentPort } from 'node:worker_threads';
import { buildSource } from './build.js';
import type { WorkerReply, WorkerRequest } from './workers.js';

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

// One source per message: build it and send back what the run needs, the segments moved (not copied).
parentPort!.on('message', (request: WorkerRequest) => {
  for (const buffer of request.recycle) if (spare.length < SPARE_MAX) spare.push(buffer);
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = buildSource(request.job, undefined, take);
    if ('failure' in result)
      reply = { id: request.id, failure: result.failure, unexpected: result.unexpected };
    else {
      const segments = result.segments;
      if (segments) transfer.push(segments.buffer);
      // The row keys as one JSON text: cloning one string costs far less than cloning thousands.
      reply = { id: request.id, built: result.built, segments, rows: JSON.stringify(result.rows) };
    }
  } catch (error) {
    reply = {
      id: request.id,
      error: { message: (error as Error).message ?? String(error), code: (error as { code?: string }).code },
    };
  }
  parentPort!.postMessage(reply, transfer);
});
