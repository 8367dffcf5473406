from __future__ import annotations

from functools import cache

from django.conf import settings


@cache
def torch_device() -> str:
    """``AI_DEVICE``: auto (CUDA when present, else CPU), cpu, cuda, cuda:1..."""
    wanted = str(getattr(settings, "AI_DEVICE", "auto") or "auto")
    if wanted != "auto":
        return wanted
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
