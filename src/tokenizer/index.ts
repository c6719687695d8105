/**
 * Tokenizer layer: one {@link Tokenizer} interface over `@huggingface/tokenizers`, byte-level BPE
 * training that emits standard Hugging Face files, and the chat / tool-call template.
 * Browser-safe; the node:fs helpers live in `./node-files.js` (re-exported by the Node entry point).
 * @module
 */
export { SPECIAL_TOKENS } from './types.js';
export type { SpecialTokenIds, Tokenizer, TokenizerFiles } from './types.js';
export { loadTokenizer } from './hf-tokenizer.js';
export type { LoadTokenizerOptions, MissingSpecialTokens } from './hf-tokenizer.js';
export {
  trainBpeTokenizer,
  trainBpeTokenizerFiles,
  NUM_SPECIAL_TOKENS,
  FIRST_BYTE_ID,
  MIN_TRAINED_VOCAB_SIZE,
  MAX_TRAINED_VOCAB_SIZE,
} from './bpe-trainer.js';
export type { BpeTrainOptions, BpeTrainProgress } from './bpe-trainer.js';
export { BYTE_TO_UNICODE, UNICODE_TO_BYTE, GPT2_PRETOKENIZE_PATTERN } from './bytes.js';
export { renderChat, encodeChat, CHAT_ROLE_TOKENS, TRAINED_ROLES } from './chat-template.js';
export type { ChatMessage, ChatRole, EncodedChat, EncodeChatOptions } from './chat-template.js';
