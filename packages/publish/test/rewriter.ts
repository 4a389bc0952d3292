// Rewrites argv[2] in place (truncate, then write in pieces), with a short pause between versions,
// until killed: version k is "<k>|" + "x" repeated k * 40000 + "|<k>", so a torn read is easy to spot.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

const file = process.argv[2]!;
process.stdout.write('started\n');
for (let k = 1; ; k = (k % 25) + 1) {
  const text = Buffer.from(`${k}|${'x'.repeat(k * 40_000)}|${k}`);
  const fd = openSync(file, 'r+');
  ftruncateSync(fd, 0);
  for (let at = 0; at < text.length; at += 16_384)
    writeSync(fd, text, at, Math.min(16_384, text.length - at), at);
  closeSync(fd);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, k % 3 === 0 ? 1000 : 5);
}
