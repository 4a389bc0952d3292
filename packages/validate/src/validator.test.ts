import { schemaNames } from '@newsdata/contract';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { fixturePage, readFixture } from './fixtures.test-data.js';
import { createValidator, validateJsonText, validateRelease, validateSchema } from './index.js';

describe('createValidator', () => {
  it('compiles every schema once per process, however much it validates', async () => {
    vi.resetModules();
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    try {
      const fresh = (await import('./index.js')) as typeof import('./index.js');
      const first = fresh.createValidator();
      const page = fixturePage();
      for (let i = 0; i < 200; i++) fresh.validateRelease(page);
      fresh.validateSchema('source-meta', { date: '2025-02-30' });
      expect(compile).toHaveBeenCalledTimes(schemaNames.length);
      const second = fresh.createValidator();
      expect(second).toBe(first);
      for (const name of schemaNames) expect(second.get(name)).toBe(first.get(name));
    } finally {
      compile.mockRestore();
    }
  });

  it('names every schema and refuses an unknown one', () => {
    expect(createValidator().names).toEqual(schemaNames);
    expect(() => createValidator().get('nonsense' as 'article')).toThrow(
      /Unknown schema "nonsense"; use one of/,
    );
  });
});

describe('string lengths', () => {
  // 𠮷 is one character outside the Basic Multilingual Plane: two UTF-16 code units.
  const chars = fc.constantFrom('张', '𠮷', 'A');

  it('counts characters, not UTF-16 code units, against a maximum length (a name of at most 12)', () => {
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 20 }), (name) => {
        const page = fixturePage();
        page.tables.people[0]!.name = name.join('');
        const fields = validateRelease(page).problems.filter((p) => p.type === 'schema');
        expect(fields.map((p) => [p.field, p.message.split(' (see')[0]])).toEqual(
          name.length > 12 ? [['name', 'Field name: must NOT have more than 12 characters']] : [],
        );
      }),
      { numRuns: 60 },
    );
  });

  it('accepts any non-empty text, a lone character outside the BMP included, and rejects an empty one', () => {
    fc.assert(
      fc.property(fc.array(chars, { minLength: 0, maxLength: 4 }), (text) => {
        const page = fixturePage();
        page.tables.articles[0]!.lead = text.join('');
        const fields = validateRelease(page).problems.map((p) => p.field);
        expect(fields).toEqual(text.length === 0 ? ['lead'] : []);
      }),
      { numRuns: 40 },
    );
    expect(validateSchema('source-meta', { publication: '𠮷', date: '2025-01-08' })).toEqual([]);
  });
});

describe('validateSchema', () => {
  it('accepts a correct sidecar', () => {
    const sidecar = JSON.parse(readFixture('coastal-district-page.meta.json'));
    expect(validateSchema('source-meta', sidecar)).toEqual([]);
  });

  it('rejects a date that does not exist (2025-02-30), in both languages', () => {
    const sidecar = { publication: '滨海日报', date: '2025-02-30' };
    expect(validateSchema('source-meta', sidecar, { file: 'data/sources/a.meta.json' })).toEqual([
      {
        type: 'schema',
        severity: 'error',
        table: null,
        key: null,
        field: 'date',
        message:
          'Field date: must match format "date" (see schemas/source-meta.schema.json); correct the file to match that schema.',
        source: { file: 'data/sources/a.meta.json', line: null, column: null },
      },
    ]);
    const [problem] = validateSchema('source-meta', sidecar, { lang: 'zh' });
    expect(problem!.message).toBe(
      '字段 date\uFF1A应当匹配格式 "date"\uFF08见 schemas/source-meta.schema.json\uFF09\uFF1B请按该模式修正这份文件。',
    );
    expect(validateSchema('source-meta', { date: '2024-02-29' })).toEqual([]);
  });

  it('rejects a sidecar of the wrong shape with one problem per mistake', () => {
    expect(validateSchema('source-meta', ['大连日报']).map((p) => p.field)).toEqual([null]);
    const problems = validateSchema('source-meta', { publication: '', date: 20250108, editor: '张三' });
    expect(problems.map((p) => [p.field, p.message.split(' (see')[0]])).toEqual([
      ['editor', 'Field editor: must NOT have additional properties'],
      ['publication', 'Field publication: must NOT have fewer than 1 characters'],
      ['date', 'Field date: must be string'],
    ]);
  });

  it('names the whole path inside nested documents', () => {
    const problems = validateSchema('manifest', {
      release_id: '20250108-1a2b3c4d5e6f',
      previous_release_id: null,
      created: '2025-01-08T08:00:00.000Z',
      tool: { name: 'newsdata', version: '0.1.0' },
      sources: [{ source_id: 'a', sha256: 'nothex', bytes: 1, encoding: 'utf-8' }],
      files: [],
    });
    expect(problems.map((p) => p.field)).toEqual(['sources[0].sha256']);
  });
});

describe('validateJsonText', () => {
  it('points text that is not JSON at its line and column', () => {
    const text = '{\n  "publication": "滨海日报",\n}\n';
    const [problem, ...rest] = validateJsonText('source-meta', text, { file: 'a.meta.json' });
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      type: 'invalid-json',
      severity: 'error',
      source: { file: 'a.meta.json', line: 3 },
    });
    expect(problem!.message).toMatch(/^The file is not valid JSON: .*; fix the syntax/);
    expect(validateJsonText('source-meta', text, { lang: 'zh' })[0]!.message).toMatch(/^文件不是合法的 JSON/);
  });

  it('validates the parsed value against the schema', () => {
    expect(validateJsonText('source-meta', '{"date": "2025-13-01"}').map((p) => p.field)).toEqual(['date']);
    expect(validateJsonText('source-meta', readFixture('coastal-district-page.meta.json'))).toEqual([]);
  });
});
