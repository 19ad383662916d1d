/**
 * Name and type normalisation used by the consistency gate.
 *
 * @remarks
 * Names: code-block decoration (backticks, quotes, a trailing `?` or `()`) is stripped; the name is
 * split into words at camelCase/PascalCase boundaries, `_`, `-`, `.` and spaces; each word is
 * lower-cased and singularised (`ies` → `y`; `sses`, `xes`, `ches`, `shes`, `zes` lose `es`; a final
 * `s` is dropped unless the word ends in `ss`, `us` or `is`, or has at most 2 letters); the words are
 * joined with `_`. So `OrderItems`, `order_item` and `` `order-item` `` are one name; `id` and `x`
 * stay `id` and `x`.
 *
 * Types: decoration is stripped and the type is lower-cased; arrays (`T[]`, `Array<T>`, `List<T>`,
 * `list[T]`) become `T[]`; a trailing `?` and `| null` / `| undefined` are dropped (optionality is a
 * field flag, not a type). Primitive aliases map to one canonical name: `int`, `integer`, `int32`,
 * `int64`, `long`, `bigint` → `integer`; `float`, `double`, `decimal`, `number`, `numeric` →
 * `number`; `string`, `str`, `text`, `uuid`, `email`, `url` → `string`; `bool`, `boolean` →
 * `boolean`; `date`, `datetime`, `timestamp`, `instant` → `datetime`; `json`, `object`, `any`,
 * `unknown`, `record` → `json`; `void`, `none`, `null` → `void`. Any other type is an entity
 * reference, normalised like a name. `integer` and `number` are different types.
 */

const PRIMITIVES: Readonly<Record<string, string>> = {
  int: 'integer',
  integer: 'integer',
  int32: 'integer',
  int64: 'integer',
  long: 'integer',
  bigint: 'integer',
  float: 'number',
  double: 'number',
  decimal: 'number',
  number: 'number',
  numeric: 'number',
  string: 'string',
  str: 'string',
  text: 'string',
  uuid: 'string',
  email: 'string',
  url: 'string',
  bool: 'boolean',
  boolean: 'boolean',
  date: 'datetime',
  datetime: 'datetime',
  timestamp: 'datetime',
  instant: 'datetime',
  json: 'json',
  object: 'json',
  any: 'json',
  unknown: 'json',
  record: 'json',
  void: 'void',
  none: 'void',
  null: 'void',
};

/**
 * A name or type without code-block decoration (backticks, quotes, a trailing `?` or `()`).
 */
export function stripDecoration(text: string): string {
  return text
    .trim()
    .replace(/^[`'"]+|[`'"]+$/g, '')
    .replace(/\(\)$/, '')
    .replace(/\?$/, '')
    .trim();
}

function singular(word: string): string {
  if (word.length <= 2) return word;
  if (word.endsWith('ies') && word.length > 3) return `${word.slice(0, -3)}y`;
  if (/(sses|xes|ches|shes|zes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/**
 * The normalised form of a name (see the module remarks for the rules).
 */
export function normaliseName(raw: string): string {
  const words = stripDecoration(raw)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_.\-]+/)
    .filter((word) => word !== '')
    .map((word) => singular(word.toLowerCase()));
  return words.join('_');
}

/**
 * Whether a normalised type is a primitive (not an entity reference).
 */
export function isPrimitiveType(normalised: string): boolean {
  const base = normalised.endsWith('[]') ? normalised.slice(0, -2) : normalised;
  return Object.values(PRIMITIVES).includes(base);
}

/**
 * The normalised form of a type (see the module remarks for the rules).
 */
export function normaliseType(raw: string): string {
  let text = stripDecoration(raw).replace(/\s*\|\s*(null|undefined)$/i, '').replace(/\?$/, '');
  let array = false;
  const generic = /^(?:array|list|set)\s*[<[]\s*(.+?)\s*[>\]]$/i.exec(text);
  if (generic?.[1] !== undefined) {
    text = generic[1];
    array = true;
  } else if (text.endsWith('[]')) {
    text = text.slice(0, -2);
    array = true;
  }
  const base = PRIMITIVES[stripDecoration(text).toLowerCase()] ?? normaliseName(text);
  return array ? `${base}[]` : base;
}
