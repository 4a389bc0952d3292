import { parentPort } from 'node:worker_threads';
import { buildSource } from './build.js';
import { writeEntry } from './cache.js';
import type { WorkerReply, WorkerRequest } from './workers.js';

// One source per message: build it, store it in the cache, answer with what the run needs to know.
parentPort!.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const result = buildSource(request.job);
    if ('failure' in result)
      reply = { id: request.id, failure: result.failure, unexpected: result.unexpected };
    else {
      if (request.cacheDir) await writeEntry(request.cacheDir, request.key, result.built, result.segments);
      reply = { id: request.id, built: result.built };
    }
  } catch (error) {
    reply = {
      id: request.id,
      error: { message: (error as Error).message ?? String(error), code: (error as { code?: string }).code },
    };
  }
  parentPort!.postMessage(reply);
});
