import { isObject, type JsonValue } from './json.js';

/**
 * Function (tool) definitions in the JSON-schema dialect of BFCL, and their check on untrusted input.
 * @module
 */

/**
 * One parameter of a function definition, in the JSON-schema dialect of BFCL: `type` is one of
 * `string`, `integer`, `float` (or `number`, `double`), `boolean`, `array`, `tuple`, `dict` (or
 * `object`), `any`. Unknown types are kept and accepted by the checks (any value).
 */
export interface ParameterSchema {
  type?: string;
  description?: string;
  /** The allowed values. */
  enum?: JsonValue[];
  default?: JsonValue;
  /** Element schema of an `array` / `tuple`. */
  items?: ParameterSchema;
  /** Fields of a `dict` / `object`. */
  properties?: Record<string, ParameterSchema>;
  /** Required fields of a `dict` / `object`. */
  required?: string[];
  optional?: boolean;
  format?: string;
  minimum?: number;
  maximum?: number;
}

/** The `parameters` of a function definition: an object schema. */
export interface ObjectSchema {
  type: 'dict' | 'object';
  properties: Record<string, ParameterSchema>;
  required?: string[];
}

/**
 * A function (tool) definition, JSON-schema-like as in BFCL:
 *
 * ```json
 * {"name": "get_weather", "description": "Current weather for a city.",
 *  "parameters": {"type": "dict", "properties": {"city": {"type": "string", "description": "City name."}},
 *                 "required": ["city"]}}
 * ```
 */
export interface FunctionDefinition {
  name: string;
  description: string;
  parameters: ObjectSchema;
}

function parameterProblem(schema: unknown, path: string): string | undefined {
  if (!isObject(schema)) return `${path} must be an object`;
  if (schema.type !== undefined && typeof schema.type !== 'string') return `${path}.type must be a string`;
  if (schema.description !== undefined && typeof schema.description !== 'string') return `${path}.description must be a string`;
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) return `${path}.enum must be an array`;
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((name) => typeof name === 'string'))) {
    return `${path}.required must be an array of strings`;
  }
  if (schema.items !== undefined) {
    const problem = parameterProblem(schema.items, `${path}.items`);
    if (problem !== undefined) return problem;
  }
  if (schema.properties !== undefined) {
    if (!isObject(schema.properties)) return `${path}.properties must be an object`;
    for (const [name, property] of Object.entries(schema.properties)) {
      const problem = parameterProblem(property, `${path}.properties.${name}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** Result of {@link checkFunctionDefinition}. */
export type FunctionDefinitionCheck = { ok: true; definition: FunctionDefinition } | { ok: false; problem: string };

/**
 * Checks that `value` (e.g. parsed JSON) is a {@link FunctionDefinition}: `name` a non-empty string,
 * `description` a string, `parameters` an object schema (`type` `dict` or `object`, `properties` an
 * object of parameter schemas, `required` an array of strings). On success returns the definition with
 * a missing `properties` filled in as `{}` (every other field kept as it was, unknown ones included);
 * otherwise says what is wrong.
 */
export function checkFunctionDefinition(value: unknown): FunctionDefinitionCheck {
  if (!isObject(value)) return { ok: false, problem: 'function definition must be an object' };
  if (typeof value.name !== 'string' || value.name === '') return { ok: false, problem: 'function "name" must be a non-empty string' };
  const name = value.name;
  if (typeof value.description !== 'string') return { ok: false, problem: `function "${name}": "description" must be a string` };
  const parameters = value.parameters;
  if (!isObject(parameters)) return { ok: false, problem: `function "${name}": "parameters" must be an object` };
  if (parameters.type !== 'dict' && parameters.type !== 'object') {
    return { ok: false, problem: `function "${name}": parameters.type must be "dict" or "object", got ${JSON.stringify(parameters.type)}` };
  }
  const normalized = { ...parameters, properties: parameters.properties ?? {} };
  const problem = parameterProblem(normalized, 'parameters');
  if (problem !== undefined) return { ok: false, problem: `function "${name}": ${problem}` };
  // Checked above field by field; the casts keep the caller's object (unknown fields too) as it is.
  return { ok: true, definition: { ...(value as unknown as FunctionDefinition), parameters: normalized as unknown as ObjectSchema } };
}

/** The offered function named `name` (`tools` is one function or a list), or `undefined`. */
export function findTool(tools: FunctionDefinition | readonly FunctionDefinition[], name: string): FunctionDefinition | undefined {
  const list: readonly FunctionDefinition[] = 'name' in tools ? [tools] : tools;
  return list.find((tool) => tool.name === name);
}
