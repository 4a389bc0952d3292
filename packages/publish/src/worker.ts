import { parentPort } from 'node:worker_threads';
import { buildSource } from './build.js';
import type { WorkerReply, WorkerRequest } from './workers.js';

// One source per message: build it and send back what the run needs, the segments moved (not copied).
parentPort!.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = buildSource(request.job);
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
