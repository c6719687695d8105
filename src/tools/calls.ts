import { isObject, jsonType, jsonEqual, type JsonObject, type JsonValue } from './json.js';
import { findTool, type FunctionDefinition, type ParameterSchema } from './schema.js';

/**
 * Function calls: the call type, its JSON form (what a `tool_call` turn holds) read and written, and
 * the check of a call against the offered functions, with BFCL's type rule.
 * @module
 */

/** A function call: `{"name": "get_weather", "arguments": {"city": "Paris"}}`. */
export interface ToolCall {
  name: string;
  arguments: JsonObject;
}

/** JSON of a call as it appears in a `tool_call` turn (compact, keys in the order name, arguments). */
export function callJson(call: ToolCall): string {
  return JSON.stringify({ name: call.name, arguments: call.arguments });
}

/** Result of {@link parseCallJson}. */
export type CallParse = { ok: true; call: ToolCall } | { ok: false; problem: string };

/**
 * Reads the JSON of a call, the inverse of {@link callJson}: an object with a non-empty string `name`
 * and an object `arguments`, and no other key. Says what is wrong otherwise (not JSON, another shape).
 */
export function parseCallJson(text: string): CallParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!isObject(value)) return { ok: false, problem: 'a call must be a JSON object' };
  if (typeof value.name !== 'string' || value.name === '') return { ok: false, problem: 'a call needs a non-empty string "name"' };
  if (!isObject(value.arguments)) return { ok: false, problem: `call of "${value.name}": "arguments" must be an object` };
  const extra = Object.keys(value).find((key) => key !== 'name' && key !== 'arguments');
  if (extra !== undefined) return { ok: false, problem: `call of "${value.name}": unexpected key "${extra}"` };
  // JSON.parse gives JSON values only.
  return { ok: true, call: { name: value.name, arguments: value.arguments as JsonObject } };
}

/**
 * Whether a value has a schema type. BFCL's rule: an integer is accepted where a float is expected
 * (`float`, `number`, `double`), never the other way round. `array` and `tuple` take lists, `dict` and
 * `object` objects; `any` and unknown types take everything.
 */
export function fitsType(type: string, value: JsonValue): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'integer': return jsonType(value) === 'integer';
    case 'float': case 'number': case 'double': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    case 'array': case 'tuple': return Array.isArray(value);
    case 'dict': case 'object': return isObject(value);
    default: return true;
  }
}

/**
 * Why `value` does not fit `schema`, or `undefined`: its type ({@link fitsType}), its `enum` (compared
 * with {@link jsonEqual}), and recursively the items of a list and the known fields of an object.
 * `path` names the value in the message.
 */
export function typeProblem(schema: ParameterSchema, value: JsonValue, path = 'value'): string | undefined {
  const type = schema.type ?? 'any';
  if (!fitsType(type, value)) return `parameter "${path}" must be of type ${type}, got ${jsonType(value)}`;
  if (schema.enum !== undefined && schema.enum.length > 0 && !schema.enum.some((allowed) => jsonEqual(allowed, value))) {
    return `parameter "${path}" must be one of ${schema.enum.map((allowed) => JSON.stringify(allowed)).join(', ')}`;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (const [index, item] of value.entries()) {
      const problem = typeProblem(schema.items, item, `${path}[${index}]`);
      if (problem !== undefined) return problem;
    }
  }
  if (isObject(value) && schema.properties !== undefined) {
    for (const [key, item] of Object.entries(value)) {
      const field = schema.properties[key];
      if (field === undefined) continue;
      const problem = typeProblem(field, item, `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/**
 * Checks a call against the offered functions as an environment would: the function exists, no
 * parameter outside the schema, every required parameter present, every value of its parameter's type
 * ({@link typeProblem}). Returns the first problem, e.g. `missing required parameter "city"`, or
 * `undefined` for a valid call.
 */
export function validateCall(tools: FunctionDefinition | readonly FunctionDefinition[], call: ToolCall): string | undefined {
  const fn = findTool(tools, call.name);
  if (fn === undefined) return `unknown function "${call.name}"`;
  const properties = fn.parameters.properties;
  const required = fn.parameters.required ?? [];
  for (const name of Object.keys(call.arguments)) {
    if (!(name in properties) && !required.includes(name)) return `unexpected parameter "${name}"`;
  }
  for (const name of required) {
    if (!(name in call.arguments)) return `missing required parameter "${name}"`;
  }
  for (const [name, value] of Object.entries(call.arguments)) {
    const schema = properties[name];
    if (schema === undefined) continue;
    const problem = typeProblem(schema, value, name);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
