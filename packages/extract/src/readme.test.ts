import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as extract from './index.js';

// The first ts block of the README is run as written; its `// →` comments are the expected output.
it('README usage sample prints what its comments say', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const lines: string[] = [];
  const body = block
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n');
  const run = new Function(
    'extract',
    'console',
    `const { extractStatistics, parseChineseNumber, resolveDate } = extract;\n${body}`,
  );
  run(extract, { log: (...args: unknown[]) => lines.push(args.map(String).join(' ')) });
  const expected = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
  expect(lines).toEqual(expected);
});
