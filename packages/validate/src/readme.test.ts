import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as validate from './index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The README's usage sample and the output printed under it. */
function usage(): { code: string; output: string } {
  const match = /## Usage\n[\s\S]*?```js\n([\s\S]*?)```\n[\s\S]*?```text\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no usage sample followed by its output');
  return { code: match[1]!, output: match[2]! };
}

describe('README', () => {
  it('prints what the usage sample says it prints', async () => {
    const { code, output } = usage();
    const body = code.replace(
      /^import \{ ([^}]+) \} from '@newsdata\/validate';$/m,
      'const { $1 } = validate;',
    );
    expect(body).not.toContain('import ');
    const printed: string[] = [];
    const console = { log: (...parts: unknown[]) => printed.push(parts.join(' ')) };
    new Function('validate', 'console', body)(validate, console);
    expect(`${printed.join('\n')}\n`).toBe(output);
  });

  it('lists every problem type the rules can report', () => {
    for (const type of [
      'schema',
      'invalid-json',
      'duplicate-key',
      'dangling-reference',
      'percent-out-of-range',
      'empty-paragraph',
      'statistic-text-mismatch',
      'lines-lost',
      'lines-counted-twice',
      'source-not-decodable',
    ]) {
      expect(readme).toContain(`| \`${type}\``);
    }
  });
});
