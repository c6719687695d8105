import { LlamaModel, generate, initNodeBackend, loadCheckpointAt, loadTokenizer, parseCheckpoint } from '../node.js';
import { defineCommand } from './command.js';
import { BACKEND_OPTION, log } from './common.js';

/** `hephaestus-web generate`: continues a prompt from a checkpoint, streaming tokens. */
export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'continue a prompt with a trained model (a run folder, one of its checkpoints, or a Hugging Face folder)',
  options: {
    checkpoint: {
      type: 'string', arg: 'folder', required: true,
      help: 'a run folder written by train (its current checkpoint), one of its step-* folders, or a Hugging Face model folder',
    },
    prompt: { type: 'string', arg: 'text', required: true, help: 'text to continue' },
    'max-tokens': { type: 'integer', min: 1, default: 64, help: 'most tokens to generate' },
    temperature: { type: 'number', min: 0, default: 0, help: 'sampling temperature (0: greedy)' },
    'top-k': { type: 'integer', min: 0, default: 0, help: 'sample among the k most likely tokens (0: all)' },
    seed: { type: 'integer', default: 0, help: 'seed of the sampling' },
    backend: BACKEND_OPTION,
  },
  async run(values) {
    // Everything is checked and loaded before the first character is printed.
    const { files, source } = await loadCheckpointAt(values.checkpoint);
    const checkpoint = parseCheckpoint(files, source);
    const tokenizer = await loadTokenizer(checkpoint.tokenizer);
    const promptIds = tokenizer.encode(values.prompt);
    const info = await initNodeBackend({ prefer: values.backend });
    log(`backend: ${info.name} (${info.adapter}); checkpoint ${source}`);
    const model = LlamaModel.create(checkpoint.config, { weights: checkpoint.weights });
    try {
      const produced: number[] = [];
      let printed = '';
      let started = false;
      const result = await generate(model, promptIds, {
        maxNewTokens: values.maxTokens, temperature: values.temperature, topK: values.topK, seed: values.seed,
        stopTokens: [tokenizer.special.endOfText],
        onToken: (token) => {
          if (!started) process.stdout.write(values.prompt);
          started = true;
          // Decode the whole continuation each time: a multi-byte character can span tokens.
          produced.push(token);
          const text = tokenizer.decode(produced);
          if (!text.endsWith('\uFFFD')) {
            process.stdout.write(text.slice(printed.length));
            printed = text;
          }
        },
      });
      if (!started) process.stdout.write(values.prompt);
      process.stdout.write(`${tokenizer.decode(produced).slice(printed.length)}\n`);
      log(`(${result.tokens.length} tokens, stopped: ${result.stopReason})`);
    } finally {
      model.dispose();
    }
  },
});
