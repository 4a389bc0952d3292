import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CorpusPage,
  changeNames,
  changeNumbers,
  corpusOfSize,
  createRandom,
  generateCorpus,
  partsOf,
  splitBlocks,
  writeCorpus,
} from './corpus.js';

const sample = await readFile(new URL('../test/fixtures/two-articles.txt', import.meta.url), 'utf8');

function decode(page: CorpusPage): string {
  return new TextDecoder(page.encoding === 'gb18030' ? 'gb18030' : 'utf-8', { fatal: true })
    .decode(page.bytes)
    .replace(/\r\n/g, '\n');
}

describe('generateCorpus', () => {
  it('gives the same bytes for the same seed, and other bytes for another seed', () => {
    const a = [...generateCorpus(sample, { pages: 20, seed: 42 })];
    const b = [...generateCorpus(sample, { pages: 20, seed: 42 })];
    const c = [...generateCorpus(sample, { pages: 20, seed: 43 })];
    expect(a.map((page) => Buffer.from(page.bytes).toString('hex'))).toEqual(
      b.map((page) => Buffer.from(page.bytes).toString('hex')),
    );
    expect(a.map((page) => page.text)).not.toEqual(c.map((page) => page.text));
  });

  it('names pages by date and page number, 16 a day by default', () => {
    const names = [...generateCorpus(sample, { pages: 18, startDate: '2024-02-28' })].map(
      (page) => page.name,
    );
    expect(names[0]).toBe('2024-02-28-p01.txt');
    expect(names[15]).toBe('2024-02-28-p16.txt');
    expect(names[16]).toBe('2024-02-29-p01.txt');
    expect(new Set(names).size).toBe(18);
  });

  it('varies the pages: texts differ, both encodings and both line ends occur', () => {
    const pages = [...generateCorpus(sample, { pages: 64, seed: 5 })];
    expect(new Set(pages.map((page) => page.text)).size).toBe(64);
    expect(new Set(pages.map((page) => page.encoding))).toEqual(new Set(['utf-8', 'gb18030']));
    expect(new Set(pages.map((page) => page.lineEnding))).toEqual(new Set(['lf', 'crlf']));
    const firstHeadlines = new Set(pages.map((page) => splitBlocks(page.text)[1]));
    expect(firstHeadlines.size).toBeGreaterThan(1);
  });

  it('writes bytes that decode back to the page text, GB18030 and CRLF included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        for (const page of generateCorpus(sample, { pages: 4, seed, gb18030Share: 0.5, crlfShare: 0.5 })) {
          expect(decode(page)).toBe(page.text);
          if (page.lineEnding === 'crlf') expect(Buffer.from(page.bytes).includes('\r\n')).toBe(true);
          else expect(Buffer.from(page.bytes).includes('\r')).toBe(false);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('keeps the page furniture and only whole articles of the sample', () => {
    const parts = partsOf(splitBlocks(sample));
    const headlines = parts.articles.map((article) => article[0]);
    for (const page of generateCorpus(sample, { pages: 10, seed: 9 })) {
      const blocks = splitBlocks(page.text);
      expect(blocks.slice(0, parts.furniture.length)).toEqual(parts.furniture);
      const found = blocks.filter((block) => headlines.includes(block));
      expect(found.length).toBeGreaterThan(0);
      expect(new Set(found).size).toBe(found.length);
    }
  });

  it('corpusOfSize stops at the first page that reaches the size', () => {
    const pages = corpusOfSize(sample, 3000, { seed: 2 });
    const total = pages.reduce((sum, page) => sum + page.bytes.byteLength, 0);
    expect(total).toBeGreaterThanOrEqual(3000);
    expect(total - pages.at(-1)!.bytes.byteLength).toBeLessThan(3000);
  });
});

describe('partsOf', () => {
  it('puts a headline with its subtitle, byline and paragraphs, and furniture apart', () => {
    const parts = partsOf(splitBlocks(sample));
    expect(parts.furniture).toEqual(['扫描二维码\n下载客户端']);
    expect(parts.articles.map((article) => article.slice(0, 2))).toEqual([
      ['滨海路新建三座口袋公园', '——年内还将再建五座'],
      ['图书馆夜间开放延长', '本报讯(记者周明远 通讯员孙晓)近日,市图书馆宣布夜间开放延长至22时。'],
    ]);
    expect(parts.articles[0]).toContain('配套设施');
  });
});

describe('changeNumbers', () => {
  it('keeps years, months, days and percentages plausible, and decimals as decimals', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const out = changeNumbers('2023年12月31日,完成率93.83%,共508件,增长7倍', createRandom(seed));
        const match = /^(\d{4})年(\d+)月(\d+)日,完成率(\d+)\.(\d{2})%,共(\d{3})件,增长(\d)倍$/.exec(out);
        expect(match).not.toBeNull();
        const [, year, month, day, percent] = match!.map(Number);
        expect(year).toBeGreaterThanOrEqual(2015);
        expect(year).toBeLessThanOrEqual(2025);
        expect(month).toBeGreaterThanOrEqual(1);
        expect(month).toBeLessThanOrEqual(12);
        expect(day).toBeGreaterThanOrEqual(1);
        expect(day).toBeLessThanOrEqual(28);
        expect(percent).toBeLessThan(100);
      }),
    );
  });

  it('changes a number repeated on a page the same way when given one memo', () => {
    const memo = new Map<string, string>();
    const random = createRandom(3);
    expect(changeNumbers('24小时驿站', random, memo)).toBe(changeNumbers('24小时驿站', random, memo));
  });
});

describe('changeNames', () => {
  it('renames the reporter of a lead and the names of a byline line, nothing else', () => {
    const random = createRandom(11);
    const lead = changeNames('本报讯(记者周明远 通讯员孙晓)近日,市图书馆宣布开放。', random);
    expect(lead).toMatch(
      /^本报讯\(记者[\u4e00-\u9fff]{2,3} 通讯员[\u4e00-\u9fff]{2,3}\)近日,市图书馆宣布开放。$/,
    );
    expect(lead).not.toContain('周明远');
    const byline = changeNames('李青 某某日报记者 王小川', random);
    expect(byline).toMatch(/^[\u4e00-\u9fff]{2,3} 某某日报记者 [\u4e00-\u9fff]{2,3}$/);
    expect(byline).not.toContain('王小川');
    expect(changeNames('市民李青说,公园很好。', random)).toBe('市民李青说,公园很好。');
  });
});

describe('writeCorpus', () => {
  it('writes each page under its name and returns the bytes written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-corpus-'));
    try {
      const pages = [...generateCorpus(sample, { pages: 3, seed: 1 })];
      const bytes = await writeCorpus(dir, pages);
      expect(bytes).toBe(pages.reduce((sum, page) => sum + page.bytes.byteLength, 0));
      expect((await readdir(dir)).sort()).toEqual(pages.map((page) => page.name));
      expect(new Uint8Array(await readFile(join(dir, pages[2]!.name)))).toEqual(pages[2]!.bytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
