"""The library's learning-rate schedule (src/train/schedule.ts): linear warm-up from 0, then cosine decay."""
import math


def learning_rate(step, max_lr, min_lr, warmup_steps, total_steps):
    """Learning rate at 1-based `step`; constant `min_lr` from `total_steps` on."""
    if step <= warmup_steps:
        return max_lr * step / max(1, warmup_steps)
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * progress))
