import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { expect, it, vi } from 'vitest';

it('runs the README usage sample and prints what its comments say', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const sample = /## Usage\s+```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const expected = [...sample.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]);
  const code = sample.replace(
    "'@newsdata/parse'",
    JSON.stringify(new URL('./index.ts', import.meta.url).pathname),
  );
  const file = join(tmpdir(), `newsdata-parse-readme-${process.pid}.ts`);
  writeFileSync(file, code);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(
      args.map((a) => (typeof a === 'string' ? a : inspect(a, { breakLength: Infinity }))).join(' '),
    );
  });
  try {
    await import(file);
  } finally {
    log.mockRestore();
  }
  expect(printed).toEqual(expected);
});
