/**
 * The function-calling vocabulary, shared by the training data, the synthetic generator and the
 * evaluation: JSON values and their key-order-free comparison, function definitions (BFCL's JSON-schema
 * dialect) and their check, calls with their JSON and Python forms, the type rule (an integer is
 * accepted for a float), and the tools system prompt. Imports nothing but itself: browser-safe and at
 * the bottom of the layers.
 * @module
 */
export { isObject, jsonType, jsonEqual } from './json.js';
export type { JsonValue, JsonObject } from './json.js';
export { checkFunctionDefinition, findTool } from './schema.js';
export type { ParameterSchema, ObjectSchema, FunctionDefinition, FunctionDefinitionCheck } from './schema.js';
export { callJson, parseCallJson, fitsType, typeProblem, validateCall } from './calls.js';
export type { ToolCall, CallParse } from './calls.js';
export { parsePythonCall, renderPythonCall, renderPythonLiteral } from './python.js';
export { toolsSystemPrompt, TOOLS_INSTRUCTION } from './prompt.js';
