// Preloaded with `node --import`: on exit, write the process's peak resident memory (VmHWM, in kB) to
// the file named by NEWSDATA_TEST_PEAK_FILE. /proc is read rather than getrusage, whose maxrss can
// carry the forking parent's peak.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.NEWSDATA_TEST_PEAK_FILE;
if (file) {
  process.on('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    writeFileSync(file, match ? match[1] : '0');
  });
}
