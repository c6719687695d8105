/**
 * Every error the library throws on purpose is a {@link HephaestusError}: it carries a stable `code`
 * that callers can switch on, and a message that names the bad input (file, line, field).
 */
export type ErrorCode =
  | 'CONFIG'
  | 'INPUT'
  | 'BACKEND'
  | 'NON_FINITE'
  | 'CHECKPOINT'
  | 'TOKENIZER'
  | 'ABORTED';

/** Base class of the library's errors. */
export class HephaestusError extends Error {
  /** Stable machine-readable category. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A model or training configuration field is invalid; `field` names it. */
export class ConfigError extends HephaestusError {
  /** Dotted path of the offending field, e.g. `model.nHeads`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('CONFIG', `invalid config field "${field}": ${message}`);
    this.field = field;
  }
}

/** Input data could not be read; `file` and `line` (1-based) locate the problem when known. */
export class InputError extends HephaestusError {
  readonly file: string;
  readonly line?: number;

  constructor(file: string, message: string, line?: number) {
    super('INPUT', `${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/** Training produced too many non-finite losses or gradients in a row. */
export class NonFiniteError extends HephaestusError {
  constructor(message: string) {
    super('NON_FINITE', message);
  }
}

/** A long-running call was cancelled through its AbortSignal. */
export class AbortedError extends HephaestusError {
  constructor(what: string) {
    super('ABORTED', `${what} was aborted`);
  }
}

/** Throws {@link AbortedError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(what);
}

/**
 * A tokenizer could not be built or used: malformed `tokenizer.json`, a missing special token, an id
 * outside the vocabulary. The message names the offending token, id or field.
 */
export class TokenizerError extends HephaestusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKENIZER', message, options);
  }
}
