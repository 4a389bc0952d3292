import { runtimeError } from '@newsdata/errors';

export interface SerializeOptions {
  /**
   * Sort object keys by code unit (default true), so the bytes do not depend on how the object was
   * built. `articles.json` passes false to keep the columns in schema order.
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
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw runtimeError(
        'JSON_NUMBER_NOT_FINITE',
        `Cannot write ${value} as JSON: only finite numbers exist there.`,
      );
    }
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw runtimeError('JSON_VALUE_UNWRITABLE', `Cannot write a ${typeof value} as JSON.`);
    }
    return text;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => inner + formatJson(item === undefined ? null : item, sortKeys, inner));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return formatJson(toJSON.call(value), sortKeys, indent);
  const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  if (sortKeys) keys.sort();
  if (keys.length === 0) return '{}';
  const members = keys.map(
    (key) =>
      `${inner}${JSON.stringify(key)}: ${formatJson((value as Record<string, unknown>)[key], sortKeys, inner)}`,
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
