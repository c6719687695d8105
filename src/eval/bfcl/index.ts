/**
 * BFCL-style function-calling evaluation: BFCL's question and possible-answer files in, prompts
 * rendered as training renders them, greedy responses, BFCL's AST checker, accuracy per category with
 * 95% intervals, partial measures and the held-out vs seen split out; and the checker of any model's
 * result file (`bfcl-check`).
 *
 * Browser-safe.
 * @module
 */
export { BFCL_CATEGORIES, bfclCategory, checkKind, hasPossibleAnswers } from './categories.js';
export type { BfclCategory, CheckKind } from './categories.js';
export { decodeResponse, decodeCallText } from './decode.js';
export type { DecodedResponse } from './decode.js';
export { checkArgument, standardizeString } from './values.js';
export type { Check } from './values.js';
export { checkCall, checkCalls, expectedCall } from './checker.js';
export type { CallsCheck, MatchAttempt } from './checker.js';
export { pairBfclItems, loadBfclItems, readBfclResults } from './items.js';
export type { BfclItem, BfclResult, LoadItemsOptions } from './items.js';
export { bfclPrompt, bfclPromptMessages, responseStopTokens } from './prompt.js';
export { scoreResponse, failedVerdict } from './score.js';
export type { BfclVerdict, PartialCounts } from './score.js';
export { wilsonInterval, summarizeVerdicts, splitByFunctions, itemFunctions, UNANSWERED_ERRORS } from './summary.js';
export type { Proportion, CategoryAccuracy, PartialMeasures, BfclSummary, HeldOutSplit } from './summary.js';
export { evaluateFunctionCalling, greedyResponder } from './runner.js';
export type { EvaluateOptions, EvaluationProgress, FunctionCallingEvaluation, ResponseModel, RespondOptions, RunVerdict } from './runner.js';
export { checkOutputs, checkOutputFiles } from './check-outputs.js';
export { heldOutItems, questionItem } from './corpus-items.js';
export type { QuestionInput } from './corpus-items.js';
export type { CheckOutputsOptions, CheckedOutputs, OutputFiles } from './check-outputs.js';
export { verdictJsonLine, formatBfclSummary, formatEvaluationReport, formatCheckReport } from './report.js';
