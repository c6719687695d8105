import type { RunPlan } from './run-plan.js';

/** The README.md of a run folder: what it holds and the exact commands to continue it. */
export function runReadme(plan: RunPlan): string {
  const first = plan.stages[plan.position.stage];
  const stageLines = plan.stages.map((stage) =>
    `| ${stage.stage} | ${stage.tokenBudget.toLocaleString('en')} | ${stage.train.steps} | ${stage.batchSize} x ${stage.train.accumulation} | ` +
      `${stage.seqLen} | ${stage.train.lr} -> ${stage.train.minLr} | ${stage.train.warmupSteps} | ${stage.shards.length} |`);
  const train = '-m hephaestus_torch.train . --out out';
  return `# A hephaestus-web run, ready for PyTorch

Written by \`hephaestus-web export-run\`. The model (${String(plan.model.num_hidden_layers)} layers, width ${String(plan.model.hidden_size)},
vocabulary ${String(plan.model.vocab_size)}) continues at ${first.stage} step ${plan.position.step} of ${first.train.steps}.

| stage | token budget | steps | rows per step (batch x accumulation) | tokens per row | learning rate | warm-up steps | shards |
|---|---|---|---|---|---|---|---|
${stageLines.join('\n')}

- \`checkpoint/\`: the Hugging Face checkpoint to start from (config.json, model.safetensors, tokenizer files,
  trainer_state.json and optimizer.safetensors when training continues mid-stage).
- \`<stage>/tokens_NNNNNN.bin\`, \`masks_NNNNNN.bin\`: llm.c token shards of whole rows of tokens-per-row + 1
  tokens, in the order the library serves them, and one uint8 loss weight per token. Step s (from 0) trains rows
  s x rows-per-step onwards. \`benchmark/\`: held-out rows for the benchmark loss.
- \`plan.json\`: stages, budgets, optimizer settings, schedule (linear warm-up, cosine decay) and position.
- \`hephaestus_torch/\`: the trainer (PyTorch only; \`transformers\` is optional).

## Commands (run them in this folder)

CPU, 2 processes (gloo), as the library's tests do:

    torchrun --standalone --nproc_per_node=2 ${train}

One machine with N GPUs (NCCL, bf16 autocast, float32 weights and optimizer state):

    torchrun --standalone --nproc_per_node=N ${train}

Several machines: the same command on each, with node_rank 0 .. nnodes-1 (this folder on every machine,
\`out/\` on a shared file system so that any of them can resume):

    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 --rdzv_id=RUN_ID ${train}

Rows per step (${first.rowsPerStep} in ${first.stage}) must divide evenly over the processes; \`--micro-batch-rows M\` sets
the rows each process runs at once (gradient accumulation does the rest). Rerun the same command after a
crash: it resumes from \`out/manifest.json\` at the saved step and row. Debian 12's python3-torch 1.13 with
Python 3.11 needs \`--redirects 1 --tee 1\` after \`torchrun\` (its default settings fail there).

## Back to the library

\`out/manifest.json\` names the newest checkpoint folder \`out/<stage>-step-NNNNNN/\`; it is a Hugging Face folder
that the library imports (\`hephaestus-web generate --checkpoint out/<stage>-step-NNNNNN\`) and \`from_pretrained\` loads.
`;
}
