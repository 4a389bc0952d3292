import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toRecords } from '@newsdata/extract';
import { parsePage } from '@newsdata/parse';
import { describe, expect, it } from 'vitest';
import { type SourceContext, sourceErrorFrom, validateRelease, validateSchema } from './index.js';

const sources = new URL('../../../data/sources/', import.meta.url);
const file = 'data/sources/dalian-daily-sample-page.txt';

function context(source_id: string, bytes: Buffer): Omit<SourceContext, 'encoding'> {
  return { source_id, file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

describe('the real sample page through parsePage and toRecords', () => {
  it('validates with zero errors', () => {
    const bytes = readFileSync(new URL('dalian-daily-sample-page.txt', sources));
    const meta = JSON.parse(readFileSync(new URL('dalian-daily-sample-page.meta.json', sources), 'utf8'));
    expect(validateSchema('source-meta', meta, { file: 'dalian-daily-sample-page.meta.json' })).toEqual([]);
    const page = parsePage(bytes, { file });
    const tables = toRecords(page, { source_id: 'dalian-daily-sample-page', meta });
    const report = validateRelease({
      tables,
      sources: [
        {
          ...context('dalian-daily-sample-page', bytes),
          encoding: page.encoding,
          lines: page.lines,
          accounting: page.accounting,
          noise: page.noise,
          warnings: page.warnings,
        },
      ],
    });
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.tables.articles!.rows).toBeGreaterThan(3);
    expect(report.tables.statistics!.rows).toBeGreaterThan(5);
  });

  it('reports a page with bytes that are not text as an error at their byte offset', () => {
    const good = readFileSync(new URL('dalian-daily-sample-page.txt', sources));
    const bytes = Buffer.concat([good.subarray(0, 30), Buffer.from([0xff, 0xff, 0xff]), good.subarray(30)]);
    let thrown: unknown;
    try {
      parsePage(bytes, { file });
    } catch (error) {
      thrown = error;
    }
    const error = sourceErrorFrom(thrown);
    expect(error).toMatchObject({ code: 'SOURCE_NOT_DECODABLE', offset: expect.any(Number) });
    const report = validateRelease({
      tables: { articles: [], paragraphs: [], statistics: [], people: [], documents: [] },
      sources: [{ ...context('dalian-daily-sample-page', bytes), encoding: null, error: error! }],
    });
    expect(report.valid).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ type: 'source-not-decodable', source: { file } });
    const message = report.problems[0]!.message;
    expect(message).toContain(String(error!.offset));
    expect(message.split(file)).toHaveLength(2);
  });

  it('leaves errors that are not the data to the caller', () => {
    expect(sourceErrorFrom(new Error('disk on fire'))).toBeUndefined();
  });
});
