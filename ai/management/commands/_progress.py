from __future__ import annotations

from collections.abc import Callable
from typing import Any


def progress_bar(description: str, *, disable: bool = False) -> tuple[Callable[[int, int], None], Any]:
    """A tqdm bar driven by (done, total) callbacks; returns the callback and the bar (to close)."""
    from tqdm import tqdm

    bar = tqdm(total=0, desc=description, unit="text", disable=disable)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return update, bar
