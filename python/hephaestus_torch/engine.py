"""The torch half of the trainer (see train.py): process group, model, optimizer, steps, evaluation, saving."""
import contextlib
import hashlib
import json
import os
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from . import checkpoints
from .errors import RunError
from .model import build_model, load_weights, parameter_names
from .safetensors_io import encode_safetensors, write_safetensors
from .lr_schedule import learning_rate

COPIED_FILES = ('config.json', 'tokenizer.json', 'tokenizer_config.json')


class Engine:
    def __init__(self, run, args, out, world, rank):
        self.run, self.args, self.out, self.world, self.rank = run, args, out, world, rank
        local_rank = int(os.environ.get('LOCAL_RANK', '0'))
        cuda = args.device == 'cuda' or (args.device == 'auto' and torch.cuda.is_available())
        self.device = torch.device('cuda', local_rank) if cuda else torch.device('cpu')
        if cuda:
            torch.cuda.set_device(self.device)
        self.bf16 = args.precision == 'bf16' or (args.precision == 'auto' and cuda)
        self.autocast = (lambda: torch.autocast(self.device.type, dtype=torch.bfloat16)) if self.bf16 else contextlib.nullcontext
        if world > 1:
            dist.init_process_group('nccl' if cuda else 'gloo')
        self.hook = TestHook(rank)
        self.metrics = os.path.join(out, 'metrics.jsonl')

    def log(self, message):
        if self.rank == 0:
            print(message, flush=True)

    def start(self, folder, position):
        """Loads weights (and optimizer moments when the position is mid-stage) from a checkpoint folder."""
        self.position = position
        continuing = position.optimizer_step > 0
        weights, state, self.moments = checkpoints.load_state(folder, continuing)
        if continuing and (state.get('step'), state.get('optimizerStep')) != (position.step, position.optimizer_step):
            raise RunError(os.path.join(folder, 'trainer_state.json'), f'fields step/optimizerStep {state.get("step")}/{state.get("optimizerStep")} '
                                                                       f'differ from the position {position.step}/{position.optimizer_step}')
        self.model = build_model(self.run.shape, self.args.transformers).float()
        load_weights(self.model, weights, os.path.join(folder, 'model.safetensors'))
        self.model.to(self.device)
        self.params = parameter_names(self.model)
        self.ddp = self.model
        if self.world > 1:
            ids = [self.device.index] if self.device.type == 'cuda' else None
            self.ddp = DistributedDataParallel(self.model, device_ids=ids, broadcast_buffers=False)
        self.copied = {}
        for name in COPIED_FILES:
            with open(os.path.join(folder, name), 'rb') as f:
                self.copied[name] = f.read()
        stage = self.run.stages[position.stage]
        self.log(f'{self.world} process(es) on {self.device} ({"bf16 autocast" if self.bf16 else "float32"}), '
                 f'from {folder}: {stage.name} step {position.step} of {stage.steps}, row {position.step * stage.rows_per_step}')
        if self.rank == 0:
            self._trim_metrics()

    def train(self):
        for index in range(self.position.stage, len(self.run.stages)):
            stage = self.run.stages[index]
            here = index == self.position.stage
            counters = {'step': self.position.step if here else 0, 'optimizer_step': self.position.optimizer_step if here else 0,
                        'skipped': self.position.skipped_steps if here else 0, 'in_a_row': 0}
            optimizer = self._optimizer(stage, self.moments if here and counters['optimizer_step'] > 0 else None)
            while counters['step'] < stage.steps:
                self._step(index, stage, optimizer, counters)
                step = counters['step']
                if self.args.eval_every and step % self.args.eval_every == 0 and step < stage.steps:
                    self._evaluate(index, stage, step)
                if step % self.args.save_every == 0 or step == stage.steps:
                    self._save(index, stage, optimizer, counters)
        self.last = (self.run.stages[-1], len(self.run.stages) - 1)

    def finish(self):
        stage, index = self.last
        loss = self._evaluate(index, stage, stage.steps)
        if self.args.save_logits and self.rank == 0 and self.run.benchmark is not None:
            tokens, _ = self.run.benchmark.read(0, min(self.args.save_logits, self.run.benchmark.rows))
            with torch.no_grad(), self.autocast():
                logits = self.model(input_ids=torch.from_numpy(tokens[:, :-1]).to(self.device)).logits
            path = os.path.join(self.out, f'logits-{checkpoints.folder_name(stage.name, stage.steps)}.safetensors')
            write_safetensors(path, {'logits': logits.float().cpu().numpy()})
        self.log(f'done: {checkpoints.folder_name(stage.name, stage.steps)}' + (f', benchmark loss {loss:.6f}' if loss is not None else ''))

    def close(self):
        if self.world > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    def _optimizer(self, stage, moments):
        """torch's AdamW: decoupled decay on linear weights only (not norms, not embeddings), the stage's betas and eps."""
        decay = [p for name, p in self.params.items() if name.endswith('_proj.weight') or name == 'lm_head.weight']
        rest = [p for p in self.params.values() if all(p is not q for q in decay)]
        train = stage.train
        optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': train['weightDecay']}, {'params': rest, 'weight_decay': 0.0}],
                                      lr=train['lr'], betas=(train['beta1'], train['beta2']), eps=train['eps'])
        if moments is not None:
            for name, param in self.params.items():
                if name not in moments:
                    raise RunError('optimizer.safetensors', f'no moments "m.{name}" / "v.{name}" for a checkpoint that continues mid-stage')
                m, v = (torch.from_numpy(np.ascontiguousarray(x).reshape(param.shape)).to(self.device) for x in moments[name])
                optimizer.state[param] = {'step': torch.tensor(float(self.position.optimizer_step)), 'exp_avg': m, 'exp_avg_sq': v}
        return optimizer

    def _step(self, index, stage, optimizer, counters):
        step = counters['step'] + 1
        self.hook(step, 'step')
        first_row = (step - 1) * stage.rows_per_step
        _, all_weights = stage.data.read(first_row, stage.rows_per_step)
        sums = all_weights[:, 1:].reshape(stage.accumulation, -1).sum(axis=1)  # mask sum of each library micro-batch
        row_scale = np.repeat(1.0 / (stage.accumulation * np.maximum(sums, 1e-9)), stage.batch_size)
        per_rank = stage.rows_per_step // self.world
        mine = slice(self.rank * per_rank, (self.rank + 1) * per_rank)
        tokens, weights = stage.data.read(first_row + mine.start, per_rank)
        token_weights = weights[:, 1:] * row_scale[mine, None].astype(np.float32)
        micro = self.args.micro_batch_rows or per_rank
        local = torch.zeros((), dtype=torch.float64, device=self.device)
        for start in range(0, per_rank, micro):
            sync = self.world == 1 or start + micro >= per_rank
            with (contextlib.nullcontext() if sync else self.ddp.no_sync()):
                batch = torch.from_numpy(tokens[start:start + micro]).to(self.device)
                with self.autocast():
                    logits = self.ddp(input_ids=batch[:, :-1]).logits
                nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction='none')
                part = (nll * torch.from_numpy(token_weights[start:start + micro]).to(self.device).reshape(-1)).sum()
                (part * self.world).backward()  # DDP averages over processes; the weights already normalise
                local += part.detach().double()
        loss = self._all_sum(local)
        norm = self._grad_norm(stage.train['clipNorm'])
        lr = learning_rate(step, stage.train['lr'], stage.train['minLr'], stage.train['warmupSteps'], stage.steps)
        skipped = not (np.isfinite(loss) and np.isfinite(norm))
        counters['step'] = step
        if skipped:
            counters['skipped'] += 1
            counters['in_a_row'] += 1
            if counters['in_a_row'] >= stage.train['maxNonFiniteInARow']:
                raise RunError(stage.name, f'training stopped: {counters["in_a_row"]} non-finite steps in a row (last at step {step}: '
                                           f'loss {loss}, gradient norm {norm}); lower the learning rate or check the data')
        else:
            counters['in_a_row'] = 0
            for group in optimizer.param_groups:
                group['lr'] = lr
            optimizer.step()
            counters['optimizer_step'] += 1
        optimizer.zero_grad(set_to_none=True)
        record = {'stageIndex': index, 'stage': stage.name, 'step': step, 'loss': loss, 'lr': lr, 'gradNorm': norm,
                  'skipped': skipped, 'tokens': int(all_weights[:, 1:].sum()), 'row': first_row, 'optimizerStep': counters['optimizer_step']}
        if self.args.check_sync_every and step % self.args.check_sync_every == 0:
            record['weightDigests'] = self._digests()
            if len(set(record['weightDigests'])) != 1:
                raise RuntimeError(f'step {step}: the ranks hold different weights: {record["weightDigests"]}')
        self._record(record)
        self.log(f'{stage.name} step {step}/{stage.steps}  loss {loss:.6f}  lr {lr:.3e}  grad norm {norm:.4f}' + ('  skipped' if skipped else ''))

    def _grad_norm(self, clip):
        grads = [p.grad for p in self.params.values() if p.grad is not None]
        if clip > 0:
            return float(torch.nn.utils.clip_grad_norm_(list(self.params.values()), clip))
        return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))

    def _all_sum(self, tensor):
        if self.world > 1:
            dist.all_reduce(tensor)
        return float(tensor)

    def _digests(self):
        digest = weight_digest({name: p.detach().cpu().numpy() for name, p in self.params.items()})
        mine = torch.tensor(np.frombuffer(digest, dtype='<i8').copy(), device=self.device)
        gathered = [torch.zeros_like(mine) for _ in range(self.world)]
        if self.world > 1:
            dist.all_gather(gathered, mine)
        else:
            gathered = [mine]
        return [t.cpu().numpy().astype('<i8').tobytes().hex() for t in gathered]

    def _evaluate(self, index, stage, step):
        """Benchmark loss: sum(weight x nll) / sum(weight) over the benchmark rows, split over the processes."""
        bench = self.run.benchmark
        if bench is None:
            return None
        share = -(-bench.rows // self.world)
        lo, hi = min(self.rank * share, bench.rows), min((self.rank + 1) * share, bench.rows)
        totals = torch.zeros(2, dtype=torch.float64, device=self.device)
        micro = self.args.micro_batch_rows or max(1, hi - lo)
        self.model.eval()
        with torch.no_grad():
            for start in range(lo, hi, micro):
                tokens, weights = bench.read(start, min(micro, hi - start))
                batch = torch.from_numpy(tokens).to(self.device)
                with self.autocast():
                    logits = self.model(input_ids=batch[:, :-1]).logits
                nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction='none')
                w = torch.from_numpy(weights[:, 1:]).to(self.device).reshape(-1)
                totals += torch.stack([(nll.double() * w).sum(), w.double().sum()])
        self.model.train()
        if self.world > 1:
            dist.all_reduce(totals)
        loss = float(totals[0] / totals[1])
        self._record({'stageIndex': index, 'stage': stage.name, 'step': step, 'benchmarkLoss': loss})
        self.log(f'{stage.name} step {step}: benchmark loss {loss:.6f}')
        return loss

    def _save(self, index, stage, optimizer, counters):
        if self.rank != 0:
            return
        step = counters['step']
        weights = {name: p.detach().float().cpu().numpy() for name, p in self.params.items()}
        moments = {}
        for name, param in self.params.items():
            state = optimizer.state.get(param, {})
            zeros = np.zeros(param.shape, dtype=np.float32)
            moments[f'm.{name}'] = state['exp_avg'].cpu().numpy() if 'exp_avg' in state else zeros
            moments[f'v.{name}'] = state['exp_avg_sq'].cpu().numpy() if 'exp_avg_sq' in state else zeros
        trainer_state = {
            'step': step, 'skippedSteps': counters['skipped'], 'optimizerStep': counters['optimizer_step'],
            'batchSource': library_cursor(stage.cursor, step, stage.accumulation),
            'extra': {'writer': 'hephaestus_torch', 'stage': stage.name, 'stageIndex': index, 'row': step * stage.rows_per_step, 'world': self.world},
        }
        files = dict(self.copied)
        files['model.safetensors'] = encode_safetensors(weights, {'format': 'pt'})
        files['optimizer.safetensors'] = encode_safetensors(moments)
        files['trainer_state.json'] = (json.dumps(trainer_state, indent=2) + '\n').encode('utf-8')
        name = checkpoints.folder_name(stage.name, step)
        checkpoints.save(self.out, name, files, stage.name, step, self.args.keep, lambda: self.hook(step, 'save'))
        self.log(f'saved {os.path.join(self.out, name)}')

    def _record(self, record):
        """Appends a line to metrics.jsonl (rank 0); a non-finite number is written as null, which JSON can hold."""
        if self.rank == 0:
            os.makedirs(self.out, exist_ok=True)
            clean = {k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in record.items()}
            with open(self.metrics, 'a', encoding='utf-8') as f:
                f.write(json.dumps(clean, allow_nan=False) + '\n')

    def _trim_metrics(self):
        """Drops records past the checkpoint resumed from (steps a killed run took after its last save)."""
        if not os.path.exists(self.metrics):
            return
        with open(self.metrics, encoding='utf-8') as f:
            records = [json.loads(line) for line in f if line.strip()]
        keep = [r for r in records if (r['stageIndex'], r['step']) <= (self.position.stage, self.position.step)]
        temporary = f'{self.metrics}.{os.getpid()}'
        with open(temporary, 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(r) + '\n' for r in keep)
        os.replace(temporary, self.metrics)


def weight_digest(named_arrays):
    """SHA-256 over the bytes of every parameter, in name order."""
    digest = hashlib.sha256()
    for name in sorted(named_arrays):
        digest.update(name.encode('utf-8'))
        digest.update(np.ascontiguousarray(named_arrays[name]).tobytes())
    return digest.digest()


def library_cursor(cursor, step, accumulation):
    """The library's PackedDataset state after `step` steps of `accumulation` batches (src/data/packing.ts next())."""
    calls, per_epoch = step * accumulation, cursor['rows'] // cursor['batchSize']
    epoch, index = (0, 0) if calls == 0 else ((calls - 1) // per_epoch, ((calls - 1) % per_epoch + 1) * cursor['batchSize'])
    return {'kind': 'packed', 'seed': cursor['seed'], 'rows': cursor['rows'], 'epoch': epoch, 'index': index}


class TestHook:
    """For tests: HEPHAESTUS_TORCH_TEST_HOOK=kill:RANK:STEP:WHERE kills rank RANK with SIGKILL, pause:RANK:STEP:WHERE:FILE
    writes FILE and waits to be killed; WHERE is `step` (as step STEP starts) or `save` (its checkpoint folder is in
    place, the manifest not yet switched)."""

    def __init__(self, rank):
        parts = os.environ.get('HEPHAESTUS_TORCH_TEST_HOOK', '').split(':')
        self.action = parts[0] if len(parts) >= 4 and int(parts[1]) == rank else None
        self.step, self.where, self.file = (int(parts[2]), parts[3], parts[4] if len(parts) > 4 else None) if self.action else (0, '', None)

    def __call__(self, step, where):
        if self.action is None or (step, where) != (self.step, self.where):
            return
        if self.action == 'kill':
            os.kill(os.getpid(), 9)
        with open(self.file, 'w') as f:
            f.write(f'{os.getpid()}\n')
        while True:  # paused until the test kills the run
            time.sleep(0.05)
