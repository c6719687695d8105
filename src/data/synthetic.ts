import { renderChat, type ChatMessage } from '../tokenizer/chat-template.js';
import { Rng } from '../util/rng.js';
import type { CorpusDocument, DocumentKind } from './document.js';


/** A JSON-schema-like function definition, as in function-calling datasets. */
export interface FunctionSchema {
  name: string;
  description: string;
  parameters: Record<string, { type: 'string' | 'integer' | 'number'; description: string; values: (string | number)[] }>;
  required: string[];
  /** Builds the simulated environment's answer to a valid call. */
  result: (args: Record<string, string | number>, rng: Rng) => Record<string, unknown>;
}

const CITIES = ['Paris', 'Lagos', 'Osaka', 'Lima', 'Oslo', 'Denver', 'Hanoi', 'Cairo'];

/** The fictional tools of the embedded sample (made up here; no external data). */
export const SAMPLE_TOOLS: readonly FunctionSchema[] = [
  {
    name: 'get_weather', description: 'Current weather for a city.',
    parameters: {
      city: { type: 'string', description: 'city name', values: CITIES },
      unit: { type: 'string', description: 'celsius or fahrenheit', values: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
    result: (args, rng) => ({ city: args.city, temperature: rng.int(35), unit: args.unit ?? 'celsius', sky: rng.pick(['clear', 'cloudy', 'rain']) }),
  },
  {
    name: 'convert_currency', description: 'Convert an amount between currencies.',
    parameters: {
      amount: { type: 'number', description: 'amount to convert', values: [10, 25.5, 100, 240, 1999] },
      from: { type: 'string', description: 'ISO code of the source currency', values: ['USD', 'EUR', 'JPY', 'NGN'] },
      to: { type: 'string', description: 'ISO code of the target currency', values: ['USD', 'EUR', 'JPY', 'GBP'] },
    },
    required: ['amount', 'from', 'to'],
    result: (args, rng) => ({ amount: Math.round(Number(args.amount) * (0.5 + rng.next()) * 100) / 100, currency: args.to }),
  },
  {
    name: 'search_flights', description: 'Find flights between two cities on a date.',
    parameters: {
      origin: { type: 'string', description: 'departure city', values: CITIES },
      destination: { type: 'string', description: 'arrival city', values: CITIES },
      date: { type: 'string', description: 'date as YYYY-MM-DD', values: ['2026-03-14', '2026-07-01', '2026-12-24'] },
    },
    required: ['origin', 'destination', 'date'],
    result: (args, rng) => ({ flights: [{ id: `HF${100 + rng.int(900)}`, departs: `${8 + rng.int(12)}:15`, price: 90 + rng.int(400) }] }),
  },
  {
    name: 'add_calendar_event', description: 'Create an event in the user calendar.',
    parameters: {
      title: { type: 'string', description: 'event title', values: ['dentist', 'team sync', 'yoga class', 'call mum'] },
      date: { type: 'string', description: 'date as YYYY-MM-DD', values: ['2026-03-14', '2026-05-02', '2026-11-30'] },
      duration_minutes: { type: 'integer', description: 'length of the event', values: [15, 30, 45, 60] },
    },
    required: ['title', 'date'],
    result: (args, rng) => ({ event_id: rng.int(100000), title: args.title, status: 'created' }),
  },
  {
    name: 'translate_text', description: 'Translate text into another language.',
    parameters: {
      text: { type: 'string', description: 'text to translate', values: ['good morning', 'where is the station', 'thank you very much'] },
      target_language: { type: 'string', description: 'language code', values: ['fr', 'es', 'ja', 'yo'] },
    },
    required: ['text', 'target_language'],
    result: (args) => ({ translation: `[${args.target_language}] ${args.text}` }),
  },
];

const QUESTIONS: Record<string, string[]> = {
  get_weather: ['What is the weather in {city}?', 'Is it cold in {city} right now?', 'Tell me the weather in {city} in {unit}.'],
  convert_currency: ['How much is {amount} {from} in {to}?', 'Convert {amount} {from} to {to}, please.'],
  search_flights: ['Find me a flight from {origin} to {destination} on {date}.', 'Any flights {origin} to {destination} on {date}?'],
  add_calendar_event: ['Put "{title}" in my calendar on {date}.', 'Schedule {title} on {date} for {duration_minutes} minutes.'],
  translate_text: ['Translate "{text}" to {target_language}.', 'How do you say "{text}" in {target_language}?'],
};

const PROSE_SUBJECTS = ['The river', 'A small town', 'The old library', 'Every spring the farmers', 'The night train', 'Her grandmother'];
const PROSE_VERBS = ['remembers', 'carries', 'waits for', 'watches', 'forgets', 'celebrates'];
const PROSE_OBJECTS = ['the long summer evenings', 'a quiet song', 'the first snow', 'letters from abroad', 'the market crowds', 'the sound of bells'];

/** Options of {@link syntheticCorpus}. */
export interface SyntheticOptions {
  /** Number of documents (default 600). */
  documents?: number;
  seed?: number;
}

/**
 * The embedded default sample: tool documentation, function-calling trajectories with simulated
 * environment feedback (including failed calls and the retry), code that uses the tools, and general
 * prose, in roughly equal numbers. Generated from a seed; needs no file and no network.
 */
export function syntheticCorpus(options: SyntheticOptions = {}): CorpusDocument[] {
  const rng = new Rng(options.seed ?? 0);
  const count = options.documents ?? 600;
  const makers: [DocumentKind, (tool: FunctionSchema, r: Rng) => string][] = [
    ['tool_doc', (tool) => renderToolDoc(tool)],
    ['trajectory', (tool, r) => renderChat(trajectory(tool, r))],
    ['code', (tool, r) => codeSample(tool, r)],
    ['text', (_, r) => prose(r)],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [kind, make] = makers[i % makers.length];
    const tool = rng.pick(SAMPLE_TOOLS);
    const document: CorpusDocument = { kind, source: 'synthetic', text: make(tool, rng) };
    if (kind !== 'text') document.functions = [tool.name];
    return document;
  });
}

/** Tool documentation in the library's text format. */
export function renderToolDoc(tool: FunctionSchema): string {
  const lines = [`Function: ${tool.name}`, `Description: ${tool.description}`, 'Parameters:'];
  for (const [name, parameter] of Object.entries(tool.parameters)) {
    const required = tool.required.includes(name) ? 'required' : 'optional';
    lines.push(`- ${name} (${parameter.type}, ${required}): ${parameter.description}`);
  }
  return lines.join('\n');
}

function sampleArguments(tool: FunctionSchema, rng: Rng): Record<string, string | number> {
  const args: Record<string, string | number> = {};
  for (const [name, parameter] of Object.entries(tool.parameters)) {
    if (tool.required.includes(name) || rng.next() < 0.5) args[name] = rng.pick(parameter.values);
  }
  return args;
}

function trajectory(tool: FunctionSchema, rng: Rng): ChatMessage[] {
  const args = sampleArguments(tool, rng);
  const question = rng.pick(QUESTIONS[tool.name]).replace(/\{(\w+)\}/g, (_, key: string) => String(args[key] ?? rng.pick(tool.parameters[key].values)));
  const messages: ChatMessage[] = [
    { role: 'system', content: `You can call this tool:\n${renderToolDoc(tool)}` },
    { role: 'user', content: question },
    { role: 'assistant', content: `I need ${tool.name} for this.` },
  ];
  const dropped = tool.required.length > 1 && rng.next() < 0.3 ? rng.pick(tool.required) : undefined;
  if (dropped) {
    const partial = Object.fromEntries(Object.entries(args).filter(([key]) => key !== dropped));
    messages.push(
      { role: 'tool_call', content: JSON.stringify({ name: tool.name, arguments: partial }) },
      { role: 'tool_result', content: JSON.stringify({ error: `missing required parameter "${dropped}"` }) },
      { role: 'assistant', content: `The call failed because ${dropped} was missing. I will retry with it.` },
    );
  }
  const result = tool.result(args, rng);
  messages.push(
    { role: 'tool_call', content: JSON.stringify({ name: tool.name, arguments: args }) },
    { role: 'tool_result', content: JSON.stringify(result) },
    { role: 'assistant', content: `Here is the result: ${JSON.stringify(result)}.` },
  );
  return messages;
}

function codeSample(tool: FunctionSchema, rng: Rng): string {
  const args = sampleArguments(tool, rng);
  const call = `await tools.${tool.name}(${JSON.stringify(args)})`;
  return [
    `// ${tool.description}`,
    `async function run${rng.int(100)}(tools) {`,
    `  const result = ${call};`,
    `  if (result.error) throw new Error(result.error);`,
    `  return result;`,
    `}`,
  ].join('\n');
}

function prose(rng: Rng): string {
  const sentences = Array.from({ length: 2 + rng.int(3) }, () =>
    `${rng.pick(PROSE_SUBJECTS)} ${rng.pick(PROSE_VERBS)} ${rng.pick(PROSE_OBJECTS)}.`);
  return sentences.join(' ');
}
