/** Items of a list column (reporters, titles, source_lines) are joined with this in CSV cells. */
export const LIST_SEPARATOR = ';';

/**
 * The two CSV flavours of a release: `standard` is RFC 4180 (UTF-8 without BOM); `excel` starts with a
 * UTF-8 BOM and guards text cells against formula injection.
 */
export type CsvFlavour = 'standard' | 'excel';

/**
 * First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"), with the
 * full-width forms Apple Numbers folds to ASCII, and the apostrophe itself so that the guard can be
 * undone without ambiguity.
 */
const FORMULA_TRIGGERS = new Set([
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\uFF1D',
  '\uFF0B',
  '\uFF0D',
  '\uFF20',
  "'",
]);

/**
 * Prefix an apostrophe to a text cell that a spreadsheet would read as a formula. A text that already
 * starts with an apostrophe gets one more, so {@link unguardFormula} is the exact inverse.
 *
 * @example guardFormula('=SUM(A1)') // "'=SUM(A1)"
 * @example guardFormula('-3%的增幅') // "'-3%的增幅"
 * @example guardFormula('市政协') // "市政协"
 */
export function guardFormula(text: string): string {
  return startsLikeFormula(text) ? `'${text}` : text;
}

/** The first UTF-16 units of {@link FORMULA_TRIGGERS}. */
const TRIGGER_CODES = new Set([...FORMULA_TRIGGERS].map((trigger) => trigger.charCodeAt(0)));

function startsLikeFormula(text: string): boolean {
  // By code unit: `text[0]` would make a string of a CJK character for every cell it looks at.
  return text.length > 0 && TRIGGER_CODES.has(text.charCodeAt(0));
}

/**
 * Whether the excel flavour writes this value's cell otherwise than the standard one, given the
 * standard cell (`cellOf(value, 'standard')`): a text or list cell that gets a formula guard.
 *
 * @example isGuardedInExcel('-20℃', '-20℃') // true
 * @example isGuardedInExcel(-20, '-20') // false: numbers are never guarded
 */
export function isGuardedInExcel(value: unknown, cell: string): boolean {
  return (typeof value === 'string' || Array.isArray(value)) && startsLikeFormula(cell);
}

/**
 * Undo {@link guardFormula}: read a text cell of the excel flavour back to its value. Only apply it to
 * text and list columns; numbers are never guarded.
 *
 * @example unguardFormula("'=SUM(A1)") // "=SUM(A1)"
 */
export function unguardFormula(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/**
 * The text of one CSV cell: null as empty, numbers in their JSON form (93.83, 33650000), booleans as
 * `true`/`false`, lists joined with `;`. Text and list cells are guarded in the excel flavour;
 * numbers and booleans never need it. Values are assumed checked by {@link checkValue}.
 *
 * @example cellOf(['石朕', '谢锦宜'], 'standard') // "石朕;谢锦宜"
 */
export function cellOf(value: unknown, flavour: CsvFlavour): string {
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'string':
      return flavour === 'excel' ? guardFormula(value) : value;
    case 'number':
      // String() and JSON.stringify() agree on every finite number (33650000, 93.83, 1e+21).
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default: {
      const text = (value as string[]).join(LIST_SEPARATOR);
      return flavour === 'excel' ? guardFormula(text) : text;
    }
  }
}

/**
 * Why a value cannot be written so that it reads back the same, or undefined when it can. Lists must
 * hold non-empty strings without `;` (the list separator has no escape in a Table Schema `list`),
 * numbers must be finite (CSV and JSON have no NaN or Infinity).
 */
export function checkValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `the number ${value} is not finite`;
    default:
      if (!Array.isArray(value))
        return `expected a string, number, boolean, list or null, got ${typeof value}`;
      for (const item of value) {
        if (typeof item !== 'string') return `list item ${JSON.stringify(item)} is not a string`;
        if (item === '') return 'a list item is empty, which a CSV cell cannot tell from no item';
        if (item.includes(LIST_SEPARATOR)) {
          return `list item ${JSON.stringify(item)} contains "${LIST_SEPARATOR}", the list separator`;
        }
      }
      return undefined;
  }
}
