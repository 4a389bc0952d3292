import type { Article, Document, Person, Tables } from '@newsdata/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellOf, guardFormula, unguardFormula } from './cells.js';
import { bytesOf, expectCsvMatchesNdjson, fileAt, readNdjson } from './fixtures.test-data.js';
import { planRelease } from './plan.js';

/** Characters that stress CSV quoting, the list separator, the formula guard and UTF-8. */
const awkward = fc.constantFrom(
  '"',
  ',',
  '\r',
  '\n',
  '\r\n',
  ';',
  '=',
  '+',
  '-',
  '@',
  "'",
  '\t',
  '＝',
  '😀',
  '中',
  '《',
  ' ',
  'a',
);
const text = fc
  .array(fc.oneof(awkward, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 })), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(''));
const item = text.filter((value) => !value.includes(';'));

function tablesWith(
  title: string,
  subtitle: string | null,
  body: string,
  reporters: string[],
  document: string,
): Tables {
  const article_id = 'p~0a1b2c3d';
  const article: Article = {
    article_id,
    source_id: 'p',
    seq: 1,
    publication: '大连日报',
    date: null,
    page: null,
    title,
    subtitle,
    reporters,
    contributors: [],
    agency: null,
    dateline: null,
    dateline_date: null,
    section_count: 0,
    paragraph_count: 1,
    char_count: 1,
    lead: body,
    text: body,
    source_lines: ['1-2'],
  };
  const people: Person[] = reporters.map((name) => ({ article_id, name, role: 'reporter', titles: [name] }));
  const documents: Document[] = [{ article_id, title: document, mentions: 1 }];
  const unique = people.filter((person, i) => people.findIndex((other) => other.name === person.name) === i);
  return { articles: [article], paragraphs: [], statistics: [], people: unique, documents };
}

describe('cells', () => {
  it('round-trips arbitrary text through both CSV flavours and NDJSON', () => {
    fc.assert(
      fc.property(
        text,
        fc.option(text),
        text,
        fc.array(item, { maxLength: 3 }),
        text,
        (title, subtitle, body, reporters, document) => {
          const tables = tablesWith(title, subtitle, body, reporters, document);
          const files = planRelease(tables);
          expectCsvMatchesNdjson(files);
          const [article] = readNdjson(bytesOf(fileAt(files, 'articles.ndjson')));
          expect(article).toEqual(tables.articles[0]);
          expect(readNdjson(bytesOf(fileAt(files, 'documents.ndjson')))).toEqual(tables.documents);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('undoes the formula guard exactly', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(unguardFormula(guardFormula(value))).toBe(value);
      }),
    );
    expect(guardFormula('=HYPERLINK("http://x")')).toBe(`'=HYPERLINK("http://x")`);
    expect(guardFormula("'引号")).toBe("''引号");
    expect(guardFormula('市政协')).toBe('市政协');
  });

  it('writes numbers in their JSON form and never guards them', () => {
    for (const value of [93.83, 33650000, -20, 0.1, 1e21, 5e-7]) {
      expect(cellOf(value, 'excel')).toBe(JSON.stringify(value));
    }
    expect(cellOf(-0, 'standard')).toBe('0');
    expect(cellOf(true, 'standard')).toBe('true');
    expect(cellOf(null, 'excel')).toBe('');
    expect(cellOf(['石朕', '谢锦宜'], 'standard')).toBe('石朕;谢锦宜');
    expect(cellOf(['-号'], 'excel')).toBe("'-号");
  });
});
