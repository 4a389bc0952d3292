import { compile } from 'json-schema-to-typescript';
import { type JsonSchema, loadSchemas, type SchemaName, schemaNames } from './schemas.js';

/** TypeScript name of the type generated for each schema. */
export const typeNames: Record<SchemaName, string> = {
  article: 'Article',
  paragraph: 'Paragraph',
  statistic: 'Statistic',
  person: 'Person',
  document: 'Document',
  'source-meta': 'SourceMeta',
  manifest: 'Manifest',
  config: 'AppConfig',
  'validation-report': 'ValidationReport',
  state: 'SchedulerState',
  changes: 'Changes',
};

/**
 * Titles are Chinese labels for people; json-schema-to-typescript would turn every titled sub-schema
 * into a type named after it. Drop nested titles and name the root in English.
 */
function withoutNestedTitles(schema: JsonSchema, rootName: string): JsonSchema {
  const strip = (node: unknown, depth: number): unknown => {
    if (Array.isArray(node)) return node.map((item) => strip(item, depth + 1));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'title' && typeof value === 'string') continue;
      out[key] =
        key === 'properties'
          ? mapValues(value as Record<string, unknown>, (v) => strip(v, depth + 1))
          : strip(value, depth + 1);
    }
    return out;
  };
  const stripped = strip(schema, 0) as JsonSchema;
  return { ...stripped, title: rootName };
}

function mapValues(
  record: Record<string, unknown>,
  fn: (value: unknown) => unknown,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}

/** The text of `src/generated/types.ts`, generated from `schemas/`. */
export async function generateTypes(): Promise<string> {
  const schemas = loadSchemas();
  const parts = [
    '/* This file is generated from schemas/*.schema.json by `pnpm --filter @newsdata/contract generate`. Do not edit. */',
  ];
  for (const name of schemaNames) {
    const schema = schemas.get(name)!;
    const typeName = typeNames[name];
    const body = await compile(withoutNestedTitles(schema, typeName) as never, typeName, {
      bannerComment: '',
      additionalProperties: false,
      strictIndexSignatures: true,
      format: true,
      style: { singleQuote: true, printWidth: 110 },
      declareExternallyReferenced: true,
    });
    parts.push(body.trim());
  }
  return `${parts.join('\n\n')}\n`;
}
