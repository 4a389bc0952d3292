// Takes the lock on argv[2], prints "acquired" or "locked <message>", and holds the lock until stdin ends.
import { acquireLock } from '../src/lock.js';

const out = process.argv[2]!;
const wait = process.argv[3] === 'wait';
try {
  const release = await acquireLock(out, { wait, timeoutMs: 60_000 });
  process.stdout.write('acquired\n');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await release();
    process.exit(0);
  });
} catch (error) {
  const e = error as { code?: string; message: string };
  process.stdout.write(`locked ${e.code} ${e.message}\n`);
  process.exit(0);
}
