import { runtimeError } from '@newsdata/errors';

export interface SerializeOptions {
  /**
   * Sort object keys by code unit (default true), so the bytes do not depend on how the object was
   * built; false keeps the insertion order.
   */
  sortKeys?: boolean;
}

/**
 * The bytes of a JSON file of a release: UTF-8, keys sorted, 2-space indent, a trailing newline.
 * Undefined properties are left out as `JSON.stringify` does; a non-finite number throws, because
 * JSON would silently write it as null.
 *
 * @example new TextDecoder().decode(serializeJson({ title: '大连日报', name: 'dalian' }))
 * // '{\n  "name": "dalian",\n  "title": "大连日报"\n}\n'
 */
export function serializeJson(value: unknown, options: SerializeOptions = {}): Uint8Array {
  return Buffer.from(`${formatJson(value, options.sortKeys ?? true, '')}\n`, 'utf8');
}

/** The text of `value` as {@link serializeJson} writes it, indented as if it sat at `indent`. */
export function formatJson(value: unknown, sortKeys: boolean, indent: string): string {
  // The native serializer is many times faster than recursion in JavaScript; `plain` makes a copy it
  // writes the same way (keys ordered, values checked), or says that it cannot.
  const copy = plain(value, sortKeys);
  if (copy === UNSUPPORTED) return formatSlowly(value, sortKeys, indent);
  const text = JSON.stringify(copy, null, 2);
  return indent === '' ? text : text.replace(NEWLINE, `\n${indent}`);
}

const NEWLINE = /\n/g;
const UNSUPPORTED = Symbol('unsupported');
/** A key that an object enumerates before the others whatever the insertion order (an array index). */
const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/**
 * A copy of `value` that `JSON.stringify` writes as {@link formatSlowly} would, or UNSUPPORTED when
 * sorting keys would put an array-index key where an object cannot keep it. Throws what
 * `formatSlowly` throws.
 */
function plain(value: unknown, sortKeys: boolean): unknown {
  if (value === null || typeof value !== 'object') return checkedScalar(value);
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = plain(value[i] === undefined ? null : value[i], sortKeys);
      if (item === UNSUPPORTED) return UNSUPPORTED;
      out[i] = item;
    }
    return out;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return plain(toJSON.call(value), sortKeys);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (sortKeys) {
    keys.sort();
    if (keys.some((key) => INDEX_LIKE.test(key))) return UNSUPPORTED;
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (record[key] === undefined) continue;
    // Assigning it would set the copy's prototype instead of adding a member.
    if (key === '__proto__') return UNSUPPORTED;
    const member = plain(record[key], sortKeys);
    if (member === UNSUPPORTED) return UNSUPPORTED;
    out[key] = member;
  }
  return out;
}

function checkedScalar(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw runtimeError(
      'JSON_NUMBER_NOT_FINITE',
      `Cannot write ${value} as JSON: only finite numbers exist there.`,
    );
  }
  if (JSON.stringify(value) === undefined) {
    throw runtimeError('JSON_VALUE_UNWRITABLE', `Cannot write a ${typeof value} as JSON.`);
  }
  return value;
}

/** The recursive formatter, for the values {@link plain} cannot copy. */
function formatSlowly(value: unknown, sortKeys: boolean, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(checkedScalar(value))!;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map(
      (item) => inner + formatSlowly(item === undefined ? null : item, sortKeys, inner),
    );
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return formatSlowly(toJSON.call(value), sortKeys, indent);
  const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  if (sortKeys) keys.sort();
  if (keys.length === 0) return '{}';
  const members = keys.map(
    (key) =>
      `${inner}${JSON.stringify(key)}: ${formatSlowly((value as Record<string, unknown>)[key], sortKeys, inner)}`,
  );
  return `{\n${members.join(',\n')}\n${indent}}`;
}

/** Gathers text into UTF-8 chunks of about `size` bytes, so a file is never one giant string. */
export class ChunkBuffer {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly size = 1 << 16) {}

  /** Add text; returns a full chunk when one is ready. */
  push(text: string): Uint8Array | undefined {
    this.parts.push(text);
    this.length += text.length;
    // Length in UTF-16 units is a cheap lower bound of the UTF-8 length: good enough to cut chunks.
    return this.length >= this.size ? this.flush() : undefined;
  }

  /** The rest as a chunk, or undefined when nothing is left. */
  flush(): Uint8Array | undefined {
    if (this.length === 0) return undefined;
    const chunk = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.length = 0;
    return chunk;
  }
}
