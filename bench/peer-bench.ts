/**
 * The peer library, @genai-fi/nanogpt (tfjs with its own WGSL kernels), at the size of one of our model
 * cases: its Llama-like v2 model (RMSNorm, RoPE, tied embedding, a two-matrix relu² MLP) with our width,
 * depth, heads, vocabulary, sequence length and batch, and an MLP hidden width of 1.5x our SwiGLU's (the
 * same MLP parameters and FLOPs), rounded down to a multiple of 32, which its f16 matmul requires. It
 * runs in a child process (bench/peer/nanogpt.mjs): the peer bundles its own copy of tfjs.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../src/model/config.js';
import { progress, summarise, type Iterations, type Timing } from './lib/stats.js';

const SCRIPT = fileURLToPath(new URL('./peer/nanogpt.mjs', import.meta.url));
export const PEER = '@genai-fi/nanogpt 1.3.0';

export interface PeerCase {
  /** The model case this mirrors (its label). */
  label: string;
  config: ModelConfig;
  batchSize: number;
  seqLen: number;
  /** The peer's packed-f16 mixed precision (its fastest mode) or float32. */
  mixed: boolean;
  iterations: Iterations;
  /** Text for its character tokenizer and batches. */
  textFile: string;
}

export interface PeerResult {
  label: string;
  mode: string;
  params?: number;
  tokensPerStep: number;
  step?: Timing;
  /** Why there is no timing, when the run failed. */
  error?: string;
}

interface PeerOutput {
  params: number;
  stepMs: number[];
  losses: number[];
}

function run(args: object, timeoutMs: number): Promise<PeerOutput> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, JSON.stringify(args)], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice('RESULT '.length)) as PeerOutput);
      else reject(new Error(`${error?.message ?? 'no RESULT line'}\n${stderr.split('\n').slice(-8).join('\n')}`));
    });
  });
}

export async function benchPeer(c: PeerCase): Promise<PeerResult> {
  const mode = c.mixed ? 'mixed f16' : 'fp32';
  const tokensPerStep = c.batchSize * c.seqLen;
  const args = {
    dModel: c.config.dModel, nLayers: c.config.nLayers, nHeads: c.config.nHeads, vocabSize: c.config.vocabSize,
    mlpFactor: (32 * Math.floor((1.5 * c.config.ffnHidden) / 32)) / c.config.dModel, seqLen: c.seqLen, batchSize: c.batchSize,
    warmup: c.iterations.warmup, steps: c.iterations.iters, mixed: c.mixed,
    ...(existsSync(c.textFile) ? { textFile: c.textFile } : { text: 'the quick brown fox jumps over the lazy dog. '.repeat(4000) }),
  };
  progress(`peer ${PEER} ${mode} at ${c.label}`);
  try {
    const out = await run(args, 20 * 60_000);
    if (out.stepMs.length === 0) throw new Error('the peer reported no timed steps');
    const step = summarise(out.stepMs);
    progress(`peer ${mode} at ${c.label}: ${step.median.toFixed(0)} ms/step (losses ${out.losses.map((l) => l.toFixed(2)).join(' ')})`);
    return { label: c.label, mode, params: out.params, tokensPerStep, step };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(`peer ${mode} at ${c.label} failed: ${message}`);
    return { label: c.label, mode, tokensPerStep, error: message.split('\n')[0] };
  }
}
