"""Reader of a run folder's row shards: llm.c token shards of whole rows, and their uint8 loss-mask shards.

Header: 256 little-endian int32. Ints 0-2 are llm.c's (magic, version, token count); ours are 3 (the mark
0x48504548), 4 (row width = seq_len + 1), 5 (model vocabulary size), 6 (shard index in the stage), 7 (first row of
the shard in the stage) and bytes 32-63 (SHA-256 of the tokenizer.json that made the tokens). See the library's
src/recipe/run-shards.ts, which writes them.
"""
import os

import numpy as np

from .errors import RunError

HEADER_BYTES = 1024
RUN_SHARD_MARK = 0x48504548
MASK_FORMAT = (20250206, 1, '<u1')
TOKEN_FORMATS = {20240520: (1, '<u2'), 20240801: (7, '<u4')}


class Shard:
    """One shard file, checked against what the plan says it holds; `values` is a [rows, width] memmap."""

    def __init__(self, path, kind, expect):
        self.path = path
        if not os.path.isfile(path):
            raise RunError(path, f'missing (listed in plan.json {expect["where"]})')
        header = np.fromfile(path, dtype='<i4', count=HEADER_BYTES // 4)
        if header.size < HEADER_BYTES // 4:
            raise RunError(path, f'shorter than the {HEADER_BYTES}-byte shard header')
        magic, version, count = (int(x) for x in header[:3])
        if kind == 'mask':
            if magic != MASK_FORMAT[0] or version != MASK_FORMAT[1]:
                raise RunError(path, f'header fields magic/version are {magic}/{version}, not a mask shard')
            dtype = MASK_FORMAT[2]
        else:
            if magic not in TOKEN_FORMATS or TOKEN_FORMATS[magic][0] != version:
                raise RunError(path, f'header fields magic/version are {magic}/{version}, not an llm.c token shard')
            dtype = TOKEN_FORMATS[magic][1]
        if int(header[3]) != RUN_SHARD_MARK:
            raise RunError(path, 'header field 3 lacks the run-shard mark (a plain llm.c shard has no rows, masks or tokenizer hash)')
        digest = header[8:16].astype('<i4').tobytes().hex()
        fields = {'row width': (int(header[4]), expect['width']), 'vocab_size': (int(header[5]), expect['vocab']),
                  'shard index': (int(header[6]), expect['index']), 'first row': (int(header[7]), expect['first_row']),
                  'token count': (count, expect['rows'] * expect['width'])}
        if digest != expect['tokenizer']:
            raise RunError(path, f'header field tokenizer_sha256 is {digest[:16]}..., the checkpoint\'s tokenizer.json is '
                                 f'{expect["tokenizer"][:16]}...: this shard was made with another tokenizer')
        for name, (found, wanted) in fields.items():
            if found != wanted:
                raise RunError(path, f'header field {name} is {found}, plan.json {expect["where"]} expects {wanted}')
        size = os.path.getsize(path)
        if size != HEADER_BYTES + count * np.dtype(dtype).itemsize:
            raise RunError(path, f'{size} bytes, but header field token count {count} needs {HEADER_BYTES + count * np.dtype(dtype).itemsize}')
        self.values = np.memmap(path, dtype=dtype, mode='r', offset=HEADER_BYTES, shape=(expect['rows'], expect['width']))


class StageRows:
    """The rows of one stage (or of the benchmark) across its shard pairs, checked when opened."""

    def __init__(self, run_dir, shards, seq_len, vocab, tokenizer, where):
        self.width = seq_len + 1
        self.pairs = []
        for index, entry in enumerate(shards):
            expect = {'where': f'{where}.shards[{index}]', 'width': self.width, 'vocab': vocab, 'index': index,
                      'first_row': entry['firstRow'], 'rows': entry['rows'], 'tokenizer': tokenizer}
            tokens = Shard(os.path.join(run_dir, entry['tokens']), 'tokens', expect)
            masks = Shard(os.path.join(run_dir, entry['masks']), 'mask', expect)
            self._check_values(tokens, masks, vocab)
            self.pairs.append((entry['firstRow'], tokens.values, masks.values))
        self.rows = sum(pair[1].shape[0] for pair in self.pairs)

    @staticmethod
    def _check_values(tokens, masks, vocab):
        top = int(tokens.values.max(initial=0))
        if top >= vocab:
            row = int(np.argwhere(tokens.values >= vocab)[0][0])
            raise RunError(tokens.path, f'token id {top} (row {row}) is outside vocab_size {vocab} of the checkpoint\'s config.json')
        if int(masks.values.max(initial=0)) > 1:
            raise RunError(masks.path, 'loss weights must be 0 or 1')

    def read(self, start, count):
        """Rows start .. start+count-1: tokens int64 [count, width] and loss weights float32 [count, width]."""
        if start < 0 or start + count > self.rows:
            raise RunError('shards', f'rows {start}..{start + count - 1} are outside the {self.rows} rows of the stage')
        tokens, weights = [], []
        for first, token_rows, mask_rows in self.pairs:
            lo, hi = max(start, first), min(start + count, first + token_rows.shape[0])
            if lo < hi:
                tokens.append(np.asarray(token_rows[lo - first:hi - first], dtype=np.int64))
                weights.append(np.asarray(mask_rows[lo - first:hi - first], dtype=np.float32))
        return np.concatenate(tokens), np.concatenate(weights)
