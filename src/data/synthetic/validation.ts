import type { FunctionDefinition, JsonObject, JsonValue, ParameterSchema, ToolCall } from '../formats.js';

/**
 * Checking calls and values against function definitions, as the simulated environment does.
 * @module
 */

function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'object') return 'dict';
  return typeof value;
}

export function sameJson(a: JsonValue, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why `value` does not fit `schema` (type, enum, items, fields), or `undefined`. `path` names it. */
export function typeProblem(schema: ParameterSchema, value: JsonValue, path = 'value'): string | undefined {
  const type = schema.type ?? 'any';
  const actual = jsonType(value);
  let ok: boolean;
  switch (type) {
    case 'string': ok = typeof value === 'string'; break;
    case 'integer': ok = actual === 'integer'; break;
    // BFCL's rule: an integer is accepted where a float is expected.
    case 'float': case 'number': case 'double': ok = typeof value === 'number'; break;
    case 'boolean': ok = typeof value === 'boolean'; break;
    case 'array': case 'tuple': ok = Array.isArray(value); break;
    case 'dict': case 'object': ok = actual === 'dict'; break;
    default: ok = true;
  }
  if (!ok) return `parameter "${path}" must be of type ${type}, got ${actual}`;
  if (schema.enum !== undefined && schema.enum.length > 0 && !schema.enum.some((allowed) => sameJson(allowed, value))) {
    return `parameter "${path}" must be one of ${schema.enum.map((allowed) => JSON.stringify(allowed)).join(', ')}`;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (const [index, item] of value.entries()) {
      const problem = typeProblem(schema.items, item, `${path}[${index}]`);
      if (problem !== undefined) return problem;
    }
  }
  if (actual === 'dict' && schema.properties !== undefined) {
    const object = value as JsonObject;
    for (const [key, item] of Object.entries(object)) {
      const field = schema.properties[key];
      if (field === undefined) continue;
      const problem = typeProblem(field, item, `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** The offered function named `name` (`tools` is one function or a list), or `undefined`. */
export function findTool(tools: FunctionDefinition | readonly FunctionDefinition[], name: string): FunctionDefinition | undefined {
  const list: readonly FunctionDefinition[] = Array.isArray(tools) ? tools : [tools as FunctionDefinition];
  return list.find((tool) => tool.name === name);
}

/**
 * Checks a call against the offered functions as an environment would: the function exists, no
 * parameter outside the schema, every required parameter present, every value of its parameter's type
 * (an integer is accepted for a float) and within its `enum`. Returns the first problem, e.g.
 * `missing required parameter "city"`, or `undefined` for a valid call.
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
