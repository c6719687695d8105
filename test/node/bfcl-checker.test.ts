/**
 * BFCL's AST rules, one at a time, on small hand-made items. The expected verdicts and error types are
 * those of BFCL's own checker (bfcl_eval/eval_checker/ast_eval/ast_checker.py at the data's commit),
 * worked out rule by rule from its source; the real-data tests (bfcl-data.test.ts) cover the rest.
 */
import { describe, expect, it } from 'vitest';
import type { BfclGroundTruth } from '../../src/data/sources/bfcl.js';
import { bfclCategory } from '../../src/eval/bfcl/categories.js';
import type { BfclItem } from '../../src/eval/bfcl/items.js';
import { scoreResponse } from '../../src/eval/bfcl/score.js';
import { standardizeString } from '../../src/eval/bfcl/values.js';
import type { FunctionDefinition, JsonValue, ParameterSchema } from '../../src/tools/index.js';

function fn(name: string, properties: Record<string, ParameterSchema>, required: string[] = []): FunctionDefinition {
  return { name, description: `${name}.`, parameters: { type: 'dict', properties, required } };
}

function item(id: string, functions: FunctionDefinition[], groundTruth: BfclGroundTruth[] = []): BfclItem {
  const category = bfclCategory(id);
  if (category === undefined) throw new Error(`bad test id ${id}`);
  return { id, category, question: { id, turns: [[{ role: 'user', content: 'question' }]], functions, source: 'test:1' }, groundTruth };
}

/** BFCL's error type of a response (undefined when valid). */
function errorType(target: BfclItem, response: string): string | undefined {
  const verdict = scoreResponse(target, response);
  expect(verdict.valid).toBe(verdict.errorType === undefined);
  return verdict.errorType;
}

const area = fn('geometry.area', { radius: { type: 'float' }, units: { type: 'string' } }, ['radius']);
const areaItem = item('simple_python_0', [area], [{ 'geometry.area': { radius: [2.0], units: ['cm', ''] } }]);

/** A one-parameter item: parameter `p` of `schema` with acceptable values `acceptable`. */
function one(schema: ParameterSchema, acceptable: JsonValue[]): BfclItem {
  return item('simple_python_1', [fn('f', { p: schema }, ['p'])], [{ f: { p: acceptable } }]);
}

describe('function name and parameters', () => {
  it('the function name must match exactly (no case or separator folding)', () => {
    expect(errorType(areaItem, '[geometry.area(radius=2.0)]')).toBeUndefined();
    expect(errorType(areaItem, '[Geometry.area(radius=2.0)]')).toBe('simple_function_checker:wrong_func_name');
    expect(errorType(areaItem, '[geometry_area(radius=2.0)]')).toBe('simple_function_checker:wrong_func_name');
  });

  it('every required parameter of the schema must be given', () => {
    expect(errorType(areaItem, '[geometry.area(units="cm")]')).toBe('simple_function_checker:missing_required');
  });

  it('a parameter outside the schema, or outside the possible answer, is unexpected', () => {
    expect(errorType(areaItem, '[geometry.area(radius=2.0, colour="red")]')).toBe('simple_function_checker:unexpected_param');
    const narrow = item('simple_python_2', [area], [{ 'geometry.area': { radius: [2.0] } }]);
    expect(errorType(narrow, '[geometry.area(radius=2.0, units="cm")]')).toBe('simple_function_checker:unexpected_param');
  });

  it('a parameter of the possible answer may be left out only where "" is among its acceptable values', () => {
    expect(errorType(areaItem, '[geometry.area(radius=2.0, units="cm")]')).toBeUndefined();
    const needsUnits = item('simple_python_3', [area], [{ 'geometry.area': { radius: [2.0], units: ['cm'] } }]);
    expect(errorType(needsUnits, '[geometry.area(radius=2.0)]')).toBe('simple_function_checker:missing_optional');
    expect(errorType(needsUnits, '[geometry.area(radius=2.0, units="cm")]')).toBeUndefined();
  });
});

describe('types', () => {
  it('an integer is accepted for a float, never a float for an integer, nor a boolean for a number', () => {
    expect(errorType(areaItem, '[geometry.area(radius=2)]')).toBeUndefined();
    const count = one({ type: 'integer' }, [3]);
    expect(errorType(count, '[f(p=3)]')).toBeUndefined();
    expect(errorType(count, '[f(p=3.5)]')).toBe('type_error:simple');
    expect(errorType(count, '[f(p=True)]')).toBe('type_error:simple');
    expect(errorType(count, '[f(p="3")]')).toBe('type_error:simple');
    expect(errorType(areaItem, '[geometry.area(radius=True)]')).toBe('type_error:simple');
  });

  it('a tuple is read as a list, for array and tuple parameters', () => {
    expect(errorType(one({ type: 'tuple', items: { type: 'integer' } }, [[1, 2]]), '[f(p=(1, 2))]')).toBeUndefined();
    expect(errorType(one({ type: 'array', items: { type: 'integer' } }, [[1, 2]]), '[f(p=(1, 2))]')).toBeUndefined();
  });

  it('list items are checked element by element against the item type', () => {
    const ints = one({ type: 'array', items: { type: 'integer' } }, [[1, 2, 3]]);
    expect(errorType(ints, '[f(p=[1, 2, 3])]')).toBeUndefined();
    expect(errorType(ints, '[f(p=[1, "2", 3])]')).toBe('type_error:nested');
    expect(errorType(ints, '[f(p=[1, 2.5, 3])]')).toBe('type_error:nested');
    expect(errorType(ints, '[f(p="1, 2, 3")]')).toBe('type_error:simple');
    const dicts = one({ type: 'array', items: { type: 'dict' } }, [[{ a: [1] }]]);
    expect(errorType(dicts, '[f(p=[5])]')).toBe('type_error:nested');
    // The "" of an optional list sets no constraint on the items (BFCL's nested check passes on it).
    const optional = item('simple_python_4', [fn('f', { p: { type: 'array', items: { type: 'integer' } } })], [{ f: { p: [[1], ''] } }]);
    expect(errorType(optional, '[f(p=["1"])]')).toBe('value_error:list/tuple');
  });

  it('a dict parameter takes a dict; `any` is a string, as BFCL types it', () => {
    expect(errorType(one({ type: 'dict' }, [{ k: ['v'] }]), '[f(p="k=v")]')).toBe('type_error:simple');
    const anything = one({ type: 'any' }, ['5']);
    expect(errorType(anything, '[f(p="5")]')).toBeUndefined();
    expect(errorType(anything, '[f(p=5)]')).toBe('type_error:simple');
  });

  it('a value of the possible answer\'s own type is accepted as it is (BFCL\'s variable rule)', () => {
    // simple_python_307's shape: a string parameter whose acceptable value is a boolean.
    const venue = one({ type: 'string' }, ['', true]);
    expect(errorType(venue, '[f(p=True)]')).toBeUndefined();
    expect(errorType(venue, '[f(p=False)]')).toBe('value_error:others');
    // Even a value of the schema's type is then compared as it is, not as a string.
    expect(errorType(venue, '[f(p="home")]')).toBe('value_error:others');
    // parallel_multiple_94's shape: strings where the items are integers.
    const sorted = one({ type: 'array', items: { type: 'integer' } }, [['b', 'a']]);
    expect(errorType(sorted, '[f(p=["b", "a"])]')).toBeUndefined();
    expect(errorType(sorted, '[f(p=["a", "b"])]')).toBe('value_error:list/tuple');
  });
});

describe('values', () => {
  it('strings are compared after BFCL\'s normalisation: no spaces or , . / - _ * ^, any case, \' as "', () => {
    expect(standardizeString("New York, N.Y./U-S_A*^ 'x'")).toBe('newyorknyusa"x"');
    const city = one({ type: 'string' }, ['San Francisco, CA']);
    for (const text of ['san francisco ca', 'SanFrancisco,CA', 'san-francisco_ca.', 'San^Francisco*CA/']) {
      expect(errorType(city, `[f(p=${JSON.stringify(text)})]`), text).toBeUndefined();
    }
    expect(errorType(city, '[f(p="San Francisco CA!")]')).toBe('value_error:string');
    expect(errorType(city, '[f(p="San\tFrancisco CA")]')).toBe('value_error:string');
    expect(errorType(one({ type: 'string' }, ["it's"]), '[f(p=\'it"s\')]')).toBeUndefined();
  });

  it('lists are compared in order, their string items normalised (nested lists as they are)', () => {
    const cities = one({ type: 'array', items: { type: 'string' } }, [['New York', 'Boston']]);
    expect(errorType(cities, '[f(p=["new york", "BOSTON"])]')).toBeUndefined();
    expect(errorType(cities, '[f(p=["Boston", "New York"])]')).toBe('value_error:list/tuple');
    expect(errorType(cities, '[f(p=["New York"])]')).toBe('value_error:list/tuple');
    const grid = one({ type: 'array', items: { type: 'array' } }, [[['A']]]);
    expect(errorType(grid, '[f(p=[["A"]])]')).toBeUndefined();
    expect(errorType(grid, '[f(p=[["a"]])]')).toBe('value_error:list/tuple');
  });

  it('numbers, booleans and null must equal an acceptable value', () => {
    expect(errorType(one({ type: 'integer' }, [3, 4]), '[f(p=4)]')).toBeUndefined();
    expect(errorType(one({ type: 'integer' }, [3, 4]), '[f(p=5)]')).toBe('value_error:others');
    expect(errorType(one({ type: 'boolean' }, [false]), '[f(p=True)]')).toBe('value_error:others');
    expect(errorType(one({ type: 'float' }, [null]), '[f(p=None)]')).toBeUndefined();
  });

  it('dicts are matched key by key against an acceptable dict, each key with its own acceptable values', () => {
    const filters = one({ type: 'dict' }, [{ cuisine: ['Thai', 'thai food'], price: ['', 2] }]);
    expect(errorType(filters, '[f(p={"price": 2, "cuisine": "THAI"})]')).toBeUndefined();
    expect(errorType(filters, '[f(p={"cuisine": "thai food"})]')).toBeUndefined();
    expect(errorType(filters, '[f(p={"cuisine": "Thai", "stars": 5})]')).toBe('value_error:dict_key');
    expect(errorType(filters, '[f(p={"cuisine": "Greek"})]')).toBe('value_error:dict_value');
    expect(errorType(filters, '[f(p={"price": 2})]')).toBe('value_error:dict_key');
  });

  it('lists of dicts: as many dicts as an acceptable list, matched in order', () => {
    const legs = one({ type: 'array', items: { type: 'dict' } }, [[{ from: ['A'] }, { from: ['B'] }]]);
    expect(errorType(legs, '[f(p=[{"from": "a"}, {"from": "b"}])]')).toBeUndefined();
    expect(errorType(legs, '[f(p=[{"from": "B"}, {"from": "A"}])]')).toBe('value_error:dict_value');
    expect(errorType(legs, '[f(p=[{"from": "A"}])]')).toBe('value_error:list_dict_count');
  });
});

describe('categories', () => {
  const weather = fn('get_weather', { city: { type: 'string' } }, ['city']);
  const time = fn('get_time', { city: { type: 'string' } }, ['city']);

  it('simple and multiple need exactly one call; multiple checks the expected function of several', () => {
    expect(errorType(areaItem, '[geometry.area(radius=2), geometry.area(radius=2)]')).toBe('simple_function_checker:wrong_count');
    expect(errorType(areaItem, '[]')).toBe('simple_function_checker:wrong_count');
    const multiple = item('multiple_0', [time, weather], [{ get_weather: { city: ['Paris'] } }]);
    expect(errorType(multiple, '[get_weather(city="paris")]')).toBeUndefined();
    expect(errorType(multiple, '[get_time(city="Paris")]')).toBe('simple_function_checker:wrong_func_name');
    expect(errorType(multiple, '[get_weather(city="Paris"), get_time(city="Paris")]')).toBe('multiple_function_checker:wrong_count');
  });

  it('parallel calls are matched one to one in any order; a missing or extra call is the wrong count', () => {
    const parallel = item('parallel_multiple_0', [weather, time], [
      { get_weather: { city: ['Paris'] } }, { get_time: { city: ['Rome'] } }, { get_weather: { city: ['Oslo'] } },
    ]);
    expect(errorType(parallel, '[get_weather(city="Paris"), get_time(city="Rome"), get_weather(city="Oslo")]')).toBeUndefined();
    expect(errorType(parallel, '[get_weather(city="Oslo"), get_weather(city="Paris"), get_time(city="Rome")]')).toBeUndefined();
    expect(errorType(parallel, '[get_weather(city="Paris"), get_time(city="Rome")]')).toBe('parallel_function_checker_no_order:wrong_count');
    expect(errorType(parallel, '[get_weather(city="Paris"), get_time(city="Rome"), get_weather(city="Oslo"), get_weather(city="Oslo")]'))
      .toBe('parallel_function_checker_no_order:wrong_count');
    const duplicated = scoreResponse(parallel, '[get_weather(city="Paris"), get_time(city="Rome"), get_weather(city="Paris")]');
    expect(duplicated.errorType).toBe('parallel_function_checker_no_order:cannot_find_match');
    // Expected call 2 (Oslo) is tried against output call 2, the only one not matched yet.
    expect(duplicated.attempts).toEqual([{ index: 2, errorType: 'value_error:string', error: expect.stringContaining('"Paris"') }]);
  });

  it('the parallel match is BFCL\'s greedy one: each expected call takes the first output call that fits', () => {
    const f = fn('f', { x: { type: 'integer' } }, ['x']);
    const greedy = item('parallel_0', [f], [{ f: { x: [1, 2] } }, { f: { x: [1] } }]);
    // A perfect matching exists (x=2 for the first, x=1 for the second), but x=1 goes to the first.
    expect(errorType(greedy, '[f(x=1), f(x=2)]')).toBe('parallel_function_checker_no_order:cannot_find_match');
    expect(errorType(greedy, '[f(x=2), f(x=1)]')).toBeUndefined();
  });

  it('irrelevance passes when no call decodes, relevance when one does', () => {
    const irrelevance = item('irrelevance_0', [weather]);
    expect(errorType(irrelevance, '<|assistant|>None of the available functions can do this, so I will not call any.<|end|>')).toBeUndefined();
    expect(errorType(irrelevance, '[]')).toBeUndefined();
    expect(errorType(irrelevance, '')).toBeUndefined();
    expect(errorType(irrelevance, '[get_weather(city="Paris")]')).toBe('irrelevance_error:decoder_success');
    expect(errorType(irrelevance, '<|tool_call|>{"name":"get_weather","arguments":{}}<|end|>')).toBe('irrelevance_error:decoder_success');
    const relevance = item('live_relevance_0-0-0', [weather]);
    expect(errorType(relevance, '[get_weather(city="Paris")]')).toBeUndefined();
    expect(errorType(relevance, 'I do not know.')).toBe('relevance_error:decoder_failed');
  });

  it('a response that does not decode fails with BFCL\'s decoder error', () => {
    // BFCL adds a missing closing bracket, no more.
    expect(errorType(areaItem, '[geometry.area(radius=2.0)')).toBeUndefined();
    expect(errorType(areaItem, '[geometry.area(radius=2.0')).toBe('ast_decoder:decoder_failed');
    expect(errorType(areaItem, '<|tool_call|>{"name": "geometry.area", "arguments": {"radius": 2.0}<|end|>')).toBe('ast_decoder:decoder_failed');
  });
});

describe('partial measures', () => {
  const weather = fn('get_weather', { city: { type: 'string' }, unit: { type: 'string' } }, ['city', 'unit']);
  const time = fn('get_time', { city: { type: 'string' } }, ['city']);
  const target = item('parallel_multiple_1', [weather, time], [
    { get_weather: { city: ['Paris'], unit: ['C'] } }, { get_time: { city: ['Rome'] } },
  ]);

  it('count valid syntax, the called functions and the required arguments given, also when the answer is wrong', () => {
    expect(scoreResponse(target, '[get_time(city="Oslo"), get_weather(city="Oslo")]').partial)
      .toEqual({ validSyntax: true, functionNames: true, requiredPresent: 2, requiredTotal: 3 });
    expect(scoreResponse(target, '[get_weather(city="Paris", unit="C")]').partial)
      .toEqual({ validSyntax: true, functionNames: false, requiredPresent: 2, requiredTotal: 3 });
    expect(scoreResponse(target, '[get_weather(city="Paris", unit="C"), get_weather(city="Rome")]').partial)
      .toEqual({ validSyntax: true, functionNames: false, requiredPresent: 2, requiredTotal: 3 });
    expect(scoreResponse(target, 'no idea').partial).toEqual({ validSyntax: false, functionNames: false, requiredPresent: 0, requiredTotal: 3 });
    expect(scoreResponse(item('irrelevance_1', [time]), '[]').partial).toBeUndefined();
  });
});
