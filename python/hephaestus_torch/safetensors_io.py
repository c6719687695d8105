"""Reads and writes safetensors files with numpy alone (Debian's python3-torch has no `safetensors` package).

Format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} plus an optional
`__metadata__` entry, then the raw little-endian data.
"""
import json
import struct

import numpy as np

from .errors import RunError

_READ = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2'}
_WRITE = {np.dtype('float64'): 'F64', np.dtype('float32'): 'F32'}


def read_safetensors(path):
    """{name: numpy array} of a file; F16 and BF16 are widened to float32. Errors name the file and tensor."""
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as error:
        raise RunError(path, f'cannot read ({error.strerror})') from None
    if len(raw) < 8:
        raise RunError(path, 'too short for a safetensors header')
    (length,) = struct.unpack('<Q', raw[:8])
    if length > len(raw) - 8:
        raise RunError(path, f'header length {length} runs past the end of the file')
    try:
        header = json.loads(raw[8:8 + length].decode('utf-8'))
    except ValueError as error:
        raise RunError(path, f'header is not valid JSON ({error})') from None
    data = memoryview(raw)[8 + length:]
    return {name: _decode(path, name, entry, data) for name, entry in header.items() if name != '__metadata__'}


def _decode(path, name, entry, data):
    dtype, shape, offsets = entry.get('dtype'), entry.get('shape'), entry.get('data_offsets')
    if dtype not in _READ and dtype != 'BF16':
        raise RunError(path, f'tensor "{name}": unsupported dtype {dtype}')
    begin, end = offsets
    count = int(np.prod(shape, dtype=np.int64))
    width = 2 if dtype in ('F16', 'BF16') else np.dtype(_READ[dtype]).itemsize
    if end - begin != count * width or end > len(data):
        raise RunError(path, f'tensor "{name}": data_offsets do not match its shape or the file size')
    chunk = data[begin:end]
    if dtype == 'BF16':
        array = (np.frombuffer(chunk, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
    else:
        array = np.frombuffer(chunk, dtype=_READ[dtype])
    return array.astype(np.float64 if dtype == 'F64' else np.float32).reshape(shape)


def encode_safetensors(tensors, metadata=None):
    """The bytes of a file holding float32 / float64 numpy arrays, in the given order (8-byte aligned data)."""
    header, chunks, offset = {'__metadata__': metadata or {}}, [], 0
    for name, array in tensors.items():
        array = np.asarray(array, order='C')
        if array.dtype not in _WRITE:
            raise ValueError(f'tensor "{name}": only float32 and float64 are written, got {array.dtype}')
        little = array.astype(array.dtype.newbyteorder('<'), copy=False)
        header[name] = {'dtype': _WRITE[array.dtype], 'shape': list(array.shape),
                        'data_offsets': [offset, offset + little.nbytes]}
        chunks.append(little.tobytes())
        offset += little.nbytes
    text = json.dumps(header).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: numpy array} (float32 / float64) to `path`."""
    with open(path, 'wb') as f:
        f.write(encode_safetensors(tensors, metadata))
