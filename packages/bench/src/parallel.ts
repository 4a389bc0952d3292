import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/**
 * How much more work two threads do than one on this machine, on the pipeline's own CPU-bound work:
 * the same pages parsed and extracted by one warmed-up worker thread, then split between two. Two
 * vCPUs are not always two cores' worth (SMT siblings, a host that is busy): this is the ceiling of
 * what building sources on two threads can gain here. Returns the seconds of one thread and of two.
 */
export async function parallelSpeedup(files: readonly string[]): Promise<{ one: number; two: number }> {
  const start = () => new Worker(new URL('./parallel-worker.js', import.meta.url));
  const workers = [start(), start()];
  try {
    const warmup = files.slice(0, Math.min(200, files.length));
    for (const worker of workers) {
      worker.postMessage({ warmup });
      await once(worker, 'message');
    }
    const timed = async (jobs: [Worker, string[]][]) => {
      const started = performance.now();
      await Promise.all(
        jobs.map(async ([worker, list]) => {
          worker.postMessage({ files: list });
          await once(worker, 'message');
        }),
      );
      return (performance.now() - started) / 1000;
    };
    const half = Math.ceil(files.length / 2);
    const one = await timed([[workers[0]!, [...files]]]);
    const two = await timed([
      [workers[0]!, files.slice(0, half)],
      [workers[1]!, files.slice(half)],
    ]);
    return { one, two };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
