import { generate } from '../model/generate.js';
import { LlamaModel } from '../model/model.js';
import { initNodeBackend } from '../runtime/node-webgpu.js';
import { parseCheckpoint } from '../store/checkpoint.js';
import { readCheckpointDir } from '../store/node-dir.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { InputError } from '../util/errors.js';
import { numberOption, stringOption } from './args.js';

export const GENERATE_OPTIONS = {
  checkpoint: { type: 'string' }, prompt: { type: 'string' }, 'max-tokens': { type: 'string' },
  temperature: { type: 'string' }, 'top-k': { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' },
} as const;

/** `hephaestus-web generate`: continues a prompt from a checkpoint folder, streaming tokens. */
export async function generateCommand(values: Record<string, unknown>): Promise<void> {
  const dir = values.checkpoint;
  if (typeof dir !== 'string') throw new InputError('--checkpoint', 'generate needs a checkpoint folder (written by train)');
  const prompt = stringOption(values, 'prompt', '');
  if (prompt === '') throw new InputError('--prompt', 'generate needs a non-empty prompt');
  const backend = stringOption(values, 'backend', 'auto') as 'auto' | 'webgpu' | 'cpu';
  const info = await initNodeBackend({ prefer: backend });
  process.stderr.write(`backend: ${info.name} (${info.adapter})\n`);
  const checkpoint = parseCheckpoint(await readCheckpointDir(dir), dir);
  const tokenizer = await loadTokenizer(checkpoint.tokenizer);
  const model = LlamaModel.create(checkpoint.config, { weights: checkpoint.weights });
  const promptIds = tokenizer.encode(prompt);
  process.stdout.write(prompt);
  const produced: number[] = [];
  let printed = '';
  const result = await generate(model, promptIds, {
    maxNewTokens: numberOption(values, 'max-tokens', 64),
    temperature: numberOption(values, 'temperature', 0, false),
    topK: numberOption(values, 'top-k', 0),
    seed: numberOption(values, 'seed', 0),
    stopTokens: [tokenizer.special.endOfText],
    onToken: (token) => {
      // Decode the whole continuation each time: a multi-byte character can span tokens.
      produced.push(token);
      const text = tokenizer.decode(produced);
      if (!text.endsWith('\uFFFD')) {
        process.stdout.write(text.slice(printed.length));
        printed = text;
      }
    },
  });
  process.stdout.write(`${tokenizer.decode(produced).slice(printed.length)}\n`);
  process.stderr.write(`(${result.tokens.length} tokens, stopped: ${result.stopReason})\n`);
  model.dispose();
}
