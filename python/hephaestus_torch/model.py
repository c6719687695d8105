"""Llama decoder in PyTorch with Hugging Face `LlamaForCausalLM` parameter names.

Written from the architecture's definition (not from the TypeScript model), so that the library's tests can use
it, in float64, as an independent reference; the trainer uses the same module in float32 (bf16 autocast on GPU).
Token embedding, RMSNorm, rotary embeddings ("rotate half" layout), causal attention with grouped-query heads,
SwiGLU MLP, no biases, optionally tied output head.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .errors import RunError


@dataclass
class CausalLMOutput:
    """What the model returns, shaped like transformers' output so both models are called the same way."""
    logits: torch.Tensor


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        # At least float32 inside (bf16 under autocast), float64 stays float64.
        wide = x.to(torch.promote_types(x.dtype, torch.float32))
        normed = wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.to(x.dtype) * self.weight.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = shape.num_attention_heads, shape.num_key_value_heads, shape.head_dim
        d, kv = shape.hidden_size, shape.num_key_value_heads * shape.head_dim
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, kv, bias=False)
        self.v_proj = nn.Linear(d, kv, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)

    def forward(self, x, cos, sin):
        batch, length, _ = x.shape

        def heads(t, count):  # [B, T, count*hd] -> [B, count, T, hd]
            return t.view(batch, length, count, self.head_dim).transpose(1, 2)

        q, k, v = heads(self.q_proj(x), self.heads), heads(self.k_proj(x), self.kv_heads), heads(self.v_proj(x), self.kv_heads)
        cos, sin = cos.to(q.dtype), sin.to(q.dtype)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        group = self.heads // self.kv_heads  # kv head j serves query heads j*group .. j*group+group-1
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        out = causal_attention(q, k, v)
        return self.o_proj(out.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim))


def causal_attention(q, k, v):
    """softmax(q k^T / sqrt(hd) + causal mask) v; PyTorch's fused kernel where it exists (2.0 and later)."""
    if hasattr(F, 'scaled_dot_product_attention'):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    length = q.shape[-2]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    causal = torch.ones(length, length, dtype=torch.bool, device=q.device).tril()
    return torch.softmax(scores.masked_fill(~causal, float('-inf')), dim=-1) @ v


class MLP(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.gate_proj = nn.Linear(shape.hidden_size, shape.intermediate_size, bias=False)
        self.up_proj = nn.Linear(shape.hidden_size, shape.intermediate_size, bias=False)
        self.down_proj = nn.Linear(shape.intermediate_size, shape.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.self_attn = Attention(shape)
        self.mlp = MLP(shape)
        self.input_layernorm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaBody(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.embed_tokens = nn.Embedding(shape.vocab_size, shape.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(shape) for _ in range(shape.num_hidden_layers))
        self.norm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    """`model(input_ids=tokens).logits` is `[B, T, vocab]`; parameter names are those of transformers' class."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        self.model = LlamaBody(shape)
        self.lm_head = nn.Linear(shape.hidden_size, shape.vocab_size, bias=False)
        if shape.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        cos, sin = rope_tables(shape)
        self.register_buffer('rope_cos', cos, persistent=False)
        self.register_buffer('rope_sin', sin, persistent=False)

    def forward(self, input_ids):
        length = input_ids.shape[1]
        if length > self.shape.max_position_embeddings:
            raise ValueError(f'{length} positions exceed max_position_embeddings {self.shape.max_position_embeddings}')
        cos, sin = self.rope_cos[:length], self.rope_sin[:length]
        x = self.model.embed_tokens(input_ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return CausalLMOutput(logits=self.lm_head(self.model.norm(x)))


def rope_tables(shape):
    """cos, sin `[max_position_embeddings, head_dim]`, computed in float64 (as the library does)."""
    size = shape.head_dim
    inv_freq = 1.0 / shape.rope_theta ** (torch.arange(0, size, 2, dtype=torch.float64) / size)
    angles = torch.outer(torch.arange(shape.max_position_embeddings, dtype=torch.float64), inv_freq)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def build_model(shape, use_transformers=False):
    """Our LlamaForCausalLM, or transformers' own when `use_transformers` (an error when it is not installed)."""
    if not use_transformers:
        return LlamaForCausalLM(shape)
    try:
        import transformers
    except ImportError:
        raise RunError('--transformers', 'the transformers package is not installed; run without --transformers') from None
    config = transformers.LlamaConfig(
        vocab_size=shape.vocab_size, hidden_size=shape.hidden_size, num_hidden_layers=shape.num_hidden_layers,
        num_attention_heads=shape.num_attention_heads, num_key_value_heads=shape.num_key_value_heads,
        intermediate_size=shape.intermediate_size, max_position_embeddings=shape.max_position_embeddings,
        rope_theta=shape.rope_theta, rms_norm_eps=shape.rms_norm_eps, tie_word_embeddings=shape.tie_word_embeddings,
        hidden_act='silu', attention_bias=False, mlp_bias=False, use_cache=False)
    return transformers.LlamaForCausalLM(config)


def parameter_names(model):
    """Trainable parameters by Hugging Face name; a tied head appears once, as `model.embed_tokens.weight`."""
    return dict(model.named_parameters())


def load_weights(model, weights, source):
    """Copies {name: numpy array} into the model, checking every name and shape; extra names are ignored."""
    params = parameter_names(model)
    with torch.no_grad():
        for name, param in params.items():
            if name not in weights:
                raise RunError(source, f'missing tensor "{name}"')
            value = weights[name]
            if tuple(value.shape) != tuple(param.shape):
                raise RunError(source, f'tensor "{name}" has shape {list(value.shape)}, expected {list(param.shape)}')
            param.copy_(torch.from_numpy(value))
