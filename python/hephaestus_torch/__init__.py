"""PyTorch side of hephaestus-web: continue a run exported by `hephaestus-web export-run` with torchrun (DDP).

Modules: `model` (Llama with Hugging Face parameter names), `safetensors_io`, `shards` (our llm.c token shards
and their loss masks), `run` (plan.json and checkpoint checks, numpy only), `checkpoints` (atomic Hugging Face
checkpoints with a manifest), `schedule`, `train` (the torchrun entry) and `reference` (float64 model checks).
"""

FORMAT_VERSION = 1
