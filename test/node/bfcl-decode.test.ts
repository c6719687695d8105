/**
 * Reading calls out of responses: the chat template's call turns, JSON, and Python lists of calls,
 * the latter against Python's own parser (Debian's /usr/bin/python3, `ast`) on random lists of calls
 * whose strings hold commas, brackets, quotes and escapes.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeCallText, decodeResponse } from '../../src/eval/bfcl/decode.js';
import type { JsonValue } from '../../src/tools/index.js';

const PYTHON = '/usr/bin/python3';

function calls(text: string): unknown {
  const decoded = decodeResponse(text);
  return decoded.ok ? decoded.calls : `error: ${decoded.problem}`;
}

describe('call turns of the chat template', () => {
  it('reads one call per tool_call turn, in order; reasoning turns and the missing last <|end|> do not matter', () => {
    const text = '<|assistant|>I will look both up.<|end|><|tool_call|>{"name":"get_weather","arguments":{"city":"Paris"}}<|end|>'
      + '<|tool_call|>{"name":"get_time","arguments":{"city":"Rome","utc":true}}';
    expect(calls(text)).toEqual([
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'get_time', arguments: { city: 'Rome', utc: true } },
    ]);
  });

  it('a turn that is not a call names the turn', () => {
    expect(calls('<|tool_call|>{"name":"a","arguments":{}}<|end|><|tool_call|>{"name":"b","arguments":{"x":1}')).toMatch(/^error: tool_call turn 2: not JSON/);
    expect(calls('<|tool_call|>{"name":"a","args":{}}<|end|>')).toMatch(/^error: tool_call turn 1: call of "a": "arguments" must be an object/);
    expect(calls('<|tool_call|>[]<|end|>')).toBe('error: tool_call turn 1 holds no call');
  });

  it('without call turns, the assistant text is read as raw text: prose is no call, a written call is one', () => {
    expect(decodeResponse('<|assistant|>None of the available functions can do this.<|end|>').ok).toBe(false);
    expect(calls('<|assistant|>[f(a=1)]<|end|>')).toEqual([{ name: 'f', arguments: { a: 1 } }]);
    expect(calls('<|assistant|>[]<|end|>')).toEqual([]);
  });
});

describe('raw text', () => {
  it('JSON: one call object or a list of them', () => {
    expect(calls('{"name": "f", "arguments": {"a": [1, {"b": null}]}}')).toEqual([{ name: 'f', arguments: { a: [1, { b: null }] } }]);
    expect(calls(' [{"name": "f", "arguments": {}}, {"name": "g", "arguments": {"x": "y"}}]\n')).toEqual([
      { name: 'f', arguments: {} }, { name: 'g', arguments: { x: 'y' } },
    ]);
    expect(calls('[{"name": "f", "arguments": {}, "id": 3}]')).toMatch(/^error: call 1: call of "f": unexpected key "id"/);
  });

  it('Python: BFCL\'s stripping of backticks, newlines and spaces, and its added brackets', () => {
    const expected = [{ name: 'math.gcd', arguments: { a: 12, b: -18 } }, { name: 'g', arguments: { s: 'x' } }];
    for (const text of [
      '[math.gcd(a=12, b=-18), g(s="x")]', 'math.gcd(a=12, b=-18), g(s="x")', '```\n[math.gcd(a=12, b=-18), g(s=\'x\')]\n```',
      '  [ math.gcd( a = 12 , b = -18 ) , g(s="x") , ]  ', '[math.gcd(a=12, b=-18), g(s="x")',
    ]) {
      expect(calls(text), text).toEqual(expected);
    }
    expect(calls('[]')).toEqual([]);
    expect(calls('')).toEqual([]);
  });

  it('Python: what is not a list of keyword calls with literal values does not decode', () => {
    for (const text of [
      'x = f(a=1)', '[f(1)]', '[f(a=b)]', '[f(a=1)] Done.', '[f(a=1)]]', '[f(a=1), , g(b=2)]', '[f(a="open)]', '[f(a=1), 3]',
      'The answer is 4.', '[f(a=[1, 2)]',
    ]) {
      expect(decodeCallText(text).ok, text).toBe(false);
    }
  });

  it('Python: 200 random lists of calls read as Python reads them (strings with , ) ] \' " and escapes)', () => {
    // Python writes each list with repr() and decodes it itself (ast, keyword arguments, literal_eval): the reference.
    const script = String.raw`
import ast, json, random
random.seed(7)
POOL = ['a', ' ', ',', ')', '(', ']', '[', '}', '{', "'", '"', '\\', '\n', '=', 'é', '😀', '#', ':']
def text():
    return ''.join(random.choice(POOL) for _ in range(random.randrange(7)))
def value(depth):
    kind = random.randrange(3 if depth >= 2 else 6)
    if kind == 0: return text()
    if kind == 1: return random.choice([random.randint(-999, 999), random.uniform(-1e3, 1e3), True, False, None])
    if kind == 2: return '"""' + text() + '"""' if random.random() < 0.1 else text()
    if kind == 3: return [value(depth + 1) for _ in range(random.randrange(4))]
    if kind == 4: return tuple(value(depth + 1) for _ in range(random.randrange(4)))
    return {text(): value(depth + 1) for _ in range(random.randrange(3))}
def write(name, args):
    parts = [k + random.choice(['=', ' = ']) + repr(v) for k, v in args.items()]
    return name + '(' + random.choice([', ', ',']).join(parts) + ')'
cases = []
for _ in range(200):
    calls = [(random.choice(['f', 'get_weather', 'a.b_c.D', 'é_x']), {k: value(0) for k in random.sample(['city', 'n', 'x_1', 'topN'], random.randrange(4))}) for _ in range(random.randrange(1, 4))]
    source = '[' + ', '.join(write(n, a) for n, a in calls) + ']'
    if random.random() < 0.3: source = source[1:-1]
    wrapped = source if source.startswith('[') else '[' + source + ']'
    tree = ast.parse(wrapped, mode='eval').body
    decoded = [{'name': ast.unparse(c.func), 'arguments': {k.arg: ast.literal_eval(k.value) for k in c.keywords}} for c in tree.elts]
    cases.append({'source': source, 'calls': decoded})
print(json.dumps(cases))
`;
    const result = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
    expect(result.status, result.stderr).toBe(0);
    const cases = JSON.parse(result.stdout) as { source: string; calls: { name: string; arguments: Record<string, JsonValue> }[] }[];
    expect(cases).toHaveLength(200);
    const wrong = cases.filter((entry) => JSON.stringify(calls(entry.source)) !== JSON.stringify(entry.calls));
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});
