"""Checkpoints of a PyTorch run, in the Hugging Face layout the library imports, written atomically.

out/
  manifest.json              {"format", "version", "current", "stage", "step", "kept", "files": {name: {bytes, sha256}}}
  stage1-step-000020/        config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
                             trainer_state.json, optimizer.safetensors (m.<name> / v.<name> moments)
A save writes a staging folder, renames it into place, and only then replaces manifest.json (temporary file +
rename), so a process killed at any moment leaves the manifest naming a complete, checksummed checkpoint.
Leftovers of an interrupted save (staging folders, step folders newer than the manifest) go at the next save.
"""
import hashlib
import json
import os
import re
import shutil

from .errors import RunError
from .run import read_json
from .safetensors_io import read_safetensors

MANIFEST = 'manifest.json'
MANIFEST_FORMAT, MANIFEST_VERSION = 'hephaestus-torch-checkpoints', 1
_STEP_FOLDER = re.compile(r'^stage\d-step-\d{6}$')


def folder_name(stage, step):
    return f'{stage}-step-{step:06d}'


def save(out_dir, name, files, stage, step, keep, inside_window=None):
    """Writes {file name: bytes} as checkpoint folder `name` and makes it current; keeps the newest `keep`."""
    os.makedirs(out_dir, exist_ok=True)
    previous = _read_manifest(out_dir)
    _remove_leftovers(out_dir, previous)
    staging = os.path.join(out_dir, f'.{name}.partial-{os.getpid()}')
    os.makedirs(staging)
    for file_name, data in files.items():
        _write_synced(os.path.join(staging, file_name), data)
    target = os.path.join(out_dir, name)
    if os.path.exists(target):  # an earlier save of this step that never reached the manifest
        shutil.rmtree(target)
    os.rename(staging, target)
    _sync_dir(out_dir)
    if inside_window:
        inside_window()
    kept = ([entry for entry in (previous or {}).get('kept', []) if entry != name] + [name])[-keep:]
    manifest = {'format': MANIFEST_FORMAT, 'version': MANIFEST_VERSION, 'current': name, 'stage': stage, 'step': step,
                'kept': kept, 'files': {n: {'bytes': len(d), 'sha256': hashlib.sha256(d).hexdigest()} for n, d in files.items()}}
    temporary = os.path.join(out_dir, f'.{MANIFEST}.{os.getpid()}')
    _write_synced(temporary, (json.dumps(manifest, indent=2) + '\n').encode('utf-8'))
    os.replace(temporary, os.path.join(out_dir, MANIFEST))
    _sync_dir(out_dir)
    for entry in os.listdir(out_dir):
        if _STEP_FOLDER.match(entry) and entry not in kept:
            shutil.rmtree(os.path.join(out_dir, entry), ignore_errors=True)


def latest(out_dir):
    """(folder, manifest) of the current checkpoint in `out_dir`, its files checked; None when there is none."""
    manifest = _read_manifest(out_dir)
    if manifest is None:
        return None
    folder = os.path.join(out_dir, manifest['current'])
    for name, expected in manifest['files'].items():
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise RunError(path, f'missing (listed in {os.path.join(out_dir, MANIFEST)})')
        with open(path, 'rb') as f:
            data = f.read()
        if len(data) != expected['bytes'] or hashlib.sha256(data).hexdigest() != expected['sha256']:
            raise RunError(path, f'size or SHA-256 differs from {os.path.join(out_dir, MANIFEST)} (a damaged checkpoint)')
    return folder, manifest


def load_state(folder, with_optimizer):
    """Weights, and with `with_optimizer` the trainer state and moments {name: (m, v)}, of a checkpoint folder."""
    weights = read_safetensors(os.path.join(folder, 'model.safetensors'))
    if not with_optimizer:
        return weights, None, None
    state_path = os.path.join(folder, 'trainer_state.json')
    state = read_json(state_path, 'trainer state (plan.json position says training continues mid-stage)')
    optimizer_path = os.path.join(folder, 'optimizer.safetensors')
    if not os.path.isfile(optimizer_path):
        raise RunError(optimizer_path, 'missing (trainer_state.json has an optimizer step)')
    tensors = read_safetensors(optimizer_path)
    moments = {}
    for key, m in tensors.items():
        if key.startswith('m.'):
            if f'v.{key[2:]}' not in tensors:
                raise RunError(optimizer_path, f'"{key}" without "v.{key[2:]}"')
            moments[key[2:]] = (m, tensors[f'v.{key[2:]}'])
    return weights, state, moments


def _read_manifest(out_dir):
    path = os.path.join(out_dir, MANIFEST)
    if not os.path.exists(path):
        return None
    manifest = read_json(path)
    if manifest.get('format') != MANIFEST_FORMAT or manifest.get('version') != MANIFEST_VERSION:
        raise RunError(path, f'field format/version is {manifest.get("format")}/{manifest.get("version")}, not a hephaestus-torch manifest')
    return manifest


def _remove_leftovers(out_dir, manifest):
    current = manifest['current'] if manifest else None
    for entry in os.listdir(out_dir):
        stale_step = _STEP_FOLDER.match(entry) and entry not in (manifest or {}).get('kept', []) and entry != current
        if entry.startswith('.') and '.partial-' in entry or stale_step or entry.startswith(f'.{MANIFEST}.'):
            path = os.path.join(out_dir, entry)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)


def _write_synced(path, data):
    with open(path, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
