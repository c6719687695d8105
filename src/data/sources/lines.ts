import { ConfigError, InputError, AbortedError, throwIfAborted, errorMessage } from '../../util/errors.js';

/**
 * Streaming line reader over any byte source: a browser `File` / `Blob`, a URL (fetched, body
 * streamed), a `ReadableStream`, or a file path opened by the caller's {@link PathOpener} (in Node,
 * `fileSource` of `hephaestus-web/node`). Lines are split on the
 * bytes and each line is decoded as strict UTF-8 on its own, so memory holds one chunk and one line at a
 * time (never the file) and a bad byte is reported on the line it is on.
 *
 * Browser-safe: no Node import (the Node file opener, `fileSource`, lives in `node-lines.ts`).
 * @module
 */

/** One line of a text source. */
export interface SourceLine {
  /** 1-based line number. */
  line: number;
  /** The line without its `\n` (and without a trailing `\r`); empty when `error` is set. */
  text: string;
  /** Set when the line could not be read as text: invalid UTF-8, a NUL byte, longer than the limit. */
  error?: string;
  /** With `error`: the whole file is rejected (binary file) and no further line follows. */
  fatal?: boolean;
}

/** A named source of bytes that can be opened (again) as a stream of chunks. */
export interface ByteSource {
  /** The name errors and document `source`s use (a path relative to the data root, a file name, a URL). */
  readonly name: string;
  /** Opens the source; each call starts from the first byte. */
  open(signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/**
 * What the readers accept: a {@link ByteSource}, a `Blob` / `File`, a `URL`, or a string. A string is a
 * URL when it starts with `http:`, `https:`, `blob:` or `data:`, and otherwise a file path, which needs
 * a {@link PathOpener} (option `openPath`; in Node, `fileSource` of `hephaestus-web/node`).
 */
export type SourceInput = ByteSource | Blob | URL | string;

/** Opens a file path as a {@link ByteSource}, under `name` when given (e.g. Node's `fileSource`). */
export type PathOpener = (path: string, name?: string) => ByteSource;

/** Options of {@link readLines}. */
export interface LineOptions {
  /** Overrides the source's name in errors and `source`s. */
  name?: string;
  /** Longest line kept, in bytes (default 16 MiB); a longer one is an error line and memory stays bounded. */
  maxLineBytes?: number;
  signal?: AbortSignal;
  /** `fetch` used for URLs (default the global one). */
  fetch?: typeof fetch;
  /** Opens file paths (none by default: a path is then an error; browsers have no file paths). */
  openPath?: PathOpener;
}

/** Default of {@link LineOptions.maxLineBytes}. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Bytes at the start of a file searched for a NUL byte, which marks the whole file as binary. */
export const BINARY_SNIFF_BYTES = 8192;

async function* iterateStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value !== undefined) yield value;
    }
  } finally {
    // Stops the producer when the consumer leaves early; then lets go of the stream.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The name of a `File`, or `blob` for a nameless `Blob`. */
function blobName(blob: Blob): string {
  const fileName = (blob as Partial<File>).name;
  return typeof fileName === 'string' && fileName !== '' ? fileName : 'blob';
}

/** A {@link ByteSource} over a browser `File` / `Blob` (`blob.stream()`), named after the file. */
export function blobSource(blob: Blob, name?: string): ByteSource {
  return {
    name: name ?? blobName(blob),
    open: () => iterateStream(blob.stream() as ReadableStream<Uint8Array>),
  };
}

/** A {@link ByteSource} over a URL, fetched and its body streamed; an HTTP error is an {@link InputError}. */
export function urlSource(url: string | URL, options: { name?: string; fetch?: typeof fetch } = {}): ByteSource {
  const href = String(url);
  const name = options.name ?? href;
  return {
    name,
    async *open(signal?: AbortSignal) {
      const doFetch = options.fetch ?? globalThis.fetch;
      const response = await doFetch(href, { signal });
      if (!response.ok) throw new InputError(name, `cannot fetch (HTTP ${response.status} ${response.statusText})`);
      if (response.body === null) return;
      yield* iterateStream(response.body);
    },
  };
}

/**
 * A {@link ByteSource} over a stream factory (a `ReadableStream` or any async iterable of bytes), e.g.
 * a decompression stream. The factory is called at each open.
 */
export function streamSource(name: string, open: () => ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): ByteSource {
  return {
    name,
    open() {
      const stream = open();
      return isReadableStream(stream) ? iterateStream(stream) : stream;
    },
  };
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof (value as { getReader?: unknown }).getReader === 'function';
}

function isByteSource(value: unknown): value is ByteSource {
  return typeof value === 'object' && value !== null && typeof (value as ByteSource).open === 'function'
    && typeof (value as ByteSource).name === 'string';
}

const URL_PATTERN = /^(https?|blob|data):/i;

/**
 * Turns any {@link SourceInput} into a {@link ByteSource}; `name` overrides its name. A file path is
 * opened with `options.openPath`.
 * @throws ConfigError for a file path without `openPath`; InputError for an input of no known kind.
 */
export function toByteSource(input: SourceInput, name?: string, options: Pick<LineOptions, 'fetch' | 'openPath'> = {}): ByteSource {
  if (isByteSource(input)) return name === undefined ? input : { name, open: (signal) => input.open(signal) };
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input, name);
  if (input instanceof URL || (typeof input === 'string' && URL_PATTERN.test(input))) {
    return urlSource(input, { name, fetch: options.fetch });
  }
  if (typeof input === 'string') {
    if (options.openPath === undefined) {
      // A caller's omission, not bad data: a ConfigError, so that onError: 'skip' does not count it as a malformed file.
      throw new ConfigError('openPath', `${input} is a file path, which needs the option openPath (in Node: fileSource from hephaestus-web/node); in a browser pass a File, Blob or URL`);
    }
    return options.openPath(input, name);
  }
  throw new InputError(String(input), 'not a readable source (expected a File, Blob, URL, path or ByteSource)');
}

/** The name a {@link SourceInput} is reported under. */
export function sourceName(input: SourceInput, name?: string): string {
  if (name !== undefined) return name;
  if (isByteSource(input)) return input.name;
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return blobName(input);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function lineNumberOf(bytes: Uint8Array, end: number): number {
  let line = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) line += 1;
  return line;
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = errorMessage(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Reads a source line by line, streaming. Every line comes out (blank ones too) with its 1-based number;
 * a line that is not valid UTF-8, holds a NUL byte or is longer than `maxLineBytes` comes out with
 * `error` set instead of text. A NUL byte within the first {@link BINARY_SNIFF_BYTES} bytes marks the
 * whole file as binary: one `fatal` error line (on the line of that byte), then the end. A UTF-8 BOM at
 * the start and a `\r` before each `\n` are dropped.
 *
 * @throws InputError when the source cannot be opened or read (missing file, HTTP error), naming it.
 * @throws AbortedError when `signal` fires.
 */
export async function* readLines(input: SourceInput, options: LineOptions = {}): AsyncGenerator<SourceLine> {
  for await (const batch of readLineBatches(input, options)) yield* batch;
}

/**
 * {@link readLines} in batches: the lines completed by each chunk read (about 1 MiB for files), which
 * saves an await per line in tight loops. Same lines, same errors, same order.
 */
export async function* readLineBatches(input: SourceInput, options: LineOptions = {}): AsyncGenerator<SourceLine[]> {
  const source = toByteSource(input, options.name, options);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const signal = options.signal;
  let line = 1;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let sniffed = 0;
  let sniffLines = 0;

  const finish = (bytes: Uint8Array): SourceLine => {
    const number = line;
    line += 1;
    if (overlong) {
      overlong = false;
      return { line: number, text: '', error: `line longer than ${maxLineBytes} bytes` };
    }
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end -= 1;
    const body = end === bytes.length ? bytes : bytes.subarray(0, end);
    if (body.indexOf(0) >= 0) return { line: number, text: '', error: 'NUL byte (binary data); expected UTF-8 text' };
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      return { line: number, text: '', error: 'not valid UTF-8 text (binary data?)' };
    }
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { line: number, text };
  };

  const chunks = source.open(signal);
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    for (;;) {
      throwIfAborted(signal, `reading ${source.name}`);
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } catch (error) {
        if (error instanceof InputError || error instanceof AbortedError) throw error;
        if ((error as { name?: unknown }).name === 'AbortError') throw new AbortedError(`reading ${source.name}`);
        throw new InputError(source.name, `cannot read (${describeError(error)})`);
      }
      if (step.done) break;
      const chunk = step.value;
      if (sniffed < BINARY_SNIFF_BYTES) {
        const window = chunk.subarray(0, BINARY_SNIFF_BYTES - sniffed);
        const nul = window.indexOf(0);
        if (nul >= 0) {
          yield [{
            line: sniffLines + lineNumberOf(window, nul),
            text: '',
            error: 'binary file (NUL byte); expected UTF-8 text',
            fatal: true,
          }];
          return;
        }
        sniffLines += lineNumberOf(window, window.length) - 1;
        sniffed += window.length;
      }
      const batch: SourceLine[] = [];
      let start = 0;
      const first = chunk.indexOf(0x0a);
      if (first >= 0) {
        // The line that completes what earlier chunks left pending.
        const piece = chunk.subarray(0, first);
        if (overlong || pendingBytes + piece.length > maxLineBytes) {
          overlong = true;
          pending = [];
          pendingBytes = 0;
          batch.push(finish(piece));
        } else {
          let bytes = piece;
          if (pendingBytes > 0) {
            pending.push(piece);
            bytes = concat(pending, pendingBytes + piece.length);
            pending = [];
            pendingBytes = 0;
          }
          batch.push(finish(bytes));
        }
        start = first + 1;
        // The whole lines after it: one decode for all of them when they are clean, else line by line.
        const last = chunk.lastIndexOf(0x0a);
        if (last > first) {
          const region = chunk.subarray(start, last);
          let text: string | undefined;
          if (region.length <= maxLineBytes && region.indexOf(0) < 0) {
            try {
              text = decoder.decode(region);
            } catch {
              text = undefined;
            }
          }
          if (text !== undefined) {
            for (const part of text.split('\n')) {
              batch.push({ line, text: part.endsWith('\r') ? part.slice(0, -1) : part });
              line += 1;
            }
          } else {
            let from = 0;
            for (;;) {
              const newline = region.indexOf(0x0a, from);
              const end = newline < 0 ? region.length : newline;
              const lineBytes = region.subarray(from, end);
              if (lineBytes.length > maxLineBytes) overlong = true;
              batch.push(finish(lineBytes));
              if (newline < 0) break;
              from = newline + 1;
            }
          }
          start = last + 1;
        }
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        if (overlong || pendingBytes + rest.length > maxLineBytes) {
          overlong = true;
          pending = [];
          pendingBytes = 0;
        } else {
          pending.push(rest);
          pendingBytes += rest.length;
        }
      }
      if (batch.length > 0) yield batch;
    }
    if (pendingBytes > 0 || overlong) yield [finish(concat(pending, pendingBytes))];
  } finally {
    await iterator.return?.();
  }
}
