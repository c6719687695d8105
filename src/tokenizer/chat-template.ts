import { TokenizerError } from '../util/errors.js';
import { SPECIAL_TOKENS, type SpecialTokenIds, type Tokenizer } from './types.js';

/**
 * Who speaks in a turn. `tool_call` is a call the model makes (its content is the JSON of the call,
 * e.g. `{"name":"get_weather","arguments":{"city":"Paris"}}`); `tool_result` is the environment's
 * feedback to it (output or error).
 */
export type ChatRole = 'system' | 'user' | 'assistant' | 'tool_call' | 'tool_result';

/** One turn of a conversation / agent trajectory. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** The special token that opens a turn of each role. Every turn closes with `<|end|>`. */
export const CHAT_ROLE_TOKENS: Readonly<Record<ChatRole, string>> = Object.freeze({
  system: SPECIAL_TOKENS.system,
  user: SPECIAL_TOKENS.user,
  assistant: SPECIAL_TOKENS.assistant,
  tool_call: SPECIAL_TOKENS.toolCall,
  tool_result: SPECIAL_TOKENS.toolResult,
});

const ROLE_KEYS: Readonly<Record<ChatRole, keyof SpecialTokenIds>> = {
  system: 'system',
  user: 'user',
  assistant: 'assistant',
  tool_call: 'toolCall',
  tool_result: 'toolResult',
};

/** The roles whose turns the model is trained to produce (loss mask 1 in {@link encodeChat}). */
export const TRAINED_ROLES: ReadonlySet<ChatRole> = new Set<ChatRole>(['assistant', 'tool_call']);

const SPECIAL_STRINGS = Object.values(SPECIAL_TOKENS);

function checkMessage(m: ChatMessage, i: number): void {
  if (typeof m !== 'object' || m === null || !Object.hasOwn(CHAT_ROLE_TOKENS, m.role)) {
    throw new TokenizerError(
      `messages[${i}].role must be one of ${Object.keys(CHAT_ROLE_TOKENS).join(', ')}, got ${JSON.stringify((m as { role?: unknown } | null)?.role)}`,
    );
  }
  if (typeof m.content !== 'string') {
    throw new TokenizerError(`messages[${i}].content must be a string, got ${typeof m.content}`);
  }
  for (const s of SPECIAL_STRINGS) {
    if (m.content.includes(s)) {
      throw new TokenizerError(`messages[${i}].content contains the special token ${s}, which would break the template`);
    }
  }
}

/**
 * Renders a conversation as text in the chat / tool-call format:
 *
 * ```text
 * <|system|>You can call get_weather(city).<|end|><|user|>Weather in Paris?<|end|><|tool_call|>{"name":"get_weather","arguments":{"city":"Paris"}}<|end|><|tool_result|>{"temp_c":18}<|end|><|assistant|>18 °C in Paris.<|end|>
 * ```
 *
 * i.e. each turn is `role token + content + <|end|>`, with nothing added between or around turns (no
 * newline, no BOS/EOS: packing puts `<|endoftext|>` between documents). Contents are kept verbatim.
 *
 * @throws TokenizerError when a role is unknown, a content is not a string, or a content contains one of
 *   the {@link SPECIAL_TOKENS} strings (it would be read back as a template token).
 */
export function renderChat(messages: readonly ChatMessage[]): string {
  let out = '';
  messages.forEach((m, i) => {
    checkMessage(m, i);
    out += CHAT_ROLE_TOKENS[m.role] + m.content + SPECIAL_TOKENS.endOfTurn;
  });
  return out;
}

/** Output of {@link encodeChat}: token ids and, aligned with them, the loss mask (1 = trained on). */
export interface EncodedChat {
  ids: number[];
  lossMask: number[];
}

/** Options of {@link encodeChat}. */
export interface EncodeChatOptions {
  /**
   * Also train on the role token that opens an assistant / tool_call turn (default false). With it the
   * model learns to choose, after a user or tool_result turn, between answering and calling a tool
   * (needed when the generation harness does not force the role, e.g. for BFCL's irrelevance category).
   */
  trainRoleTokens?: boolean;
}

/**
 * Encodes a conversation for Stage III instruction tuning: `ids` equal
 * `tokenizer.encode(renderChat(messages))`, and `lossMask[i]` is 1 exactly on the tokens the model is
 * trained to produce: the content of `assistant` and `tool_call` turns and their closing `<|end|>`
 * (plus their opening role token with `trainRoleTokens`); 0 on system, user and tool_result turns and
 * on every role token.
 *
 * @throws TokenizerError as {@link renderChat}
 */
export function encodeChat(
  tokenizer: Tokenizer,
  messages: readonly ChatMessage[],
  options: EncodeChatOptions = {},
): EncodedChat {
  const ids: number[] = [];
  const lossMask: number[] = [];
  const trainRole = options.trainRoleTokens === true;
  messages.forEach((m, i) => {
    checkMessage(m, i);
    const trained = TRAINED_ROLES.has(m.role) ? 1 : 0;
    ids.push(tokenizer.special[ROLE_KEYS[m.role]]);
    lossMask.push(trainRole ? trained : 0);
    const content = tokenizer.encode(m.content);
    for (const id of content) {
      ids.push(id);
      lossMask.push(trained);
    }
    ids.push(tokenizer.special.endOfTurn);
    lossMask.push(trained);
  });
  return { ids, lossMask };
}

/**
 * The loss mask of {@link encodeChat} recovered from token ids alone (for documents stored as rendered
 * text): 1 on the content and closing `<|end|>` of `assistant` and `tool_call` turns, 0 elsewhere,
 * role tokens included unless `trainRoleTokens` (then the opener of an assistant / tool_call turn is
 * 1, as in {@link encodeChat}). Tokens outside any turn (e.g. `<|endoftext|>`) get 0.
 */
export function chatLossMask(ids: ArrayLike<number>, special: SpecialTokenIds, options: EncodeChatOptions = {}): Uint8Array {
  const trainedOpeners = new Set([...TRAINED_ROLES].map((role) => special[ROLE_KEYS[role]]));
  const allOpeners = new Set((Object.keys(ROLE_KEYS) as ChatRole[]).map((role) => special[ROLE_KEYS[role]]));
  const mask = new Uint8Array(ids.length);
  let inTrainedTurn = false;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (allOpeners.has(id)) {
      inTrainedTurn = trainedOpeners.has(id);
      mask[i] = inTrainedTurn && options.trainRoleTokens === true ? 1 : 0;
    } else if (id === special.endOfTurn) {
      mask[i] = inTrainedTurn ? 1 : 0;
      inTrainedTurn = false;
    } else {
      mask[i] = inTrainedTurn ? 1 : 0;
    }
  }
  return mask;
}
