import { readFileSync } from 'node:fs';
import { parsePage } from '@newsdata/parse';
import { describe, expect, it } from 'vitest';
import { extractStatistics, findDocumentTitles, findMentionedPeople, toRecords } from './index.js';

interface GoldenStatistic {
  article: string;
  text: string;
  value: number;
  unit: string;
  labels: string[];
  approximate: boolean;
  qualifier: string | null;
  year: number | null;
}
interface Golden {
  statistics: GoldenStatistic[];
  people: { article: string; name: string; role: string; titles: string[] }[];
  documents: { article: string; title: string; mentions: number }[];
  not_statistics: string[];
}

const golden = JSON.parse(
  readFileSync(new URL('../test/fixtures/sample.golden.json', import.meta.url), 'utf8'),
) as Golden;
const sample = readFileSync(
  new URL('../../../data/sources/dalian-daily-sample-page.txt', import.meta.url),
  'utf8',
);
// Each source line is read as one paragraph: this measures extraction alone, whatever the parser does
// with the page's layout (a number cut by a column break is the parser's to join).
const lines = sample.split('\n');
const found = lines.flatMap((line, i) => extractStatistics(line).map((s) => ({ ...s, line: i + 1 })));

describe('the sample page against the hand-read golden file', () => {
  const unmatched = [...golden.statistics];
  const matches: { found: (typeof found)[number]; gold: GoldenStatistic }[] = [];
  const falses: typeof found = [];
  for (const f of found) {
    const k = unmatched.findIndex((g) => g.text === f.text && g.value === f.value && g.unit === f.unit);
    if (k < 0) falses.push(f);
    else matches.push({ found: f, gold: unmatched.splice(k, 1)[0]! });
  }
  const recall = matches.length / golden.statistics.length;
  const precision = matches.length / Math.max(1, found.length);
  const labelled = matches.filter((m) => m.found.label !== null && m.gold.labels.includes(m.found.label));
  const labelRecall = labelled.length / golden.statistics.length;
  const exact = matches.filter(
    (m) =>
      m.found.approximate === m.gold.approximate &&
      m.found.qualifier === m.gold.qualifier &&
      (m.gold.year === null || m.found.year === m.gold.year),
  );
  console.log(
    `statistics: ${found.length} found, ${golden.statistics.length} in golden; ` +
      `precision ${(precision * 100).toFixed(1)}%, recall (value+unit) ${(recall * 100).toFixed(1)}%, ` +
      `recall with an acceptable label ${(labelRecall * 100).toFixed(1)}%, ` +
      `qualifier/year right ${exact.length}/${matches.length}`,
  );
  if (unmatched.length) console.log('missed:', unmatched.map((g) => g.text).join(' '));
  if (falses.length) console.log('not in golden:', falses.map((f) => `${f.line}:${f.text}`).join(' '));
  const wrongLabels = matches.filter((m) => !labelled.includes(m));
  if (wrongLabels.length)
    console.log('labels off:', wrongLabels.map((m) => `${m.found.text}→${m.found.label}`).join(' '));

  it('recalls ≥ 95% of statistics with the right value and unit', () => {
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('recalls ≥ 90% with an acceptable label', () => {
    expect(labelRecall).toBeGreaterThanOrEqual(0.9);
  });

  it('gets the qualifier and the year of every matched statistic right', () => {
    expect(matches.length - exact.length).toBe(0);
  });

  it('reports no statistic from the non-statistics (years, ordinals, anniversaries, names, quotes)', () => {
    const bad = found.filter((f) =>
      golden.not_statistics.some((x) => x.includes(f.text) || f.text.includes(x)),
    );
    expect(bad.map((f) => f.text)).toEqual([]);
    expect(precision).toBeGreaterThanOrEqual(0.95);
  });

  it('points every statistic at the characters it was read from', () => {
    for (const f of found) expect(lines[f.line - 1]!.slice(f.index, f.index + f.text.length)).toBe(f.text);
  });

  it('finds every person mentioned with a title, and nobody else', () => {
    const people = lines.flatMap((line) => findMentionedPeople(line));
    const expected = golden.people.filter((p) => p.role === 'mentioned');
    expect(people.map(({ name, titles }) => ({ name, titles }))).toEqual(
      expected.map(({ name, titles }) => ({ name, titles })),
    );
  });

  it('finds every cited document', () => {
    const titles = lines.flatMap((line) => findDocumentTitles(line));
    expect(titles).toEqual(golden.documents.map((d) => d.title));
  });
});

describe('the sample page through parsePage and toRecords', () => {
  const bytes = readFileSync(new URL('../../../data/sources/dalian-daily-sample-page.txt', import.meta.url));
  const meta = JSON.parse(
    readFileSync(
      new URL('../../../data/sources/dalian-daily-sample-page.meta.json', import.meta.url),
      'utf8',
    ),
  );
  const page = parsePage(bytes);
  const records = toRecords(page, { source_id: 'dalian-daily-sample-page', meta });
  const titleOf = new Map(records.articles.map((a) => [a.article_id, a.title]));
  const inArticle = (fragment: string, articleIdOf: string) => titleOf.get(articleIdOf)!.includes(fragment);

  it('finds every golden statistic in its article, pointing at its characters', () => {
    const missing = golden.statistics.filter(
      (g) =>
        !records.statistics.some(
          (s) =>
            s.text === g.text &&
            s.value === g.value &&
            s.unit === g.unit &&
            inArticle(g.article, s.article_id),
        ),
    );
    expect(missing.map((g) => g.text)).toEqual([]);
    expect(records.statistics).toHaveLength(golden.statistics.length);
    for (const s of records.statistics) {
      expect([...page.lines[s.source_line - 1]!].slice(s.source_column - 1).join('')).toMatch(
        new RegExp(`^${s.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    }
  });

  it('compresses source lines over blank lines', () => {
    const first = records.articles.find((a) => a.seq === 1)!;
    expect(first.source_lines).toEqual(['9-17']);
  });

  it('lists every person of the golden file with role and titles, and nobody else', () => {
    const got = records.people.map(
      (p) => `${titleOf.get(p.article_id)}|${p.name}|${p.role}|${p.titles.join(';')}`,
    );
    const want = golden.people.map((g) => {
      const title = records.articles.find((a) => a.title.includes(g.article))!.title;
      return `${title}|${g.name}|${g.role}|${g.titles.join(';')}`;
    });
    expect(got.sort()).toEqual(want.sort());
  });

  it('lists every document of the golden file with its mentions', () => {
    const got = records.documents.map((d) => `${titleOf.get(d.article_id)}|${d.title}|${d.mentions}`);
    const want = golden.documents.map((g) => {
      const title = records.articles.find((a) => a.title.includes(g.article))!.title;
      return `${title}|${g.title}|${g.mentions}`;
    });
    expect(got.sort()).toEqual(want.sort());
  });
});

// The sample is typeset with ASCII punctuation (,;:()) between Chinese characters; most pages use the
// full-width forms (，；：（）！？). Extraction must read both the same way.
describe('the sample page with full-width punctuation', () => {
  const toFullWidth = (text: string) =>
    text.replace(/[,;:!?()%]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  const toAscii = (value: unknown): unknown =>
    typeof value === 'string'
      ? value.replace(/[，；：！？（）％]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      : Array.isArray(value)
        ? value.map(toAscii)
        : value;
  const rowsOf = (text: string) => {
    const tables = toRecords(parsePage(Buffer.from(text, 'utf8')), { source_id: 'sample', meta: null });
    return Object.fromEntries(
      Object.entries(tables).map(([table, rows]) => [
        table,
        (rows as unknown as Record<string, unknown>[]).map((row) =>
          Object.fromEntries(Object.entries(row).map(([key, value]) => [key, toAscii(value)])),
        ),
      ]),
    );
  };

  it('gives the same rows, punctuation aside, as with ASCII punctuation', () => {
    const full = toFullWidth(sample);
    expect(full).not.toBe(sample);
    expect(rowsOf(full)).toEqual(rowsOf(sample));
  });
});
