/**
 * Readers of corpus sources (browser-safe): streaming lines from files, URLs and streams; user JSONL,
 * plain text and code; the shared reference data (BFCL, Gorilla, APIBench, text). Node-only file access
 * is in `node-lines.ts` (`fileSource`, passed as the readers' `openPath` option).
 * @module
 */
export {
  readLines, blobSource, urlSource, streamSource, toByteSource, sourceName,
  DEFAULT_MAX_LINE_BYTES, BINARY_SNIFF_BYTES,
} from './lines.js';
export type { SourceLine, ByteSource, SourceInput, LineOptions, PathOpener } from './lines.js';
export { readAll, DEFAULT_MAX_ERRORS } from './stream.js';
export type { ErrorPolicy, ReadIssue, FileCounts, ReadStats, ReadOptions, RecordStream, DocumentStream } from './stream.js';
export { readJsonlDocuments, DOCUMENT_KINDS } from './jsonl.js';
export type { JsonlReadOptions } from './jsonl.js';
export { readTextDocuments, DEFAULT_TEXT_CHARS } from './text.js';
export type { TextReadOptions } from './text.js';
export { readCodeDocuments, DEFAULT_CODE_CHARS } from './code.js';
export type { CodeReadOptions } from './code.js';
export { readBfclQuestions, readBfclAnswers, loadBfclAnswers, bfclCalls, readBfclDocuments, isIrrelevanceId } from './bfcl.js';
export type { BfclMessage, BfclQuestion, BfclGroundTruth, BfclAnswer, BfclDocumentOptions } from './bfcl.js';
export {
  readGorillaApiRecords, readGorillaApiDocuments, exampleCodeText,
  readApibenchRecords, readApibenchDocuments, apibenchSteps, parseApibenchText,
} from './gorilla.js';
export type { ApiRecordEntry, GorillaApiDocumentOptions, ApibenchRecord, ApibenchDocumentOptions } from './gorilla.js';
export { readSharedData, sharedDataInput, SHARED_DATA_FILES } from './shared-data.js';
export type { SharedDataFile, SharedDataReader, SharedDataRoot, SharedDataOptions } from './shared-data.js';
