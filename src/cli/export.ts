import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputError, exportFiles, exportZip, loadCheckpointAt } from '../node.js';
import { defineCommand } from './command.js';
import { log } from './common.js';

/** `hephaestus-web export`: a checkpoint as a Hugging Face model folder, or one `.zip` of it. */
export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write a checkpoint as a Hugging Face model folder (config.json, generation_config.json, model.safetensors, tokenizer files)',
  details: [
    'The weights are copied bit for bit; config.json names the tokenizer\'s bos / eos / pad ids. The training',
    'state (trainer_state.json, optimizer.safetensors) stays in the run folder. --out must be missing or empty',
    '(with --zip: a file that does not exist yet); nothing else is ever overwritten.',
  ].join('\n'),
  options: {
    checkpoint: {
      type: 'string', arg: 'folder', required: true,
      help: 'a run folder written by train (its current checkpoint), one of its step-* folders, or a Hugging Face model folder',
    },
    out: { type: 'string', arg: 'path', required: true, help: 'the model folder to write (with --zip: the .zip file)' },
    zip: { type: 'boolean', help: 'write one .zip holding the folder instead' },
  },
  async run(values) {
    const { files, source } = await loadCheckpointAt(values.checkpoint);
    if (values.zip) {
      const zip = exportZip(files, source, basename(values.out).replace(/\.zip$/i, '') || 'model');
      await writeNew(values.out, zip);
      log(`wrote ${values.out} (${zip.byteLength} bytes): a Hugging Face model folder of ${source}`);
      return;
    }
    const exported = exportFiles(files, source);
    await emptyFolder(values.out);
    try {
      for (const [name, bytes] of exported) await writeFile(join(values.out, name), bytes, { flag: 'wx' });
    } catch (error) {
      await rm(values.out, { recursive: true, force: true });
      throw error;
    }
    log(`wrote ${[...exported.keys()].join(', ')} to ${values.out}`);
    log(`  Hugging Face: AutoModelForCausalLM.from_pretrained(${JSON.stringify(values.out)})`);
  },
});

/** Creates `dir`, or accepts it when empty; anything else is refused untouched. */
async function emptyFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info && !info.isDirectory()) throw new InputError('--out', `${dir} is a file; choose a new or empty folder (nothing was changed)`);
  if (info && (await readdir(dir)).length > 0) throw new InputError('--out', `${dir} is not empty; choose a new or empty folder (nothing was changed)`);
  await mkdir(dir, { recursive: true });
}

/** Writes a file that must not exist yet. */
async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx').catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    throw new InputError('--out', code === 'EEXIST' ? `${path} exists already; choose a new file name (nothing was changed)` : `cannot create ${path} (${String(error)})`);
  });
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}
