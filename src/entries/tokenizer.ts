/**
 * `hephaestus-web/tokenizer`: the `Tokenizer` interface over `@huggingface/tokenizers`, byte-level BPE
 * training that writes a standard `tokenizer.json`, and the chat / tool-call template with its loss
 * masks. Browser-safe; reading and writing tokenizer folders is in `hephaestus-web/node`.
 * @module
 */
export * from '../tokenizer/index.js';
