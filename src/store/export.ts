/**
 * A checkpoint as a Hugging Face model folder: `config.json` naming the tokenizer's BOS / EOS / pad ids,
 * `generation_config.json` (stop at `<|endoftext|>` and `<|end|>`), `model.safetensors` (F32),
 * `tokenizer.json`, `tokenizer_config.json`; the training state stays behind. One `.zip` of it for a
 * browser download, or a folder in Node.
 * @module
 */
import { hfTokenIds, toGenerationConfig, toHfConfig } from '../model/hf-format.js';
import { zipFiles } from '../util/zip.js';
import { CheckpointError } from '../util/errors.js';
import { parseCheckpoint, type CheckpointFiles } from './checkpoint.js';

/** The files of an exported model folder, in the order they are written. */
export const EXPORT_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

const encodeJson = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/**
 * The Hugging Face files of a checkpoint (checked first: a damaged one exports nothing). The weights'
 * bytes are passed through untouched, so export and import round-trip bit for bit.
 * @throws CheckpointError naming the file or field at fault, or when the tokenizer lacks `<|endoftext|>` / `<|pad|>`
 */
export function exportFiles(files: CheckpointFiles, source: string): CheckpointFiles {
  const checkpoint = parseCheckpoint(files, source);
  const ids = hfTokenIds(checkpoint.tokenizer);
  if (!ids) throw new CheckpointError(`${source}/tokenizer.json: lacks the special tokens <|endoftext|> and <|pad|> that config.json must name`);
  const weights = files.get('model.safetensors');
  if (!weights) throw new CheckpointError(`${source}: export needs model.safetensors (sharded weights are not re-exported)`);
  return new Map<string, Uint8Array>([
    ['config.json', encodeJson(toHfConfig(checkpoint.config, ids))],
    ['generation_config.json', encodeJson(toGenerationConfig(ids))],
    ['model.safetensors', weights],
    ['tokenizer.json', files.get('tokenizer.json')!],
    ['tokenizer_config.json', files.get('tokenizer_config.json')!],
  ]);
}

/** {@link exportFiles} as one zip, under the folder `name`. */
export function exportZip(files: CheckpointFiles, source: string, name: string): Uint8Array {
  const exported = exportFiles(files, source);
  return zipFiles(new Map([...exported].map(([file, bytes]) => [`${name}/${file}`, bytes])));
}
