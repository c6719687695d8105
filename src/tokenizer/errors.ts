import { HephaestusError } from '../util/errors.js';

/**
 * A tokenizer could not be built or used: malformed `tokenizer.json`, a missing special token, an id
 * outside the vocabulary. The message names the offending token, id or field. Code `TOKENIZER`.
 */
export class TokenizerError extends HephaestusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKENIZER', message, options);
  }
}
