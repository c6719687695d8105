import type { FunctionCallingEvaluation } from './runner.js';
import type { BfclVerdict } from './score.js';
import type { BfclSummary, HeldOutSplit, Proportion } from './summary.js';

/**
 * Text forms of the results: one JSON line per verdict (as `bfcl-check` prints them) and plain-text
 * tables of a summary and of a whole evaluation.
 *
 * Browser-safe.
 * @module
 */

/** One verdict as a JSON line: `{"id", "category", "valid", "error_type", "error"}` (nulls when valid). */
export function verdictJsonLine(verdict: BfclVerdict): string {
  return JSON.stringify({
    id: verdict.id, category: verdict.category, valid: verdict.valid, error_type: verdict.errorType ?? null, error: verdict.error ?? null,
  });
}

function percent(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}

function interval(proportion: Proportion): string {
  return `[${percent(proportion.low)}, ${percent(proportion.high)}]`;
}

/** Rows padded to the widest cell of each column; the first column left-aligned, the others right. */
function table(rows: readonly string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd());
}

/**
 * A summary as text: a table of the categories (items, correct, accuracy, 95% Wilson interval), the
 * overall accuracy, the partial measures and the unanswered items.
 */
export function formatBfclSummary(summary: BfclSummary): string {
  const rows = [
    ['category', 'items', 'correct', 'accuracy', '95% interval'],
    ...summary.categories.map((entry) => [entry.category, String(entry.total), String(entry.count), percent(entry.rate), interval(entry)]),
  ];
  const partial = summary.partial;
  const measure = (name: string, proportion: Proportion, unit: string) => [
    name, `${proportion.count}/${proportion.total} ${unit}`, percent(proportion.rate), interval(proportion),
  ];
  const lines = [
    ...table(rows),
    `overall (unweighted mean of ${summary.categories.length} ${summary.categories.length === 1 ? 'category' : 'categories'}): ${percent(summary.overall)}`,
    `partial measures (${partial.validSyntax.total} items that expect calls):`,
    ...table([
      measure('  valid call syntax', partial.validSyntax, 'items'),
      measure('  function names', partial.functionNames, 'items'),
      measure('  required arguments', partial.requiredArguments, 'parameters'),
    ]),
  ];
  for (const [errorType, count] of Object.entries(summary.unanswered)) lines.push(`not answered (failures): ${count} item(s) ${errorType}`);
  return lines.join('\n');
}

function splitText(split: HeldOutSplit): string[] {
  return [
    '',
    `held-out functions (never seen in training): ${split.heldOut.items} items`,
    formatBfclSummary(split.heldOut),
    '',
    `seen functions: ${split.seen.items} items`,
    formatBfclSummary(split.seen),
  ];
}

/** A whole evaluation as text: its settings, the summary, and the held-out vs seen split when there is one. */
export function formatEvaluationReport(evaluation: FunctionCallingEvaluation): string {
  return [
    `BFCL function calling (AST check): ${evaluation.summary.items} items, greedy responses of at most ${evaluation.maxNewTokens} tokens, context ${evaluation.contextLength} tokens; 95% Wilson intervals`,
    formatBfclSummary(evaluation.summary),
    ...(evaluation.split === undefined ? [] : splitText(evaluation.split)),
  ].join('\n');
}

/** The summary of a check of outputs (and its split, when there is one) as text. */
export function formatCheckReport(summary: BfclSummary, split?: HeldOutSplit): string {
  return [formatBfclSummary(summary), ...(split === undefined ? [] : splitText(split))].join('\n');
}
