import { loadSchemas, type SchemaName, schemaNames } from '@newsdata/contract';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import i18n from 'ajv-i18n';
import { zh } from './messages.js';
import type { Lang, Problem, ProblemSource } from './problem.js';

type Localize = (errors?: ErrorObject[] | null) => void;
// ajv-i18n is CommonJS without a `default` export: the default import is `module.exports` at run time,
// while its typings describe an ES default export.
const localizers = i18n as unknown as Record<'en' | 'zh', Localize>;

/** Every schema of `schemas/`, compiled once. */
export interface Validator {
  /** The schema names, in the order of `schemaNames`. */
  readonly names: readonly SchemaName[];
  /** The compiled ajv function of a schema; the same function for the life of the process. */
  get(name: SchemaName): ValidateFunction;
}

let cached: Validator | undefined;

/**
 * True when no `minLength` above 1 and no `maxLength` appears anywhere in a schema. Then a string's
 * length in UTF-16 code units passes exactly when its length in code points does (both are ≥ 1 for
 * any non-empty string), and ajv can read `.length` instead of counting code points: counting walks
 * the whole string, and article and paragraph texts are the whole page.
 */
function lengthsAgreeInCodeUnits(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return true;
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'maxLength') return false;
    if (keyword === 'minLength' && !(typeof value === 'number' && value <= 1)) return false;
    if (!lengthsAgreeInCodeUnits(value)) return false;
  }
  return true;
}

/**
 * Compile every schema of `schemas/` with ajv (draft 2020-12, ajv-formats, allErrors, strict) and keep
 * the result for the life of the process: a second call returns the same validators, so validating a
 * million records compiles nothing more.
 */
export function createValidator(): Validator {
  if (cached) return cached;
  // Both instances skip what costs the most at start-up and changes no result: checking the schemas
  // against the draft 2020-12 meta-schema (contract's tests do that for every schema) and optimizing the
  // generated code (the same speed on records, twice as slow to compile).
  const options = {
    allErrors: true,
    strict: true,
    validateSchema: false,
    code: { optimize: false },
  } as const;
  const codePoints = new Ajv2020(options);
  // `unicode: false` (string lengths in code units) is deprecated in ajv 8, which says so on every
  // construction; it is used only where it cannot change a result (see lengthsAgreeInCodeUnits), so that
  // one warning is dropped.
  const codeUnits = new Ajv2020({
    ...options,
    unicode: false,
    logger: {
      log: console.log,
      warn: (...args: unknown[]) => {
        if (!String(args[0]).includes('option unicode')) console.warn(...args);
      },
      error: console.error,
    },
  });
  const schemas = loadSchemas();
  for (const ajv of [codePoints, codeUnits]) {
    addFormats.default(ajv);
    // Registered first so that a $ref between schemas resolves whatever the compile order.
    for (const name of schemaNames) ajv.addSchema(schemas.get(name)!);
  }
  const compiled = new Map<SchemaName, ValidateFunction>();
  for (const name of schemaNames) {
    const schema = schemas.get(name)!;
    compiled.set(name, (lengthsAgreeInCodeUnits(schema) ? codeUnits : codePoints).compile(schema));
  }
  cached = Object.freeze({
    names: schemaNames,
    get(name: SchemaName): ValidateFunction {
      const validate = compiled.get(name);
      if (!validate) throw new TypeError(`Unknown schema "${name}"; use one of: ${schemaNames.join(', ')}.`);
      return validate;
    },
  });
  return cached;
}

/** Where a schema problem belongs: the record (for table rows) and its place in the source. */
export interface SchemaProblemContext {
  schema: SchemaName;
  table: string | null;
  key: string | null;
  source: ProblemSource | null;
  lang: Lang;
  /** Table rows name the column at fault; documents (manifest, config) name the whole path. */
  fieldDepth: 'column' | 'path';
}

function pathSegments(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function fieldOf(error: ErrorObject, depth: 'column' | 'path'): string | null {
  const segments = pathSegments(error.instancePath);
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const own = params.missingProperty ?? params.additionalProperty;
  if (own !== undefined) segments.push(own);
  if (segments.length === 0) return null;
  if (depth === 'column') return segments[0]!;
  return segments.map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

/** Turn ajv errors (one problem each) into report problems, in the requested language. */
export function schemaProblems(errors: readonly ErrorObject[], context: SchemaProblemContext): Problem[] {
  // ajv-i18n rewrites `message` in place; the errors array is fresh for every validate call.
  if (context.lang === 'zh') localizers.zh(errors as ErrorObject[]);
  const file = `schemas/${context.schema}.schema.json`;
  return errors.map((error) => {
    const field = fieldOf(error, context.fieldDepth);
    const what = error.message ?? error.keyword;
    const where = context.table && context.key !== null ? `${context.table} ${context.key}` : null;
    const message =
      context.lang === 'zh'
        ? `${field === null ? '记录' : `字段 ${field}`}${zh`:`}${what}${zh`(见 ${file});`}` +
          (where
            ? zh`请修正 ${context.table} 表中键为 ${context.key} 的记录,或修正生成它的解析/抽取步骤。`
            : zh`请按该模式修正这份文件。`)
        : `${field === null ? 'The record' : `Field ${field}`}: ${what} (see ${file}); ` +
          (where
            ? `correct the ${context.table} row ${context.key}, or the parse/extract step that produced it.`
            : 'correct the file to match that schema.');
    return {
      type: 'schema',
      severity: 'error',
      table: context.table,
      key: context.key,
      field,
      message,
      source: context.source,
    };
  });
}

/** Options of {@link validateSchema}. */
export interface ValidateSchemaOptions {
  /** The file the value was read from, shown as the problem's source. */
  file?: string;
  lang?: Lang;
}

/**
 * Validate a document (a source sidecar, the app config, a manifest, the scheduler state) against its
 * schema. Bad data comes back as problems, never as an exception; an empty array means valid.
 *
 * @example
 * validateSchema('source-meta', { publication: '大连日报', date: '2025-02-30' }, { file: 'a.meta.json' });
 * // → [{ type: 'schema', field: 'date', message: 'Field date: must match format "date" …', … }]
 */
export function validateSchema(
  name: SchemaName,
  value: unknown,
  options: ValidateSchemaOptions = {},
): Problem[] {
  const validate = createValidator().get(name);
  if (validate(value)) return [];
  return schemaProblems(validate.errors ?? [], {
    schema: name,
    table: null,
    key: null,
    source: options.file === undefined ? null : { file: options.file, line: null, column: null },
    lang: options.lang ?? 'en',
    fieldDepth: 'path',
  });
}

/** 1-based line and column (code points) of a UTF-16 index in a text. */
function positionAt(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return {
    line: before.split('\n').length,
    column: Array.from(before.slice(lineStart)).length + 1,
  };
}

/**
 * Parse the text of a JSON document (a sidecar, a config file) and validate it against its schema.
 * Text that is not JSON is one problem of type `invalid-json` pointing at the line and column where
 * parsing stopped, when the JSON parser says so.
 *
 * @example
 * validateJsonText('source-meta', '{"publication": "大连日报",}', { file: 'a.meta.json', lang: 'zh' });
 * // → [{ type: 'invalid-json', source: { file: 'a.meta.json', line: 1, column: 26 }, … }]
 */
export function validateJsonText(
  name: SchemaName,
  text: string,
  options: ValidateSchemaOptions = {},
): Problem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const at = /at position (\d+)/.exec(reason);
    const position = at ? positionAt(text, Number(at[1])) : null;
    const file = options.file ?? null;
    const message =
      options.lang === 'zh'
        ? `${zh`文件不是合法的 JSON:`}${reason}${zh`;请修正语法(引号、逗号、括号)后重试。`}`
        : `The file is not valid JSON: ${reason}; fix the syntax (quotes, commas, brackets) and run again.`;
    return [
      {
        type: 'invalid-json',
        severity: 'error',
        table: null,
        key: null,
        field: null,
        message,
        source:
          file === null ? null : { file, line: position?.line ?? null, column: position?.column ?? null },
      },
    ];
  }
  return validateSchema(name, value, options);
}
