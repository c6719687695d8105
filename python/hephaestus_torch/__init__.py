"""PyTorch side of hephaestus-web: continue a run exported by `hephaestus-web export-run` with torchrun (DDP).

Modules: `shape` and `model` (Llama with Hugging Face parameter names), `safetensors_io`, `shards` (our llm.c
token shards and their loss masks), `run` (plan.json, checkpoint and shard checks; numpy only), `checkpoints`
(atomic Hugging Face checkpoints with a manifest), `lr_schedule`, `train` (the torchrun entry) with `engine` (its
torch half), and `reference` (the model in float64, for the library's tests).
"""
