// `pnpm bench [-- --quick]`: make a corpus, measure every stage against the machine's floors and against
// peers (Miller, nginx), print the table and, in the full mode, write BENCHMARKS.md at the repository root.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Tables } from '@newsdata/contract';
import { hasCommand, lastLine, run, runNode } from './child.js';
import { type CorpusPage, corpusOfSize, encodePage, generateCorpus, writeCorpus } from './corpus.js';
import { describeMachine } from './machine.js';
import { parallelSpeedup } from './parallel.js';
import { freePort, millerToCsv, type Running, start, startNginx, waitForHttp, wrk } from './peers.js';
import {
  exportAll,
  exportEach,
  extractEach,
  gatherTables,
  loadStages,
  type ParsedLike,
  parseAll,
  releaseOptions,
  sourceContexts,
} from './pipeline.js';
import { type CpuProfile, type ProfileEntry, selfTimeByPackage, topSelfTime } from './profile.js';
import { formatMarkdown, formatNumber, formatTable, type ResultRow, type Target } from './report.js';
import { rate, type Summary, summarize, timeRuns } from './stats.js';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    pages: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    write: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  process.stdout.write(`pnpm bench [-- options]
  --quick          small corpus and fewer runs (about 2 minutes); prints, writes nothing unless --write
  --pages N        pages of the main corpus (default 2000, 500 with --quick)
  --runs N         runs per in-process measurement (default 5, 2 with --quick)
  --seed N         corpus seed (default 1)
  --profile        also profile one full publish with node --cpu-prof and list the top self times
  --write FILE     write the Markdown report there (default BENCHMARKS.md at the root in the full mode)
  --no-write       print only
  --keep           keep the temporary directory
`);
  process.exit(0);
}

const quick = args.quick;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'apps/publisher/dist/cli.js');
const config = {
  pages: Number(args.pages ?? (quick ? 500 : 2000)),
  smallPages: quick ? 100 : 500,
  /** Pages of the corpus whose peak RSS shows the curve past the main one; none in the quick mode. */
  largePages: quick ? 0 : 2 * Number(args.pages ?? 2000),
  largeRuns: 2,
  runs: Number(args.runs ?? (quick ? 2 : 5)),
  childRuns: quick ? 1 : 3,
  incrementalRuns: quick ? 1 : 3,
  linearMB: quick ? [2, 8] : [10, 50],
  wrkSeconds: quick ? 2 : 5,
  wrkRuns: quick ? 1 : 5,
  seed: Number(args.seed),
};
const writeTo = args['no-write']
  ? undefined
  : args.write
    ? resolve(args.write)
    : quick
      ? undefined
      : join(root, 'BENCHMARKS.md');
const command = `pnpm bench${quick ? ' -- --quick' : ''}${args.profile ? (quick ? ' --profile' : ' -- --profile') : ''}`;

const started = performance.now();
const rows: ResultRow[] = [];
const notes: string[] = [];
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
const MB = 1e6;

function add(row: ResultRow): void {
  rows.push(row);
  const value = typeof row.value === 'object' ? formatNumber(row.value.median) : row.value;
  log(`  ${row.measure}: ${typeof row.value === 'string' ? value : `${value} ${row.unit}`}`);
}

function atLeast(value: number, target: number, text: string): Target {
  return { text, pass: value >= target };
}

function atMost(value: number, target: number, text: string): Target {
  return { text, pass: value <= target };
}

function notAvailable(section: string, measure: string, why: string): void {
  add({ section, measure, value: `not available: ${why}`, unit: '' });
}

function sum(pages: readonly CorpusPage[]): number {
  return pages.reduce((total, page) => total + page.bytes.byteLength, 0);
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path, base)));
    else if (entry.isFile()) out.push(relative(base, path));
  }
  return out.sort();
}

async function releaseDirOf(out: string): Promise<string | undefined> {
  const link = await readlink(join(out, 'current')).catch(() => undefined);
  return link === undefined ? undefined : resolve(out, link);
}

const work = await mkdtemp(join(tmpdir(), 'newsdata-bench-'));
const sample = readFileSync(join(root, 'data/sources/dalian-daily-sample-page.txt'), 'utf8');
const running: Running[] = [];

async function publishOnce(source: string, out: string, nodeFlags: readonly string[] = []) {
  // Every timed publish starts with no dirty pages from earlier measurements: a publish fsyncs its
  // files, and an fsync queued behind gigabytes of someone else's writeback measures the writeback.
  await run('sync', []).catch(() => undefined);
  return runNode(cli, ['publish', '--source', source, '--out', out], { cwd: root, nodeFlags });
}

try {
  const machine = describeMachine();
  log(`${quick ? 'quick' : 'full'} run in ${work}`);

  // The main corpus.
  const pages = [...generateCorpus(sample, { pages: config.pages, seed: config.seed })];
  const corpusBytes = sum(pages);
  const corpusDir = join(work, `corpus-${config.pages}`);
  await writeCorpus(corpusDir, pages);
  const gbPages = pages.filter((page) => page.encoding === 'gb18030').length;
  const crlfPages = pages.filter((page) => page.lineEnding === 'crlf').length;
  const corpusText = `${config.pages} pages, ${(corpusBytes / MB).toFixed(1)} MB (${gbPages} GB18030, ${crlfPages} CRLF), seed ${config.seed}, made from data/sources/dalian-daily-sample-page.txt`;
  log(`corpus: ${corpusText}`);

  // Floors.
  const FLOOR = 'floors (same run)';
  const readHash = await timeRuns(
    config.runs,
    async () => {
      for (const page of pages) {
        const data = await readFile(join(corpusDir, page.name));
        createHash('sha256').update(data).digest();
      }
    },
    { warmup: 1 },
  );
  const readHashRate = rate(corpusBytes, readHash);
  add({ section: FLOOR, measure: 'read + sha256 of the corpus files', value: readHashRate, unit: 'MB/s' });
  const hashOnly = await timeRuns(config.runs, () => {
    for (const page of pages) createHash('sha256').update(page.bytes).digest();
  });
  add({
    section: FLOOR,
    measure: 'sha256 of the corpus in memory',
    value: rate(corpusBytes, hashOnly),
    unit: 'MB/s',
  });
  // What a second thread adds here: the ceiling of building sources on worker threads.
  const speedups: number[] = [];
  const files = pages.map((page) => join(corpusDir, page.name));
  for (let i = 0; i < Math.min(3, config.runs); i++) {
    const { one, two } = await parallelSpeedup(files);
    speedups.push(one / two);
  }
  add({
    section: FLOOR,
    measure: 'parse + extract on two worker threads against one (warmed up)',
    value: summarize(speedups),
    unit: '×',
    note: `${availableParallelism()} vCPUs; 2× would be two full cores`,
  });

  // In-process stages.
  const STAGE = 'stages in-process (MB/s of source text)';
  const stages = await loadStages();
  let parsed: ParsedLike[] | undefined;
  let tables: Tables | undefined;
  /** Each page's tables, as publish builds and renders them one source at a time. */
  let perPage: Tables[] | undefined;
  let output: { bytes: number; files: { path: string; data: Buffer }[] } | undefined;
  const stageSeconds: Summary[] = [];
  const { parsePage, toRecords, validateRelease, planRelease } = stages;
  if (parsePage) {
    const seconds = await timeRuns(config.runs, () => (parsed = parseAll({ parsePage }, pages)), {
      warmup: 1,
    });
    stageSeconds.push(seconds);
    const speed = rate(corpusBytes, seconds);
    add({
      section: STAGE,
      measure: 'parse',
      value: speed,
      unit: 'MB/s',
      note: `${((speed.median / rate(corpusBytes, hashOnly).median) * 100).toFixed(1)}% of sha256 speed on the same bytes`,
    });
  } else notAvailable(STAGE, 'parse', '@newsdata/parse does not export parsePage yet');
  if (toRecords && parsed) {
    const input = parsed;
    const seconds = await timeRuns(config.runs, () => (perPage = extractEach({ toRecords }, pages, input)), {
      warmup: 1,
    });
    stageSeconds.push(seconds);
    tables = gatherTables(perPage!);
    const counts = Object.entries(tables)
      .map(([name, list]) => `${name} ${list.length}`)
      .join(', ');
    add({
      section: STAGE,
      measure: 'extract',
      value: rate(corpusBytes, seconds),
      unit: 'MB/s',
      note: counts,
    });
  } else
    notAvailable(
      STAGE,
      'extract',
      toRecords ? 'needs parse' : '@newsdata/extract does not export toRecords yet',
    );
  if (validateRelease && parsed && tables) {
    const input = { tables, sources: sourceContexts(pages, parsed) };
    let report: ReturnType<typeof validateRelease> | undefined;
    const seconds = await timeRuns(config.runs, () => (report = validateRelease(input)), { warmup: 1 });
    stageSeconds.push(seconds);
    add({
      section: STAGE,
      measure: 'validate',
      value: rate(corpusBytes, seconds),
      unit: 'MB/s',
      note: report
        ? `valid ${report.valid}, ${report.counts.errors} errors, ${report.counts.warnings} warnings`
        : '',
    });
  } else
    notAvailable(
      STAGE,
      'validate',
      validateRelease ? 'needs parse and extract' : '@newsdata/validate not ready',
    );
  if (planRelease && tables && perPage) {
    const input = tables;
    const each = perPage;
    const options = releaseOptions(pages);
    const seconds = await timeRuns(config.runs, () => exportEach({ planRelease }, each, options), {
      warmup: 1,
    });
    stageSeconds.push(seconds);
    output = exportAll({ planRelease }, input, options, true);
    add({
      section: STAGE,
      measure: 'export (every file of each source, as publish renders them)',
      value: rate(corpusBytes, seconds),
      unit: 'MB/s',
      note: `${(output.bytes / MB).toFixed(1)} MB of output in ${output.files.length} files`,
    });
    const whole = await timeRuns(config.runs, () => exportAll({ planRelease }, input, options), {
      warmup: 1,
    });
    add({
      section: STAGE,
      measure: 'export of all rows at once (one planRelease, not in the sum)',
      value: rate(corpusBytes, whole),
      unit: 'MB/s',
      note: 'the path of quarantined releases',
    });
  } else
    notAvailable(
      STAGE,
      'export',
      planRelease ? 'needs extract' : '@newsdata/export does not export planRelease',
    );
  if (stageSeconds.length === 4) {
    const total = summarize(
      stageSeconds[0]!.values.map((_, i) => stageSeconds.reduce((s, x) => s + x.values[i]!, 0)),
    );
    add({
      section: STAGE,
      measure: 'the four stages together',
      value: rate(corpusBytes, total),
      unit: 'MB/s',
    });
  }

  // End to end: the CLI in a child process, each run into an empty store.
  const E2E = 'end to end (child process)';
  let fullPublish: Summary | undefined;
  let store: string | undefined;
  let rssAtMain: Summary | undefined;
  if (!existsSync(cli)) {
    notAvailable(E2E, 'publish', 'apps/publisher/dist/cli.js is not built');
  } else {
    const seconds: number[] = [];
    const rss: number[] = [];
    let failure: string | undefined;
    for (let i = 0; i < config.childRuns && !failure; i++) {
      const out = join(work, `store-${i}`);
      const result = await publishOnce(corpusDir, out);
      if (result.code !== 0) failure = `exit ${result.code}: ${lastLine(result.stderr || result.stdout)}`;
      seconds.push(result.seconds);
      if (result.maxRssKiB) rss.push(result.maxRssKiB);
      if (store) await rm(store, { recursive: true, force: true });
      store = out;
    }
    if (failure) {
      add({ section: E2E, measure: `publish ${config.pages} pages`, value: `failed (${failure})`, unit: '' });
      store = undefined;
    } else {
      fullPublish = summarize(seconds);
      const speed = rate(corpusBytes, fullPublish);
      add({
        section: E2E,
        measure: `publish ${config.pages} pages into an empty store`,
        value: speed,
        unit: 'MB/s',
        target: atLeast(speed.median, 15, '≥ 15 MB/s'),
        note: `${formatNumber(fullPublish.median)} s per run`,
      });
      if (rss.length > 0) rssAtMain = summarize(rss);
    }
  }

  // The write floor: the release's bytes, written with fs.writeFile (and with fsync, as publish must).
  let rewriteFloor: { seconds: number; bytes: number } | undefined;
  let outputFiles = output?.files;
  const release = store ? await releaseDirOf(store) : undefined;
  if (release) {
    outputFiles = [];
    for (const path of await listFiles(release))
      outputFiles.push({ path, data: await readFile(join(release, path)) });
  }
  if (outputFiles) {
    const files = outputFiles;
    const bytes = files.reduce((total, file) => total + file.data.byteLength, 0);
    const target = join(work, 'write-floor');
    const prepare = async () => {
      await rm(target, { recursive: true, force: true });
      await mkdir(join(target, 'excel'), { recursive: true });
    };
    const plain = await timeRuns(
      config.runs,
      async () => {
        for (const file of files) await writeFile(join(target, file.path), file.data);
      },
      { before: prepare },
    );
    const plainRate = rate(bytes, plain);
    add({
      section: FLOOR,
      measure: `fs.writeFile of the release's ${files.length} files`,
      value: plainRate,
      unit: 'MB/s',
      note: `${(bytes / MB).toFixed(1)} MB of output`,
    });
    const synced = await timeRuns(
      config.runs,
      async () => {
        for (const file of files) {
          const handle = await open(join(target, file.path), 'w');
          await handle.writeFile(file.data);
          await handle.sync();
          await handle.close();
        }
      },
      { before: prepare },
    );
    const syncedRate = rate(bytes, synced);
    add({
      section: FLOOR,
      measure: 'the same with fsync per file',
      value: syncedRate,
      unit: 'MB/s',
    });
    // Any republish writes, hashes and syncs every byte of the new release's files: its floor.
    rewriteFloor = {
      seconds: bytes / MB / syncedRate.median + bytes / MB / rate(corpusBytes, hashOnly).median,
      bytes,
    };
    if (fullPublish) {
      const floorSeconds = corpusBytes / MB / readHashRate.median + bytes / MB / plainRate.median;
      add({
        section: FLOOR,
        measure: 'end to end vs floor (read + sha256 + writeFile)',
        value: `${((floorSeconds / fullPublish.median) * 100).toFixed(1)}% of floor speed`,
        unit: '',
        note: `floor ${formatNumber(floorSeconds)} s, publish ${formatNumber(fullPublish.median)} s`,
      });
    }
    await rm(target, { recursive: true, force: true });
  } else notAvailable(FLOOR, 'fs.writeFile of the output', 'no export and no release to take the bytes from');

  // Peer: Miller, NDJSON → CSV of the statistics and paragraphs.
  const PEER = 'peer: NDJSON → CSV (statistics + paragraphs)';
  const ndjson: { table: 'statistics' | 'paragraphs'; file: string }[] = [];
  for (const table of ['statistics', 'paragraphs'] as const) {
    const file = join(work, `${table}.ndjson`);
    const fromRelease = release ? join(release, `${table}.ndjson`) : undefined;
    const fromExport = output?.files.find((f) => f.path === `${table}.ndjson`);
    if (fromRelease && existsSync(fromRelease)) await writeFile(file, await readFile(fromRelease));
    else if (fromExport) await writeFile(file, fromExport.data);
    else continue;
    ndjson.push({ table, file });
  }
  const { csvChunks } = stages;
  if (ndjson.length < 2 || !csvChunks) {
    notAvailable(PEER, 'CSV export vs Miller', 'no statistics/paragraphs NDJSON yet');
  } else {
    const inBytes = (await Promise.all(ndjson.map(({ file }) => stat(file)))).reduce((t, s) => t + s.size, 0);
    const records = await Promise.all(
      ndjson.map(async ({ table, file }) => ({
        table,
        rows: (await readFile(file, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as object),
      })),
    );
    const rowCount = records.reduce((t, r) => t + r.rows.length, 0);
    const ours = await timeRuns(
      config.runs,
      async () => {
        for (const { table, file } of ndjson) {
          const rows = (await readFile(file, 'utf8'))
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as object);
          await writeFile(
            join(work, `${table}.ours.csv`),
            Buffer.concat([...csvChunks(table, rows, 'standard')]),
          );
        }
      },
      { warmup: 1 },
    );
    const recordsOnly = await timeRuns(
      config.runs,
      () => {
        for (const { table, rows } of records) for (const _ of csvChunks(table, rows, 'standard'));
      },
      { warmup: 1 },
    );
    const oursRate = rate(inBytes, ours);
    let millerRate: Summary | undefined;
    if (await hasCommand('mlr')) {
      const seconds: number[] = [];
      for (let i = 0; i < config.runs; i++) {
        let total = 0;
        for (const { table, file } of ndjson)
          total += await millerToCsv(file, join(work, `${table}.mlr.csv`));
        seconds.push(total);
      }
      millerRate = rate(inBytes, summarize(seconds));
    }
    add({
      section: PEER,
      measure: 'ours: read NDJSON, JSON.parse, CSV, writeFile (Miller’s job)',
      value: oursRate,
      unit: 'MB/s',
      target: millerRate ? atLeast(oursRate.median, millerRate.median, '≥ Miller') : undefined,
      note: `${(inBytes / MB).toFixed(1)} MB NDJSON, ${rowCount} records`,
    });
    add({
      section: PEER,
      measure: 'ours: records → CSV bytes (the export stage)',
      value: rate(inBytes, recordsOnly),
      unit: 'MB/s',
    });
    if (millerRate) {
      add({ section: PEER, measure: 'Miller: mlr --ijsonl --ocsv cat', value: millerRate, unit: 'MB/s' });
    } else notAvailable(PEER, 'Miller', 'mlr is not installed (Debian package miller)');
  }

  // Incremental republish: one page of the main corpus edited.
  const INC = 'incremental republish';
  if (fullPublish && store) {
    const index = Math.floor(pages.length / 2);
    const page = pages[index]!;
    const digit = page.text.search(/\d(?=[^\d]*$)/);
    const seconds: number[] = [];
    let failure: string | undefined;
    const noop = await publishOnce(corpusDir, store);
    for (let i = 1; i <= config.incrementalRuns && !failure; i++) {
      const old = page.text[digit]!;
      const next = String((Number(old) + i) % 10);
      const text =
        digit < 0
          ? `${page.text}\n${'附'.repeat(i)}\n`
          : page.text.slice(0, digit) + next + page.text.slice(digit + 1);
      await writeFile(join(corpusDir, page.name), encodePage(text, page.encoding, page.lineEnding));
      // A publish waits until a file written in the last 200 ms settles (it may be half written); an
      // edit made moments before the timer starts would add that wait to the measure.
      await setTimeout(300);
      const result = await publishOnce(corpusDir, store);
      if (result.code !== 0) failure = `exit ${result.code}: ${lastLine(result.stderr || result.stdout)}`;
      seconds.push(result.seconds);
    }
    await writeFile(join(corpusDir, page.name), page.bytes);
    if (failure) add({ section: INC, measure: 'one page edited', value: `failed (${failure})`, unit: '' });
    else {
      const inc = summarize(seconds);
      const share = (inc.median / fullPublish.median) * 100;
      add({
        section: INC,
        measure: `one page of ${config.pages} edited, republish`,
        value: inc,
        unit: 's',
        target: atMost(share, 5, '≤ 5% of full'),
        note: `${share.toFixed(1)}% of the full publish (${formatNumber(fullPublish.median)} s)`,
      });
      if (rewriteFloor) {
        const floorShare = (rewriteFloor.seconds / fullPublish.median) * 100;
        add({
          section: INC,
          measure: 'floor of any republish: write + fsync + sha256 of the release’s files',
          value: rewriteFloor.seconds,
          unit: 's',
          note: `${floorShare.toFixed(1)}% of the full publish; ${(rewriteFloor.bytes / MB).toFixed(0)} MB; the republish takes ${(inc.median / rewriteFloor.seconds).toFixed(2)}× this floor`,
        });
      }
      add({
        section: INC,
        measure: 'nothing changed, republish',
        value: noop.code === 0 ? noop.seconds : `failed (exit ${noop.code})`,
        unit: 's',
        note:
          noop.code === 0
            ? `${((noop.seconds / fullPublish.median) * 100).toFixed(1)}% of the full publish`
            : '',
      });
    }
  } else notAvailable(INC, 'one page edited', 'needs a working end-to-end publish');

  // Memory: peak RSS of a full publish at three corpus sizes.
  const MEM = 'memory (peak RSS of a full publish)';
  if (fullPublish && rssAtMain) {
    /** Peak RSS (MiB) of publishing `corpus` into an empty store, `runs` times; a row either way. */
    const peakOf = async (
      corpus: readonly CorpusPage[],
      dir: string,
      runs: number,
      compare?: { pages: number; mib: number },
    ) => {
      const peaks: number[] = [];
      let failed: number | null = null;
      for (let i = 0; i < runs; i++) {
        const result = await publishOnce(dir, join(work, 'store-rss'));
        await rm(join(work, 'store-rss'), { recursive: true, force: true });
        if (result.code !== 0 || !result.maxRssKiB) failed = result.code;
        else peaks.push(result.maxRssKiB / 1024);
      }
      if (peaks.length === 0) {
        add({ section: MEM, measure: `${corpus.length} pages`, value: `failed (exit ${failed})`, unit: '' });
        return undefined;
      }
      const peak = summarize(peaks);
      add({
        section: MEM,
        measure: `${corpus.length} pages (${(sum(corpus) / MB).toFixed(1)} MB)`,
        value: peak,
        unit: 'MiB',
        ...(compare
          ? { note: `${(peak.median / compare.mib).toFixed(2)}× the ${compare.pages}-page peak` }
          : {}),
      });
      return peak;
    };
    // A quarter of the corpus at most, so that a small --pages still compares two sizes.
    const small = pages.slice(0, Math.min(config.smallPages, Math.ceil(pages.length / 4)));
    const smallDir = join(work, `corpus-${small.length}`);
    await writeCorpus(smallDir, small);
    const smallPeak = await peakOf(small, smallDir, config.childRuns);
    const peak = summarize(rssAtMain.values.map((kib) => kib / 1024));
    const mib = peak.median;
    add({
      section: MEM,
      measure: `${config.pages} pages (${(corpusBytes / MB).toFixed(1)} MB)`,
      value: peak,
      unit: 'MiB',
      target: config.pages >= 2000 ? atMost(mib, 300, '≤ 300 MiB') : undefined,
      note: smallPeak ? `${(mib / smallPeak.median).toFixed(2)}× the ${small.length}-page peak` : '',
    });
    // A corpus twice as large again: whether the peak stays flat past the main corpus.
    if (config.largePages > 0) {
      const large = [...generateCorpus(sample, { pages: config.largePages, seed: config.seed })];
      const largeDir = join(work, `corpus-${config.largePages}`);
      await writeCorpus(largeDir, large);
      await peakOf(large, largeDir, config.largeRuns, { pages: config.pages, mib });
      await rm(largeDir, { recursive: true, force: true });
    }
  } else notAvailable(MEM, 'peak RSS', 'needs a working end-to-end publish');

  // Parse on larger inputs, against sha256 of the same bytes: linear?
  const LIN = 'parse at two sizes';
  if (parsePage) {
    for (const mb of config.linearMB) {
      const corpus = corpusOfSize(sample, mb * MB, { seed: config.seed + mb });
      const bytes = sum(corpus);
      const runs = Math.max(2, Math.min(config.runs, 3));
      const parseSeconds = await timeRuns(
        runs,
        () => {
          for (const page of corpus) parsePage(page.bytes, { file: page.name });
        },
        { warmup: 1 },
      );
      const hashSeconds = await timeRuns(runs, () => {
        for (const page of corpus) createHash('sha256').update(page.bytes).digest();
      });
      add({
        section: LIN,
        measure: `parse ${(bytes / MB).toFixed(0)} MB (${corpus.length} pages)`,
        value: rate(bytes, parseSeconds),
        unit: 'MB/s',
        note: `${formatNumber(parseSeconds.median)} s; sha256 ${formatNumber(rate(bytes, hashSeconds).median)} MB/s, parse at ${((hashSeconds.median / parseSeconds.median) * 100).toFixed(1)}% of it`,
      });
    }
  } else notAvailable(LIN, 'parse', '@newsdata/parse does not export parsePage yet');

  // The download server against nginx.
  const SRV = `download server vs nginx (wrk, ${config.wrkSeconds} s, loopback)`;
  const tools = { nginx: await hasCommand('nginx'), wrk: await hasCommand('wrk') };
  if (!store || !release) notAvailable(SRV, 'server', 'needs a published release');
  else if (!tools.nginx || !tools.wrk) {
    notAvailable(
      SRV,
      'server',
      `${[!tools.nginx && 'nginx', !tools.wrk && 'wrk'].filter(Boolean).join(' and ')} not installed`,
    );
  } else {
    await measureServers(SRV, store, release);
  }

  // Profile of one full publish (on request: it slows the run down).
  let profile: { command: string; entries: ProfileEntry[]; packages: ProfileEntry[] } | undefined;
  if (args.profile && fullPublish) {
    const dir = join(work, 'profile');
    const result = await publishOnce(corpusDir, join(work, 'store-profile'), [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
    ]);
    const files = (await readdir(dir).catch(() => [] as string[])).filter((name) =>
      name.endsWith('.cpuprofile'),
    );
    if (result.code === 0 && files.length > 0) {
      // One profile per thread: the main thread and each worker.
      const cpuProfile: CpuProfile[] = await Promise.all(
        files.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile),
      );
      const entries = topSelfTime(cpuProfile, { top: 25, root: `${root}/` });
      const packages = selfTimeByPackage(cpuProfile).slice(0, 15);
      profile = {
        packages,
        command: `node --cpu-prof apps/publisher/dist/cli.js publish --source <corpus of ${config.pages} pages> --out <empty dir>`,
        entries,
      };
      process.stdout.write(
        `\nCPU profile of a full publish (${config.pages} pages, ${files.length} threads), self time by package:\n`,
      );
      for (const entry of packages) {
        process.stdout.write(
          `${entry.selfMs.toFixed(0).padStart(8)} ms ${entry.percent.toFixed(1).padStart(5)}%  ${entry.name}\n`,
        );
      }
      process.stdout.write('\nby function:\n');
      for (const entry of entries) {
        process.stdout.write(
          `${entry.selfMs.toFixed(0).padStart(8)} ms ${entry.percent.toFixed(1).padStart(5)}%  ${entry.name}\n`,
        );
      }
    }
  }

  const seconds = (performance.now() - started) / 1000;
  notes.push(
    'The machine is not reserved for the benchmark: the load averages before and after the run say how busy it was; figures from a busy machine are low and spread wide. Stages in-process run one after another on the whole corpus held in memory (parse → extract → validate → export); each is timed alone, after one warm-up run.',
    'End to end is `node apps/publisher/dist/cli.js publish --source <corpus> --out <empty dir>` in a child process, Node start-up included; peak RSS is the child’s VmHWM (/proc/self/status) at exit, read by a module loaded with `node --import` (getrusage’s maxRSS would keep the peak of the benchmark process the child was forked from).',
    'nginx runs one worker process (the download server is one Node process), sendfile and etags on, access log off; both servers are asked for the same file under `/releases/<id>/`, and each 304 request carries that server’s own ETag.',
    'Miller reads each NDJSON file in its own process and writes CSV to a file; “Miller’s job” for ours is the same: read the NDJSON file, parse it, write CSV with the export package’s `csvChunks`. Debian’s Miller 6.6 has no `--inidjson`: its JSON Lines reader is `--ijsonl`. Miller flattens list values (`source_lines`) into numbered columns and starts a new header block when the columns change; ours joins lists with `;`.',
  );
  process.stdout.write(`\n${formatTable(rows)}\n\n${command} · ${corpusText} · ${Math.round(seconds)} s\n`);
  if (writeTo) {
    await writeFile(
      writeTo,
      formatMarkdown({
        rows,
        machine,
        command,
        corpus: corpusText,
        seconds,
        loadAfter: describeMachine().load,
        notes,
        profile,
      }),
    );
    log(`wrote ${writeTo}`);
  }
} finally {
  for (const server of running) await server.stop();
  if (args.keep) log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

async function measureServers(section: string, store: string, release: string): Promise<void> {
  const id = relative(join(store, 'releases'), release);
  const csvs = (await listFiles(release)).filter((path) => path.endsWith('.csv'));
  const sizes = await Promise.all(
    csvs.map(async (path) => ({ path, size: (await stat(join(release, path))).size })),
  );
  const largest = sizes.sort((a, b) => b.size - a.size)[0];
  if (!largest) return notAvailable(section, 'server', 'the release has no CSV');
  const path = `/releases/${id}/${largest.path}`;
  const ourPort = await freePort();
  const ours = start(process.execPath, [cli, 'serve', '--out', store, '--port', String(ourPort)], {
    cwd: root,
  });
  running.push(ours);
  const nginxPort = await freePort();
  const nginx = await startNginx(store, nginxPort, join(work, 'nginx'));
  running.push(nginx);
  const servers = [
    { name: 'ours', url: `http://127.0.0.1:${ourPort}${path}`, process: ours },
    { name: 'nginx', url: `http://127.0.0.1:${nginxPort}${path}`, process: nginx },
  ];
  const figures = new Map<string, { notModified?: Summary; download?: Summary }>();
  for (const server of servers) {
    if (!(await waitForHttp(server.url, 15000, server.process))) {
      notAvailable(section, server.name, `did not answer: ${lastLine(server.process.output())}`);
      continue;
    }
    const first = await fetch(server.url);
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    const figure: { notModified?: Summary; download?: Summary } = {};
    if (first.status !== 200) {
      notAvailable(section, `${server.name}: ${largest.path}`, `answered ${first.status}`);
      continue;
    }
    if (etag) {
      const check = await fetch(server.url, { headers: { 'If-None-Match': etag } });
      await check.arrayBuffer();
      if (check.status === 304) {
        const values: number[] = [];
        for (let i = 0; i < config.wrkRuns; i++) {
          const result = await wrk(server.url, {
            seconds: config.wrkSeconds,
            connections: 32,
            threads: 2,
            headers: { 'If-None-Match': etag },
          });
          values.push(result.requestsPerSecond);
        }
        figure.notModified = summarize(values);
      } else notAvailable(section, `${server.name}: conditional GET`, `answered ${check.status}, not 304`);
    } else notAvailable(section, `${server.name}: conditional GET`, 'no ETag');
    const values: number[] = [];
    for (let i = 0; i < config.wrkRuns; i++) {
      const download = await wrk(server.url, { seconds: config.wrkSeconds, connections: 8, threads: 2 });
      values.push(download.bytesPerSecond / MB);
    }
    figure.download = summarize(values);
    figures.set(server.name, figure);
  }
  const mine = figures.get('ours');
  const theirs = figures.get('nginx');
  for (const [kind, unit, label] of [
    ['notModified', 'req/s', 'conditional GET answered 304 (c=32)'],
    ['download', 'MB/s', `full download of ${largest.path}, ${(largest.size / MB).toFixed(1)} MB (c=8)`],
  ] as const) {
    const a = mine?.[kind];
    const b = theirs?.[kind];
    if (b !== undefined) add({ section, measure: `nginx: ${label}`, value: b, unit });
    if (a !== undefined) {
      add({
        section,
        measure: `ours: ${label}`,
        value: a,
        unit,
        target: b !== undefined ? atLeast(a.median, b.median / 2, '≥ 50% of nginx') : undefined,
        note: b !== undefined ? `${((a.median / b.median) * 100).toFixed(0)}% of nginx` : '',
      });
    }
  }
}
