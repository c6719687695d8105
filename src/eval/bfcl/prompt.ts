import type { BfclQuestion } from '../../data/sources/bfcl.js';
import { trajectoryMessages } from '../../data/formats.js';
import { renderChat, type ChatMessage } from '../../tokenizer/chat-template.js';
import type { SpecialTokenIds } from '../../tokenizer/types.js';

/**
 * The prompt of a BFCL question, rendered exactly as training renders the question's instruction pair
 * (`readBfclDocuments` -> `instructionPair`): the system turn listing the offered functions
 * (`toolsSystemPrompt`, after the question's own system messages), then the user turn. The training
 * text is this prompt followed by the answer's `<|tool_call|>` turns, so the model continues the prompt
 * with the turns it was trained to produce.
 *
 * Browser-safe.
 * @module
 */

/**
 * The chat turns of a question's prompt: a system turn with the question's system messages (joined by
 * a blank line) before the tool listing, and one user turn with its user messages (joined likewise).
 */
export function bfclPromptMessages(question: BfclQuestion): ChatMessage[] {
  const messages = question.turns.flat();
  const joined = (role: string) => messages.filter((message) => message.role === role).map((message) => message.content).join('\n\n');
  const system = joined('system');
  return trajectoryMessages([{ type: 'user', text: joined('user') }], { tools: question.functions, system: system === '' ? undefined : system });
}

/**
 * The prompt text of a question ({@link bfclPromptMessages} through the chat template).
 *
 * @throws TokenizerError when a message contains a special-token string
 */
export function bfclPrompt(question: BfclQuestion): string {
  return renderChat(bfclPromptMessages(question));
}

/**
 * The tokens that end a response: the end of a document and the opening of a turn the model does not
 * speak (system, user, tool result). A response may hold several turns (reasoning in an assistant
 * turn, one `<|tool_call|>` turn per parallel call), so `<|end|>` does not end it.
 */
export function responseStopTokens(special: SpecialTokenIds): number[] {
  return [special.endOfText, special.pad, special.system, special.user, special.toolResult];
}
