import type { CorpusDocument } from '../document.js';
import { isObject, parsePythonCall, type JsonValue, type ToolCall } from '../../tools/index.js';
import {
  codeDocument, instructionPair, isEmptyField, toolDocFromApiRecord, trajectoryDocument, type ApiRecord, type TrajectoryStep,
} from '../formats.js';
import { jsonLineReader, reader, type ReadOptions } from './stream.js';

/**
 * Readers of the Gorilla files: API documentation records (`gorilla/api/*_api.jsonl`) and APIBench
 * instruction -> API call pairs (`gorilla/apibench/*.json`, one JSON object per line).
 *
 * Browser-safe.
 * @module
 */

/** An {@link ApiRecord} with where it came from. */
export interface ApiRecordEntry {
  record: ApiRecord;
  /** `file:line`. */
  source: string;
}

function parseApiRecord(value: unknown): ApiRecord | string {
  if (!isObject(value)) return 'expected a JSON object';
  if (typeof value.api_name !== 'string' || value.api_name.trim() === '') return 'missing string field "api_name"';
  if (typeof value.api_call !== 'string' || value.api_call.trim() === '') return 'missing string field "api_call"';
  for (const field of ['domain', 'framework', 'description'] as const) {
    if (value[field] !== undefined && value[field] !== null && typeof value[field] !== 'string') return `field "${field}" must be a string`;
  }
  // Checked field by field above: the required fields are strings, the rest are JSON values.
  return value as unknown as ApiRecord;
}

function parseApiEntry(value: Record<string, unknown>, source: string): ApiRecordEntry | string {
  const record = parseApiRecord(value);
  return typeof record === 'string' ? record : { record, source };
}

/** Reads a Gorilla API file (`gorilla/api/*.jsonl`), streaming: one {@link ApiRecordEntry} per line. */
export const readGorillaApiRecords = reader(jsonLineReader(parseApiEntry, (entry) => [entry]), {});

/**
 * The example code of an API record as one piece of code, or `undefined` when there is none (`""`,
 * `N/A`, null). The data holds it as a string, a list of lines, or an object of named snippets (whose
 * values are code, or, in some TensorFlow Hub records, empty with the code in the key).
 */
export function exampleCodeText(value: JsonValue | undefined): string | undefined {
  if (value === undefined || isEmptyField(value)) return undefined;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value)) text = value.map((item) => exampleCodeText(item) ?? '').filter((item) => item !== '').join('\n');
  else if (typeof value === 'object' && value !== null) {
    text = Object.entries(value)
      .map(([key, item]) => (isEmptyField(item) ? key : exampleCodeText(item) ?? ''))
      .filter((item) => item !== '')
      .join('\n');
  } else text = String(value);
  text = text.trim();
  return text === '' ? undefined : text;
}

/** Options of {@link readGorillaApiDocuments}. */
export interface GorillaApiDocumentOptions extends ReadOptions {
  /** Emit a `code` document from each record's example code, where it has one (default true). */
  code?: boolean;
}

/** The documents of one API record: its tool doc and, when it has example code, a code document. */
function apiDocuments({ record, source }: ApiRecordEntry, options: GorillaApiDocumentOptions): CorpusDocument[] {
  const documents: CorpusDocument[] = [toolDocFromApiRecord(record, source)];
  const code = (options.code ?? true) ? exampleCodeText(record.example_code) : undefined;
  if (code !== undefined) documents.push(codeDocument({ code, source, functions: [record.api_name] }));
  return documents;
}

/** The body of {@link readGorillaApiDocuments} (also read by `readSharedData`). */
export const gorillaApiDocumentRecords = jsonLineReader(parseApiEntry, apiDocuments);

/**
 * Corpus documents from a Gorilla API file, streaming: per record a `tool_doc`
 * ({@link toolDocFromApiRecord}) and, when the record has example code, a `code` document
 * ({@link exampleCodeText}); both about the record's `api_name`. `source` is `file:line`.
 */
export const readGorillaApiDocuments = reader(gorillaApiDocumentRecords, {});

/** One APIBench record: a user's need, the API call that answers it, and the API's documentation. */
export interface ApibenchRecord {
  /** The user's need. */
  instruction: string;
  /** Why this API (the data's `explanation`), when present. */
  explanation?: string;
  /** Code that makes the call (the data's inner `code`), when present. */
  code?: string;
  /** The API call as Python, e.g. `torch.hub.load(repo_or_dir='pytorch/vision', model='resnet50', pretrained=True)`. */
  apiCall: string;
  /** {@link apiCall} as a {@link ToolCall}, when it is a keyword-argument call with literal values. */
  call?: ToolCall;
  provider: string;
  /** The documentation record of the API. */
  api: ApiRecord;
  /** `file:line`. */
  source: string;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed[trimmed.length - 1] === trimmed[0]) {
    return trimmed.slice(1, -1).trim();
  }
  return trimmed;
}

const INSTRUCTION = /^\s*(?:\{\s*'Instruction'\s*:|###\s*Instruction\s*:)\s*([\s\S]*?)(?:,\s*'(?:Input|Output)'\s*:|\n\s*###\s*(?:Input|Output)\s*:)/;
const EXPLANATION = /'explanation'\s*:\s*([\s\S]*?)(?:,\s*'code'\s*:|\s*\}\s*\}?\s*$)/;
const INNER_CODE = /'code'\s*:\s*([\s\S]*?)\s*\}\s*\}?\s*$/;

/**
 * Pulls instruction, explanation and code out of an APIBench `code` field: a Python-dict-like string in
 * two layouts (`{'Instruction': ..., 'Output': {...}}` in train, `###Instruction: ...\n###Output: {...}`
 * in eval) whose quoting is not consistent enough for a parser, so fields are cut at their keys.
 */
export function parseApibenchText(text: string): { instruction?: string; explanation?: string; code?: string } {
  const instruction = INSTRUCTION.exec(text)?.[1];
  const explanation = EXPLANATION.exec(text)?.[1];
  const code = INNER_CODE.exec(text)?.[1];
  const clean = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const out = unquote(value);
    return out === '' ? undefined : out;
  };
  return { instruction: clean(instruction), explanation: clean(explanation), code: clean(code) };
}

function parseApibenchRecord(value: Record<string, unknown>, source: string): ApibenchRecord | string {
  if (typeof value.code !== 'string') return 'missing string field "code"';
  if (typeof value.api_call !== 'string' || value.api_call.trim() === '') return 'missing string field "api_call"';
  const api = parseApiRecord(value.api_data);
  if (typeof api === 'string') return `api_data: ${api}`;
  const parsed = parseApibenchText(value.code);
  if (parsed.instruction === undefined) return 'no instruction found in field "code"';
  const record: ApibenchRecord = {
    instruction: parsed.instruction,
    apiCall: value.api_call,
    provider: typeof value.provider === 'string' ? value.provider : '',
    api,
    source,
  };
  if (parsed.explanation !== undefined) record.explanation = parsed.explanation;
  if (parsed.code !== undefined) record.code = parsed.code;
  const call = parsePythonCall(value.api_call);
  if (call !== undefined) record.call = call;
  return record;
}

/** Reads an APIBench file (`gorilla/apibench/*.json`), streaming: one {@link ApibenchRecord} per line. */
export const readApibenchRecords = reader(jsonLineReader(parseApibenchRecord, (record) => [record]), {});

/** Options of {@link readApibenchDocuments}. */
export interface ApibenchDocumentOptions extends ReadOptions {
  /** Emit a trajectory per record (default true). */
  trajectories?: boolean;
  /** Emit an instruction pair per record (default true). */
  instructions?: boolean;
}

/**
 * The steps of an APIBench record as a trajectory: the need (user), the explanation as reasoning (or
 * the API's description when the record has none), the call ({@link ApibenchRecord.call}; when the call
 * has no JSON form the reply shows the Python call instead), and the code as the answer when present.
 */
export function apibenchSteps(record: ApibenchRecord): TrajectoryStep[] {
  const reasoning = record.explanation
    ?? `The ${record.api.api_name} API fits: ${record.api.description ?? record.api.functionality ?? record.api.domain ?? ''}`.trim();
  const steps: TrajectoryStep[] = [{ type: 'user', text: record.instruction }, { type: 'reasoning', text: reasoning }];
  if (record.call !== undefined) steps.push({ type: 'call', call: record.call });
  const code = record.code ?? (record.call === undefined ? record.apiCall : undefined);
  if (code !== undefined) steps.push({ type: 'answer', text: `\`\`\`python\n${code}\n\`\`\`` });
  return steps;
}

/**
 * The documents of one APIBench record: its trajectory and its instruction pair, as the options ask.
 * @throws TokenizerError when a text holds a special-token string, which the chat template refuses.
 */
function apibenchDocuments(record: ApibenchRecord, options: ApibenchDocumentOptions): CorpusDocument[] {
  const functions = [record.api.api_name];
  const documents: CorpusDocument[] = [];
  if (options.trajectories ?? true) documents.push(trajectoryDocument(apibenchSteps(record), { source: record.source, functions }));
  if (options.instructions ?? true) {
    documents.push(instructionPair({
      tools: [],
      user: record.instruction,
      calls: record.call === undefined ? [] : [record.call],
      answer: `\`\`\`python\n${record.apiCall}\n\`\`\``,
      source: record.source,
      functions,
    }));
  }
  return documents;
}

/** The body of {@link readApibenchDocuments} (also read by `readSharedData`). */
export const apibenchDocumentRecords = jsonLineReader(parseApibenchRecord, apibenchDocuments);

/**
 * Corpus documents from an APIBench file, streaming: per record a `trajectory` ({@link apibenchSteps})
 * and an `instruction` pair (the need, then the call; no tool listing, as in Gorilla's zero-shot
 * setting), both about the API's `api_name`. `source` is `file:line`.
 *
 * APIBench eval is an evaluation set: keep it out of training where it is scored.
 */
export const readApibenchDocuments = reader(apibenchDocumentRecords, {});

