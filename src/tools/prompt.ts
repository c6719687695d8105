import type { FunctionDefinition } from './schema.js';

/**
 * The tools system prompt: the one rendering of the offered functions that training data and
 * evaluation prompts share, so that a model is evaluated on the prompts it was trained on.
 * @module
 */

/** The first line of {@link toolsSystemPrompt}: how to call a function. */
export const TOOLS_INSTRUCTION =
  'You can call these functions (JSON schema, one per line). To call one, reply with a tool_call turn holding {"name": ..., "arguments": {...}}; one turn per call.';

/**
 * The system turn that lists the tools a model may call, one compact JSON definition per line:
 *
 * ```text
 * You can call these functions (JSON schema, one per line). To call one, reply with a tool_call turn holding {"name": ..., "arguments": {...}}; one turn per call.
 * {"name":"get_weather","description":"Current weather for a city.","parameters":{"type":"dict","properties":{"city":{"type":"string","description":"City name."}},"required":["city"]}}
 * ```
 *
 * Each definition is written with its keys in the order name, description, parameters (the parameters
 * as given). `preamble` (e.g. a dataset's own system message) goes before it, separated by a blank line.
 */
export function toolsSystemPrompt(tools: readonly FunctionDefinition[], preamble?: string): string {
  const listing = [
    TOOLS_INSTRUCTION,
    ...tools.map((tool) => JSON.stringify({ name: tool.name, description: tool.description, parameters: tool.parameters })),
  ].join('\n');
  return preamble === undefined || preamble === '' ? listing : `${preamble}\n\n${listing}`;
}
