// Loaded with `node --import` into a child process: at exit, write the process's peak RSS (KiB) to the file
// named by NEWSDATA_BENCH_RSS_FILE, so a benchmark learns the peak without /usr/bin/time.
// VmHWM first: `resourceUsage().maxRSS` (getrusage) keeps the high-water mark of the memory image the child
// was forked from, so a child of a large benchmark process would report the benchmark's size.
import { readFileSync, writeFileSync } from 'node:fs';

function peakKiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: getrusage is the best there is.
  }
  return process.resourceUsage().maxRSS;
}

const file = process.env['NEWSDATA_BENCH_RSS_FILE'];
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(peakKiB()));
  });
}
