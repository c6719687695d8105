import { isObject, jsonEqual, jsonType, type JsonObject, type JsonValue, type ParameterSchema } from '../../tools/index.js';

/**
 * BFCL's checks of one argument value against its schema and its list of acceptable values (the
 * possible answer), as BFCL's AST checker makes them for Python:
 *
 * 1. **Type.** The value must have the schema's type (`any` counts as a string, `tuple` as a list, an
 *    integer is accepted for a float). A value of another type is still accepted when it has the type
 *    of the first acceptable value that is not `""`: the possible answer then names a variable or
 *    another type on purpose (BFCL's "is variable" case), and the value is compared as it is. A list's
 *    items must have the schema's item type (or, as above, the type of the items of an acceptable list)
 *    for at least one acceptable list.
 * 2. **Value.** Strings are compared after {@link standardizeString}; lists in order, their string items
 *    standardised; dicts key by key (each key's value standardised against that key's own list of
 *    acceptable values, a key missing only where `""` is among them); lists of dicts dict by dict, in
 *    order; anything else (numbers, booleans, null, variables) must equal an acceptable value.
 *
 * Numbers are JSON numbers here: `1.0` and `1` are one value, which BFCL (Python) tells apart. So an
 * integral float such as `5.0` passes as an integer, and an integer inside a list of floats is
 * accepted, where BFCL reports a type error for both.
 *
 * Browser-safe.
 * @module
 */

/** The outcome of a check: valid, or BFCL's error type (e.g. `type_error:simple`) and a message. */
export type Check = { valid: true } | { valid: false; errorType: string; error: string };

/** The valid {@link Check}. */
export const VALID: Check = { valid: true };

/** A failed {@link Check}. */
export function failure(errorType: string, error: string): Check {
  return { valid: false, errorType, error };
}

/** The Python types BFCL compares values by. */
type ValueType = ReturnType<typeof jsonType>;

/** BFCL's Python type of each schema type (`number` and `double` read as `float`, `object` as `dict`). */
const SCHEMA_TYPES: Readonly<Record<string, ValueType>> = {
  string: 'string', any: 'string', integer: 'integer', float: 'float', number: 'float', double: 'float',
  boolean: 'boolean', array: 'array', tuple: 'array', dict: 'dict', object: 'dict',
};

/** The type of `value` where `expected` is wanted: an integer counts as a float where a float is wanted. */
function typeFor(value: JsonValue, expected: ValueType): ValueType {
  const type = jsonType(value);
  return type === 'integer' && expected === 'float' ? 'float' : type;
}

/**
 * BFCL's normalisation of strings before comparing them: spaces and the characters `, . / - _ * ^`
 * removed, lower-cased, single quotes turned into double quotes (`"April 1, 2024"` -> `april12024`).
 */
export function standardizeString(text: string): string {
  return text.replace(/[ ,./\-_*^]/g, '').toLowerCase().replace(/'/g, '"');
}

function standardized(value: JsonValue): JsonValue {
  return typeof value === 'string' ? standardizeString(value) : value;
}

function shown(value: JsonValue): string {
  return JSON.stringify(value);
}

/** Result of {@link checkType}: with `variable`, the value takes the possible answer's own type. */
type TypeCheck = { valid: true; variable: boolean } | { valid: false; errorType: string; error: string };

/**
 * BFCL's type check of `value` against `expected` (and, for lists, `items`), with `acceptable` the
 * possible answer (see the module's rule 1). A non-list acceptable value (the `""` of an optional list)
 * sets no constraint on the items.
 */
function checkType(param: string, value: JsonValue, acceptable: readonly JsonValue[], expected: ValueType, items?: ValueType): TypeCheck {
  const first = acceptable.find((option) => option !== '');
  const answerType = first === undefined ? undefined : typeFor(first, expected);
  const variable = answerType !== undefined && answerType !== expected;
  const type = typeFor(value, expected);
  let itemsFailed = false;
  if (type === expected) {
    if (items === undefined || !Array.isArray(value)) return { valid: true, variable };
    const fits = (option: JsonValue) => !Array.isArray(option) || value.every((item) => checkType(param, item, option, items).valid);
    if (acceptable.some(fits)) return { valid: true, variable };
    itemsFailed = true;
  }
  if (answerType !== undefined && type === answerType && !itemsFailed) return { valid: true, variable: true };
  if (itemsFailed && type === answerType) {
    return { valid: false, errorType: 'type_error:nested', error: `Nested type checking failed for parameter "${param}": expected ${expected} of ${items}, got ${shown(value)}` };
  }
  return { valid: false, errorType: 'type_error:simple', error: `Incorrect type for parameter "${param}": expected ${expected}, got ${type} ${shown(value)}` };
}

function checkString(param: string, value: string, acceptable: readonly JsonValue[]): Check {
  const wanted = standardizeString(value);
  if (acceptable.some((option) => typeof option === 'string' && standardizeString(option) === wanted)) return VALID;
  return failure('value_error:string', `Invalid value for parameter "${param}": ${shown(value)}; expected one of ${shown([...acceptable])} (case and , . / - _ * ^ and spaces ignored)`);
}

/** The items an acceptable value offers for a list: a list's items; BFCL reads a string as its characters (so `""` as `[]`). */
function listOption(option: JsonValue): JsonValue[] | undefined {
  if (Array.isArray(option)) return option;
  return typeof option === 'string' ? [...option] : undefined;
}

function checkList(param: string, value: JsonValue[], acceptable: readonly JsonValue[]): Check {
  const wanted = value.map(standardized);
  for (const option of acceptable) {
    const items = listOption(option);
    if (items !== undefined && jsonEqual(items.map(standardized), wanted)) return VALID;
  }
  return failure('value_error:list/tuple', `Invalid value for parameter "${param}": ${shown(value)}; expected one of ${shown([...acceptable])}`);
}

/** The acceptable values of one dict key (a list; a bare value is read as the list of itself). */
function keyOptions(option: JsonObject, key: string): JsonValue[] {
  const options = option[key];
  return Array.isArray(options) ? options : [options];
}

/** One dict against one acceptable dict (each of whose keys maps to its acceptable values). */
function checkDictOption(value: JsonObject, option: JsonObject): Check {
  let result = VALID;
  for (const [key, item] of Object.entries(value)) {
    if (!Object.hasOwn(option, key)) {
      result = failure('value_error:dict_key', `Unexpected dict key parameter: "${key}"`);
      break;
    }
    const wanted = standardized(item);
    if (!keyOptions(option, key).some((accepted) => jsonEqual(standardized(accepted), wanted))) {
      result = failure('value_error:dict_value', `Invalid value for dict key "${key}": ${shown(item)}; expected one of ${shown(keyOptions(option, key))}`);
      break;
    }
  }
  // As in BFCL, a missing key is reported even after a bad one, and its error type wins.
  const missing = Object.keys(option).find((key) => !Object.hasOwn(value, key) && !keyOptions(option, key).includes(''));
  return missing === undefined ? result : failure('value_error:dict_key', `Missing dict key parameter: "${missing}"`);
}

function checkDict(param: string, value: JsonValue, acceptable: readonly JsonValue[]): Check {
  if (!isObject(value)) return failure('value_error:dict_value', `parameter "${param}": ${shown(value)} is not a dict`);
  let result = failure('dict_checker:unclear', `no acceptable dict for parameter "${param}"`);
  for (const option of acceptable) {
    if (!isObject(option)) continue;
    result = checkDictOption(value as JsonObject, option as JsonObject);
    if (result.valid) return VALID;
  }
  return result;
}

function checkDictList(param: string, value: JsonValue[], acceptable: readonly JsonValue[]): Check {
  let result = failure('list_dict_checker:unclear', `no acceptable list of dicts for parameter "${param}"`);
  for (const option of acceptable) {
    // BFCL takes the length of each acceptable value: `""` (optional) is an empty list.
    const dicts = Array.isArray(option) ? option : option === '' ? [] : undefined;
    if (dicts === undefined) continue;
    if (dicts.length !== value.length) {
      result = failure('value_error:list_dict_count', `Wrong number of dictionaries in the list for parameter "${param}": ${value.length}, expected ${dicts.length}`);
      continue;
    }
    const bad = value.map((item, i) => checkDict(param, item, [dicts[i]])).find((check) => !check.valid);
    if (bad === undefined) return VALID;
    result = bad;
  }
  return result;
}

/**
 * BFCL's check of one argument: `value` given for parameter `param` of schema `schema`, against the
 * possible answer's `acceptable` values (see the module's rules). A schema type BFCL does not know
 * skips the type check.
 */
export function checkArgument(param: string, schema: ParameterSchema, value: JsonValue, acceptable: readonly JsonValue[]): Check {
  const expected = SCHEMA_TYPES[schema.type ?? ''];
  if (expected !== undefined) {
    const isList = expected === 'array';
    const items = isList && schema.items?.type !== undefined ? SCHEMA_TYPES[schema.items.type] : undefined;
    const type = checkType(param, value, acceptable, expected, items);
    if (!type.valid) return type;
    if (!type.variable) {
      if (expected === 'dict') return checkDict(param, value, acceptable);
      if (isList && items === 'dict') return checkDictList(param, value as JsonValue[], acceptable);
      if (expected === 'string') return checkString(param, value as string, acceptable);
      if (isList) return checkList(param, value as JsonValue[], acceptable);
    }
  }
  if (acceptable.some((option) => jsonEqual(option, value))) return VALID;
  return failure('value_error:others', `Invalid value for parameter "${param}": ${shown(value)}; expected one of ${shown([...acceptable])}`);
}
