// Runs one publish (argv: sources dir, out dir, keep) and prints its status; NEWSDATA_FAULT may kill it on the way.
import { publish } from '../src/pipeline.js';

const [sources, out, keep] = process.argv.slice(2);
const result = await publish({
  sources: [sources!],
  out: out!,
  keep: Number(keep ?? 30),
  lock: 'wait',
  lockTimeoutMs: 30_000,
});
process.stdout.write(
  `${JSON.stringify({ status: result.status, release_id: result.release_id, error: result.error?.message })}\n`,
);
