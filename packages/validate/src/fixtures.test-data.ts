import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Tables } from '@newsdata/contract';
import type { SourceContext } from './release.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);

/** Path of a fixture as problems show it. */
export const pageFile = 'test/fixtures/coastal-district-page.txt';

/** The ids of the two articles of the fixture page. */
export const parkArticle = 'coastal-district-page~3f9a1c0e';
export const showArticle = 'coastal-district-page~b72d4e15';

export function readFixture(name: string): string {
  return readFileSync(new URL(name, fixtures), 'utf8');
}

/**
 * The fixture page and the records a correct parse + extract makes of it, as fresh copies that a
 * test may corrupt.
 */
export function fixturePage(): { tables: Tables; sources: SourceContext[] } {
  const bytes = readFileSync(new URL('coastal-district-page.txt', fixtures));
  const text = bytes.toString('utf8');
  const lines = text.replace(/\n$/, '').split('\n');
  const tables = JSON.parse(readFixture('coastal-district-page.tables.json')) as Tables;
  const source: SourceContext = {
    source_id: 'coastal-district-page',
    file: pageFile,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    encoding: 'utf-8',
    lines,
    accounting: { nonBlank: 10, inArticles: 8, inNoise: 2, inWarnings: 0 },
    noise: [{ line: 1 }, { line: 2 }],
    warnings: [],
  };
  return { tables, sources: [source] };
}
