import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../test/helpers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const directory = mkdtempSync(join(tmpdir(), 'publish-readme-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('README', () => {
  it('runs the usage sample on the bundled sources', async () => {
    const sample = /## Usage[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(sample).toBeDefined();
    const source = fileURLToPath(new URL('./index.ts', import.meta.url));
    const file = join(directory, 'sample.ts');
    writeFileSync(
      file,
      sample!
        .replace("from '@newsdata/publish'", `from ${JSON.stringify(source)}`)
        .replaceAll("'data/sources'", JSON.stringify(join(repoRoot, 'data', 'sources'))),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import(/* @vite-ignore */ file);
    const printed = log.mock.calls;
    log.mockRestore();
    expect(printed[0]?.[0]).toBe('published');
    expect(printed[0]?.[1]).toBeGreaterThan(0);
    expect(printed[1]).toEqual(['unchanged', true]);
    expect(printed[2]).toEqual([true, 1]);
  }, 60_000);
});
