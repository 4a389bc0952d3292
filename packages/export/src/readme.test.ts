import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const directory = mkdtempSync(join(tmpdir(), 'export-readme-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('README', () => {
  it('runs the usage sample', async () => {
    const sample = /## Usage[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(sample).toBeDefined();
    const source = fileURLToPath(new URL('./index.ts', import.meta.url));
    const file = join(directory, 'sample.ts');
    writeFileSync(file, sample!.replace("from '@newsdata/export'", `from ${JSON.stringify(source)}`));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import(/* @vite-ignore */ file);
    const printed = log.mock.calls.map((call) => call[0]);
    log.mockRestore();
    expect(printed[0]).toContain('articles.csv 1\n');
    expect(printed[0]).toContain('excel/statistics.csv 2\n');
    expect(printed[0]).toMatch(/articles\.json $/);
    expect(printed[1]).toEqual(['dl-0109-a01~3f2a9c1d-p1-n1', 'dl-0109-a01~3f2a9c1d-p1-n2']);
  });
});
