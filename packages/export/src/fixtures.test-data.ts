import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Tables } from '@newsdata/contract';
import { columnsOf, tableNames } from '@newsdata/contract';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { LIST_SEPARATOR, unguardFormula } from './cells.js';
import type { planRelease, ReleaseFile } from './plan.js';

/** The hand-written fixture tables (rows deliberately not in key order). */
export function fixtureTables(): Tables {
  return JSON.parse(readFileSync(new URL('../test/fixtures/tables.json', import.meta.url), 'utf8')) as Tables;
}

/** All bytes of a planned file. */
export function bytesOf(file: ReleaseFile): Buffer {
  return Buffer.concat([...file.chunks()]);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parse CSV bytes as RFC 4180 with csv-parse: header row, then records of strings. */
export function readCsv(bytes: Uint8Array): { header: string[]; records: string[][] } {
  const rows = parse(Buffer.from(bytes), {
    bom: false,
    relax_quotes: false,
    record_delimiter: '\r\n',
  }) as string[][];
  return { header: rows[0] ?? [], records: rows.slice(1) };
}

/** Parse NDJSON bytes into objects. */
export function readNdjson(bytes: Uint8Array): Record<string, unknown>[] {
  const text = Buffer.from(bytes).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function fileAt(files: ReleaseFile[], path: string): ReleaseFile {
  const file = files.find((candidate) => candidate.path === path);
  if (!file) throw new Error(`no file ${path}`);
  return file;
}

/** Turn a CSV cell back into the value it was written from, given the value type the NDJSON shows. */
function cellValue(cell: string, like: unknown, excel: boolean): unknown {
  if (Array.isArray(like)) {
    const text = excel ? unguardFormula(cell) : cell;
    return text === '' ? [] : text.split(LIST_SEPARATOR);
  }
  if (cell === '') return null;
  if (typeof like === 'number') return Number(cell);
  if (typeof like === 'boolean') return cell === 'true';
  return excel ? unguardFormula(cell) : cell;
}

/** Every CSV of both flavours reads back to the same rows and values as the NDJSON of its table. */
export function expectCsvMatchesNdjson(files: ReturnType<typeof planRelease>): void {
  for (const table of tableNames) {
    const json = readNdjson(bytesOf(fileAt(files, `${table}.ndjson`)));
    for (const flavour of ['standard', 'excel'] as const) {
      const bytes = bytesOf(fileAt(files, flavour === 'excel' ? `excel/${table}.csv` : `${table}.csv`));
      const body = flavour === 'excel' ? bytes.subarray(3) : bytes;
      const { header, records } = readCsv(body);
      expect(header).toEqual(columnsOf(table));
      expect(records).toHaveLength(json.length);
      records.forEach((record, i) => {
        const row = json[i]!;
        const back = Object.fromEntries(
          header.map((column, j) => [column, cellValue(record[j]!, row[column], flavour === 'excel')]),
        );
        expect(back).toEqual(row);
      });
    }
  }
}
