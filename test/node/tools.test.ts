/**
 * The function-calling vocabulary (src/tools) against independent references: Python's own parser
 * (`ast`, Debian's /usr/bin/python3) for the Python-call parser and renderer, and a canonical
 * sorted-key serialisation for the key-order-free comparison.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  callJson, fitsType, jsonEqual, parseCallJson, parsePythonCall, renderPythonCall, typeProblem, validateCall,
  type FunctionDefinition, type JsonObject, type JsonValue, type ToolCall,
} from '../../src/tools/index.js';
import { Rng } from '../../src/util/rng.js';

const PYTHON = '/usr/bin/python3';

/** Runs a Python script with `input` on stdin and returns its stdout parsed as JSON. */
function python(script: string, input = '', args: string[] = []): unknown {
  const result = spawnSync(PYTHON, ['-c', script, ...args], {
    input, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
  });
  if (result.status !== 0) throw new Error(`${PYTHON} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Pieces that break naive quoting and escaping. */
const AWKWARD = ['', "it's", 'say "hi"', 'back\\slash', 'line\nbreak', '\ttab', '\r\u0000\u0007\u001f', 'é ü 中文', '😀', '\u2028', 'x=1, y=2)', "'); f(", '**{}', '\\u0041', '\\'];

function randomString(rng: Rng): string {
  const parts = Array.from({ length: rng.int(4) }, () => (rng.next() < 0.5 ? rng.pick(AWKWARD) : String.fromCodePoint(32 + rng.int(0x2000))));
  return parts.join('');
}

function randomNumber(rng: Rng): number {
  switch (rng.int(3)) {
    case 0: return rng.int(2_000_001) - 1_000_000;
    case 1: return (rng.next() - 0.5) * 2000;
    default: return rng.next() * 10 ** (rng.int(61) - 30);
  }
}

function randomValue(rng: Rng, depth = 0): JsonValue {
  switch (rng.int(depth >= 3 ? 4 : 6)) {
    case 0: return randomString(rng);
    case 1: return randomNumber(rng);
    case 2: return rng.next() < 0.5;
    case 3: return null;
    case 4: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const out: JsonObject = {};
      for (let i = rng.int(4); i > 0; i--) out[randomString(rng)] = randomValue(rng, depth + 1);
      return out;
    }
  }
}

/** Argument names: Python identifiers, not keywords. */
const NAMES = ['city', 'n', 'x_1', 'topN', 'é', '_private', 'unit', 'pretrained', 'repo_or_dir'];

function randomCall(rng: Rng): ToolCall {
  const args: JsonObject = {};
  for (const name of rng.shuffle([...NAMES]).slice(0, rng.int(5))) args[name] = randomValue(rng);
  return { name: rng.pick(['f', 'get_weather', 'torch.hub.load', 'a.b_c.D']), arguments: args };
}

/** JSON with every object's keys sorted: equal strings iff equal values, whatever the key order. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Same name and, by the sorted-key reference, the same arguments. */
function sameCall(actual: ToolCall | undefined, expected: ToolCall): boolean {
  return actual !== undefined && actual.name === expected.name && canonical(actual.arguments) === canonical(expected.arguments);
}

/** A deep copy with every object's keys in a shuffled order. */
function shuffledKeys(value: JsonValue, rng: Rng): JsonValue {
  if (Array.isArray(value)) return value.map((item) => shuffledKeys(item, rng));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(rng.shuffle(Object.keys(value)).map((key) => [key, shuffledKeys(value[key], rng)]));
  }
  return value;
}

describe('Python calls', () => {
  it('keyword calls with literal values become tool calls; anything else does not', () => {
    expect(parsePythonCall("model = torch.hub.load(repo_or_dir='pytorch/vision', model=\"resnet50\", pretrained=True, n=-2.5, x=None, l=[1, 'a'], **{'topN': 6})"))
      .toEqual({ name: 'torch.hub.load', arguments: { repo_or_dir: 'pytorch/vision', model: 'resnet50', pretrained: true, n: -2.5, x: null, l: [1, 'a'], topN: 6 } });
    expect(parsePythonCall("pipeline('text-classification', model='x')")).toBeUndefined();
    expect(parsePythonCall('torch.hub.load(repo_or_dir=repo, model=name)')).toBeUndefined();
    expect(parsePythonCall("hub.load('u') + 1")).toBeUndefined();
    expect(parsePythonCall("f(x='\\N{BULLET}')")).toBeUndefined();
    expect(parsePythonCall("f(x='open")).toBeUndefined();
  });

  it('the parser reads what Python reads: 300 random calls written by Python repr (quotes, escapes, tuples, spacing)', () => {
    // Python writes each call with repr() and evaluates it itself with ast.literal_eval: the reference.
    const script = String.raw`
import ast, json, random, sys
random.seed(int(sys.argv[1]))
POOL = ['a', 'Z', ' ', "'", '"', '\\', '\n', '\t', '\r', '\x00', '\x07', '\x7f', 'é', '中', '😀', '\u2028', '\ud7ff', ',', ')', '=']
NAMES = ['city', 'n', 'x_1', 'topN', 'é', '_private', 'unit']
def text():
    return ''.join(random.choice(POOL) for _ in range(random.randrange(6)))
def value(depth):
    kind = random.randrange(4 if depth >= 3 else 7)
    if kind == 0: return text()
    if kind == 1: return random.choice([random.randint(-10**6, 10**6), random.uniform(-1e3, 1e3), random.random() * 10.0 ** random.randint(-30, 30)])
    if kind == 2: return random.random() < 0.5
    if kind == 3: return None
    if kind == 4: return [value(depth + 1) for _ in range(random.randrange(4))]
    if kind == 5: return tuple(value(depth + 1) for _ in range(random.randrange(4)))
    return {(text() if random.random() < 0.8 else random.randint(-9, 99)): value(depth + 1) for _ in range(random.randrange(4))}
out = []
for i in range(300):
    names = random.sample(NAMES, random.randrange(len(NAMES)))
    unpack = names[: random.randrange(len(names) + 1)] if random.random() < 0.2 else []
    args = {name: value(0) for name in names}
    sep = lambda: random.choice([', ', ',', ' , ', ',\n    '])
    parts = [f'{k}={args[k]!r}' for k in names if k not in unpack]
    if unpack: parts.append('**' + repr({k: args[k] for k in unpack}))
    name = random.choice(['f', 'torch.hub.load', 'pkg.mod.Fn'])
    source = random.choice(['', 'model = ', 'a, b = ']) + name + '(' + sep().join(parts) + ')'
    call = ast.parse(source).body[0]
    call = call.value if isinstance(call, (ast.Assign, ast.Expr)) else call
    evaluated = {}
    for keyword in call.keywords:
        if keyword.arg is None: evaluated.update(ast.literal_eval(keyword.value))
        else: evaluated[keyword.arg] = ast.literal_eval(keyword.value)
    out.append({'source': source, 'call': {'name': ast.unparse(call.func), 'arguments': evaluated}})
print(json.dumps(out))
`;
    const cases = python(script, '', ['7']) as { source: string; call: ToolCall }[];
    expect(cases.length).toBe(300);
    let withEscapes = 0;
    for (const { source, call } of cases) {
      if (source.includes('\\')) withEscapes++;
      expect(sameCall(parsePythonCall(source), call), source).toBe(true);
    }
    expect(withEscapes).toBeGreaterThan(100);
  });

  it('rendered calls are Python that evaluates to the same call, and parse back to it (500 random calls)', () => {
    const rng = new Rng(11);
    const calls = Array.from({ length: 500 }, () => randomCall(rng));
    const sources = calls.map(renderPythonCall);
    const script = String.raw`
import ast, json, sys
out = []
for line in sys.stdin:
    call = ast.parse(json.loads(line), mode='eval').body
    assert isinstance(call, ast.Call) and not call.args
    out.append({'name': ast.unparse(call.func), 'arguments': {k.arg: ast.literal_eval(k.value) for k in call.keywords}})
print(json.dumps(out))
`;
    const evaluated = python(script, sources.map((source) => JSON.stringify(source)).join('\n')) as ToolCall[];
    expect(evaluated.length).toBe(calls.length);
    calls.forEach((call, i) => {
      expect(sameCall(evaluated[i], call), sources[i]).toBe(true);
      expect(sameCall(parsePythonCall(sources[i]), call), sources[i]).toBe(true);
    });
  });
});

describe('JSON calls', () => {
  it('callJson and parseCallJson are inverses; bad JSON and bad shapes say what is wrong', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const call = randomCall(rng);
      const text = callJson(call);
      expect(text.startsWith(`{"name":${JSON.stringify(call.name)},"arguments":`)).toBe(true);
      expect(parseCallJson(text)).toEqual({ ok: true, call });
    }
    expect(parseCallJson('{"name": "f", "arguments": {')).toMatchObject({ ok: false, problem: expect.stringMatching(/^not JSON \(/) });
    expect(parseCallJson('[1]')).toEqual({ ok: false, problem: 'a call must be a JSON object' });
    expect(parseCallJson('{"arguments": {}}')).toEqual({ ok: false, problem: 'a call needs a non-empty string "name"' });
    expect(parseCallJson('{"name": "f", "arguments": [1]}')).toEqual({ ok: false, problem: 'call of "f": "arguments" must be an object' });
    expect(parseCallJson('{"name": "f", "arguments": {}, "id": 1}')).toEqual({ ok: false, problem: 'call of "f": unexpected key "id"' });
  });
});

describe('value comparison and the type rule', () => {
  it('jsonEqual ignores key order and nothing else (against a sorted-key serialisation, 400 random pairs)', () => {
    const rng = new Rng(5);
    let equalPairs = 0;
    for (let i = 0; i < 400; i++) {
      const a = randomValue(rng);
      const reordered = shuffledKeys(a, rng);
      expect(jsonEqual(a, reordered)).toBe(true);
      const b = rng.next() < 0.5 ? shuffledKeys(a, rng) : randomValue(rng);
      const expected = canonical(a) === canonical(b);
      if (expected) equalPairs++;
      expect(jsonEqual(a, b)).toBe(expected);
      expect(jsonEqual(b, a)).toBe(expected);
    }
    expect(equalPairs).toBeGreaterThan(150);
    expect(jsonEqual({ a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }] })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({}, [])).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });

  it('an integer is accepted for a float, never the other way; enums compare without key order', () => {
    expect(fitsType('float', 3)).toBe(true);
    expect(fitsType('number', 3.5)).toBe(true);
    expect(fitsType('integer', 3.5)).toBe(false);
    expect(fitsType('integer', 3)).toBe(true);
    expect(fitsType('dict', [])).toBe(false);
    expect(fitsType('tuple', [])).toBe(true);
    expect(fitsType('any', null)).toBe(true);
    const schema = { type: 'dict', enum: [{ lat: 1, lon: 2 }] };
    expect(typeProblem(schema, { lon: 2, lat: 1 })).toBeUndefined();
    expect(typeProblem(schema, { lon: 2, lat: 3 })).toBe('parameter "value" must be one of {"lat":1,"lon":2}');
    const fn: FunctionDefinition = {
      name: 'f', description: '', parameters: { type: 'dict', properties: { x: { type: 'float' }, k: { type: 'integer' } }, required: ['x'] },
    };
    expect(validateCall(fn, { name: 'f', arguments: { x: 3 } })).toBeUndefined();
    expect(validateCall(fn, { name: 'f', arguments: { x: 3, k: 1.5 } })).toBe('parameter "k" must be of type integer, got float');
  });
});
