// Throughput of parsePage on generated pages (sample articles shuffled, numbers changed), against
// sha256 of the same bytes, and a linearity check (10 MB vs 50 MB). Run after `pnpm --filter @newsdata/parse build`:
//   node packages/parse/bench/parse-bench.mjs [MB]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePage } from '../dist/index.js';

const sample = readFileSync(
  new URL('../../../data/sources/dalian-daily-sample-page.txt', import.meta.url),
  'utf8',
);
const mb = Number(process.argv[2] ?? 50);

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Segments of the sample: from each article's headline to the next one (jump lines stay inside).
const lines = sample.split('\n');
const page = parsePage(sample);
const starts = page.articles.map((a) => a.lines[0] - 1);
const head = lines.slice(0, starts[0]).join('\n');
const segments = starts.map((s, k) => lines.slice(s, starts[k + 1] ?? lines.length).join('\n'));
const titles = page.articles.map((a) => a.title);

function makePages(bytes, seed) {
  const rand = random(seed);
  const pages = [];
  let size = 0;
  while (size < bytes) {
    const number = pages.length + 1;
    // Headlines differ from page to page, so a page concatenated with others has no false jump lines.
    const order = segments
      .map((s) => titles.reduce((text, title) => text.split(title).join(`${title}第${number}期`), s))
      .map((s) => [rand(), s])
      .sort((a, b) => a[0] - b[0])
      .map(([, s]) => s);
    const text = [head, ...order]
      .join('\n\n')
      .replace(/\d+/g, (d) =>
        Array.from(d, (_, i) => String(Math.floor(rand() * (i === 0 ? 9 : 10)) + (i === 0 ? 1 : 0))).join(''),
      );
    const encoded = new TextEncoder().encode(text);
    pages.push(encoded);
    size += encoded.length;
  }
  return { pages, size };
}

function concat(pages) {
  const all = new Uint8Array(pages.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pages) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function time(run) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = run();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpu: (used.user + used.system) / 1000, result };
}

const { pages, size } = makePages(mb * 1e6, 7);
const all = concat(pages);
// Warm up the JIT on a few hundred pages, then report the median of three passes (the machine may be shared).
for (const p of pages.slice(0, 300)) parsePage(p);

function median(run) {
  const runs = [run(), run(), run()].sort((a, b) => a.ms - b.ms);
  return runs[1];
}
const perPage = median(() =>
  time(() => {
    let articles = 0;
    for (const p of pages) articles += parsePage(p).articles.length;
    return articles;
  }),
);
const hash = median(() => time(() => createHash('sha256').update(all).digest('hex')));
const rate = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
console.log(`pages: ${pages.length}, ${(size / 1e6).toFixed(1)} MB, ${perPage.result} articles`);
console.log(
  `parsePage per page: ${perPage.ms.toFixed(0)} ms wall = ${rate(size, perPage.ms)} MB/s; ${perPage.cpu.toFixed(0)} ms CPU = ${rate(size, perPage.cpu)} MB/s`,
);
console.log(
  `sha256 same bytes:  ${hash.ms.toFixed(0)} ms wall = ${rate(size, hash.ms)} MB/s; ${hash.cpu.toFixed(0)} ms CPU = ${rate(size, hash.cpu)} MB/s ` +
    `(parse speed / sha256 speed = ${(hash.ms / perPage.ms).toFixed(3)})`,
);

// One page of 10 MB and one of 50 MB: time must grow in proportion (no quadratic step within a page).
const small = concat(makePages((mb * 1e6) / 5, 11).pages);
const big = all;
const t10 = median(() => time(() => parsePage(small).articles.length));
const t50 = median(() => time(() => parsePage(big).articles.length));
console.log(
  `single page ${(small.length / 1e6).toFixed(1)} MB: ${t10.ms.toFixed(0)} ms (${rate(small.length, t10.ms)} MB/s); ` +
    `${(big.length / 1e6).toFixed(1)} MB: ${t50.ms.toFixed(0)} ms (${rate(big.length, t50.ms)} MB/s); ` +
    `time ratio ${(t50.ms / t10.ms).toFixed(2)} wall, ${(t50.cpu / t10.cpu).toFixed(2)} CPU, for size ratio ${(big.length / small.length).toFixed(2)}`,
);
