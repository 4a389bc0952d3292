import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A JSON Schema document as loaded from `schemas/`. */
export interface JsonSchema {
  $id: string;
  $schema?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  [keyword: string]: unknown;
}

/**
 * The schema names (file name without `.schema.json`). `schemas/` at the repository root is the one
 * source of truth; this list only names them for typed lookups, and a test checks it covers the folder.
 */
export const schemaNames = [
  'article',
  'paragraph',
  'statistic',
  'person',
  'document',
  'source-meta',
  'manifest',
  'config',
  'validation-report',
  'state',
  'changes',
] as const;
export type SchemaName = (typeof schemaNames)[number];

/** Absolute path of the repository's `schemas/` folder (same depth from `src/` and `dist/`). */
export const schemaDirectory = fileURLToPath(new URL('../../../schemas/', import.meta.url));

let loaded: Map<SchemaName, JsonSchema> | undefined;

/** Every schema of `schemas/`, read once per process. */
export function loadSchemas(): ReadonlyMap<SchemaName, JsonSchema> {
  if (loaded) return loaded;
  const map = new Map<SchemaName, JsonSchema>();
  for (const name of schemaNames) {
    const text = readFileSync(`${schemaDirectory}${name}.schema.json`, 'utf8');
    map.set(name, JSON.parse(text) as JsonSchema);
  }
  loaded = map;
  return map;
}

/** One schema by name. */
export function schemaOf(name: SchemaName): JsonSchema {
  const schema = loadSchemas().get(name);
  if (!schema) throw new Error(`Unknown schema ${name}`);
  return schema;
}

/** File names present in `schemas/`, to check that `schemaNames` is complete. */
export function schemaFilesOnDisk(): string[] {
  return readdirSync(schemaDirectory)
    .filter((file) => file.endsWith('.schema.json'))
    .sort();
}
