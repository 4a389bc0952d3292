import { type JsonSchema, schemaOf, type TableName, tableNames, tables } from '@newsdata/contract';
import { runtimeError } from '@newsdata/errors';
import { LIST_SEPARATOR } from './cells.js';
import { CSV_DIALECT } from './csv.js';
import type { FileFormat } from './plan.js';

/** A license of the Data Package: a `name` (SPDX id such as `CC-BY-4.0`) or a `path`, or both. */
export interface License {
  name?: string;
  path?: string;
  title?: string;
}

/** A source page the release was made from, as the manifest lists it. */
export interface ReleaseSource {
  source_id: string;
  sha256: string;
  bytes: number;
  encoding: string;
  url?: string;
}

/** Package-level fields of `datapackage.json`. */
export interface ReleaseOptions {
  /** Lowercase `a-z 0-9 . - _` (`dalian-daily`). */
  name: string;
  /** Any language: `大连日报新闻数据`. */
  title: string;
  version: string;
  description?: string;
  licenses?: License[];
  sources: ReleaseSource[];
}

/** A written file of the release: a `ReleaseFile` with the byte count and SHA-256 of its bytes. */
export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
  rows: number | null;
  table: TableName | null;
  format: FileFormat;
  flavour?: 'standard' | 'excel';
  mediatype: string;
}

/** A Table Schema field (Data Package v2). */
export interface TableSchemaField {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'list';
  title?: string;
  description?: string;
  delimiter?: string;
  itemType?: 'string';
  constraints?: {
    required?: boolean;
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    pattern?: string;
    enum?: unknown[];
  };
}

/** A Table Schema (Data Package v2). */
export interface TableSchema {
  fields: TableSchemaField[];
  missingValues: string[];
  primaryKey: string[];
  foreignKeys?: { fields: string[]; reference: { resource: string; fields: string[] } }[];
}

const PROFILE = 'https://datapackage.org/profiles/2.0/datapackage.json';
const NAME = /^[a-z0-9._-]+$/;

/**
 * The Table Schema of a table, generated from its JSON Schema in `schemas/`: one field per property in
 * column order with its title (Chinese) and description; `string`, `integer`, `number`, `boolean`, and
 * `list` (items joined with `;`) for arrays; constraints `required` (not nullable, or a list with
 * `minItems` ≥ 1: an empty list is an empty cell, which reads as missing), `minimum`, `maximum`,
 * `minLength` (above 1: an empty cell already reads as missing), `maxLength`, `pattern` (without `^…$`: a Table Schema pattern always matches the whole
 * value) and `enum`; the key as `primaryKey`; the article reference as a foreign key to `articlesResource`.
 *
 * @example tableSchemaOf('people').fields[1] // { name: 'name', title: '姓名', type: 'string', … }
 */
export function tableSchemaOf(table: TableName, articlesResource = 'articles'): TableSchema {
  const schema = schemaOf(tables[table].schema);
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) =>
    fieldOf(table, name, property, required.has(name)),
  );
  const reference = tables[table].articleReference;
  return {
    fields,
    missingValues: [''],
    primaryKey: [...tables[table].key],
    ...(reference === undefined
      ? {}
      : {
          foreignKeys: [
            { fields: [reference], reference: { resource: articlesResource, fields: ['article_id'] } },
          ],
        }),
  };
}

function fieldOf(table: TableName, name: string, property: JsonSchema, listed: boolean): TableSchemaField {
  const types = (Array.isArray(property.type) ? property.type : [property.type]).filter(
    (type) => type !== 'null',
  );
  const nullable = Array.isArray(property.type) && property.type.includes('null');
  const type = types[0];
  if (types.length !== 1 || !['string', 'integer', 'number', 'boolean', 'array'].includes(type ?? '')) {
    throw runtimeError(
      'TABLE_SCHEMA_UNSUPPORTED_TYPE',
      `Column ${table}.${name} has the JSON Schema type ${JSON.stringify(property.type)}; a table column must be one of string, integer, number, boolean or an array of strings, optionally with null.`,
    );
  }
  const field: TableSchemaField = {
    name,
    type: type === 'array' ? 'list' : (type as TableSchemaField['type']),
  };
  if (property.title !== undefined) field.title = property.title;
  if (property.description !== undefined) {
    field.description =
      type === 'array'
        ? `${property.description} In CSV the items are joined with "${LIST_SEPARATOR}"; in NDJSON and JSON it is an array.`
        : property.description;
  }
  if (type === 'array') {
    field.delimiter = LIST_SEPARATOR;
    field.itemType = 'string';
  }
  const constraints: NonNullable<TableSchemaField['constraints']> = {};
  const minItems = typeof property['minItems'] === 'number' ? property['minItems'] : 0;
  if (listed && !nullable && (type !== 'array' || minItems >= 1)) constraints.required = true;
  if (property.minimum !== undefined) constraints.minimum = property.minimum;
  if (property.maximum !== undefined) constraints.maximum = property.maximum;
  if (typeof property['minLength'] === 'number' && property['minLength'] > 1) {
    constraints.minLength = property['minLength'];
  }
  if (typeof property['maxLength'] === 'number') constraints.maxLength = property['maxLength'];
  if (property.pattern !== undefined) constraints.pattern = wholeValuePattern(property.pattern);
  if (property.enum !== undefined) constraints.enum = [...property.enum];
  if (Object.keys(constraints).length > 0) field.constraints = constraints;
  return field;
}

/** JSON Schema patterns are anchored by hand; Table Schema patterns always match the whole value. */
function wholeValuePattern(pattern: string): string {
  return pattern.startsWith('^') && pattern.endsWith('$') && !pattern.endsWith('\\$')
    ? pattern.slice(1, -1)
    : pattern;
}

/** Name of the resource of a file: the table for the standard CSV, `<table>-excel`, `<table>-ndjson`. */
export function resourceNameOf(file: Pick<WrittenFile, 'path' | 'table' | 'format' | 'flavour'>): string {
  if (file.table !== null && file.format === 'csv') {
    return file.flavour === 'excel' ? `${file.table}-excel` : file.table;
  }
  if (file.table !== null && file.format === 'ndjson') return `${file.table}-ndjson`;
  if (file.path === 'articles.json') return 'articles-nested';
  return file.path
    .replace(/\.[^./]+$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-');
}

/**
 * The `datapackage.json` of a release (Data Package v2), as an object to give to `serializeJson`.
 * One resource per file, in the order given, with `path`, `format`, `mediatype`, `encoding` (`utf-8`:
 * the excel flavour's BOM is the UTF-8 signature, not another encoding, and `utf-8` is the IANA name),
 * `bytes`, `hash` (`sha256:<hex>`); CSV resources have the `dialect`; table files (CSV and NDJSON) are
 * `type: table` with the Table Schema of {@link tableSchemaOf}, their foreign keys pointing at the
 * articles resource of the same format. Sources are sorted by id.
 *
 * @example buildDataPackage(files, { name: 'dalian-daily', title: '大连日报新闻数据', version: '1.0.0', sources: [] })
 */
export function buildDataPackage(
  files: readonly WrittenFile[],
  options: ReleaseOptions,
): Record<string, unknown> {
  if (!NAME.test(options.name)) {
    throw runtimeError(
      'DATAPACKAGE_NAME_INVALID',
      `The data package name ${JSON.stringify(options.name)} must be lowercase letters, digits, ".", "-" or "_" (e.g. dalian-daily).`,
    );
  }
  for (const license of options.licenses ?? []) {
    if (license.name === undefined && license.path === undefined) {
      throw runtimeError(
        'DATAPACKAGE_LICENSE_INVALID',
        `A license needs a name (an SPDX id such as CC-BY-4.0) or a path; got ${JSON.stringify(license)}.`,
      );
    }
  }
  const names = new Set<string>();
  const resources = files.map((file) => {
    const name = resourceNameOf(file);
    if (names.has(name)) {
      throw runtimeError(
        'DATAPACKAGE_RESOURCE_DUPLICATE',
        `Two files map to the resource name ${name}: list each file once.`,
      );
    }
    names.add(name);
    return resourceOf(file, name);
  });
  const sources = [...options.sources]
    .sort((a, b) => (a.source_id < b.source_id ? -1 : a.source_id > b.source_id ? 1 : 0))
    .map((source) => ({
      title: source.source_id,
      ...(source.url === undefined ? {} : { path: source.url }),
      bytes: source.bytes,
      hash: `sha256:${source.sha256}`,
      encoding: source.encoding,
    }));
  return {
    $schema: PROFILE,
    name: options.name,
    title: options.title,
    ...(options.description === undefined ? {} : { description: options.description }),
    version: options.version,
    ...(options.licenses === undefined
      ? {}
      : { licenses: options.licenses.map((license) => ({ ...license })) }),
    sources,
    resources,
  };
}

function resourceOf(file: WrittenFile, name: string): Record<string, unknown> {
  const tabular = file.table !== null && (file.format === 'csv' || file.format === 'ndjson');
  const resource: Record<string, unknown> = {
    name,
    path: file.path,
    ...(tabular ? { type: 'table' } : {}),
    format: file.format,
    mediatype: file.mediatype,
    encoding: 'utf-8',
    bytes: file.bytes,
    hash: `sha256:${file.sha256}`,
  };
  const description = descriptionOf(file);
  if (description !== undefined) resource['description'] = description;
  if (file.format === 'csv') resource['dialect'] = { ...CSV_DIALECT };
  if (tabular) {
    const articles =
      file.format === 'csv' ? resourceNameOf({ ...file, table: 'articles' }) : 'articles-ndjson';
    resource['schema'] = tableSchemaOf(file.table!, articles);
  }
  return resource;
}

function descriptionOf(file: WrittenFile): string | undefined {
  if (file.format === 'csv' && file.flavour === 'excel') {
    return 'Excel flavour: starts with a UTF-8 byte order mark; a text cell that begins with = + - @ tab, CR, their full-width forms or an apostrophe has an apostrophe prepended against formula injection (remove one leading apostrophe from text cells to get the value).';
  }
  if (file.path === 'articles.json') {
    return `Articles with their ${tableNames.filter((table) => tables[table].articleReference).join(', ')} nested as arrays of rows, in key order.`;
  }
  return undefined;
}
