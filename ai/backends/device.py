from __future__ import annotations

from functools import cache

from django.conf import settings


@cache
def torch_device() -> str:
    """``AI_DEVICE``: auto (CUDA when present, else CPU), cpu, cuda, cuda:1...

    The first call in a process (every model load goes through here) also sets torch's CPU threads.
    """
    import torch

    _limit_cpu_threads()
    wanted = str(getattr(settings, "AI_DEVICE", "auto") or "auto")
    if wanted != "auto":
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"


def _limit_cpu_threads() -> None:
    """``AI_CPU_THREADS`` (default 1; 0 keeps torch's own choice of one per core).

    The AI worker usually shares its cores with the web processes. torch's default runs a thread per core whose
    idle threads spin, which took the chat's p99 at 500 msg/s from under 50 ms to 2.1 s on 2 cores
    (bench/chat_load.py --ai-worker); one thread costs a single query embedding little. A dedicated AI machine
    can raise it.
    """
    import torch

    threads = int(getattr(settings, "AI_CPU_THREADS", 1))
    if threads > 0:
        torch.set_num_threads(threads)
