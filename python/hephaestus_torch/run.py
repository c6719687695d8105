"""A run folder written by `hephaestus-web export-run`: plan.json, the start checkpoint and the shards.

Everything here needs numpy only, so that bad input is reported before torch is imported and any training starts.
Schema of plan.json: the library's src/recipe/run-plan.ts (`RunPlan`).
"""
import hashlib
import json
import os
from dataclasses import dataclass, fields

from .errors import RunError
from .shape import LlamaShape
from .shards import StageRows

PLAN_FORMAT, PLAN_VERSION = 'hephaestus-run', 1
CHECKPOINT_FILES = ('config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json')
TRAIN_FIELDS = {'steps': 'positive', 'accumulation': 'positive', 'maxNonFiniteInARow': 'positive', 'warmupSteps': 'count',
                'lr': 'number', 'minLr': 'number', 'eps': 'number', 'weightDecay': 'number', 'clipNorm': 'number',
                'beta1': 'fraction', 'beta2': 'fraction'}


@dataclass
class Stage:
    name: str
    steps: int
    rows_per_step: int
    batch_size: int
    accumulation: int
    seq_len: int
    train: dict
    cursor: dict
    data: StageRows


@dataclass
class Position:
    stage: int
    step: int
    optimizer_step: int
    skipped_steps: int


@dataclass
class Run:
    dir: str
    shape: LlamaShape
    checkpoint: str
    tokenizer_sha256: str
    stages: list
    position: Position
    benchmark: StageRows = None


def read_json(path, what='file'):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        raise RunError(path, f'missing {what}') from None
    except ValueError as error:
        raise RunError(path, f'invalid JSON ({error})') from None


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def load_run(run_dir):
    """Reads and checks plan.json, the start checkpoint's files and every shard header; raises RunError."""
    plan_path = os.path.join(run_dir, 'plan.json')
    plan = read_json(plan_path, 'plan (is this a folder written by hephaestus-web export-run?)')
    field = _fields(plan_path, plan)
    if field('format', str) != PLAN_FORMAT or field('version', int) != PLAN_VERSION:
        raise RunError(plan_path, f'field format/version is {plan.get("format")}/{plan.get("version")}, expected {PLAN_FORMAT}/{PLAN_VERSION}')
    checkpoint = os.path.join(run_dir, field('checkpoint', str))
    shape = check_checkpoint(checkpoint, plan_path, field('model', dict), field('tokenizer', dict).get('sha256'))
    digest = plan['tokenizer']['sha256']
    stages = [_stage(run_dir, plan_path, i, entry, shape, digest) for i, entry in enumerate(field('stages', list))]
    if not stages:
        raise RunError(plan_path, 'field stages is empty')
    position = _position(plan_path, field('position', dict), stages)
    benchmark = plan.get('benchmark')
    rows = None
    if benchmark is not None:
        rows = StageRows(run_dir, benchmark['shards'], benchmark['seqLen'], shape.vocab_size, digest, 'benchmark')
    return Run(run_dir, shape, checkpoint, digest, stages, position, rows)


def check_checkpoint(checkpoint, plan_path, model, tokenizer_sha256):
    """The checkpoint's shape, after checking its files, its config.json against plan.json's model and its tokenizer."""
    for name in CHECKPOINT_FILES:
        if not os.path.isfile(os.path.join(checkpoint, name)):
            raise RunError(os.path.join(checkpoint, name), 'missing (every checkpoint folder has it)')
    config_path = os.path.join(checkpoint, 'config.json')
    config = read_json(config_path)
    shape = LlamaShape.from_config(config, config_path)
    planned = LlamaShape.from_config(model, f'{plan_path} field model')
    for item in fields(LlamaShape):
        if getattr(planned, item.name) != getattr(shape, item.name):
            raise RunError(plan_path, f'field model.{item.name} is {getattr(planned, item.name)}, but {config_path} has '
                                      f'{item.name} {getattr(shape, item.name)}: the plan is for another model shape')
    tokenizer = os.path.join(checkpoint, 'tokenizer.json')
    if file_sha256(tokenizer) != tokenizer_sha256:
        raise RunError(tokenizer, f'differs from the tokenizer the shards were made with (plan.json field tokenizer.sha256 {str(tokenizer_sha256)[:16]}...)')
    return shape


def _fields(source, obj):
    def field(name, kind):
        value = obj.get(name) if isinstance(obj, dict) else None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RunError(source, f'field {name} must be a {kind.__name__}, got {value!r}')
        return value
    return field


def _stage(run_dir, plan_path, index, entry, shape, digest):
    where = f'stages[{index}]'
    field = _fields(f'{plan_path} {where}', entry)
    train = field('train', dict)
    for name, kind in TRAIN_FIELDS.items():
        value = train.get(name)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok and {'positive': lambda v: v == int(v) and v >= 1, 'count': lambda v: v == int(v) and v >= 0,
                     'number': lambda v: 0 <= v < float('inf'), 'fraction': lambda v: 0 <= v < 1}[kind](value)
        if not ok:
            raise RunError(plan_path, f'field {where}.train.{name} is {value!r}, expected a {kind} number')
    batch_size, seq_len = field('batchSize', int), field('seqLen', int)
    if seq_len > shape.max_position_embeddings:
        raise RunError(plan_path, f'field {where}.seqLen {seq_len} exceeds max_position_embeddings {shape.max_position_embeddings}')
    rows_per_step = field('rowsPerStep', int)
    if rows_per_step != batch_size * train['accumulation'] or field('rows', int) != train['steps'] * rows_per_step:
        raise RunError(plan_path, f'fields {where}.rowsPerStep/rows do not match batchSize x train.accumulation x train.steps')
    data = StageRows(run_dir, field('shards', list), seq_len, shape.vocab_size, digest, where)
    if data.rows != entry['rows']:
        raise RunError(plan_path, f'field {where}.rows is {entry["rows"]}, its shards hold {data.rows}')
    return Stage(field('stage', str), train['steps'], rows_per_step, batch_size, train['accumulation'], seq_len,
                 train, field('cursor', dict), data)


def _position(plan_path, position, stages):
    field = _fields(f'{plan_path} position', position)
    result = Position(field('stage', int), field('step', int), field('optimizerStep', int), field('skippedSteps', int))
    if not 0 <= result.stage < len(stages) or not 0 <= result.step <= stages[result.stage].steps:
        raise RunError(plan_path, f'field position ({result.stage}, step {result.step}) is outside the plan\'s stages')
    return result
