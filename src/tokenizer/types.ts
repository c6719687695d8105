/** Special tokens of the chat / tool-call template, by role. */
export interface SpecialTokenIds {
  /** Separates documents in packed pre-training sequences (`<|endoftext|>`). */
  endOfText: number;
  /** Padding (`<|pad|>`); never trained on. */
  pad: number;
  system: number;
  user: number;
  assistant: number;
  toolCall: number;
  toolResult: number;
  endOfTurn: number;
}

/** The strings of the special tokens, in the order they get ids (0..7) in tokenizers we train. */
export const SPECIAL_TOKENS = {
  endOfText: '<|endoftext|>',
  pad: '<|pad|>',
  system: '<|system|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
  toolCall: '<|tool_call|>',
  toolResult: '<|tool_result|>',
  endOfTurn: '<|end|>',
} as const satisfies Record<keyof SpecialTokenIds, string>;

/** The files that define a tokenizer in the Hugging Face format. */
export interface TokenizerFiles {
  /** Parsed `tokenizer.json`. */
  tokenizerJson: Record<string, unknown>;
  /** Parsed `tokenizer_config.json`. */
  tokenizerConfig: Record<string, unknown>;
}

/** One tokenizer interface for every tokenizer the library uses (trained here or loaded). */
export interface Tokenizer {
  /** Number of ids (the model's vocabulary size must be at least this). */
  readonly vocabSize: number;
  /** Ids of the chat / tool-call special tokens. */
  readonly special: SpecialTokenIds;
  /** Encodes text to ids; adds no BOS/EOS. Special-token strings in the text map to their ids. */
  encode(text: string): number[];
  /** Decodes ids back to text, special tokens included, with no whitespace clean-up. */
  decode(ids: ArrayLike<number>): string;
  /** The Hugging Face files that reproduce this tokenizer. */
  toFiles(): TokenizerFiles;
}
