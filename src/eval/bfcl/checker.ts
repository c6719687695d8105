import type { BfclGroundTruth } from '../../data/sources/bfcl.js';
import { findTool, type FunctionDefinition, type ToolCall } from '../../tools/index.js';
import { InputError } from '../../util/errors.js';
import type { CheckKind } from './categories.js';
import { checkArgument, failure, VALID, type Check } from './values.js';

/**
 * BFCL's AST checker for decoded calls: one call against one expected call ({@link checkCall}), and the
 * calls of a response against all expected calls by the category's rule ({@link checkCalls}). Error
 * types are BFCL's (`simple_function_checker:missing_required`, `type_error:simple`, ...).
 *
 * Browser-safe.
 * @module
 */

/** One failed match tried by the parallel check: output call `index` against an expected call. */
export interface MatchAttempt {
  /** Index of the output call (0-based). */
  index: number;
  errorType: string;
  error: string;
}

/** A {@link Check} of a whole response; a failed parallel match lists the output calls it tried. */
export type CallsCheck = Check & { attempts?: MatchAttempt[] };

/** The one function and acceptable arguments of a ground-truth entry `{name: {param: [values]}}`. */
export function expectedCall(entry: BfclGroundTruth): { name: string; acceptable: BfclGroundTruth[string] } {
  const [name, acceptable] = Object.entries(entry)[0];
  return { name, acceptable };
}

/**
 * BFCL's check of one call against the definition of the expected function and the expected call's
 * acceptable arguments, in BFCL's order: the function name; every required parameter present; each
 * argument in the schema and in the possible answer, and of an acceptable type and value
 * ({@link checkArgument}); every parameter of the possible answer given unless `""` is acceptable.
 */
export function checkCall(fn: FunctionDefinition, call: ToolCall, expected: BfclGroundTruth): Check {
  const { acceptable } = expectedCall(expected);
  if (call.name !== fn.name) return failure('simple_function_checker:wrong_func_name', `Function name "${fn.name}" not found in model output (got "${call.name}")`);
  const missing = (fn.parameters.required ?? []).find((param) => !Object.hasOwn(call.arguments, param));
  if (missing !== undefined) return failure('simple_function_checker:missing_required', `Missing required parameter: "${missing}"`);
  for (const [param, value] of Object.entries(call.arguments)) {
    const schema = Object.hasOwn(fn.parameters.properties, param) ? fn.parameters.properties[param] : undefined;
    const options = Object.hasOwn(acceptable, param) ? acceptable[param] : undefined;
    if (schema === undefined || options === undefined) return failure('simple_function_checker:unexpected_param', `Unexpected parameter: "${param}"`);
    const check = checkArgument(param, schema, value, options);
    if (!check.valid) return check;
  }
  const omitted = Object.keys(acceptable).find((param) => !Object.hasOwn(call.arguments, param) && !acceptable[param].includes(''));
  if (omitted !== undefined) {
    return failure('simple_function_checker:missing_optional', `Optional parameter "${omitted}" not provided and not marked as optional`);
  }
  return VALID;
}

/** The offered function an expected call names ({@link pairBfclItems} makes sure there is one). */
function definitionOf(functions: readonly FunctionDefinition[], name: string): FunctionDefinition {
  const fn = findTool(functions, name);
  if (fn === undefined) throw new InputError('possible answer', `expected function "${name}" is not among the offered functions`);
  return fn;
}

/**
 * The parallel check: as many calls as expected, and each expected call (in order) matched by the first
 * output call not matched yet that passes {@link checkCall} (BFCL's greedy one-to-one match, in any
 * order). A failed match reports every output call it tried.
 */
function checkParallel(functions: readonly FunctionDefinition[], calls: readonly ToolCall[], expected: readonly BfclGroundTruth[]): CallsCheck {
  if (calls.length !== expected.length) {
    return failure('parallel_function_checker_no_order:wrong_count', `Wrong number of functions: ${calls.length}, expected ${expected.length}`);
  }
  const matched = new Set<number>();
  for (const [position, entry] of expected.entries()) {
    const fn = definitionOf(functions, expectedCall(entry).name);
    const attempts: MatchAttempt[] = [];
    const index = calls.findIndex((call, i) => {
      if (matched.has(i)) return false;
      const check = checkCall(fn, call, entry);
      if (!check.valid) attempts.push({ index: i, errorType: check.errorType, error: check.error });
      return check.valid;
    });
    if (index < 0) {
      const tried = attempts.map((attempt) => `call ${attempt.index}: ${attempt.errorType} (${attempt.error})`).join('; ');
      return {
        ...failure('parallel_function_checker_no_order:cannot_find_match', `No output call matches expected call ${position} (${fn.name}); ${tried}`),
        attempts,
      };
    }
    matched.add(index);
  }
  return VALID;
}

/**
 * BFCL's check of the decoded calls of a response for a category that expects calls: `simple` and
 * `multiple` need exactly one call, checked against the first offered function (`simple`) or the
 * expected one (`multiple`); `parallel` matches the calls one to one in any order.
 */
export function checkCalls(
  kind: Exclude<CheckKind, 'irrelevance' | 'relevance'>, functions: readonly FunctionDefinition[],
  calls: readonly ToolCall[], expected: readonly BfclGroundTruth[],
): CallsCheck {
  if (kind === 'parallel') return checkParallel(functions, calls, expected);
  if (calls.length !== expected.length) {
    return failure(`${kind}_function_checker:wrong_count`, `Wrong number of functions: ${calls.length}, expected ${expected.length}`);
  }
  const fn = kind === 'simple' ? functions[0] : definitionOf(functions, expectedCall(expected[0]).name);
  return checkCall(fn, calls[0], expected[0]);
}
