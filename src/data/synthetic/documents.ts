import type { Rng } from '../../util/rng.js';
import type { CorpusDocument } from '../document.js';
import { renderPythonCall, renderPythonLiteral, type FunctionDefinition, type ToolCall } from '../../tools/index.js';
import { codeDocument, instructionPair, toolDocFromFunction } from '../formats.js';
import { pairsText, task, upperFirst, userRequest } from './phrasing.js';
import { between, sampleArguments, variedArguments } from './values.js';

/**
 * Code that uses a function, instruction pairs, and tool docs with example calls.
 * @module
 */

/** Options of {@link syntheticCode}. */
export interface SyntheticCodeOptions {
  /** `source` of the document (default `synthetic`). */
  source?: string;
}

/**
 * A `code` document that uses `fn` (Python or JavaScript, with error handling or a loop over values),
 * its arguments sampled as for a valid call.
 */
export function syntheticCode(fn: FunctionDefinition, rng: Rng, options: SyntheticCodeOptions = {}): CorpusDocument {
  const args = sampleArguments(fn, rng);
  const root = fn.name.includes('.') ? fn.name.split('.')[0] : undefined;
  const imports = root === undefined ? `from tools import ${fn.name}` : `import ${root}`;
  const fnVar = `run_${between(rng, 1, 99)}`;
  const templates: (() => string)[] = [
    () => [
      imports,
      '',
      '',
      `def ${fnVar}():`,
      `    """${task(fn)}."""`,
      `    result = ${renderPythonCall({ name: fn.name, arguments: args })}`,
      '    if "error" in result:',
      '        raise RuntimeError(result["error"])',
      '    return result',
      '',
      '',
      `print(${fnVar}())`,
    ].join('\n'),
    () => {
      const varied = variedArguments(fn, args, rng);
      if (varied.changed === undefined) return `${imports}\n\nresult = ${renderPythonCall({ name: fn.name, arguments: args })}\nprint(result)`;
      const name = varied.changed;
      const rest = Object.fromEntries(Object.entries(args).filter(([key]) => key !== name));
      const restText = Object.entries(rest).map(([key, value]) => `, ${key}=${renderPythonLiteral(value)}`).join('');
      return [
        imports,
        '',
        `for ${name} in [${renderPythonLiteral(args[name])}, ${renderPythonLiteral(varied.args[name])}]:`,
        `    result = ${fn.name}(${name}=${name}${restText})`,
        `    print(${name}, result)`,
      ].join('\n');
    },
    () => [
      `// ${task(fn)}.`,
      `export async function ${fnVar.replace('_', '')}(tools) {`,
      `  const result = await tools.call(${JSON.stringify(fn.name)}, ${JSON.stringify(args)});`,
      '  if (result.error) throw new Error(result.error);',
      '  return result;',
      '}',
    ].join('\n'),
  ];
  return codeDocument({ code: rng.pick(templates)(), source: options.source ?? 'synthetic', functions: [fn.name] });
}

/** Options of {@link syntheticInstruction}. */
export interface SyntheticInstructionOptions {
  /** Functions that may be offered next to `fn` as distractors (0-2 of them, by chance). */
  distractors?: readonly FunctionDefinition[];
  /** Chance of a parallel request (two calls; default 0.2). */
  parallelRate?: number;
  /** `source` of the document (default `synthetic`). */
  source?: string;
}

/**
 * An `instruction` pair ({@link instructionPair}) for `fn`: `fn` and some distractors offered in the
 * system turn (shuffled), a request, and the valid call (or two parallel calls).
 */
export function syntheticInstruction(fn: FunctionDefinition, rng: Rng, options: SyntheticInstructionOptions = {}): CorpusDocument {
  const pool = (options.distractors ?? []).filter((tool) => tool.name !== fn.name);
  const tools = [fn];
  const extra = Math.min(pool.length, rng.int(3));
  const shuffled = rng.shuffle([...pool]);
  tools.push(...shuffled.slice(0, extra));
  rng.shuffle(tools);
  const args = sampleArguments(fn, rng);
  const calls: ToolCall[] = [{ name: fn.name, arguments: args }];
  let user = userRequest(fn, args, rng);
  if (rng.next() < (options.parallelRate ?? 0.2)) {
    const second = variedArguments(fn, args, rng);
    if (second.changed !== undefined) {
      calls.push({ name: fn.name, arguments: second.args });
      user = `${upperFirst(task(fn))}: first with ${pairsText(args)}, then with ${pairsText(second.args)}.`;
    }
  }
  return instructionPair({ tools, user, calls, source: options.source ?? 'synthetic' });
}

/** A tool doc for `fn` with one or two example calls sampled from its schema. */
export function syntheticToolDoc(fn: FunctionDefinition, rng: Rng, options: { source?: string } = {}): CorpusDocument {
  const examples = Array.from({ length: between(rng, 1, 2) }, () => ({ name: fn.name, arguments: sampleArguments(fn, rng) }));
  return toolDocFromFunction(fn, options.source ?? 'synthetic', { examples });
}
