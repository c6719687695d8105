/**
 * `hephaestus-web/eval`: benchmark loss on held-out agent data and general text, and the BFCL-style function-calling evaluation (prompts, the output decoder, BFCL's
 * AST checker, accuracy with intervals, reports) and the checker of any model's result files.
 * Browser-safe; file paths need `openPath: fileSource` from `hephaestus-web/node`.
 * @module
 */
export * from '../eval/bfcl/index.js';
export { benchmarkRows, holdOutGeneralText, measureBenchmarkLoss } from '../eval/benchmark-loss.js';
export type { BenchmarkShape, BenchmarkSets, BenchmarkLoss, LossEvaluator } from '../eval/benchmark-loss.js';
