"""Float64 reference of the model for the library's tests: logits, loss and every parameter's gradient.

Usage: python3 -m hephaestus_torch.reference DIR
  DIR/config.json        Hugging Face Llama config
  DIR/model.safetensors  F32 weights with LlamaForCausalLM names
  DIR/inputs.json        {"batch": B, "length": T, "tokens": [...], "targets": [...], "mask": [...]}
                         (row-major B*T lists; mask holds per-position loss weights)
writes
  DIR/reference.safetensors  F64 tensors: "logits" [B, T, V], "loss" [] = sum(mask * nll) / sum(mask),
                             and "grad:<name>" for every parameter (d loss / d weight).
The model is the package's own (`model.py`), the same module the trainer runs, here in float64.
"""
import json
import sys

import torch

from .model import build_model, load_weights, parameter_names
from .shape import LlamaShape
from .safetensors_io import read_safetensors, write_safetensors


def main(directory):
    with open(f'{directory}/config.json') as f:
        shape = LlamaShape.from_config(json.load(f), f'{directory}/config.json')
    with open(f'{directory}/inputs.json') as f:
        inputs = json.load(f)
    model = build_model(shape).to(torch.float64)
    load_weights(model, read_safetensors(f'{directory}/model.safetensors'), f'{directory}/model.safetensors')
    size = (inputs['batch'], inputs['length'])
    tokens = torch.tensor(inputs['tokens'], dtype=torch.long).view(size)
    targets = torch.tensor(inputs['targets'], dtype=torch.long).view(-1)
    mask = torch.tensor(inputs['mask'], dtype=torch.float64).view(-1)

    logits = model(input_ids=tokens).logits
    nll = -torch.log_softmax(logits.view(-1, shape.vocab_size), dim=-1).gather(1, targets[:, None])[:, 0]
    loss = (mask * nll).sum() / mask.sum()
    loss.backward()

    out = {'logits': logits.detach().numpy(), 'loss': loss.detach().numpy()}
    for name, param in parameter_names(model).items():
        grad = param.grad if param.grad is not None else torch.zeros_like(param)
        out[f'grad:{name}'] = grad.numpy()
    write_safetensors(f'{directory}/reference.safetensors', out)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: python3 -m hephaestus_torch.reference DIR (with config.json, model.safetensors, inputs.json)')
    torch.set_default_dtype(torch.float64)
    main(sys.argv[1])
