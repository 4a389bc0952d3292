// Loaded with `node --import` into a child process: at exit, write the process's peak RSS (KiB) to the file
// named by NEWSDATA_BENCH_RSS_FILE, so a benchmark learns the peak without /usr/bin/time.
import { writeFileSync } from 'node:fs';

const file = process.env['NEWSDATA_BENCH_RSS_FILE'];
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
