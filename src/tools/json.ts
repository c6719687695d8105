/**
 * JSON values as tool calls carry them, and the two questions every consumer asks of them: is this a
 * plain object, and are two values the same (whatever the order of an object's keys).
 * @module
 */

/** Any value JSON can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a non-null, non-array object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The JSON type of a value in the BFCL schema dialect: `string`, `integer` (a whole number), `float`,
 * `boolean`, `array`, `dict` or `null`.
 */
export function jsonType(value: JsonValue): 'string' | 'integer' | 'float' | 'boolean' | 'array' | 'dict' | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'object') return 'dict';
  return typeof value === 'string' ? 'string' : 'boolean';
}

/**
 * Deep equality of JSON values: arrays element by element in order, objects by their sets of keys and
 * each key's value, in any key order (`{"a":1,"b":2}` equals `{"b":2,"a":1}`), numbers by value.
 */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}
