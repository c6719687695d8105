// Typings for the one @xenova/transformers module the tokenizer tests import as their reference
// (transformers.js' own tokenizer; the package ships no typings for deep imports).

declare module '@xenova/transformers/src/tokenizers.js' {
  /** The subset of transformers.js' `PreTrainedTokenizer` the tests use. */
  export class PreTrainedTokenizer {
    constructor(tokenizerJSON: object, tokenizerConfig: object);
    encode(
      text: string,
      textPair?: string | null,
      options?: { add_special_tokens?: boolean; return_token_type_ids?: boolean | null },
    ): number[];
    decode(
      tokenIds: number[],
      options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean | null },
    ): string;
  }
}
