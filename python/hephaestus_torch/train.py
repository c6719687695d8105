"""Continue a run folder with PyTorch: `torchrun --nproc_per_node=N -m hephaestus_torch.train RUN_DIR --out OUT`.

DistributedDataParallel over gloo (CPU) or NCCL (GPUs, bf16 autocast), AdamW and the learning-rate schedule of
the library, gradient accumulation, checkpoints in the library's Hugging Face layout (rank 0 writes, atomically),
resume from OUT/manifest.json. Without torchrun it runs as one process.

Same maths as the library's Trainer: a step trains rows s*R .. (s+1)*R-1 (R = rows per step = batch size x
accumulation) and its loss is the mean over its `accumulation` micro-batches of each micro-batch's mask-weighted
mean token loss. Each token therefore carries the weight mask / (accumulation x mask sum of its micro-batch),
which makes the summed loss, and its gradient, the same however the rows are split over processes and local
micro-batches. Gradient-norm clipping, AdamW's decoupled weight decay (linear weights only), bias correction,
warm-up + cosine decay and the skipping of non-finite steps follow src/train/.
"""
import argparse
import importlib.util
import json
import os
import sys
import traceback

from . import checkpoints
from .errors import RunError
from .run import check_checkpoint, load_run, read_json


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='python3 -m hephaestus_torch.train', description=__doc__.split('\n')[0])
    parser.add_argument('run_dir', help='folder written by hephaestus-web export-run')
    parser.add_argument('--out', help='checkpoint folder (default RUN_DIR/out); a run there is resumed')
    parser.add_argument('--save-every', type=int, default=50, help='checkpoint every N steps and at the end of each stage [50]')
    parser.add_argument('--keep', type=int, default=2, help='checkpoints kept [2]')
    parser.add_argument('--eval-every', type=int, default=0, help='benchmark loss every N steps (0: at the end only) [0]')
    parser.add_argument('--micro-batch-rows', type=int, default=0, help='rows a process runs at once (0: all of its rows) [0]')
    parser.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto', help='[auto: cuda when available]')
    parser.add_argument('--precision', choices=['auto', 'float32', 'bf16'], default='auto', help='[auto: bf16 autocast on cuda]')
    parser.add_argument('--transformers', action='store_true', help="use transformers' LlamaForCausalLM (must be installed)")
    parser.add_argument('--check-sync-every', type=int, default=0, help='compare the weights of all ranks (SHA-256) every N steps')
    parser.add_argument('--save-logits', type=int, default=0, help='write the logits of the first N benchmark rows at the end')
    args = parser.parse_args(argv)
    if args.transformers and importlib.util.find_spec('transformers') is None:
        raise RunError('--transformers', 'the transformers package is not installed; run without --transformers')
    for name in ('save_every', 'keep'):
        if getattr(args, name) < 1:
            raise RunError(f'--{name.replace("_", "-")}', f'must be a positive integer, got {getattr(args, name)}')
    return args


def resolve_start(run, out, world, micro_rows):
    """Checkpoint folder and position to start from (OUT's newest checkpoint, else the run's), all checked."""
    found = checkpoints.latest(out)
    if found is None:
        folder, position = run.checkpoint, run.position
    else:
        folder, manifest = found
        state = read_json(os.path.join(folder, 'trainer_state.json'))
        extra = state.get('extra', {})
        names = [stage.name for stage in run.stages]
        index = extra.get('stageIndex')
        if index not in range(len(names)) or names[index] != manifest['stage']:
            raise RunError(os.path.join(folder, 'trainer_state.json'), f'field extra.stageIndex {index!r} is not stage {manifest["stage"]} of the plan')
        stage = run.stages[index]
        if extra.get('row') != state['step'] * stage.rows_per_step:
            raise RunError(os.path.join(folder, 'trainer_state.json'), f'field extra.row {extra.get("row")!r} is not step {state["step"]} x {stage.rows_per_step} rows per step')
        position = type(run.position)(index, state['step'], state['optimizerStep'], state['skippedSteps'])
        check_checkpoint(folder, os.path.join(run.dir, 'plan.json'), _plan_model(run), run.tokenizer_sha256)
    for i, stage in enumerate(run.stages):
        per_rank = stage.rows_per_step // world
        rows = micro_rows or per_rank
        if stage.rows_per_step % world or per_rank % rows:
            raise RunError('plan.json', f'field stages[{i}].rowsPerStep {stage.rows_per_step} does not split into {world} processes '
                                        f'x whole micro-batches of {rows} rows (--micro-batch-rows)')
    return folder, position


def _plan_model(run):
    with open(os.path.join(run.dir, 'plan.json'), encoding='utf-8') as f:
        return json.load(f)['model']


def main(argv=None):
    world, rank = int(os.environ.get('WORLD_SIZE', '1')), int(os.environ.get('RANK', '0'))
    try:
        args = parse_args(argv)
        run = load_run(args.run_dir)  # numpy only: bad input stops here, before torch is imported
        out = args.out or os.path.join(args.run_dir, 'out')
        folder, position = resolve_start(run, out, world, args.micro_batch_rows)
    except RunError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    from .engine import Engine  # imports torch
    engine = Engine(run, args, out, world, rank)
    try:
        engine.start(folder, position)
        engine.train()
        engine.finish()
    except RunError as error:
        print(f'error (rank {rank}): {error}', file=sys.stderr)
        return 1
    engine.close()
    return 0


if __name__ == '__main__':
    try:
        code = main()
    except SystemExit as stop:  # argparse: --help, or a bad option
        code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # report, then leave without the teardown below
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: torch 1.13's gloo process group can deadlock in its destructor there (a worker
    # thread frees a tensor and waits for the GIL that the destroying main thread holds). Files are closed by now.
    os._exit(code)
