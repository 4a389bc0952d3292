import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { validExamples } from './examples.test-data.js';
import { type JsonSchema, loadSchemas, schemaFilesOnDisk, schemaNames } from './schemas.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const compiled = new Map([...loadSchemas()].map(([name, schema]) => [name, ajv.compile(schema)]));

function walk(schema: unknown, path: string, visit: (node: JsonSchema, path: string) => void): void {
  if (schema === null || typeof schema !== 'object') return;
  const node = schema as JsonSchema;
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (node.items) walk(node.items, `${path}[]`, visit);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`, visit);
}

describe('schemas/', () => {
  it('lists every schema file', () => {
    expect(schemaFilesOnDisk()).toEqual([...schemaNames].map((name) => `${name}.schema.json`).sort());
  });

  it.each([...schemaNames])('%s compiles under draft 2020-12 with an $id', (name) => {
    const schema = loadSchemas().get(name)!;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(`https://newsdata.dev/schemas/${name}.schema.json`);
    expect(compiled.get(name)).toBeTypeOf('function');
  });

  it.each([...schemaNames])('%s gives every field a Chinese title and an English description', (name) => {
    walk(loadSchemas().get(name), name, (node, path) => {
      if (!node.properties) return;
      for (const [field, child] of Object.entries(node.properties)) {
        expect(child.title, `${path}.${field} title`).toMatch(/[\u4e00-\u9fff]/);
        expect(child.description, `${path}.${field} description`).toMatch(/^[A-Z<a-z0-9]/);
      }
    });
  });

  it.each([...schemaNames])('%s accepts its valid example', (name) => {
    const validate = compiled.get(name)!;
    const ok = validate(validExamples[name]);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe('invalid records are rejected with a useful error', () => {
  const cases: [
    name: (typeof schemaNames)[number],
    mutate: (r: Record<string, unknown>) => void,
    path: string,
    keyword: string,
  ][] = [
    ['article', (r) => delete r.title, '', 'required'],
    ['article', (r) => (r.title = ''), '/title', 'minLength'],
    ['article', (r) => (r.source_lines = ['0-3']), '/source_lines/0', 'pattern'],
    ['paragraph', (r) => (r.seq = 0), '/seq', 'minimum'],
    ['statistic', (r) => (r.value = '508'), '/value', 'type'],
    ['statistic', (r) => (r.approximate = 'yes'), '/approximate', 'type'],
    ['person', (r) => (r.role = 'editor'), '/role', 'enum'],
    ['document', (r) => (r.mentions = 0), '/mentions', 'minimum'],
    ['source-meta', (r) => (r.date = '2025-02-30'), '/date', 'format'],
    ['manifest', (r) => ((r.files as { sha256: string }[])[0]!.sha256 = 'xyz'), '/files/0/sha256', 'pattern'],
    ['config', (r) => (r.on_invalid = 'ignore'), '/on_invalid', 'enum'],
    ['validation-report', (r) => (r.valid = 1), '/valid', 'type'],
    ['state', (r) => (r.extra = true), '', 'additionalProperties'],
    ['changes', (r) => delete r.tables, '', 'required'],
  ];
  it.each(cases)('%s: %s', (name, mutate, path, keyword) => {
    const record = structuredClone(validExamples[name]) as Record<string, unknown>;
    mutate(record);
    const validate = compiled.get(name)!;
    expect(validate(record)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: path, keyword }));
    expect(ajv.errorsText(validate.errors)).toMatch(/must/);
  });
});
