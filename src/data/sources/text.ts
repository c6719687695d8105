import type { CorpusDocument, DocumentKind } from '../document.js';
import type { SourceInput } from './lines.js';
import { checkLine, lineBatches, reader, type ReadContext, type ReadOptions } from './stream.js';

/** Options of {@link readTextDocuments}. */
export interface TextReadOptions extends ReadOptions {
  /**
   * `'chunk'` (default): consecutive paragraphs are packed into documents of at most `maxChars`;
   * `'paragraph'`: one document per paragraph; `'whole'`: the whole file is one document (up to
   * `maxChars`, beyond which it is cut into several).
   */
  split?: 'chunk' | 'paragraph' | 'whole';
  /** Longest document in characters (default 4096); a longer paragraph is cut at line ends, a longer line anywhere. */
  maxChars?: number;
  /** Kind of the documents (default `text`). */
  kind?: DocumentKind;
}

/** Default of {@link TextReadOptions.maxChars}. */
export const DEFAULT_TEXT_CHARS = 4096;

/** Cuts `text` into pieces of at most `max` UTF-16 units, never inside a surrogate pair. */
function cut(text: string, max: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > max) {
    let end = start + max;
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** The body of {@link readTextDocuments} (also read by `readSharedData`). */
export async function* textDocumentRecords(
  context: ReadContext, input: SourceInput, options: TextReadOptions, name?: string,
): AsyncGenerator<{ item: CorpusDocument; file: string }> {
  const split = options.split ?? 'chunk';
  const maxChars = Math.max(1, options.maxChars ?? DEFAULT_TEXT_CHARS);
  const kind = options.kind ?? 'text';
  {
    let file = '';
    // The document being built: its text and its first line.
    let current = '';
    let currentLine = 0;
    // The paragraph being built.
    let paragraph = '';
    let paragraphLine = 0;
    const out: CorpusDocument[] = [];
    const emit = (text: string, line: number): void => {
      if (text === '') return;
      context.accept(file);
      out.push({ kind, source: `${file}:${line}`, text });
    };
    const flushCurrent = (): void => {
      emit(current, currentLine);
      current = '';
    };
    const addParagraph = (text: string, line: number): void => {
      if (split === 'paragraph') {
        emit(text, line);
        return;
      }
      const separator = split === 'whole' ? '\n' : '\n\n';
      if (current !== '' && current.length + separator.length + text.length > maxChars) flushCurrent();
      if (current === '') {
        current = text;
        currentLine = line;
      } else {
        current += separator + text;
      }
    };
    const addLine = (text: string, line: number): void => {
      // A line longer than a document: flush what is pending, then emit the line in pieces.
      if (text.length > maxChars) {
        if (paragraph !== '') addParagraph(paragraph, paragraphLine);
        paragraph = '';
        flushCurrent();
        for (const piece of cut(text, maxChars)) emit(piece, line);
        return;
      }
      if (paragraph !== '' && paragraph.length + 1 + text.length > maxChars) {
        addParagraph(paragraph, paragraphLine);
        paragraph = '';
      }
      if (paragraph === '') {
        paragraph = text;
        paragraphLine = line;
      } else {
        paragraph += `\n${text}`;
      }
    };
    for await (const batch of lineBatches(context, input, name)) {
      file = batch.file;
      for (const line of batch.lines) {
        if (!checkLine(context, file, line)) continue;
        if (line.text.trim() === '') {
          if (split === 'whole') {
            if (paragraph !== '') addLine('', line.line);
          } else if (paragraph !== '') {
            addParagraph(paragraph, paragraphLine);
            paragraph = '';
          }
        } else {
          addLine(line.text, line.line);
        }
        for (const item of out.splice(0)) yield { item, file };
      }
    }
    if (paragraph !== '') addParagraph(paragraph, paragraphLine);
    flushCurrent();
    for (const item of out.splice(0)) yield { item, file };
  }
}

/**
 * Reads plain text, streaming, as documents split at blank lines (paragraphs). In the default `'chunk'`
 * mode consecutive paragraphs are packed, joined by one blank line, into documents of at most
 * `maxChars`; memory holds one document at a time whatever the file's size. Lines are kept verbatim
 * (without `\r`); runs of blank lines become one. `source` is `file:line` of the document's first line.
 * Every document is one accepted record (`stats.read`); undecodable lines are malformed records.
 */
export const readTextDocuments = reader(textDocumentRecords, {});

