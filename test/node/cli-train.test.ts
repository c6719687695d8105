import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/store/checkpoint.js';
import { readCheckpointFolder } from '../../src/store/node-folder.js';
import { editCheckpointFile, editCheckpointJson, setSafetensorsValue } from '../setup/checkpoints.js';
import { cliEntry, runCli, spawnCli, STACK_LINE, type CliResult } from '../setup/cli.js';

/** Tests that train: a shared 2-core machine can be several times slower than a quiet one. */
const TRAINING = 300_000;

let dir: string;
let data: string;
/** A finished 4-step run (checkpoints at steps 2 and 4) that each test copies before changing it. */
let template: string;

/** A micro training on the CPU: nano with a 300-token vocabulary, one 8-token sequence per step. */
const train = (out: string, ...more: string[]) => [
  'train', '--backend', 'cpu', '--data', data, '--vocab-size', '300', '--batch-size', '1', '--seq-len', '8', '--eval-every', '0', '--out', out, ...more,
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-cli-train-'));
  await chmod(dir, 0o755);
  data = join(dir, 'shakespeare.txt');
  const play = await readFile(join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'text', 'tinyshakespeare.txt'), 'utf8');
  await writeFile(data, play.slice(0, 20_000));
  await cliEntry();
  template = join(dir, 'template');
  const first = await runCli(train(template, '--steps', '4', '--save-every', '2'));
  expect(first.stderr).toMatch(/saved step-000004 \(step 4\)/);
  expect(first.code).toBe(0);
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh copy of the template run. */
async function copyOfRun(name: string): Promise<string> {
  const out = join(dir, name);
  await cp(template, out, { recursive: true });
  return out;
}

/** Every file under `root` with a hash of its content: to show that nothing was touched. */
async function tree(root: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  const info = await stat(root).catch(() => undefined);
  if (!info) return entries;
  if (!info.isDirectory()) return { '.': createHash('sha256').update(await readFile(root)).digest('hex') };
  for (const item of await readdir(root, { withFileTypes: true, recursive: true })) {
    const path = join(item.parentPath, item.name);
    entries[path.slice(root.length)] = item.isDirectory() ? 'folder' : createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return entries;
}

/** Bad input: exit 2, the message, no stack trace. */
function expectBadInput(result: CliResult, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
  expect(result.stderr).not.toMatch(STACK_LINE);
}

async function currentStep(out: string): Promise<number> {
  const { info, files } = await (await readCheckpointFolder(out)).load();
  expect(parseCheckpoint(files, info.id).trainer?.step).toBe(info.step);
  return info.step;
}

describe('train writes per-step Hugging Face folders and says where they are', () => {
  it('the run folder holds a manifest and complete step folders; the hints quote paths with spaces', async () => {
    const listing = (await readdir(template)).sort();
    expect(listing).toEqual(['manifest.json', 'step-000002', 'step-000004']);
    for (const id of ['step-000002', 'step-000004']) {
      expect((await readdir(join(template, id))).sort()).toEqual(
        ['config.json', 'model.safetensors', 'optimizer.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json'],
      );
    }
    expect(await currentStep(template)).toBe(4);
    const spaced = join(dir, 'my runs', 'first try');
    const result = await runCli(train(spaced, '--steps', '1'));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`from_pretrained(${JSON.stringify(join(spaced, 'step-000001'))})`);
    expect(result.stderr).toContain(`try: hephaestus-web generate --checkpoint '${spaced}' --prompt '<|user|>`);
  }, TRAINING);

  it('generate takes the run folder or one of its step folders, and checks its options before printing', async () => {
    const fromRun = await runCli(['generate', '--backend', 'cpu', '--checkpoint', template, '--prompt', 'ROMEO:', '--max-tokens', '5']);
    expect(fromRun.code).toBe(0);
    expect(fromRun.stdout.startsWith('ROMEO:')).toBe(true);
    expect(fromRun.stderr).toContain(`checkpoint ${join(template, 'step-000004')}`);
    const fromStep = await runCli(['generate', '--backend', 'cpu', '--checkpoint', join(template, 'step-000002'), '--prompt', 'ROMEO:', '--max-tokens', '5']);
    expect(fromStep.code).toBe(0);
    expect(fromStep.stderr).toContain(`checkpoint ${join(template, 'step-000002')}`);
    const tooLong = await runCli(['generate', '--backend', 'cpu', '--checkpoint', template, '--prompt', 'ROMEO: '.repeat(100)]);
    expectBadInput(tooLong, /prompt: prompt of \d+ tokens exceeds the context length 128/);
    expect(tooLong.stdout).toBe('');
  }, TRAINING);

  it('the validation split too short for one sequence is announced', async () => {
    const small = join(dir, 'small.txt');
    await writeFile(small, 'To be, or not to be, that is the question. '.repeat(6));
    const result = await runCli(['train', '--backend', 'cpu', '--data', small, '--vocab-size', '300', '--batch-size', '1', '--seq-len', '16', '--steps', '1', '--out', join(dir, 'small')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/validation: the \d+ held-out tokens are fewer than one sequence of 17; no validation loss/);
  }, TRAINING);
});

describe('--out accepts only a missing or empty folder, or one of ours; nothing of the user\'s is touched', () => {
  it('a folder of the user\'s, a file, and "." are refused and left as they were', async () => {
    const user = join(dir, 'user');
    await mkdir(join(user, 'chapters'), { recursive: true });
    await writeFile(join(user, 'thesis.tex'), 'years of work');
    await writeFile(join(user, 'chapters', 'one.tex'), 'chapter one');
    const before = await tree(user);
    expectBadInput(await runCli(train(user)), new RegExp(`${user} is not empty and holds no hephaestus-web checkpoints \\(it has chapters, thesis.tex\\); nothing was changed`));
    expectBadInput(await runCli(train(join(user, 'thesis.tex'))), /thesis.tex is a file, not a folder; nothing was changed/);
    const dot = await runCli(train('.'), { cwd: user });
    expectBadInput(dot, /\. is not empty and holds no hephaestus-web checkpoints/);
    expect(await tree(user)).toEqual(before);
  });

  it('a folder holding a run is refused without --resume; the run is untouched', async () => {
    const out = await copyOfRun('no-resume');
    const before = await tree(out);
    expectBadInput(await runCli(train(out, '--steps', '9')), /already holds checkpoints of a run \(latest: step-000004, step 4\); pass --resume to continue it/);
    expect(await tree(out)).toEqual(before);
  });

  it('--resume without a checkpoint there is an error, and a missing folder is not created', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    expectBadInput(await runCli(train(empty, '--resume')), /--resume: .*empty holds no checkpoint to resume/);
    const typo = join(dir, 'tempalte');
    expectBadInput(await runCli(train(typo, '--resume')), /--resume: .*tempalte holds no checkpoint to resume/);
    await expect(stat(typo)).rejects.toThrow(/ENOENT/);
    expect(await readdir(empty)).toEqual([]);
  });

  it('a read-only --out is refused before any data is read', async () => {
    const locked = join(dir, 'read-only');
    await mkdir(locked, { mode: 0o555 });
    await chmod(locked, 0o555);
    // Root writes anywhere: run the CLI as "nobody" then (setpriv, util-linux).
    const asRoot = process.getuid?.() === 0;
    const result = asRoot
      ? await runCliAs(['--reuid=65534', '--regid=65534', '--clear-groups'], train(locked))
      : await runCli(train(locked));
    expectBadInput(result, new RegExp(`${locked}: cannot write there \\(EACCES`));
    expect(result.stderr).not.toMatch(/^(backend|data|tokenizer):/m);
  });
});

/** Runs the built CLI through setpriv (another user). */
async function runCliAs(setprivArgs: string[], args: string[]): Promise<CliResult> {
  const { spawn } = await import('node:child_process');
  const entry = await cliEntry();
  return new Promise((resolve) => {
    const child = spawn('setpriv', [...setprivArgs, process.execPath, entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('a resumed checkpoint is verified and validated before any data is read', () => {
  it.each([
    ['a negative step', (state: Record<string, unknown>) => ({ ...state, step: -1 }), /field "step" must be a non-negative integer, got -1/],
    ['a step that is not a number', (state: Record<string, unknown>) => ({ ...state, step: 'three' }), /field "step" must be a non-negative integer, got "three"/],
    ['no batchSource', ({ batchSource: _, ...state }: Record<string, unknown>) => state, /field "batchSource" is missing/],
  ])('trainer_state.json with %s', async (_, edit, message) => {
    const out = await copyOfRun(`state-${_.replace(/\W+/g, '-')}`);
    await editCheckpointJson(out, 'step-000004', 'trainer_state.json', edit);
    const result = await runCli(train(out, '--resume', '--steps', '9'));
    expectBadInput(result, new RegExp(`step-000004/trainer_state.json: ${message.source}`));
    expect(result.stderr).not.toMatch(/^(backend|data|tokenizer):/m);
  });

  it('a malformed RNG state is named', async () => {
    const out = await copyOfRun('state-rng');
    await editCheckpointJson(out, 'step-000004', 'trainer_state.json', (state) => ({ ...state, batchSource: { kind: 'random-window', rng: [1, 2, 'x', 4] } }));
    expectBadInput(await runCli(train(out, '--resume', '--steps', '9')), /step-000004\/trainer_state.json: field "batchSource.rng" must be four 32-bit integers/);
  }, TRAINING);

  it('a run already at or past --steps is an error, not a silent "saved"', async () => {
    const out = await copyOfRun('complete');
    expectBadInput(await runCli(train(out, '--resume', '--steps', '3')), /--steps: the checkpoint .*step-000004 is at step 4, not below --steps 3: the run is complete/);
    expectBadInput(await runCli(train(out, '--resume')), /is at step 4, not below --steps 4/);
  }, TRAINING);

  it('a corrupted file is named and the previous good checkpoint offered, which --resume-from continues', async () => {
    const out = await copyOfRun('corrupt');
    const weights = join(out, 'step-000004', 'model.safetensors');
    const bytes = new Uint8Array(await readFile(weights));
    bytes[bytes.length - 3] ^= 1;
    await writeFile(weights, bytes);
    expectBadInput(await runCli(train(out, '--resume', '--steps', '9')), new RegExp(
      `${weights} fails its SHA-256 check; the previous checkpoint step-000002 \\(step 2\\) verifies: resume from it with --resume-from step-000002`,
    ));
    const resumed = await runCli(train(out, '--resume-from', 'step-000002', '--steps', '3'));
    expect(resumed.stderr).toContain(`resumed ${join(out, 'step-000002')} at step 2`);
    expect(resumed.code).toBe(0);
    expect(await currentStep(out)).toBe(3);
    expect(new Uint8Array(await readFile(weights))).toEqual(bytes); // the damaged file is left for the user
  }, TRAINING);

  it('a NaN weight is named, for train --resume and for generate', async () => {
    const out = await copyOfRun('nan');
    await editCheckpointFile(out, 'step-000004', 'model.safetensors', (bytes) => setSafetensorsValue(bytes, 'model.embed_tokens.weight', 5, Number.NaN));
    const message = /step-000004\/model.safetensors: tensor "model.embed_tokens.weight" holds NaN at index 5/;
    expectBadInput(await runCli(train(out, '--resume', '--steps', '9')), message);
    const generated = await runCli(['generate', '--backend', 'cpu', '--checkpoint', out, '--prompt', 'ROMEO:']);
    expectBadInput(generated, message);
    expect(generated.stdout).toBe('');
  }, TRAINING);

  it('--preset that disagrees with the checkpoint names the field', async () => {
    const out = await copyOfRun('preset');
    expectBadInput(await runCli(train(out, '--resume', '--steps', '9', '--preset', 'tiny')),
      /--preset: tiny does not match the checkpoint .*step-000004: dModel is 128 there, 256 in tiny/);
    expectBadInput(await runCli(train(out, '--resume', '--steps', '9', '--vocab-size', '400')), /--vocab-size: is 400, but the checkpoint .* has vocabSize 300/);
  }, TRAINING);
});

describe('divergence exits 3 and never replaces a good checkpoint', () => {
  it('a fresh run at --lr 1e6 saves nothing', async () => {
    const out = join(dir, 'diverged');
    const result = await runCli(train(out, '--lr', '1e6', '--steps', '5'));
    expect(result.stderr).toMatch(/error: training diverged: .*; no checkpoint was saved/);
    expect(result.code).toBe(3);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  }, TRAINING);

  it('a resumed run that diverges keeps the last good checkpoint current', async () => {
    const out = await copyOfRun('diverged-resume');
    const result = await runCli(train(out, '--resume', '--lr', '1e6', '--steps', '9', '--save-every', '0'));
    expect(result.stderr).toMatch(/error: training diverged: .*; the last good checkpoint step-000004 \(step 4\) in .* is kept/);
    expect(result.code).toBe(3);
    expect(await currentStep(out)).toBe(4);
  }, TRAINING);
});

describe('Ctrl-C', () => {
  it('SIGINT during train saves the step reached and exits 130; --resume continues from it', async () => {
    const out = join(dir, 'interrupted');
    const running = await spawnCli(train(out, '--steps', '100000', '--save-every', '1000'));
    await running.waitFor(/step 1\/100000/);
    running.child.kill('SIGINT');
    const stopped = await running.done;
    expect(stopped.code).toBe(130);
    const match = /interrupted: step-(\d+) \(step (\d+)\) is saved; continue with: hephaestus-web train --out .* --resume/.exec(stopped.stderr);
    expect(match, stopped.stderr).not.toBeNull();
    const step = Number(match![2]);
    expect(step).toBeGreaterThanOrEqual(1);
    expect(await currentStep(out)).toBe(step);
    const resumed = await runCli(train(out, '--resume', '--steps', String(step + 2)));
    expect(resumed.stderr).toContain(`resumed ${join(out, `step-${String(step).padStart(6, '0')}`)} at step ${step}`);
    expect(resumed.code).toBe(0);
    expect(await currentStep(out)).toBe(step + 2);
  }, TRAINING);
});
