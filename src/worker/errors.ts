/**
 * Errors across the worker boundary: comlink's own handler turns every thrown value into a plain
 * `Error`; this one sends the library's errors as their class name, code, message and fields, and
 * rebuilds the same class on the other side, so `instanceof CheckpointError` and `error.code` work in
 * the page as in the worker. Installed by both the worker entry and the client.
 * @module
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import {
  AbortedError, BackendError, CheckpointError, ConfigError, HephaestusError, InputError, NonFiniteError, TokenizerError,
  type CheckpointProblem, type ErrorCode,
} from '../util/errors.js';

/** A library error as plain data. */
export interface SerializedError {
  /** Stable across bundlers (a minifier may rename the classes, so `name` is not used to rebuild). */
  code: ErrorCode;
  name: string;
  message: string;
  stack?: string;
  field?: string;
  file?: string;
  line?: number;
  problem?: CheckpointProblem;
  bytesNeeded?: number;
  previousGood?: string;
}

/** The library error as plain data (undefined for anything else). */
export function serializeError(error: unknown): SerializedError | undefined {
  if (!(error instanceof HephaestusError)) return undefined;
  const out: SerializedError = { code: error.code, name: error.name, message: error.message, stack: error.stack };
  if (error instanceof ConfigError) out.field = error.field;
  if (error instanceof InputError) Object.assign(out, { file: error.file, line: error.line });
  if (error instanceof CheckpointError) {
    Object.assign(out, { problem: error.problem, bytesNeeded: error.bytesNeeded, previousGood: error.previousGood });
  }
  return out;
}

/** Rebuilds the error {@link serializeError} described, with its exact message. */
export function deserializeError(data: SerializedError): Error {
  const error = construct(data);
  error.message = data.message;
  if (data.stack) error.stack = data.stack;
  return error;
}

function construct(data: SerializedError): Error {
  switch (data.code) {
    case 'CONFIG': return new ConfigError(data.field ?? '', '');
    case 'INPUT': return new InputError(data.file ?? '', '', data.line);
    case 'CHECKPOINT': return new CheckpointError('', { problem: data.problem, bytesNeeded: data.bytesNeeded, previousGood: data.previousGood });
    case 'BACKEND': return new BackendError('');
    case 'NON_FINITE': return new NonFiniteError('');
    case 'ABORTED': return new AbortedError('');
    case 'TOKENIZER': return new TokenizerError('');
  }
}

interface Thrown {
  value: unknown;
}

let installed = false;

/** Replaces comlink's `throw` handler with one that keeps the library's error classes (once per realm). */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const builtin = transferHandlers.get('throw') as TransferHandler<Thrown, unknown> | undefined;
  if (!builtin) return;
  const handler: TransferHandler<Thrown, unknown> = {
    canHandle: (value): value is Thrown => builtin.canHandle(value),
    serialize(thrown) {
      const error = serializeError(thrown.value);
      return error ? [{ hephaestus: error }, []] : builtin.serialize(thrown);
    },
    deserialize(serialized) {
      if (typeof serialized === 'object' && serialized !== null && 'hephaestus' in serialized) {
        throw deserializeError((serialized as { hephaestus: SerializedError }).hephaestus);
      }
      return builtin.deserialize(serialized);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
