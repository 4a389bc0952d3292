import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { toRecords } from '@newsdata/extract';
import { parsePage } from '@newsdata/parse';
import { validateSchema } from '@newsdata/validate';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../test/helpers.js';
import { copySample, editSource, ndjson } from '../test/pages.js';
import { type Engine, publish, validateSources } from './pipeline.js';
import { hashFile, listReleases, readCurrent, verifyRelease } from './store.js';

/** Every file of the current release with its sha256, except manifest.json. */
async function fileHashes(out: string): Promise<Record<string, string>> {
  const current = await readCurrent(out);
  const hashes: Record<string, string> = {};
  for (const file of current!.manifest.files) {
    hashes[file.path] = (await hashFile(join(out, 'current', ...file.path.split('/')))).sha256;
  }
  return hashes;
}

async function setup() {
  const sources = await tempDir();
  const out = await tempDir();
  const file = await copySample(sources);
  return { sources, out, file };
}

describe('publish', () => {
  it('publishes a complete release whose manifest validates, then finds nothing to do the second time', async () => {
    const { sources, out } = await setup();
    const first = await publish({ sources: [sources], out, now: () => new Date('2025-01-08T08:00:00Z') });
    expect(first).toMatchObject({ status: 'published', previous_release_id: null, parsed: 1, cached: 0 });
    expect(first.report.valid).toBe(true);
    const id = first.release_id!;
    expect((await verifyRelease(out, id)).ok).toBe(true);
    const current = await readCurrent(out);
    expect(current?.id).toBe(id);
    expect(validateSchema('manifest', current!.manifest)).toEqual([]);
    expect(current!.manifest.created).toBe('2025-01-08T08:00:00.000Z');
    expect(current!.manifest.sources).toEqual([
      expect.objectContaining({ source_id: 'dalian-daily-sample-page', encoding: 'utf-8' }),
    ]);
    const paths = current!.manifest.files.map((file) => file.path);
    for (const path of [
      'articles.csv',
      'excel/articles.csv',
      'paragraphs.ndjson',
      'articles.json',
      'datapackage.json',
      'validation-report.json',
      'changes.json',
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths).not.toContain('manifest.json');
    const changes = JSON.parse(await readFile(join(out, 'current', 'changes.json'), 'utf8'));
    expect(changes.tables.articles.added.length).toBeGreaterThan(0);
    expect(changes).toEqual(first.changes);

    const before = await fileHashes(out);
    const manifestBefore = await readFile(join(out, 'current', 'manifest.json'));
    const second = await publish({ sources: [sources], out, now: () => new Date('2025-01-09T08:00:00Z') });
    expect(second).toMatchObject({
      status: 'unchanged',
      release_id: id,
      previous_release_id: id,
      parsed: 0,
      cached: 1,
    });
    expect(await fileHashes(out)).toEqual(before);
    expect(await readFile(join(out, 'current', 'manifest.json'))).toEqual(manifestBefore);
    expect((await listReleases(out)).map((release) => release.id)).toEqual([id]);
  }, 60_000);

  it('writes byte-identical data files for the same sources into different stores; only manifest.json differs', async () => {
    const { sources, out } = await setup();
    const other = await tempDir();
    const a = await publish({ sources: [sources], out, now: () => new Date('2025-01-08T08:00:00Z') });
    const b = await publish({ sources: [sources], out: other, now: () => new Date('2026-06-01T00:00:00Z') });
    expect(b.release_id).toBe(a.release_id);
    expect(await fileHashes(other)).toEqual(await fileHashes(out));
    const articles = await readFile(join(out, 'current', 'articles.csv'), 'utf8');
    const rows = parseCsv(articles, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe((await ndjson(join(out, 'current', 'articles.ndjson'))).length);
  }, 60_000);

  it('names exactly the edited article and its changed rows in changes.json', async () => {
    const { sources, out, file } = await setup();
    const first = await publish({ sources: [sources], out });
    const paragraphs = await ndjson(join(out, 'current', 'paragraphs.ndjson'));
    const text = await readFile(file, 'utf8');
    // The longest paragraph, and a run of four Han characters in it that occurs once in the page.
    const target = [...paragraphs].sort((x, y) => String(y.text).length - String(x.text).length)[0]!;
    const chars = Array.from(String(target.text));
    let word: string | undefined;
    for (let i = 0; i + 4 <= chars.length && !word; i++) {
      const candidate = chars.slice(i, i + 4).join('');
      if (
        /^[\u4e00-\u9fff]{4}$/u.test(candidate) &&
        text.indexOf(candidate) === text.lastIndexOf(candidate)
      ) {
        word = candidate;
      }
    }
    expect(word).toBeDefined();
    await editSource(file, word!, word === '示例文字' ? '文字示例' : '示例文字');

    const second = await publish({ sources: [sources], out });
    expect(second).toMatchObject({ status: 'published', previous_release_id: first.release_id, parsed: 1 });
    const changes = JSON.parse(await readFile(join(out, 'current', 'changes.json'), 'utf8'));
    const articleId = String(target.article_id);
    expect(changes.previous_release_id).toBe(first.release_id);
    expect(changes.tables.articles).toEqual({ added: [], removed: [], changed: [articleId] });
    expect(changes.tables.paragraphs).toEqual({
      added: [],
      removed: [],
      changed: [`${articleId}|${target.seq}`],
    });
    for (const [table, lists] of Object.entries(changes.tables) as [string, Record<string, string[]>][]) {
      for (const key of [...lists.added!, ...lists.removed!, ...lists.changed!]) {
        expect(key.startsWith(articleId), `${table} ${key}`).toBe(true);
      }
    }
  }, 60_000);

  it('drops the records of a deleted source and says so in changes.json', async () => {
    const { sources, out } = await setup();
    await copySample(sources, '2025-01-09-copy');
    const first = await publish({ sources: [sources], out });
    expect(first.status).toBe('published');
    const before = await ndjson(join(out, 'current', 'articles.ndjson'));
    const copied = before.filter((row) => row.source_id === '2025-01-09-copy');
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.every((row) => row.date === '2025-01-09')).toBe(true);

    await rm(join(sources, '2025-01-09-copy.txt'));
    await rm(join(sources, '2025-01-09-copy.meta.json'));
    const second = await publish({ sources: [sources], out });
    expect(second.status).toBe('published');
    const after = await ndjson(join(out, 'current', 'articles.ndjson'));
    expect(after.some((row) => row.source_id === '2025-01-09-copy')).toBe(false);
    const changes = second.changes!;
    expect(changes.tables.articles!.removed).toEqual(copied.map((row) => String(row.article_id)).sort());
    for (const lists of Object.values(changes.tables)) {
      expect(lists!.added).toEqual([]);
      expect(lists!.changed).toEqual([]);
      for (const key of lists!.removed) expect(key.startsWith('2025-01-09-copy~')).toBe(true);
    }
  }, 60_000);

  it('re-parses only the edited source of 50 (counted through the engine)', async () => {
    const sources = await tempDir();
    const out = await tempDir();
    const files: string[] = [];
    for (let i = 0; i < 50; i++)
      files.push(await copySample(sources, `2025-01-${String((i % 28) + 1).padStart(2, '0')}-p${i}`));
    let parses = 0;
    const engine: Engine = {
      parsePage: (bytes, options) => {
        parses++;
        return parsePage(bytes, options);
      },
      toRecords,
    };
    const first = await publish({ sources: [sources], out, engine });
    expect(first).toMatchObject({ status: 'published', parsed: 50, cached: 0 });
    expect(parses).toBe(50);
    await editSource(files[17]!, '市政协', '市人大');
    parses = 0;
    const progress: number[] = [];
    const second = await publish({
      sources: [sources],
      out,
      engine,
      onProgress: (done) => progress.push(done),
    });
    expect(second).toMatchObject({ status: 'published', parsed: 1, cached: 49 });
    expect(parses).toBe(1);
    expect(progress).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(second.sources.filter((source) => !source.cached).map((source) => source.source_id)).toEqual([
      '2025-01-18-p17',
    ]);
  }, 120_000);

  it('builds every source again when the index of the current release is broken or does not match it', async () => {
    const { sources, out } = await setup();
    const first = await publish({ sources: [sources], out });
    const index = join(out, '.cache', 'release-index.json');
    const good = await readFile(index, 'utf8');
    const entry = JSON.parse(good) as {
      files: { bytes: number }[];
      sources: { at: number[]; lengths: number[] }[];
    };
    // A segment past the end of its file; a file of another size than the release's; another exporter.
    const pastTheEnd = structuredClone(entry);
    pastTheEnd.sources[0]!.lengths[0]! += 1_000_000;
    const otherSize = structuredClone(entry);
    otherSize.files[2]!.bytes += 1;
    for (const broken of [
      '{"format":1,"release_id":',
      JSON.stringify(pastTheEnd),
      JSON.stringify(otherSize),
      JSON.stringify({ ...entry, segments: 'another exporter' }),
    ]) {
      await writeFile(index, broken);
      // Without the record of the last run's inputs, the sources go through the index.
      await rm(join(out, '.cache', 'last-run.json'));
      const again = await publish({ sources: [sources], out });
      expect(again).toMatchObject({
        status: 'unchanged',
        release_id: first.release_id,
        parsed: 1,
        cached: 0,
      });
      expect(await readFile(index, 'utf8')).toBe(good);
    }
    await rm(join(out, '.cache', 'last-run.json'));
    const third = await publish({ sources: [sources], out });
    expect(third).toMatchObject({ status: 'unchanged', parsed: 0, cached: 1 });
    expect(third.report).toEqual(first.report);
    expect(third.sources).toEqual([
      expect.objectContaining({ source_id: 'dalian-daily-sample-page', encoding: 'utf-8' }),
    ]);
  }, 60_000);

  it('rebuilds a damaged current release from its sources and replaces it, history kept', async () => {
    const { sources, out, file } = await setup();
    const first = await publish({ sources: [sources], out });
    await editSource(file, '市政协', '市人大');
    const second = await publish({ sources: [sources], out });
    const id = second.release_id!;
    const good = await fileHashes(out);
    const changes = await readFile(join(out, 'current', 'changes.json'), 'utf8');
    const release = join(out, 'releases', id);

    // A file grown, one cut short, one deleted: the sources did not change, yet the release is rebuilt.
    await writeFile(
      join(release, 'articles.csv'),
      `${await readFile(join(release, 'articles.csv'), 'utf8')}x`,
    );
    await writeFile(join(release, 'statistics.ndjson'), '');
    await rm(join(release, 'excel', 'people.csv'));
    const repaired = await publish({ sources: [sources], out });
    expect(repaired).toMatchObject({
      status: 'published',
      release_id: id,
      previous_release_id: id,
      repaired: ['articles.csv', 'excel/people.csv', 'statistics.ndjson'],
    });
    expect((await verifyRelease(out, id)).ok).toBe(true);
    expect(await fileHashes(out)).toEqual(good);
    // The same release as before the damage: the same predecessor and the same change log.
    expect((await readCurrent(out))!.manifest.previous_release_id).toBe(first.release_id);
    expect(await readFile(join(out, 'current', 'changes.json'), 'utf8')).toBe(changes);
    expect(await publish({ sources: [sources], out })).toMatchObject({ status: 'unchanged', release_id: id });

    // Without its manifest the release's history is lost, but the data are rebuilt all the same.
    await rm(join(release, 'manifest.json'));
    const rebuilt = await publish({ sources: [sources], out });
    expect(rebuilt).toMatchObject({ status: 'published', release_id: id, repaired: ['manifest.json'] });
    expect((await verifyRelease(out, id)).ok).toBe(true);
    const { 'changes.json': _, ...data } = good;
    expect(await fileHashes(out)).toMatchObject(data);
    const log = JSON.parse(await readFile(join(out, 'current', 'changes.json'), 'utf8'));
    expect(log).toMatchObject({ release_id: id, previous_release_id: null });
    expect(log.tables.articles.added).toHaveLength(repaired.report.tables.articles!.rows);
  }, 60_000);

  it('does not take a changed option for an unchanged run', async () => {
    const { sources, out } = await setup();
    const first = await publish({ sources: [sources], out });
    const renamed = await publish({ sources: [sources], out, dataPackage: { title: '大连日报新闻数据' } });
    expect(renamed.status).toBe('published');
    expect(renamed.release_id).not.toBe(first.release_id);
    expect(renamed.changes?.tables.articles).toEqual({ added: [], removed: [], changed: [] });
  }, 60_000);

  it('blocks invalid data: the report goes to reports/latest-invalid.json and current stays', async () => {
    const { sources, out } = await setup();
    const first = await publish({ sources: [sources], out });
    await writeFile(join(sources, 'broken.txt'), Uint8Array.of(0xe4, 0xb8, 0xad, 0xff, 0xff, 0x0a));
    const second = await publish({ sources: [sources], out, onInvalid: 'quarantine' });
    expect(second.status).toBe('invalid');
    expect(second.report.valid).toBe(false);
    expect(second.sources.find((source) => source.source_id === 'broken')?.error).toBeDefined();
    const saved = JSON.parse(await readFile(join(out, 'reports', 'latest-invalid.json'), 'utf8'));
    expect(saved).toEqual(second.report);
    expect((await readCurrent(out))?.id).toBe(first.release_id);
    expect(await listReleases(out)).toHaveLength(1);
  }, 60_000);

  it('reports a broken sidecar against the sidecar, at its own line and column', async () => {
    const { sources, out } = await setup();
    const sidecar = join(sources, 'dalian-daily-sample-page.meta.json');
    // A missing comma: the JSON error is at line 3 of the sidecar, a position the page does not share.
    await writeFile(sidecar, '{\n  "publisher": "大连新闻传媒集团"\n  "description": "样张"\n}\n');
    for (const run of [
      await publish({ sources: [sources], out }),
      await validateSources({ sources: [sources] }),
    ]) {
      expect(run.report.valid).toBe(false);
      const problem = run.report.problems.find((item) => item.type === 'source-meta-invalid');
      expect(problem?.source).toMatchObject({ file: sidecar, line: 3 });
      expect(problem?.message).toContain(sidecar);
    }
  }, 60_000);

  it('quarantines invalid rows when asked, within the allowed share', async () => {
    const { sources, out } = await setup();
    // A copy of a real statistic that breaks a domain rule (a percentage above 100).
    const engine: Engine = {
      parsePage,
      toRecords: (page, source) => {
        const tables = toRecords(page, source);
        const original = tables.statistics[0]!;
        tables.statistics.push({
          ...original,
          statistic_id: `${original.statistic_id}-bad`,
          value: 130,
          unit: '%',
        });
        return tables;
      },
    };
    const strict = await publish({
      sources: [sources],
      out,
      engine,
      onInvalid: 'quarantine',
      maxQuarantineShare: 0,
    });
    expect(strict.status).toBe('invalid');
    expect(strict.report.problems[0]?.type).toBe('quarantine-share-exceeded');
    expect(await readCurrent(out)).toBeNull();

    const result = await publish({
      sources: [sources],
      out,
      engine,
      onInvalid: 'quarantine',
      maxQuarantineShare: 0.5,
    });
    expect(result.status).toBe('published');
    expect(result.quarantined).toBeGreaterThanOrEqual(1);
    const csv = await readFile(join(out, 'current', 'quarantine', 'statistics.csv'), 'utf8');
    const rows = parseCsv(csv, { columns: true }) as Record<string, string>[];
    const rejected = rows.find((row) => row.statistic_id?.endsWith('-bad'));
    expect(rejected?.reason).toMatch(/percent/);
    const published = await ndjson(join(out, 'current', 'statistics.ndjson'));
    expect(published.some((row) => String(row.statistic_id).endsWith('-bad'))).toBe(false);
    expect((await verifyRelease(out, result.release_id!)).ok).toBe(true);
  }, 60_000);

  it('aborts the switch when beforeSwitch throws: status failed, nothing new in the store', async () => {
    const { sources, out, file } = await setup();
    const first = await publish({ sources: [sources], out });
    await editSource(file, '市政协', '市人大');
    const result = await publish({
      sources: [sources],
      out,
      beforeSwitch: async () => {
        throw new Error('fencing token rejected');
      },
    });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('fencing token rejected');
    expect((await readCurrent(out))?.id).toBe(first.release_id);
    expect((await listReleases(out)).map((release) => release.id)).toEqual([first.release_id]);
    expect(await readdir(join(out, '.staging'))).toEqual([]);
    expect(await readdir(out)).not.toContain('.lock');
  }, 60_000);

  it('fails with PUBLISH_LOCKED when another publisher holds the store', async () => {
    const { sources, out } = await setup();
    const { acquireLock } = await import('./lock.js');
    const release = await acquireLock(out);
    await expect(publish({ sources: [sources], out })).rejects.toMatchObject({ code: 'PUBLISH_LOCKED' });
    await release();
  });
});

describe('publish from a URL', () => {
  it('keeps the bytes of a URL source, so a 304 answer republishes nothing', async () => {
    const page = await readFile(join(repoRoot, 'data', 'sources', 'dalian-daily-sample-page.txt'));
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers['if-none-match']);
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
      else res.writeHead(200, { etag: '"v1"' }).end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/2025-01-08-a01.txt`;
    try {
      const out = await tempDir();
      const first = await publish({ sources: [url], out });
      expect(first.status).toBe('published');
      const current = await readCurrent(out);
      expect(current!.manifest.sources).toEqual([
        expect.objectContaining({ source_id: '2025-01-08-a01', url }),
      ]);
      const second = await publish({ sources: [url], out });
      expect(second).toMatchObject({ status: 'unchanged', release_id: first.release_id, parsed: 0 });
      expect(seen).toEqual([undefined, '"v1"']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});

describe('publish refuses to start', () => {
  it('on a source set that is empty (it would publish an empty release)', async () => {
    const sources = await tempDir();
    const out = await tempDir();
    await expect(publish({ sources: [sources], out })).rejects.toMatchObject({
      code: 'SOURCES_EMPTY',
      fault: 'runtime',
    });
    await expect(validateSources({ sources: [sources] })).rejects.toMatchObject({ code: 'SOURCES_EMPTY' });
  });

  it('when cancelled: PUBLISH_ABORTED, the store untouched and unlocked', async () => {
    const { sources, out } = await setup();
    const controller = new AbortController();
    controller.abort();
    await expect(publish({ sources: [sources], out, signal: controller.signal })).rejects.toMatchObject({
      code: 'PUBLISH_ABORTED',
    });
    expect(await readCurrent(out)).toBeNull();
    expect(await readdir(out)).not.toContain('.lock');
  });
});

describe('validateSources', () => {
  it('validates without writing anything', async () => {
    const { sources, out } = await setup();
    const { report, sources: summaries } = await validateSources({ sources: [sources], lang: 'zh' });
    expect(report.valid).toBe(true);
    expect(report.sources).toEqual([
      expect.objectContaining({ source_id: 'dalian-daily-sample-page', encoding: 'utf-8' }),
    ]);
    expect(summaries[0]).toMatchObject({ source_id: 'dalian-daily-sample-page', cached: false });
    expect(await readdir(out)).toEqual([]);
  }, 60_000);
});
