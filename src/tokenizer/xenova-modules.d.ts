// Minimal typings for the two @xenova/transformers modules the tokenizer layer imports directly.
// The package ships no typings for deep imports; importing `src/tokenizers.js` instead of the package
// root keeps `models.js` / `processors.js` (and with them the native `sharp` image library) out.

declare module '@xenova/transformers/src/tokenizers.js' {
  /** The subset of transformers.js' `PreTrainedTokenizer` that src/tokenizer uses. */
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
    readonly model: {
      readonly tokens_to_ids: Map<string, number>;
      readonly vocab: ReadonlyArray<string | undefined>;
    };
  }
}

declare module '@xenova/transformers/src/env.js' {
  export const env: { allowRemoteModels: boolean; allowLocalModels: boolean };
}
