#!/usr/bin/python3
"""Independent float64 PyTorch reference of a Hugging Face LlamaForCausalLM (no transformers needed).

Usage: /usr/bin/python3 llama_reference.py DIR
  DIR/config.json        Hugging Face Llama config (vocab_size, hidden_size, num_attention_heads, ...)
  DIR/model.safetensors  F32 weights with LlamaForCausalLM names
  DIR/inputs.json        {"batch": B, "length": T, "tokens": [...], "targets": [...], "mask": [...]}
                         (row-major B*T lists; mask holds per-position loss weights)
writes
  DIR/reference.safetensors  F64 tensors: "logits" [B, T, V], "loss" [] = sum(mask * nll) / sum(mask),
                             and "grad:<name>" for every parameter (d loss / d weight).
Written from the architecture's definition, not from our TypeScript model, so that it checks it.
"""
import json
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (header_len,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + header_len].decode('utf-8'))
    data = raw[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise ValueError(f'{path}: tensor {name} has dtype {entry["dtype"]}, only F32 is read')
        begin, end = entry['data_offsets']
        array = np.frombuffer(data[begin:end], dtype='<f4').reshape(entry['shape'])
        tensors[name] = torch.tensor(array.astype(np.float64), requires_grad=True)
    return tensors


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        array = np.ascontiguousarray(tensor.detach().numpy().astype('<f8'))
        header[name] = {'dtype': 'F64', 'shape': list(array.shape), 'data_offsets': [offset, offset + array.nbytes]}
        chunks.append(array.tobytes())
        offset += array.nbytes
    text = json.dumps(header).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def attention(x, w, prefix, cfg, cos, sin):
    batch, length, _ = x.shape
    heads, kv_heads = cfg['num_attention_heads'], cfg.get('num_key_value_heads', cfg['num_attention_heads'])
    hd = cfg['hidden_size'] // heads

    def project(name, count):  # [B, T, count*hd] -> [B, count, T, hd]
        return (x @ w[f'{prefix}.self_attn.{name}.weight'].T).view(batch, length, count, hd).transpose(1, 2)

    q, k, v = project('q_proj', heads), project('k_proj', kv_heads), project('v_proj', kv_heads)
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    k = k.repeat_interleave(heads // kv_heads, dim=1)  # grouped-query: kv head j serves query heads j*g..j*g+g-1
    v = v.repeat_interleave(heads // kv_heads, dim=1)
    scores = (q @ k.transpose(-1, -2)) / hd ** 0.5
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    scores = scores.masked_fill(~causal, float('-inf'))
    out = torch.softmax(scores, dim=-1) @ v  # [B, H, T, hd]
    out = out.transpose(1, 2).reshape(batch, length, heads * hd)
    return out @ w[f'{prefix}.self_attn.o_proj.weight'].T


def mlp(x, w, prefix):
    gate = x @ w[f'{prefix}.mlp.gate_proj.weight'].T
    up = x @ w[f'{prefix}.mlp.up_proj.weight'].T
    return (torch.nn.functional.silu(gate) * up) @ w[f'{prefix}.mlp.down_proj.weight'].T


def forward(cfg, w, tokens):
    length = tokens.shape[1]
    hd = cfg['hidden_size'] // cfg['num_attention_heads']
    eps = cfg['rms_norm_eps']
    inv_freq = 1.0 / cfg.get('rope_theta', 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    angles = torch.outer(torch.arange(length, dtype=torch.float64), inv_freq)  # [T, hd/2]
    angles = torch.cat([angles, angles], dim=-1)  # [T, hd]
    cos, sin = angles.cos(), angles.sin()

    x = w['model.embed_tokens.weight'][tokens]  # [B, T, d]
    for layer in range(cfg['num_hidden_layers']):
        p = f'model.layers.{layer}'
        x = x + attention(rms_norm(x, w[f'{p}.input_layernorm.weight'], eps), w, p, cfg, cos, sin)
        x = x + mlp(rms_norm(x, w[f'{p}.post_attention_layernorm.weight'], eps), w, p)
    x = rms_norm(x, w['model.norm.weight'], eps)
    head = w['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings', False) else w['lm_head.weight']
    return x @ head.T  # [B, T, V]


def main(directory):
    with open(f'{directory}/config.json') as f:
        cfg = json.load(f)
    with open(f'{directory}/inputs.json') as f:
        inputs = json.load(f)
    shape = (inputs['batch'], inputs['length'])
    tokens = torch.tensor(inputs['tokens'], dtype=torch.long).view(shape)
    targets = torch.tensor(inputs['targets'], dtype=torch.long).view(-1)
    mask = torch.tensor(inputs['mask'], dtype=torch.float64).view(-1)
    weights = read_safetensors(f'{directory}/model.safetensors')
    if cfg.get('tie_word_embeddings', False):
        weights.pop('lm_head.weight', None)

    logits = forward(cfg, weights, tokens)
    nll = -torch.log_softmax(logits.view(-1, cfg['vocab_size']), dim=-1).gather(1, targets[:, None])[:, 0]
    loss = (mask * nll).sum() / mask.sum()
    loss.backward()

    out = {'logits': logits, 'loss': loss}
    for name, tensor in weights.items():
        out[f'grad:{name}'] = tensor.grad if tensor.grad is not None else torch.zeros_like(tensor)
    write_safetensors(f'{directory}/reference.safetensors', out)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: llama_reference.py DIR (with config.json, model.safetensors, inputs.json)')
    main(sys.argv[1])
