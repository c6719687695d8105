import { renderChat, type ChatMessage } from '../tokenizer/chat-template.js';
import {
  callJson, toolsSystemPrompt, type FunctionDefinition, type JsonValue, type ParameterSchema, type ToolCall,
} from '../tools/index.js';
import type { CorpusDocument } from './document.js';

/**
 * The text formats of the corpus's document kinds, built from the function-calling vocabulary of
 * `src/tools` (definitions, calls, the tools system prompt). Every renderer here returns a
 * {@link CorpusDocument} whose `functions` names the tools / APIs the document is about, and every
 * conversation-shaped format (trajectory, instruction) is rendered with the tokenizer module's chat /
 * tool template ({@link renderChat}), so Stage III's loss mask (`encodeChat`) applies to it unchanged.
 *
 * Browser-safe: no Node import.
 * @module
 */

/**
 * An API documentation record, as in Gorilla's `data/api/*.jsonl` (HuggingFace, TensorFlow Hub, Torch
 * Hub). Only `api_name` and `api_call` are required; the other fields are free-form in the data (a field
 * may be a string, a list, an object or null), so they are typed as JSON values.
 */
export interface ApiRecord {
  api_name: string;
  api_call: string;
  domain?: string;
  framework?: string;
  functionality?: JsonValue;
  description?: string;
  api_arguments?: JsonValue;
  python_environment_requirements?: JsonValue;
  example_code?: JsonValue;
  performance?: JsonValue;
}

/**
 * One step of a function-calling trajectory:
 * - `user`: the user's need (a user turn);
 * - `reasoning`: the agent's thought before acting (an assistant turn);
 * - `call`: one function call (a `tool_call` turn holding the call's JSON); consecutive calls are
 *   parallel calls;
 * - `feedback`: the environment's answer to a call: its output, or an error such as
 *   `{"error": "missing required parameter \"city\""}` (a `tool_result` turn holding JSON);
 * - `answer`: the agent's final (or intermediate) reply (an assistant turn).
 */
export type TrajectoryStep =
  | { type: 'user'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'call'; call: ToolCall }
  | { type: 'feedback'; result: JsonValue }
  | { type: 'answer'; text: string };

/** Options of {@link toolDocText}. */
export interface ToolDocOptions {
  /** Example calls listed after the parameters. */
  examples?: readonly ToolCall[];
}

/**
 * Tool documentation of a function definition, as plain text (the `tool_doc` format for functions):
 *
 * ```text
 * Function: calculate_triangle_area
 * Description: Calculate the area of a triangle given its base and height.
 * Parameters:
 * - base (integer, required): The base of the triangle.
 * - unit (string, optional, default "units"): The unit of measure. One of: "units", "cm".
 * - sides (array of integer, optional): Lengths of the sides.
 * - options (dict, optional): Extra settings.
 *   - precision (integer, required): Number of decimals.
 * ```
 *
 * A function without parameters gets `Parameters: none`. With `examples`, one line per example call
 * follows: `Example call: {"name":"calculate_triangle_area","arguments":{"base":10,"height":5}}`.
 */
export function toolDocText(fn: FunctionDefinition, options: ToolDocOptions = {}): string {
  const lines = [`Function: ${fn.name}`, `Description: ${fn.description}`];
  const properties = Object.entries(fn.parameters.properties ?? {});
  if (properties.length === 0) {
    lines.push('Parameters: none');
  } else {
    lines.push('Parameters:');
    parameterLines(fn.parameters.properties, fn.parameters.required ?? [], '', lines);
  }
  for (const example of options.examples ?? []) lines.push(`Example call: ${callJson(example)}`);
  return lines.join('\n');
}

function typeLabel(schema: ParameterSchema): string {
  const type = schema.type ?? 'any';
  if ((type === 'array' || type === 'tuple') && schema.items?.type !== undefined) return `${type} of ${typeLabel(schema.items)}`;
  return type;
}

function parameterLines(
  properties: Record<string, ParameterSchema>, required: readonly string[], indent: string, lines: string[],
): void {
  for (const [name, schema] of Object.entries(properties)) {
    const flags = [typeLabel(schema), required.includes(name) ? 'required' : 'optional'];
    if (schema.default !== undefined) flags.push(`default ${JSON.stringify(schema.default)}`);
    let text = `${indent}- ${name} (${flags.join(', ')})`;
    const description = (schema.description ?? '').trim();
    if (description !== '') text += `: ${description}`;
    const allowed = schema.enum ?? schema.items?.enum;
    if (allowed !== undefined && allowed.length > 0) {
      text += `${description === '' ? ':' : ''} One of: ${allowed.map((value) => JSON.stringify(value)).join(', ')}.`;
    }
    lines.push(text);
    const nested = schema.properties ?? schema.items?.properties;
    if (nested !== undefined) parameterLines(nested, schema.required ?? schema.items?.required ?? [], `${indent}  `, lines);
  }
}

/** {@link toolDocText} as a `tool_doc` document about `fn`. */
export function toolDocFromFunction(fn: FunctionDefinition, source: string, options: ToolDocOptions = {}): CorpusDocument {
  return { kind: 'tool_doc', source, text: toolDocText(fn, options), functions: [fn.name] };
}

/** True for the placeholders the Gorilla data uses for "nothing" (`""`, `"N/A"`, `null`, `[]`, `{}`). */
export function isEmptyField(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return /^(|n\/a|none|null)$/i.test(value.trim());
  if (Array.isArray(value)) return value.every((item) => isEmptyField(item));
  if (typeof value === 'object') return Object.values(value).every((item) => isEmptyField(item));
  return false;
}

function fieldText(value: JsonValue): string {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(', ');
  return JSON.stringify(value);
}

/**
 * Tool documentation of an API record, as plain text (the `tool_doc` format for APIs). Fields that are
 * empty or `N/A` are left out; non-string fields are written as compact JSON (a list of strings as a
 * comma-separated list):
 *
 * ```text
 * API: MiDaS
 * Call: torch.hub.load(repo_or_dir='intel-isl/MiDaS', model='DPT_Hybrid', pretrained=True)
 * Framework: PyTorch
 * Domain: Classification
 * Functionality: Computing relative depth from a single image
 * Arguments: {"repo_or_dir":"intel-isl/MiDaS","model":"model_type"}
 * Requirements: pip install timm
 * Performance: {"dataset":"10 distinct datasets","accuracy":"Zero-shot cross-dataset transfer"}
 * Description: MiDaS computes relative inverse depth from a single image.
 * ```
 */
export function toolDocFromApiRecord(record: ApiRecord, source: string): CorpusDocument {
  const fields: [string, JsonValue | undefined][] = [
    ['API', record.api_name],
    ['Call', record.api_call],
    ['Framework', record.framework],
    ['Domain', record.domain],
    ['Functionality', record.functionality],
    ['Arguments', record.api_arguments],
    ['Requirements', record.python_environment_requirements],
    ['Performance', record.performance],
    ['Description', record.description],
  ];
  const text = fields
    .filter((field): field is [string, JsonValue] => !isEmptyField(field[1]))
    .map(([label, value]) => `${label}: ${fieldText(value)}`)
    .join('\n');
  return { kind: 'tool_doc', source, text, functions: [record.api_name] };
}

/** Names in order of first appearance, without repeats. */
function uniqueNames(names: Iterable<string>): string[] {
  return [...new Set(names)];
}

/** The chat turns of a trajectory (see {@link trajectoryText}). */
export function trajectoryMessages(
  steps: readonly TrajectoryStep[], options: { tools?: readonly FunctionDefinition[]; system?: string } = {},
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const tools = options.tools ?? [];
  if (tools.length > 0) messages.push({ role: 'system', content: toolsSystemPrompt(tools, options.system) });
  else if (options.system !== undefined && options.system !== '') messages.push({ role: 'system', content: options.system });
  for (const step of steps) {
    switch (step.type) {
      case 'user': messages.push({ role: 'user', content: step.text }); break;
      case 'reasoning': messages.push({ role: 'assistant', content: step.text }); break;
      case 'call': messages.push({ role: 'tool_call', content: callJson(step.call) }); break;
      case 'feedback': messages.push({ role: 'tool_result', content: JSON.stringify(step.result) }); break;
      case 'answer': messages.push({ role: 'assistant', content: step.text }); break;
    }
  }
  return messages;
}

/**
 * A function-calling trajectory rendered with the chat / tool template (the `trajectory` format):
 * an optional system turn listing the tools ({@link toolsSystemPrompt}), then one turn per step:
 * user -> `<|user|>`, reasoning and answer -> `<|assistant|>`, call -> `<|tool_call|>` with the call's
 * JSON ({@link callJson}), feedback -> `<|tool_result|>` with the feedback's JSON. A failed call and its
 * retry are simply more steps:
 *
 * ```text
 * <|user|>Weather in Paris?<|end|><|assistant|>I will look it up with get_weather.<|end|>
 * <|tool_call|>{"name":"get_weather","arguments":{}}<|end|>
 * <|tool_result|>{"error":"missing required parameter \"city\""}<|end|>
 * <|assistant|>The call failed: "city" is required. I will retry with it.<|end|>
 * <|tool_call|>{"name":"get_weather","arguments":{"city":"Paris"}}<|end|>
 * <|tool_result|>{"weather":"sunny","temperature":18}<|end|><|assistant|>It is sunny and 18 degrees.<|end|>
 * ```
 * (line breaks added here for reading; the rendering has none between turns).
 *
 * @throws TokenizerError when a text contains a special-token string (see {@link renderChat}).
 */
export function trajectoryText(
  steps: readonly TrajectoryStep[], options: { tools?: readonly FunctionDefinition[]; system?: string } = {},
): string {
  return renderChat(trajectoryMessages(steps, options));
}

/** The functions a trajectory is about: its tools, then every function it calls. */
function trajectoryFunctions(steps: readonly TrajectoryStep[], tools: readonly FunctionDefinition[]): string[] {
  const called = steps.flatMap((step) => (step.type === 'call' ? [step.call.name] : []));
  return uniqueNames([...tools.map((tool) => tool.name), ...called]);
}

/** Options of {@link trajectoryDocument}. */
export interface TrajectoryDocumentOptions {
  source: string;
  /** Tools listed in the system turn (none: no tool listing). */
  tools?: readonly FunctionDefinition[];
  /** A system message (before the tool listing when there are tools). */
  system?: string;
  /**
   * Names the document is about, when they differ from the tools and called functions (e.g. a Gorilla
   * model's `api_name` where the call is `torch.hub.load`). Default: tools, then called functions.
   */
  functions?: string[];
}

/** {@link trajectoryText} as a `trajectory` document. */
export function trajectoryDocument(steps: readonly TrajectoryStep[], options: TrajectoryDocumentOptions): CorpusDocument {
  const tools = options.tools ?? [];
  return {
    kind: 'trajectory',
    source: options.source,
    text: trajectoryText(steps, { tools, system: options.system }),
    functions: options.functions ?? trajectoryFunctions(steps, tools),
  };
}

/**
 * Code that uses an API (the `code` format): the code itself, verbatim (no header is added, so real
 * code stays real). `functions` names the APIs it uses (empty when unknown).
 *
 * ```python
 * import torch
 * model = torch.hub.load('pytorch/vision', 'resnet50', pretrained=True)
 * ```
 */
export function codeDocument(options: { code: string; source: string; functions?: string[] }): CorpusDocument {
  return { kind: 'code', source: options.source, text: options.code, functions: options.functions ?? [] };
}

/** Input of {@link instructionPair}. */
export interface InstructionPairInput {
  /** Tools offered in the system turn (may be empty: then no tool listing). */
  tools: readonly FunctionDefinition[];
  /** The user's request. */
  user: string;
  /** The expected call(s); several are parallel calls, each in its own `tool_call` turn. */
  calls: readonly ToolCall[];
  /** The assistant's reply when no call applies (`calls` empty), e.g. for BFCL's irrelevance category. */
  answer?: string;
  /** A system message before the tool listing. */
  system?: string;
  source: string;
  /** As {@link TrajectoryDocumentOptions.functions}. */
  functions?: string[];
}

/** The assistant reply of an instruction pair whose request no offered function can serve. */
export const NO_CALL_ANSWER = 'None of the available functions can do this, so I will not call any.';

/**
 * An instruction pair for Stage III (the `instruction` format): a system turn listing the tools as JSON
 * ({@link toolsSystemPrompt}), the user turn, and the expected response: one `tool_call` turn per call
 * (parallel calls are consecutive turns), or, with no call, an assistant turn ({@link NO_CALL_ANSWER}
 * unless `answer` is given). With `encodeChat` the loss falls on the call turns only.
 *
 * ```text
 * <|system|>You can call these functions (JSON schema, one per line). ...
 * {"name":"math.factorial","description":"Calculate the factorial of a given number.","parameters":{...}}<|end|>
 * <|user|>Calculate the factorial of 5 using math functions.<|end|>
 * <|tool_call|>{"name":"math.factorial","arguments":{"number":5}}<|end|>
 * ```
 *
 * @throws TokenizerError when a text contains a special-token string (see {@link renderChat}).
 */
export function instructionPair(input: InstructionPairInput): CorpusDocument {
  const steps: TrajectoryStep[] = [{ type: 'user', text: input.user }];
  for (const call of input.calls) steps.push({ type: 'call', call });
  if (input.calls.length === 0) steps.push({ type: 'answer', text: input.answer ?? NO_CALL_ANSWER });
  return {
    kind: 'instruction',
    source: input.source,
    text: trajectoryText(steps, { tools: input.tools, system: input.system }),
    functions: input.functions ?? trajectoryFunctions(steps, input.tools),
  };
}
