import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../src/data/sources/node-lines.js';
import {
  codeDocument, instructionPair, NO_CALL_ANSWER, toolDocFromApiRecord, toolDocFromFunction, trajectoryDocument, trajectoryText,
} from '../../src/data/formats.js';
import { checkFunctionDefinition, validateCall, type FunctionDefinition, type ToolCall } from '../../src/tools/index.js';
import { readAll } from '../../src/data/sources/stream.js';
import { readBfclQuestions } from '../../src/data/sources/bfcl.js';
import {
  SAMPLE_TOOLS, sampleArguments, simulateEnvironment, syntheticCode, syntheticCorpus, syntheticInstruction,
  syntheticTrajectories, syntheticTrajectorySteps, TRAJECTORY_VARIANTS,
} from '../../src/data/synthetic/index.js';
import { renderChat, type ChatRole } from '../../src/tokenizer/chat-template.js';
import { Rng } from '../../src/util/rng.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');

const TRIANGLE: FunctionDefinition = {
  name: 'calculate_triangle_area',
  description: 'Calculate the area of a triangle given its base and height.',
  parameters: {
    type: 'dict',
    properties: {
      base: { type: 'integer', description: 'The base of the triangle.' },
      height: { type: 'integer', description: 'The height of the triangle.' },
      unit: { type: 'string', description: 'The unit of measure.', enum: ['units', 'cm'], default: 'units' },
      sides: { type: 'array', items: { type: 'integer' }, description: 'Lengths of the sides.' },
      options: {
        type: 'dict', description: 'Extra settings.',
        properties: { precision: { type: 'integer', description: 'Number of decimals.' } }, required: ['precision'],
      },
    },
    required: ['base', 'height'],
  },
};

/** The turns of a rendered chat, parsed back. */
function turns(text: string): { role: ChatRole; content: string }[] {
  const out: { role: ChatRole; content: string }[] = [];
  const pattern = /<\|(system|user|assistant|tool_call|tool_result)\|>([\s\S]*?)<\|end\|>/g;
  let consumed = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    expect(match.index).toBe(consumed);
    consumed = match.index + match[0].length;
    out.push({ role: match[1] as ChatRole, content: match[2] });
  }
  expect(consumed).toBe(text.length);
  return out;
}

describe('document formats', () => {
  it('tool doc from a function definition: types, required, defaults, enums, nested fields', () => {
    const document = toolDocFromFunction(TRIANGLE, 'x.json:3');
    expect(document).toMatchObject({ kind: 'tool_doc', source: 'x.json:3', functions: ['calculate_triangle_area'] });
    expect(document.text).toBe([
      'Function: calculate_triangle_area',
      'Description: Calculate the area of a triangle given its base and height.',
      'Parameters:',
      '- base (integer, required): The base of the triangle.',
      '- height (integer, required): The height of the triangle.',
      '- unit (string, optional, default "units"): The unit of measure. One of: "units", "cm".',
      '- sides (array of integer, optional): Lengths of the sides.',
      '- options (dict, optional): Extra settings.',
      '  - precision (integer, required): Number of decimals.',
    ].join('\n'));
    const empty = toolDocFromFunction({ name: 'ping', description: 'Check.', parameters: { type: 'dict', properties: {} } }, 's');
    expect(empty.text).toBe('Function: ping\nDescription: Check.\nParameters: none');
  });

  it('tool doc from an API record leaves out empty and N/A fields', () => {
    const document = toolDocFromApiRecord({
      api_name: 'resnet50', api_call: "torch.hub.load('pytorch/vision', 'resnet50', pretrained=True)", framework: 'PyTorch',
      domain: 'Classification', functionality: 'N/A', api_arguments: ['pretrained'], python_environment_requirements: '',
      example_code: 'x', performance: { dataset: 'ImageNet', accuracy: 'N/A' }, description: 'A residual network.',
    }, 'api.jsonl:1');
    expect(document.functions).toEqual(['resnet50']);
    expect(document.text).toBe([
      'API: resnet50',
      "Call: torch.hub.load('pytorch/vision', 'resnet50', pretrained=True)",
      'Framework: PyTorch',
      'Domain: Classification',
      'Arguments: pretrained',
      'Performance: {"dataset":"ImageNet","accuracy":"N/A"}',
      'Description: A residual network.',
    ].join('\n'));
  });

  it('trajectory: steps map to chat turns, rendered by the chat template', () => {
    const call: ToolCall = { name: 'calculate_triangle_area', arguments: { base: 10, height: 5 } };
    const steps = [
      { type: 'user', text: 'Area of a triangle, base 10, height 5?' },
      { type: 'reasoning', text: 'I will call calculate_triangle_area.' },
      { type: 'call', call: { name: call.name, arguments: { base: 10 } } },
      { type: 'feedback', result: { error: 'missing required parameter "height"' } },
      { type: 'reasoning', text: 'Retrying with height.' },
      { type: 'call', call },
      { type: 'feedback', result: { triangle_area: 25 } },
      { type: 'answer', text: 'The area is 25.' },
    ] as const;
    const text = trajectoryText(steps);
    expect(text).toBe(renderChat([
      { role: 'user', content: 'Area of a triangle, base 10, height 5?' },
      { role: 'assistant', content: 'I will call calculate_triangle_area.' },
      { role: 'tool_call', content: '{"name":"calculate_triangle_area","arguments":{"base":10}}' },
      { role: 'tool_result', content: '{"error":"missing required parameter \\"height\\""}' },
      { role: 'assistant', content: 'Retrying with height.' },
      { role: 'tool_call', content: '{"name":"calculate_triangle_area","arguments":{"base":10,"height":5}}' },
      { role: 'tool_result', content: '{"triangle_area":25}' },
      { role: 'assistant', content: 'The area is 25.' },
    ]));
    const document = trajectoryDocument(steps, { source: 's', tools: [TRIANGLE] });
    expect(document.kind).toBe('trajectory');
    expect(document.functions).toEqual(['calculate_triangle_area']);
    const parsed = turns(document.text);
    expect(parsed[0].role).toBe('system');
    expect(JSON.parse(parsed[0].content.split('\n')[1])).toEqual(TRIANGLE);
  });

  it('instruction pair: system lists the tools as JSON, user, one tool_call turn per call; no call -> assistant reply', () => {
    const other: FunctionDefinition = { name: 'math.factorial', description: 'Factorial.', parameters: { type: 'dict', properties: { number: { type: 'integer' } }, required: ['number'] } };
    const calls: ToolCall[] = [
      { name: 'math.factorial', arguments: { number: 5 } },
      { name: 'calculate_triangle_area', arguments: { base: 1, height: 2 } },
    ];
    const document = instructionPair({ tools: [TRIANGLE, other], user: 'Two things.', calls, source: 'q:1', system: 'Be brief.' });
    expect(document.kind).toBe('instruction');
    expect(document.functions).toEqual(['calculate_triangle_area', 'math.factorial']);
    const parsed = turns(document.text);
    expect(parsed.map((turn) => turn.role)).toEqual(['system', 'user', 'tool_call', 'tool_call']);
    const systemLines = parsed[0].content.split('\n');
    expect(systemLines[0]).toBe('Be brief.');
    expect(systemLines.slice(-2).map((line) => JSON.parse(line))).toEqual([TRIANGLE, other]);
    expect(parsed.slice(2).map((turn) => JSON.parse(turn.content))).toEqual(calls);

    const none = instructionPair({ tools: [other], user: 'Sing.', calls: [], source: 'q:2' });
    expect(turns(none.text).map((turn) => [turn.role, turn.role === 'assistant' ? turn.content : ''])).toEqual([['system', ''], ['user', ''], ['assistant', NO_CALL_ANSWER]]);
    expect(() => instructionPair({ tools: [], user: 'x<|end|>', calls: [], source: 'q' })).toThrow(/special token/);
  });

  it('code document keeps the code verbatim', () => {
    expect(codeDocument({ code: 'import torch\n', source: 'c:1', functions: ['torch.hub.load'] }))
      .toEqual({ kind: 'code', source: 'c:1', text: 'import torch\n', functions: ['torch.hub.load'] });
  });

  it('function definition check names what is wrong', () => {
    expect(checkFunctionDefinition(TRIANGLE)).toEqual({ ok: true, definition: TRIANGLE });
    const bare = checkFunctionDefinition({ name: 'f', description: '', parameters: { type: 'object' } });
    expect(bare.ok && bare.definition.parameters.properties).toEqual({});
    expect(checkFunctionDefinition({ name: 'f', description: 'd', parameters: { type: 'list' } }))
      .toEqual({ ok: false, problem: 'function "f": parameters.type must be "dict" or "object", got "list"' });
    expect(checkFunctionDefinition({ name: 'f', description: 'd', parameters: { type: 'dict', properties: { a: { type: 3 } } } }))
      .toEqual({ ok: false, problem: 'function "f": parameters.properties.a.type must be a string' });
    expect(checkFunctionDefinition({ description: 'd' })).toMatchObject({ ok: false, problem: 'function "name" must be a non-empty string' });
  });
});

describe('simulated environment', () => {
  it('reports each kind of bad call', () => {
    const call = (args: Record<string, unknown>): string | undefined => validateCall(TRIANGLE, { name: TRIANGLE.name, arguments: args as ToolCall['arguments'] });
    expect(call({ base: 1, height: 2 })).toBeUndefined();
    expect(call({ base: 1, height: 2.5 })).toBe('parameter "height" must be of type integer, got float');
    expect(call({ base: 1 })).toBe('missing required parameter "height"');
    expect(call({ base: 1, height: 2, colour: 'red' })).toBe('unexpected parameter "colour"');
    expect(call({ base: '1', height: 2 })).toBe('parameter "base" must be of type integer, got string');
    expect(call({ base: 1, height: 2, unit: 'mm' })).toBe('parameter "unit" must be one of "units", "cm"');
    expect(call({ base: 1, height: 2, sides: [1, 'x'] })).toBe('parameter "sides[1]" must be of type integer, got string');
    expect(call({ base: 1, height: 2, options: { precision: 'x' } })).toBe('parameter "options.precision" must be of type integer, got string');
    expect(validateCall([TRIANGLE], { name: 'nope', arguments: {} })).toBe('unknown function "nope"');
    // An integer is accepted for a float (BFCL's rule).
    expect(validateCall({ name: 'f', description: '', parameters: { type: 'dict', properties: { x: { type: 'float' } } } }, { name: 'f', arguments: { x: 3 } })).toBeUndefined();
    expect(simulateEnvironment(TRIANGLE, { name: TRIANGLE.name, arguments: { base: 1 } }, new Rng(0))).toEqual({ error: 'missing required parameter "height"' });
    expect(Object.keys(simulateEnvironment(TRIANGLE, { name: TRIANGLE.name, arguments: { base: 1, height: 2 } }, new Rng(0)))).toEqual(['triangle_area']);
  });
});

describe('synthetic generator', () => {
  let bfclFunctions: FunctionDefinition[] = [];
  beforeAll(async () => {
    // Distinct definitions (some names come with several schemas).
    const byJson = new Map<string, FunctionDefinition>();
    for (const category of ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'irrelevance']) {
      const { items } = await readAll(readBfclQuestions(join(DATA, 'bfcl', `BFCL_v4_${category}.json`), { openPath: fileSource }));
      for (const question of items) for (const fn of question.functions) byJson.set(JSON.stringify(fn), fn);
    }
    bfclFunctions = [...byJson.values()];
  });

  it('same seed -> identical corpus bytes; another seed -> another corpus; all kinds mixed', () => {
    const bytes = (seed: number): string => JSON.stringify(syntheticCorpus({ documents: 500, seed }));
    const hash = (text: string): string => createHash('sha256').update(text).digest('hex');
    const first = bytes(7);
    expect(hash(bytes(7))).toBe(hash(first));
    expect(hash(bytes(8))).not.toBe(hash(first));
    const corpus = syntheticCorpus({ documents: 500, seed: 7 });
    const kinds = new Map<string, number>();
    for (const document of corpus) kinds.set(document.kind, (kinds.get(document.kind) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).toEqual({ tool_doc: 100, trajectory: 100, code: 100, text: 100, instruction: 100 });
    for (const document of corpus) {
      expect(document.source).toBe('synthetic');
      if (document.kind !== 'text') expect(document.functions?.length).toBeGreaterThan(0);
    }
    // Default options (the CLI's embedded sample) are deterministic too.
    expect(hash(JSON.stringify(syntheticCorpus()))).toBe(hash(JSON.stringify(syntheticCorpus())));
  });

  it('valid sampled arguments for every BFCL function (enums, defaults, nested dicts, arrays, bounds)', () => {
    expect(bfclFunctions.length).toBeGreaterThan(900);
    const rng = new Rng(1);
    for (const fn of [...bfclFunctions, ...SAMPLE_TOOLS]) {
      for (let i = 0; i < 5; i++) {
        const args = sampleArguments(fn, rng);
        expect(validateCall(fn, { name: fn.name, arguments: args }), `${fn.name} ${JSON.stringify(args)}`).toBeUndefined();
      }
    }
  });

  it('trajectories for any schema: every failure type with its retry, multi-turn and parallel; every tool_call parses and names the schema', () => {
    const rng = new Rng(2);
    const errors = { missing: 0, type: 0, unknown: 0 };
    let multiTurn = 0;
    let parallel = 0;
    for (const fn of [...SAMPLE_TOOLS, ...bfclFunctions]) {
      const documents = syntheticTrajectories(fn, rng);
      expect(documents).toHaveLength(TRAJECTORY_VARIANTS.length);
      const seen = { missing: false, type: false, unknown: false };
      for (const document of documents) {
        expect(document.kind).toBe('trajectory');
        expect(document.functions).toEqual([fn.name]);
        const parsed = turns(document.text);
        expect(parsed[0].role).toBe('system');
        const calls = parsed.filter((turn) => turn.role === 'tool_call').map((turn) => JSON.parse(turn.content) as ToolCall);
        const results = parsed.filter((turn) => turn.role === 'tool_result').map((turn) => JSON.parse(turn.content) as Record<string, unknown>);
        expect(calls.length).toBe(results.length);
        for (const call of calls) expect(call.name).toBe(fn.name);
        // The environment's verdicts agree with the schema; a failed call is followed by a valid retry.
        calls.forEach((call, i) => expect(results[i].error).toBe(validateCall(fn, call)));
        const failed = results.filter((result) => result.error !== undefined);
        expect(failed.length).toBeLessThanOrEqual(1);
        expect(validateCall(fn, calls[calls.length - 1])).toBeUndefined();
        for (const result of failed) {
          const error = String(result.error);
          if (error.startsWith('missing required parameter')) seen.missing = true;
          else if (/must be of type/.test(error)) seen.type = true;
          else if (error.startsWith('unexpected parameter')) seen.unknown = true;
          else throw new Error(`unexpected error ${error}`);
        }
        if (parsed.filter((turn) => turn.role === 'user').length === 2) multiTurn += 1;
        if (parsed.some((turn, i) => turn.role === 'tool_call' && parsed[i + 1]?.role === 'tool_call')) parallel += 1;
      }
      // Every function shows an unknown-parameter failure; those with required / typed parameters the others too.
      expect(seen.unknown).toBe(true);
      if ((fn.parameters.required ?? []).length > 0) expect(seen.missing, fn.name).toBe(true);
      errors.missing += Number(seen.missing);
      errors.type += Number(seen.type);
      errors.unknown += Number(seen.unknown);
    }
    const count = SAMPLE_TOOLS.length + bfclFunctions.length;
    expect(multiTurn).toBe(count);
    expect(parallel).toBe(count);
    expect(errors.type).toBeGreaterThan(count * 0.95);
    console.info(`synthetic trajectories over ${count} schemas: missing-required ${errors.missing}, wrong-type ${errors.type}, unknown-parameter ${errors.unknown}`);
  });

  it('each variant on its own; code and instruction documents', () => {
    const rng = new Rng(3);
    const tool = SAMPLE_TOOLS[0];
    for (const variant of TRAJECTORY_VARIANTS) {
      const steps = syntheticTrajectorySteps(tool, rng, variant);
      const errors = steps.flatMap((step) => (step.type === 'feedback' && typeof step.result === 'object' && step.result !== null && 'error' in step.result ? [String(step.result.error)] : []));
      const expected = { missing_required: /^missing required/, wrong_type: /must be of type/, unknown_parameter: /^unexpected parameter/ }[variant as string];
      if (expected === undefined) expect(errors).toEqual([]);
      else expect(errors).toEqual([expect.stringMatching(expected)]);
    }
    const code = syntheticCode(tool, rng);
    expect(code).toMatchObject({ kind: 'code', functions: [tool.name] });
    expect(code.text).toContain(tool.name);
    for (let i = 0; i < 20; i++) {
      const instruction = syntheticInstruction(tool, rng, { distractors: SAMPLE_TOOLS });
      const parsed = turns(instruction.text);
      expect(parsed.slice(0, 2).map((turn) => turn.role)).toEqual(['system', 'user']);
      const offered = parsed[0].content.split('\n').slice(1).map((line) => JSON.parse(line) as FunctionDefinition);
      expect(offered.map((fn) => fn.name)).toContain(tool.name);
      for (const turn of parsed.slice(2)) {
        expect(turn.role).toBe('tool_call');
        expect(validateCall(offered, JSON.parse(turn.content) as ToolCall)).toBeUndefined();
      }
    }
  });
});
