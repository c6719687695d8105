import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { words } from '../../src/text/index.js';
import type { CorpusDocument } from '../../src/data/document.js';
import { FunctionNameMatcher, checkLeakage, formatLeakage, listFunctions, splitByFunction } from '../../src/forge/heldout.js';
import { ConfigError } from '../../src/util/errors.js';

// Real data, read at run time from ../shared/data (never copied into the repository).
const BFCL = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'bfcl');

interface BfclFunction {
  name: string;
  description: string;
  parameters: { properties?: Record<string, { type?: string; description?: string }> };
}
interface BfclLine { id: string; question: { role: string; content: string }[][]; function: BfclFunction[] }

const definitions = new Map<string, BfclFunction>();

/** Each BFCL line as one document (our own tiny formatter: question, then the tools), `functions` = the names. */
function readBfcl(): CorpusDocument[] {
  const docs: CorpusDocument[] = [];
  for (const file of readdirSync(BFCL).filter((f) => /^BFCL_v4_.*\.json$/.test(f)).sort()) {
    readFileSync(join(BFCL, file), 'utf8').split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const item = JSON.parse(line) as BfclLine;
      for (const fn of item.function) if (!definitions.has(fn.name)) definitions.set(fn.name, fn);
      const question = item.question.flat().map((m) => `${m.role}: ${m.content}`).join('\n');
      const tools = item.function.map((fn) => [
        `- ${fn.name}: ${fn.description}`,
        ...Object.entries(fn.parameters.properties ?? {}).map(([p, s]) => `  * ${p} (${s.type ?? 'any'}): ${s.description ?? ''}`),
      ].join('\n'));
      docs.push({
        kind: 'instruction', source: `bfcl/${file}:${i + 1}`,
        text: `${question}\nTools:\n${tools.join('\n')}`, functions: item.function.map((fn) => fn.name),
      });
    });
  }
  return docs;
}

const corpus = readBfcl();
const SEED = 42;
const t0 = performance.now();
const split = splitByFunction(corpus, { evalFraction: 0.1, seed: SEED });
const splitMs = performance.now() - t0;

describe('name matching rules', () => {
  const matcher = new FunctionNameMatcher(['math.factorial', 'calculate_triangle_area', 'gcd', 'triangle_properties.get', 'math.triangle_area_heron']);
  const found = (text: string): string[] => matcher.find(text).map((m) => `${m.function}/${m.form}`);

  it('finds a name in any identifier style, qualified, quoted in JSON or called', () => {
    expect(found('use math_factorial here')).toEqual(['math.factorial/identifier']);
    expect(found('scipy.math.factorial(3)')).toEqual(['math.factorial/identifier']);
    expect(found('{"name": "math.factorial", "arguments": {"number": 5}}')).toEqual(['math.factorial/identifier']);
    expect(found('calculateTriangleArea(1, 2)')).toEqual(['calculate_triangle_area/identifier']);
    expect(found('CALCULATE-TRIANGLE-AREA')).toEqual(['calculate_triangle_area/identifier']);
    expect(found('triangleAreaHeron(a, b, c)')).toEqual(['math.triangle_area_heron/tail']);
    expect(found('factorial(5)')).toEqual(['math.factorial/call']);
    expect(found('{"name": "gcd"}')).toEqual(['gcd/quoted']);
    expect(found('np.gcd')).toEqual(['gcd/attribute']);
  });

  it('does not fire on prose, longer identifiers, other namespaces or generic method names', () => {
    for (const text of [
      'the factorial of 5', 'calculate triangle area by hand', 'calculate_triangle_area_v2', 'my_math.factorial',
      'the gcd of two numbers', 'GCD(4, 6)', 'geometry.triangle_area_heron', 'triangle.area_heron', 'd.get(key)',
      'get("x")', 'np.factorial(3)',
    ]) expect(found(text), text).toEqual([]);
  });
});

describe('held-out split by function on BFCL', () => {
  it('holds out whole functions and passes its own leakage check', () => {
    const byReason = { name: 0, ngram: 0 };
    for (const d of split.dropped) byReason[d.reason]++;
    console.info(`BFCL split (seed ${SEED}, 10% of ${listFunctions(corpus).length} functions) in ${splitMs.toFixed(0)} ms: `
      + `${split.evalFunctions.length} eval functions, train ${split.train.length}, eval ${split.eval.length}, dropped `
      + `${split.dropped.length} (name ${byReason.name}, n-gram ${byReason.ngram}), ${split.rounds} n-gram rounds`);
    console.info(formatLeakage(split.leakage));
    expect(split.leakage.ok).toBe(true);
    expect(split.train.length + split.eval.length + split.dropped.length).toBe(corpus.length);
    expect(split.evalFunctions.length).toBe(Math.round(0.1 * listFunctions(corpus).length));

    // Independent brute-force checks, not using the module's matcher or n-gram index.
    const evalSet = new Set(split.evalFunctions);
    const exactName = split.evalFunctions.map((fn) => new RegExp(`(?<![\\w.])${fn.replace(/[.$]/g, '\\$&')}(?!\\w)`));
    for (const doc of split.train) {
      expect(doc.functions!.filter((f) => evalSet.has(f))).toEqual([]);
      split.evalFunctions.forEach((fn, k) => {
        if (/[._]/.test(fn)) expect(exactName[k].test(doc.text), `${doc.source} contains ${fn}`).toBe(false);
      });
    }
    for (const doc of split.eval) expect(doc.functions!.some((f) => evalSet.has(f))).toBe(true);
    // No evaluation function's description (8 words or more) appears verbatim in a training document.
    const trainText = split.train.map((d) => ` ${words(d.text).join(' ')} `);
    let checked = 0;
    for (const fn of split.evalFunctions) {
      const description = words(definitions.get(fn)!.description);
      if (description.length < 8) continue;
      checked++;
      const needle = ` ${description.join(' ')} `;
      expect(trainText.filter((t) => t.includes(needle)).length, fn).toBe(0);
    }
    console.info(`brute force: ${checked} evaluation descriptions of >= 8 words, none found in the training documents`);
  });

  it('is deterministic for a seed and depends on it', () => {
    const again = splitByFunction(corpus, { evalFraction: 0.1, seed: SEED });
    expect(again.evalFunctions).toEqual(split.evalFunctions);
    expect(again.train.map((d) => d.source)).toEqual(split.train.map((d) => d.source));
    expect(again.eval.map((d) => d.source)).toEqual(split.eval.map((d) => d.source));
    // The draw depends on the set of names only, not on document order.
    const reversed = splitByFunction([...corpus].reverse(), { evalFraction: 0.1, seed: SEED });
    expect(reversed.evalFunctions).toEqual(split.evalFunctions);
    const other = splitByFunction(corpus, { evalFraction: 0.1, seed: SEED + 1 });
    expect(other.evalFunctions).not.toEqual(split.evalFunctions);
    expect(other.leakage.ok).toBe(true);
    expect(() => splitByFunction(corpus, { evalFraction: 1.5 })).toThrow(ConfigError);
  });

  it('routes documents that only mention an evaluation function by the mentions option', () => {
    const fn = split.evalFunctions.find((f) => f.includes('.'))!;
    const mentioning: CorpusDocument = { kind: 'code', source: 'planted:mention', text: `result = ${fn}(1, 2)` };
    const untagged: CorpusDocument = { kind: 'text', source: 'planted:untagged', text: 'A document about nothing in particular.' };
    const docs = [...corpus, mentioning, untagged];
    const dropping = splitByFunction(docs, { evalFunctions: split.evalFunctions });
    expect(dropping.dropped.find((d) => d.document === mentioning)?.reason).toBe('name');
    expect(dropping.train).toContain(untagged);
    const keeping = splitByFunction(docs, { evalFunctions: split.evalFunctions, mentions: 'eval' });
    expect(keeping.eval).toContain(mentioning);
    expect(keeping.leakage.ok).toBe(true);
  });

  it('fails when an evaluation function name is planted in a training document, naming it', () => {
    // Two forms: the exact name in a JSON tool call, and a multi-word name re-cased as camelCase.
    const quoted = split.evalFunctions.find((f) => f.includes('.'))!;
    const camel = split.evalFunctions.find((f) => !f.includes('.') && f.split('_').length >= 3)!;
    const camelCase = camel.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const train = split.train.map((d) => ({ ...d }));
    train[10] = { ...train[10], text: `${train[10].text}\nassistant: {"name": "${quoted}", "arguments": {}}` };
    train[500] = { ...train[500], text: `${train[500].text}\nresult = ${camelCase}(x)` };
    const report = checkLeakage(train, split.eval, split.evalFunctions);
    console.info(`planted names ${JSON.stringify(quoted)} and ${JSON.stringify(camelCase)}:\n${formatLeakage(report)}`);
    expect(report.ok).toBe(false);
    expect(report.nameHits.map((h) => [h.source, h.function, h.form])).toEqual([
      [train[10].source, quoted, 'identifier'],
      [train[500].source, camel, 'identifier'],
    ]);
    expect(report.nameHits[1].match).toBe(camelCase);
    expect(report.ngramHits).toEqual([]);
    expect(formatLeakage(report)).toContain(train[500].source);
    // Plain data: it survives a worker's structured clone and a store's JSON, and reads the same after.
    const copy = JSON.parse(JSON.stringify(structuredClone(report))) as typeof report;
    expect(copy).toEqual(report);
    expect(formatLeakage(copy)).toBe(formatLeakage(report));
  });

  it('fails when 20 words of an evaluation function description are pasted without the name, naming it', () => {
    // The evaluation function with the longest documentation: 20 words of description + parameter docs.
    const docWords = (fn: BfclFunction): string[] => words([fn.description,
      ...Object.values(fn.parameters.properties ?? {}).map((p) => p.description ?? '')].join(' '));
    const target = [...split.evalFunctions].sort((a, b) => docWords(definitions.get(b)!).length - docWords(definitions.get(a)!).length)[0];
    const chunk = docWords(definitions.get(target)!).slice(0, 20).join(' ');
    const train = split.train.map((d) => ({ ...d }));
    train[300] = { ...train[300], text: `${train[300].text}\nNote: ${chunk}.` };
    expect(new FunctionNameMatcher(split.evalFunctions).find(train[300].text)).toEqual([]);
    const report = checkLeakage(train, split.eval, split.evalFunctions);
    console.info(`planted 20 words of ${JSON.stringify(target)}'s documentation: "${chunk}"\n${formatLeakage(report)}`);
    expect(report.ok).toBe(false);
    expect(report.nameHits).toEqual([]);
    expect(report.ngramHits.map((h) => h.source)).toEqual([train[300].source]);
    // 13 n-grams of 8 words in 20 words; those also used by >= 3 training functions' docs are not counted.
    const { shared } = report.ngramHits[0];
    expect(shared).toBeGreaterThanOrEqual(1);
    expect(shared).toBeLessThanOrEqual(20 - 8 + 1);
    expect(report.ngramHits[0].functions).toContain(target);
    // The knob: with maxOverlap above the shared count the same document passes.
    expect(checkLeakage(train, split.eval, split.evalFunctions, { maxOverlap: shared + 1 }).ok).toBe(true);
    // And the split itself keeps it out of training.
    const resplit = splitByFunction([...train, ...split.eval], { evalFunctions: split.evalFunctions });
    expect(resplit.dropped.map((d) => d.document.source)).toEqual([train[300].source]);
    expect(resplit.leakage.ok).toBe(true);
  });
});
