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

/** Base class of the library's errors; each code has its own subclass below. */
export abstract class HephaestusError extends Error {
  /** Stable machine-readable category. */
  readonly code: ErrorCode;

  protected constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
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

/**
 * Input could not be used: a data file, a command-line option, a batch, a prompt. `file` names it (a
 * path, `--option` or the kind of item) and `line` (1-based) locates the problem in a file when known.
 */
export class InputError extends HephaestusError {
  readonly file: string;
  readonly line?: number;

  constructor(file: string, message: string, line?: number, options?: { cause?: unknown }) {
    super('INPUT', `${file}${line === undefined ? '' : `:${line}`}: ${message}`, options);
    this.file = file;
    this.line = line;
  }
}

/**
 * What went wrong with a checkpoint, for callers that react differently: `corrupt` (a file's size or
 * checksum is wrong), `missing` (no checkpoint where one was expected), `invalid` (a file or field is
 * malformed or does not fit), `quota` (the storage is full), `locked` (another writer holds it),
 * `refused` (the place holds something that is not ours), `io` (it cannot be read or written).
 */
export type CheckpointProblem = 'corrupt' | 'missing' | 'invalid' | 'quota' | 'locked' | 'refused' | 'io';

/** Details of a {@link CheckpointError}. */
export interface CheckpointErrorOptions {
  cause?: unknown;
  /** Default `invalid`. */
  problem?: CheckpointProblem;
  /** For `quota`: bytes the failed write needed. */
  bytesNeeded?: number;
  /** For `corrupt`: the newest other checkpoint that verifies, to offer instead. */
  previousGood?: string;
}

/** A checkpoint or model file is missing, malformed, or does not fit; the message names file and field. */
export class CheckpointError extends HephaestusError {
  readonly problem: CheckpointProblem;
  readonly bytesNeeded?: number;
  readonly previousGood?: string;

  constructor(message: string, options: CheckpointErrorOptions = {}) {
    super('CHECKPOINT', message, options);
    this.problem = options.problem ?? 'invalid';
    this.bytesNeeded = options.bytesNeeded;
    this.previousGood = options.previousGood;
  }
}

/** The requested compute backend (WebGPU, an adapter, the CPU) is unavailable or failed. */
export class BackendError extends HephaestusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKEND', message, options);
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

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
